"""Signed bearer tokens (JWT) and the principal they carry.

A token is signed with an Ed25519 private key (JWT `EdDSA`) only where tokens are issued (the desk,
and `dak token` for operators), and verified with the public key everywhere else: a service that
can check a token cannot make one. EdDSA is the only algorithm accepted, so a token signed with a
shared secret (HS256), or with none, is refused whatever its header says."""
import os
import time
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nameko.exceptions import ConfigurationError
from nameko.extensions import SharedExtension

from .errors import Unauthenticated

ISSUER = "eoffice"
ALGORITHM = "EdDSA"
# Where `make run` (dev/run.py) makes a key pair when none is configured; read only in an embedded run.
DEV_KEYS_DIR = "var"
DEV_PRIVATE_KEY_FILE, DEV_PUBLIC_KEY_FILE = "jwt-dev-private.pem", "jwt-dev-public.pem"


@dataclass(frozen=True)
class Principal:
    user_id: str
    office: str
    roles: tuple = field(default_factory=tuple)
    name: str = ""

    def has_role(self, role):
        return role in self.roles

    def to_dict(self):
        return {"user_id": self.user_id, "office": self.office, "roles": list(self.roles), "name": self.name}

    @classmethod
    def from_dict(cls, data):
        return cls(data["user_id"], data["office"], tuple(data.get("roles", ())), data.get("name", ""))


class TokenKeyError(ConfigurationError):
    """A service's token key is missing or unusable: it must not start."""


def issue_token(private_key, principal, ttl_seconds=8 * 3600):
    """A token for `principal`, signed with `private_key` (an Ed25519PrivateKey, or its PEM)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": principal.user_id,
        "office": principal.office,
        "roles": list(principal.roles),
        "name": principal.name,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


class TokenVerifier:
    """Checks tokens against one public key. Verified tokens are remembered until they expire: a
    desk sends one token with every call of a page, and checking its signature and encoding again
    costs more than the rest of a small request."""

    remembered_max = 10_000

    def __init__(self, public_key):
        self.public_key = public_key
        self._verified = {}

    def verify(self, token):
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] > time.time():
            return remembered[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= self.remembered_max:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token):
        try:
            claims = jwt.decode(
                token, self.public_key, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": ["exp", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The token has expired", reason="token_expired") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"The token is not valid: {exc}", reason="token_invalid") from exc
        principal = Principal(claims["sub"], claims.get("office", ""), tuple(claims.get("roles", ())), claims.get("name", ""))
        return principal, claims["exp"]

    def principal_from_authorization(self, header_value):
        if not header_value:
            raise Unauthenticated("An Authorization: Bearer token is required", reason="token_missing")
        scheme, _, token = header_value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Use an Authorization: Bearer token", reason="token_missing")
        return self.verify(token.strip())


class TokenVerification(SharedExtension):
    """The verifier of a service's HTTP entrypoints; the service does not start without its public key."""

    def setup(self):
        self.verifier = TokenVerifier(public_key(self.container.config))


def is_embedded(config):
    """The embedded set-up of `make run` (EOFFICE_EMBEDDED=1), never a deployment."""
    return str(config.get("EMBEDDED", "")).lower() in ("1", "true", "yes")


def public_key(config):
    """The Ed25519 public key of JWT_PUBLIC_KEY (PEM); in an embedded run without one, the dev pair's."""
    pem = _configured_pem(config, "JWT_PUBLIC_KEY", DEV_PUBLIC_KEY_FILE)
    return _load(pem, "JWT_PUBLIC_KEY", serialization.load_pem_public_key, Ed25519PublicKey)


def private_key(config):
    """The Ed25519 private key of JWT_PRIVATE_KEY (PEM), for a service that issues tokens. Given a
    JWT_PUBLIC_KEY as well, the two must be a pair: tokens signed otherwise would be refused everywhere."""
    pem = _configured_pem(config, "JWT_PRIVATE_KEY", DEV_PRIVATE_KEY_FILE)
    key = _load(pem, "JWT_PRIVATE_KEY", lambda data: serialization.load_pem_private_key(data, password=None), Ed25519PrivateKey)
    if (config.get("JWT_PUBLIC_KEY") or "").strip() and public_pem(key) != public_pem(public_key(config)):
        raise TokenKeyError("JWT_PRIVATE_KEY is not the private key of JWT_PUBLIC_KEY: no service would accept its tokens")
    return key


def _configured_pem(config, name, dev_file):
    pem = (config.get(name) or "").strip()
    if pem:
        return pem
    dev_path = os.path.join(config.get("DEV_KEYS_DIR") or DEV_KEYS_DIR, dev_file)
    if is_embedded(config) and os.path.exists(dev_path):
        with open(dev_path, encoding="ascii") as handle:
            return handle.read()
    raise TokenKeyError(
        f"{name} is not set. Give every service JWT_PUBLIC_KEY, and the desk JWT_PRIVATE_KEY, an Ed25519 key pair "
        "in PEM (openssl genpkey -algorithm ed25519); only `make run` (EOFFICE_EMBEDDED=1) makes a key pair of its own."
    )


def _load(pem, name, loader, kind):
    try:
        key = loader(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise TokenKeyError(f"{name} is not a key in PEM: {exc}") from exc
    if not isinstance(key, kind):
        raise TokenKeyError(f"{name} must be an Ed25519 key (openssl genpkey -algorithm ed25519)")
    return key


def new_key_pair():
    """A fresh Ed25519 key pair as (private PEM, public PEM)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return private.decode("ascii"), public_pem(key)


def public_pem(key):
    """The public key (of a private or public Ed25519 key) in PEM."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def dev_key_pair(directory):
    """The embedded run's key pair under `directory`, made once by dev/run.py before any service starts
    (the private key readable by its owner only)."""
    private_path = os.path.join(directory, DEV_PRIVATE_KEY_FILE)
    public_path = os.path.join(directory, DEV_PUBLIC_KEY_FILE)
    if not os.path.exists(private_path):
        os.makedirs(directory, exist_ok=True)
        private, public = new_key_pair()
        descriptor = os.open(private_path + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(private)
        with open(public_path, "w", encoding="ascii") as handle:
            handle.write(public)
        os.replace(private_path + ".new", private_path)
    return private_path, public_path
