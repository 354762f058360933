"""The PKCS#11 token holding the officers' DSC keys: one logged-in session per process, kept open.

Keys never leave the token: this module asks it for a certificate, a public key, or a signature.
Every call must run through `threads.run_in_thread` (one job at a time): python-pkcs11 guards a
session with a `threading.RLock` that eventlet's monkey-patching turns green, which deadlocks when
two OS threads contend for it.
"""
import pkcs11
from cryptography.hazmat.primitives.asymmetric import rsa
from nameko.extensions import DependencyProvider
from pkcs11 import Attribute, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error

from eoffice_common.logging import get_logger

from .exceptions import SigningUnavailable

log = get_logger(__name__)


class TokenSession:
    def __init__(self, module, token_label, pin):
        self.module = module
        self.token_label = token_label
        self.pin = pin
        self._session = None
        self._keys = {}

    @property
    def configured(self):
        return bool(self.module and self.token_label and self.pin)

    def _open(self):
        if self._session is None:
            if not self.configured:
                raise SigningUnavailable("no PKCS#11 token is configured for DSC signing", reason="token_unavailable")
            try:
                token = pkcs11.lib(self.module).get_token(token_label=self.token_label)
                self._session = token.open(user_pin=self.pin)
            except (PKCS11Error, OSError, RuntimeError) as exc:
                raise SigningUnavailable(f"the PKCS#11 token cannot be opened: {type(exc).__name__}", reason="token_unavailable") from exc
            self._keys = {}
        return self._session

    def close(self):
        if self._session is not None:
            try:
                self._session.close()
            except PKCS11Error:
                pass
        self._session = None
        self._keys = {}

    def _retrying(self, operation):
        """Run `operation(session)`; if the session died (token removed, HSM restarted), reopen once."""
        try:
            return operation(self._open())
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned):
            raise
        except PKCS11Error as exc:
            log.warning("pkcs11_session_reopened", error=type(exc).__name__)
            self.close()
            try:
                return operation(self._open())
            except PKCS11Error as again:
                raise SigningUnavailable(f"the PKCS#11 token failed: {type(again).__name__}", reason="token_unavailable") from again

    def certificate(self, label):
        """The DER certificate stored on the token under `label`, or None."""
        def read(session):
            found = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: label}))
            return bytes(found[0][Attribute.VALUE]) if found else None
        return self._retrying(read)

    def public_key(self, label):
        """The public half of the private key labelled `label` (a cryptography key), or None.
        Read from the private key's public attributes: many tokens keep no public key object."""
        def read(session):
            try:
                key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            except pkcs11.NoSuchKey:
                return None
            modulus = int.from_bytes(key[Attribute.MODULUS], "big")
            exponent = int.from_bytes(key[Attribute.PUBLIC_EXPONENT], "big")
            return rsa.RSAPublicNumbers(exponent, modulus).public_key()
        return self._retrying(read)

    def sign(self, label, data, mechanism=Mechanism.SHA256_RSA_PKCS):
        """Sign `data` on the token with the private key labelled `label` (the token hashes it)."""
        def sign(session):
            key = self._keys.get(label)
            if key is None:
                key = self._keys[label] = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            return key.sign(data, mechanism=mechanism)
        try:
            return self._retrying(sign)
        except pkcs11.NoSuchKey:
            raise SigningUnavailable(f"the token has no key labelled {label!r}", reason="key_not_on_token") from None


class Token(DependencyProvider):
    """Injects the process's TokenSession; the session opens on first use and stays open."""

    def setup(self):
        config = self.container.config
        # A PIN of digits only arrives from config.yml as a number.
        pin = config.get("PKCS11_PIN")
        self.session = TokenSession(config.get("PKCS11_MODULE"), config.get("PKCS11_TOKEN_LABEL"), str(pin) if pin else pin)

    def stop(self):
        self.session.close()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.session
