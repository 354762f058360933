"""A SoftHSM2 token for the browser tests, made as the signing service's own test fixtures make theirs:
a test CA, and for each officer given a key generated on the token with a certificate the CA issued
in the officer's directory name. Run in a process of its own with SOFTHSM2_CONF set (the PKCS#11
module reads it once per process, so the test process never loads it).

    python make_token.py DIR TOKEN_LABEL PIN user_id="Name" ...   (writes DIR/ca.pem)
"""
import datetime
import os
import subprocess
import sys

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def name(common_name, user_id=None):
    """A subject name; an officer's carries the user id signing binds the certificate to (UID)."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.COUNTRY_NAME, "IN")]
    return x509.Name(attributes + ([x509.NameAttribute(NameOID.USER_ID, user_id)] if user_id else []))


def main(directory, label, pin, *officers):
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "87654321"],
                   check=True, capture_output=True)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder().subject_name(name("eOffice Desk Test CA")).issuer_name(name("eOffice Desk Test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - 30 * DAY).not_valid_after(NOW + 3650 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    with pkcs11.lib(MODULE).get_token(token_label=label).open(rw=True, user_pin=pin) as session:
        for officer in officers:
            user_id, common_name = officer.split("=", 1)
            public, _private = session.generate_keypair(KeyType.RSA, 2048, store=True, label=user_id, id=user_id.encode())
            key = rsa.RSAPublicNumbers(
                int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"), int.from_bytes(public[Attribute.MODULUS], "big")
            ).public_key()
            certificate = (
                x509.CertificateBuilder().subject_name(name(common_name, user_id)).issuer_name(ca.subject).public_key(key)
                .serial_number(x509.random_serial_number()).not_valid_before(NOW - DAY).not_valid_after(NOW + 365 * DAY)
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
                .sign(ca_key, hashes.SHA256())
            )
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: user_id, Attribute.ID: user_id.encode(),
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            })
    with open(os.path.join(directory, "ca.pem"), "wb") as handle:
        handle.write(ca.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    main(*sys.argv[1:])
