"""Passwords (argon2), signed session cookies and CSRF tokens."""
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from eventlet import tpool
from nameko.exceptions import ConfigurationError

from eoffice_common.auth import private_key

# Shorter than this, a secret that signs cookies could be guessed offline from one cookie.
SESSION_SECRET_MIN_LENGTH = 32

_hasher = PasswordHasher()


def hash_password(password):
    # argon2 is deliberately slow; in a real thread it does not stall every other request.
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash, password):
    if not password_hash:
        return False
    try:
        return tpool.execute(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token():
    return secrets.token_urlsafe(32)


def id_hash(session_id):
    """What the sessions table keeps: a stolen table gives no usable cookie."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def sign(value, secret):
    mac = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{value}.{mac}"


def unsign(signed, secret):
    """The value of a signed cookie, or None if it was not signed with `secret`."""
    value, _, mac = (signed or "").rpartition(".")
    if not value or not hmac.compare_digest(sign(value, secret), signed):
        return None
    return value


def same_token(expected, given):
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)


def session_secret(config):
    """What signs the session and form cookies: SESSION_SECRET, else a key derived from the desk's
    token private key (so no weak default exists to forget)."""
    configured = config.get("SESSION_SECRET") or ""
    if configured:
        if len(configured) < SESSION_SECRET_MIN_LENGTH:
            raise ConfigurationError(f"SESSION_SECRET must be at least {SESSION_SECRET_MIN_LENGTH} characters")
        return configured
    raw = private_key(config).private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                            serialization.NoEncryption())
    return hmac.new(raw, b"eoffice desk session cookies", hashlib.sha256).hexdigest()
