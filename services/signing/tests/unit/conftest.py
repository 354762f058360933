"""signing's use cases run on an in-memory unit of work (repositories over dicts, holding the
tables' objects as the SQL repositories would give them back) and an engine standing in for the
token, the CAs, eSign and the document store. No broker, no database, no token."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from eoffice_common.fakes import FakeUnitOfWork
from eoffice_common.storage import StoredDocument
from signing import domain, exceptions, pades
from signing.models import Office, User
from signing.repository import view_of

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)

USERS = {
    "dm.jhs": User(id="dm.jhs", office="COLL-JHS", name_en="Ravi Kumar", name_hi="रवि कुमार",
                   designation_en="District Magistrate", designation_hi="ज़िलाधिकारी", email="dm@up.example.in",
                   active=True),
    "adm.jhs": User(id="adm.jhs", office="COLL-JHS", name_en="Anita Verma", name_hi="अनीता वर्मा",
                    designation_en="Additional District Magistrate", designation_hi="अपर ज़िलाधिकारी",
                    email="adm@up.example.in", active=True),
    "dm.jln": User(id="dm.jln", office="COLL-JLN", name_en="Ravi Kumar", name_hi="रवि कुमार",
                   designation_en="District Magistrate", designation_hi="ज़िलाधिकारी", email="dm@jln.example.in",
                   active=True),
}


class FakeDocuments:
    def __init__(self, signatures: FakeSignatures):
        self.rows = {}
        self.signers = {}
        self._signatures = signatures

    def find(self, kind, document_id, for_update=False):
        return self.rows.get((kind, document_id))

    def get(self, kind, document_id, for_update=False):
        document = self.find(kind, document_id)
        if document is None:
            raise exceptions.DocumentNotFound(f"{kind} {document_id} was not found")
        signatures = self.signatures_of(kind, document_id)
        return document, view_of(document, self.signers_of(kind, document_id), signatures), signatures

    def add(self, document):
        self.rows[(document.kind, document.id)] = document

    def signers_of(self, kind, document_id):
        return list(self.signers.get((kind, document_id), []))

    def set_signers(self, kind, document_id, user_ids):
        self.signers[(kind, document_id)] = list(user_ids)

    def signatures_of(self, kind, document_id):
        return sorted((s for s in self._signatures.rows.values() if (s.document_kind, s.document_id) == (kind, document_id)),
                      key=lambda s: (s.requested_at, s.position))


class FakeSignatures:
    def __init__(self):
        self.rows = {}

    def get(self, signature_id):
        if signature_id not in self.rows:
            raise exceptions.SignatureNotFound(f"signature {signature_id} was not found")
        return self.rows[signature_id]

    def add(self, signature):
        self.rows[signature.id] = signature


class FakeCertificates:
    def __init__(self):
        self.rows = {}

    def get(self, certificate_id, user_id=None):
        certificate = self.rows.get(certificate_id)
        if certificate is None or (user_id is not None and certificate.user_id != user_id):
            raise exceptions.CertificateNotFound(f"certificate {certificate_id} was not found")
        return certificate

    def add(self, certificate):
        for other in self.active():
            if other.fingerprint_sha256 == certificate.fingerprint_sha256 or (
                    certificate.key_label and other.key_label == certificate.key_label):
                raise exceptions.KeyBoundToAnother("this key or certificate was registered by another request just now")
        self.rows[certificate.id] = certificate

    def of_user(self, user_id):
        return sorted((c for c in self.rows.values() if c.user_id == user_id), key=lambda c: c.registered_at, reverse=True)

    def usable(self, user_id, source):
        for certificate in self.of_user(user_id):
            if certificate.source == source and certificate.status == domain.ACTIVE:
                return certificate
        raise exceptions.NoCertificate("register a certificate before signing", fields={"method": f"no active {source} certificate"})

    def active_registrations(self, fingerprint, key_label):
        return [c for c in self.active()
                if c.fingerprint_sha256 == fingerprint or (key_label is not None and c.key_label == key_label)]

    def active_of(self, user_id):
        return [c for c in self.active() if c.user_id == user_id]

    def active(self):
        return [c for c in self.rows.values() if c.status == domain.ACTIVE]

    def by_fingerprint(self, fingerprints):
        found = sorted((c for c in self.rows.values() if c.fingerprint_sha256 in set(fingerprints)),
                       key=lambda c: (c.status == domain.ACTIVE, c.registered_at))
        return {c.fingerprint_sha256: c for c in found}


class FakeDirectory:
    def __init__(self):
        self.users = dict(USERS)
        self.offices = {"COLL-JHS": Office(code="COLL-JHS", district="JHS", name_en="Collectorate Jhansi",
                                           name_hi="कलेक्ट्रेट झाँसी")}

    def user(self, user_id):
        user = self.users.get(user_id)
        if user is None or not user.active:
            raise exceptions.UnknownUser(f"user {user_id} is not in the directory")
        return user

    def users_by_id(self, user_ids):
        return {u: self.users[u] for u in user_ids if u in self.users}

    def active_user_ids(self, user_ids):
        return {u for u, user in self.users_by_id(user_ids).items() if user.active}

    def office(self, code):
        return self.offices.get(code)

    def office_of(self, user_id):
        user = self.users.get(user_id)
        return user.office if user else ""


class FakeSigningUnitOfWork(FakeUnitOfWork):
    def __init__(self):
        super().__init__()
        self.signatures = FakeSignatures()
        self.documents = FakeDocuments(self.signatures)
        self.certificates = FakeCertificates()
        self.directory = FakeDirectory()


class FakeEngine:
    """The token, the CAs, eSign and the store, as far as the use cases see them."""

    def __init__(self):
        self.stored = {}
        self.revoked_by_ca = set()  # fingerprints
        self.failure = None
        self.signed = []
        self.checks = []

    def facts(self, certificate, now=None):
        if isinstance(certificate, bytes):
            certificate = x509.load_der_x509_certificate(certificate)
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
        revocation = domain.Revocation(NOW, "key_compromise") if fingerprint in self.revoked_by_ca else None
        return domain.CertificateFacts(
            common_name=certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
            not_before=certificate.not_valid_before_utc, not_after=certificate.not_valid_after_utc,
            key_usages=frozenset({"digital_signature", "non_repudiation"}), key_type="rsa", revocation=revocation,
            user_ids=frozenset(a.value for a in certificate.subject.get_attributes_for_oid(NameOID.USER_ID)),
        )

    def preview(self, content, signers):
        return f"%PDF preview of {content.kind} {content.document_id} by {len(signers)}".encode()

    def stored_pdf(self, key):
        return self.stored[key]

    def store(self, pdf, name):
        key = f"signing/pdfs/{len(self.stored) + 1}-{name}"
        self.stored[key] = pdf
        return StoredDocument(key, hashlib.sha256(pdf).hexdigest(), len(pdf), "application/pdf")

    def sign(self, pdf, details, certificate, signature):
        if self.failure is not None:
            raise self.failure
        self.signed.append((details.field_name, details.signer_name, certificate.id))
        return pdf + f" +{details.field_name} {details.signer_name}".encode()

    def verify(self, pdf):
        return pades.VerifiedPdf(self.checks, None)

    def revocations(self):
        return lambda der: domain.Revocation(NOW, "key_compromise") if (
            x509.load_der_x509_certificate(der).fingerprint(hashes.SHA256()).hex() in self.revoked_by_ca) else None


@pytest.fixture
def uow():
    return FakeSigningUnitOfWork()


@pytest.fixture
def engine():
    return FakeEngine()


_KEY = None


def certificate(common_name="Ravi Kumar", user_id="dm.jhs", days=365):
    """A DSC issued in `common_name`'s name naming the directory user `user_id` (its subject UID)."""
    global _KEY
    if _KEY is None:
        _KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.USER_ID, user_id)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(_KEY.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=days)).sign(_KEY, hashes.SHA256()))
