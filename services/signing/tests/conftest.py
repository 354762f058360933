"""Fixtures: a SoftHSM2 token of the test session's own (its own SOFTHSM2_CONF), a test CA and its
CRL, officers' keys generated on the token, a fake eSign provider signing with a real key, and the
running signing service on RabbitMQ, PostgreSQL and the S3 endpoint."""
import datetime
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

import eventlet
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from eventlet import wsgi

from eoffice_common.auth import Principal, issue_token
from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, truncate_all
from signing.testing import FakeESignProvider

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "eoffice-test"
PIN = "4321"
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)

# The demo officers of Jhansi, as dak announces them.
USERS = {
    "dm.jhs": ("Asha Verma", "आशा वर्मा", "District Magistrate", "ज़िलाधिकारी", "COLL-JHS"),
    "adm.jhs": ("Vikas Singh", "विकास सिंह", "Additional District Magistrate", "अपर ज़िलाधिकारी", "COLL-JHS"),
    "so.jhs": ("Ramesh Kumar", "रमेश कुमार", "Section Officer", "अनुभाग अधिकारी", "COLL-JHS"),
    "clerk.jhs": ("Sunita Devi", "सुनीता देवी", "Clerk", "लिपिक", "COLL-JHS"),
    "sto.jhs": ("Mohan Lal", "मोहन लाल", "Senior Treasury Officer", "वरिष्ठ कोषाधिकारी", "TRY-JHS"),
    # the DM's namesake in another district
    "sdm.lko": ("Asha Verma", "आशा वर्मा", "Sub-Divisional Magistrate", "उप ज़िलाधिकारी", "TEH-LKO"),
}
TOKEN_KEYS = ("dm.jhs", "adm.jhs", "so.jhs", "clerk.jhs")


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class TestCA:
    def __init__(self, name):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.COUNTRY_NAME, "IN")])
        self.certificate = (
            x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - 30 * DAY).not_valid_after(NOW + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, public_key, common_name, user_id, not_before=None, not_after=None, signing=True, email=None):
        """An officer's certificate, naming the directory identity it is bound to: UID (and email, if given)."""
        usage = (True, True) if signing else (False, False)
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.COUNTRY_NAME, "IN")]
        subject += [x509.NameAttribute(NameOID.USER_ID, user_id)] if user_id else []
        subject += [x509.NameAttribute(NameOID.EMAIL_ADDRESS, email)] if email else []
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name(subject))
            .issuer_name(self.name).public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(not_before or NOW - DAY).not_valid_after(not_after or NOW + 365 * DAY)
            .add_extension(x509.KeyUsage(usage[0], usage[1], not signing, False, False, False, False, False, False), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def crl(self, *revoked):
        builder = (
            x509.CertificateRevocationListBuilder().issuer_name(self.name)
            .last_update(NOW - DAY).next_update(NOW + 30 * DAY)
        )
        for certificate in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(certificate.serial_number).revocation_date(NOW - DAY)
                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A token with the officers' keys and certificates, the CA that issued them, and its CRL."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

    root = tmp_path_factory.mktemp("pki")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    # SoftHSM2 reads this when the module is first loaded: only this session's token is visible.
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN, "--so-pin", "87654321"],
                   check=True, capture_output=True)
    ca, rogue = TestCA("eOffice Test CA"), TestCA("Rogue CA")
    certificates, public_keys = {}, {}
    with pkcs11.lib(MODULE).get_token(token_label=TOKEN_LABEL).open(rw=True, user_pin=PIN) as session:
        for user_id in TOKEN_KEYS:
            public, _private = session.generate_keypair(KeyType.RSA, 2048, store=True, label=user_id, id=user_id.encode())
            key = rsa.RSAPublicNumbers(int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"), int.from_bytes(public[Attribute.MODULUS], "big")).public_key()
            public_keys[user_id] = key
            certificate = ca.issue(key, USERS[user_id][0], user_id)
            certificates[user_id] = certificate
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: user_id, Attribute.ID: user_id.encode(),
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            })
    clerk = public_keys["clerk.jhs"]
    special = {
        "expired": ca.issue(clerk, "Sunita Devi", "clerk.jhs", NOW - 400 * DAY, NOW - 35 * DAY),
        "revoked": ca.issue(clerk, "Sunita Devi", "clerk.jhs"),
        "rogue": rogue.issue(clerk, "Sunita Devi", "clerk.jhs"),
        "no_signing_usage": ca.issue(clerk, "Sunita Devi", "clerk.jhs", signing=False),
        "no_identity": ca.issue(clerk, "Sunita Devi", None),
        "by_email": ca.issue(clerk, "Sunita Devi", None, email="Clerk.JHS@up.gov.example"),
    }
    esign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    esign_certificate = ca.issue(esign_key.public_key(), "Vikas Singh", "adm.jhs")
    other_esign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_file = root / "ca.pem"
    ca_file.write_text(pem(ca.certificate))
    crl_file = root / "ca.crl"
    crl_file.write_bytes(ca.crl(special["revoked"]))
    return SimpleNamespace(
        root=root, ca=ca, ca_file=str(ca_file), crl_file=str(crl_file), certificates=certificates, special=special,
        esign_key=esign_key, esign_certificate=esign_certificate,
        other_esign_key=other_esign_key, other_esign_certificate=ca.issue(other_esign_key.public_key(), "Vikas Singh", "adm.jhs"),
    )


@pytest.fixture
def esign_provider(pki):
    provider = FakeESignProvider(pki.esign_key, pki.esign_certificate)
    yield provider
    provider.close()


class StaticServer:
    """Serves one body over HTTP on localhost (a CA's CRL distribution point)."""

    def __init__(self, body, content_type="application/pkix-crl"):
        self.body = body
        self.hits = 0
        self.port = free_port()
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(wsgi.server, self._listener, self._app, log_output=False)
        self.content_type = content_type

    def _app(self, environ, start_response):
        self.hits += 1
        start_response("200 OK", [("Content-Type", self.content_type)])
        return [self.body]

    def url(self, path="/ca.crl"):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self._server.kill()
        self._listener.close()


@pytest.fixture
def static_server():
    servers = []

    def make(body):
        servers.append(StaticServer(body))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def signing_database(migrated_database):
    return migrated_database(SERVICE_DIR, "signing")


@pytest.fixture
def signing_db(signing_database):
    truncate_all(signing_database)
    return signing_database


@pytest.fixture
def signing_config(rabbit_config, s3_config, signing_db, pki, esign_provider):
    return {
        **rabbit_config,
        **s3_config,
        "DB_URL": signing_db,
        **TEST_JWT_KEYS,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "METRICS_PORT": free_port(),
        "MAX_DOCUMENT_BYTES": 256 * 1024,
        "max_workers": 10,
        "PKCS11_MODULE": MODULE,
        "PKCS11_TOKEN_LABEL": TOKEN_LABEL,
        "PKCS11_PIN": PIN,
        "TRUSTED_CA_FILES": pki.ca_file,
        "CRL_SOURCES": pki.crl_file,
        "ESIGN_URL": esign_provider.url,
        "ESIGN_API_KEY": esign_provider.api_key,
    }


def envelope(event_type, aggregate_type, aggregate_id, data, actor="system", office="COLL-JHS"):
    return {
        "id": str(uuid.uuid4()), "type": event_type, "schema_version": 1,
        "occurred_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "actor": actor, "office": office,
        "district": "JHS", "correlation_id": uuid.uuid4().hex, "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id, "data": data,
    }


def user_recorded(user_id, active=True):
    """dak's user_recorded for one of USERS."""
    name_en, name_hi, designation_en, designation_hi, office = USERS[user_id]
    return envelope("user_recorded", "user", user_id, {
        "user_id": user_id, "office": office, "district": "JHS", "name_en": name_en, "name_hi": name_hi,
        "designation_en": designation_en, "designation_hi": designation_hi, "section": None, "email": f"{user_id}@up.gov.example",
        "mobile": None, "reporting_officer": None, "roles": ["officer"], "language": "hi", "active": active,
    }, office=office)


@dataclass
class Office:
    """The running signing service as officers and the other services see it."""

    base_url: str
    amqp_uri: str
    db_url: str
    notes: dict = field(default_factory=dict)

    def token(self, user_id):
        name_en, _, _, _, office = USERS.get(user_id, (user_id, "", "", "", "COLL-JHS"))
        roles = ("admin",) if user_id == "admin.jhs" else ("officer",)
        return issue_token(TEST_JWT_PRIVATE_KEY, Principal(user_id, office, roles, name_en))

    def request(self, method, path, user, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base_url}{path}", headers=headers, timeout=60, **kwargs)

    def get(self, path, user, **kwargs):
        return self.request("GET", path, user, **kwargs)

    def post(self, path, user, **kwargs):
        return self.request("POST", path, user, **kwargs)

    def put(self, path, user, **kwargs):
        return self.request("PUT", path, user, **kwargs)

    def publish(self, service, *envelopes):
        publisher = ConfirmingPublisher(self.amqp_uri, service)
        try:
            assert publisher.publish(list(envelopes)) == len(envelopes)
        finally:
            publisher.close()

    def announce_directory(self):
        offices = [
            envelope("office_recorded", "office", "COLL-JHS", {"office": "COLL-JHS", "district": "JHS", "name_en": "Collectorate Jhansi", "name_hi": "कलेक्ट्रेट झाँसी"}),
            envelope("office_recorded", "office", "TRY-JHS", {"office": "TRY-JHS", "district": "JHS", "name_en": "Treasury Jhansi", "name_hi": "कोषागार झाँसी"}, office="TRY-JHS"),
        ]
        self.publish("dak", *offices, *[user_recorded(user_id) for user_id in USERS])
        self.wait_for_rows("users", len(USERS))
        self.wait_for_rows("offices", 2)

    def deactivate(self, user_id):
        self.publish("dak", user_recorded(user_id, active=False))

    def wait_for_rows(self, table, count, timeout=15):
        from sqlalchemy import create_engine, text

        engine = create_engine(self.db_url)
        try:
            deadline = time.time() + timeout
            while time.time() < deadline:
                with engine.connect() as conn:
                    if conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() >= count:
                        return
                eventlet.sleep(0.05)
        finally:
            engine.dispose()
        raise AssertionError(f"fewer than {count} rows in {table} after {timeout}s")

    def confirm_note(self, author="dm.jhs", text="कृपया अवलोकन करें।", note_id=None, content_sha256=None, **data):
        """files' note_confirmed for a green note, as the files service publishes it; waits until consumed."""
        import hashlib

        note_id = note_id or f"note-{uuid.uuid4().hex[:8]}"
        body = {
            "file_id": data.pop("file_id", "file-1"), "file_number": data.pop("file_number", "N-11016/6/2026-COLL-JHS"),
            "note_id": note_id, "author": author, "text": text,
            "first_paragraph": 1, "last_paragraph": len([p for p in text.split("\n\n") if p.strip()]),
            "subject": "भूमि विवाद",
            "content_sha256": content_sha256 or hashlib.sha256(text.encode()).hexdigest(),
            "confirmed_at": "2026-11-20T11:30:00+05:30", "classification": "normal", "office": "COLL-JHS", "district": "JHS",
            **data,
        }
        self.publish("files", envelope("note_confirmed", "file", body["file_id"], body, actor=author))
        self.wait_for_document("note", note_id, body["content_sha256"], author)
        return note_id

    def approve_draft(self, approver="adm.jhs", content="सेवा में, ...", draft_id=None, **data):
        import hashlib

        draft_id = draft_id or f"draft-{uuid.uuid4().hex[:8]}"
        body = {
            "file_id": "file-1", "file_number": "N-11016/6/2026-COLL-JHS", "draft_id": draft_id, "version": 1,
            "approver": approver, "subject": "पेंशन स्वीकृति आदेश", "content": content,
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(), "classification": "normal",
            "office": "COLL-JHS", "district": "JHS", **data,
        }
        self.publish("files", envelope("draft_approved", "file", "file-1", body, actor=approver))
        self.wait_for_document("draft", draft_id, body["content_sha256"], approver)
        return draft_id

    def wait_for_document(self, kind, document_id, content_sha256, user, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            response = self.get(f"/documents/{kind}/{document_id}", user)
            if response.status_code == 200 and response.json()["content_sha256"] == content_sha256:
                return response.json()
            eventlet.sleep(0.05)
        raise AssertionError(f"{kind} {document_id} was not recorded within {timeout}s")

    def register_dsc(self, user, key_label=None, certificate=None):
        body = {"source": "dsc", "key_label": key_label or user}
        if certificate is not None:
            body["certificate"] = pem(certificate)
        return self.post("/certificates", user, json=body)

    def sign(self, kind, document_id, user, **body):
        return self.post(f"/documents/{kind}/{document_id}/signatures", user, json=body)


@pytest.fixture
def signing_container(container_factory, signing_config):
    from signing.service import SigningService

    container = container_factory(SigningService, signing_config)
    container.start()
    return container


@pytest.fixture
def office(signing_container, signing_config):
    desk = Office(f"http://{signing_config['WEB_SERVER_ADDRESS']}", signing_config["AMQP_URI"], signing_config["DB_URL"])
    desk.announce_directory()
    return desk
