"""Passwords (argon2), signed session cookies and CSRF tokens."""
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

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
