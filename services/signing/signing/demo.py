"""A SoftHSM2 token for `make run`: a demo certifying authority, and a DSC key with its certificate
on the token for every officer of the demo organisation, so signing works on a fresh machine."""
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pkcs11
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

DEMO_PIN = "1234"
DEMO_SO_PIN = "12345678"


def _name(common_name, user_id=None, email=None):
    """A subject name; an officer's also carries the directory identity signing binds it to (UID, email)."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.COUNTRY_NAME, "IN")]
    if user_id:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, user_id))
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attributes)


def create_demo_token(directory, master_path, module, token_label):
    """Create the token under `directory` (its own softhsm2.conf) and return the settings the
    signing service needs: SOFTHSM2_CONF, PKCS11_PIN, SIGNING_TRUSTED_CA_FILES."""
    os.makedirs(os.path.join(directory, "tokens"), exist_ok=True)
    conf = os.path.join(directory, "softhsm2.conf")
    with open(conf, "w") as handle:
        handle.write(f"directories.tokendir = {os.path.join(directory, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = conf  # read by the module when it is first loaded
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", token_label, "--pin", DEMO_PIN, "--so-pin", DEMO_SO_PIN],
        check=True, capture_output=True,
    )
    now = datetime.now(timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("eOffice Demo CA (not for production)")
    ca_certificate = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    with open(master_path, encoding="utf-8") as handle:
        officers = [u for u in yaml.safe_load(handle)["users"] if "officer" in (u.get("roles") or [])]
    with pkcs11.lib(module).get_token(token_label=token_label).open(rw=True, user_pin=DEMO_PIN) as session:
        for officer in officers:
            public, _private = session.generate_keypair(
                KeyType.RSA, 2048, store=True, label=officer["id"], id=officer["id"].encode()
            )
            key = rsa.RSAPublicNumbers(
                int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"), int.from_bytes(public[Attribute.MODULUS], "big")
            ).public_key()
            certificate = (
                x509.CertificateBuilder().subject_name(_name(officer["name_en"], officer["id"], officer.get("email")))
                .issuer_name(ca_name).public_key(key)
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=730))
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
                .sign(ca_key, hashes.SHA256())
            )
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: officer["id"], Attribute.ID: officer["id"].encode(),
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            })
    ca_file = os.path.join(directory, "demo-ca.pem")
    with open(ca_file, "wb") as handle:
        handle.write(ca_certificate.public_bytes(serialization.Encoding.PEM))
    return {
        "SOFTHSM2_CONF": conf, "PKCS11_PIN": DEMO_PIN, "SIGNING_TRUSTED_CA_FILES": ca_file, "officers": len(officers),
        "officer_identity": "uid+email",
    }
