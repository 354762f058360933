"""Signed bearer tokens (JWT) and the principal they carry."""
import time
from dataclasses import dataclass, field

import jwt

from .errors import Unauthenticated

ISSUER = "eoffice"


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


def issue_token(secret, principal, ttl_seconds=8 * 3600, algorithm="HS256"):
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
    return jwt.encode(claims, secret, algorithm=algorithm)


# Verified tokens, remembered until they expire: a desk sends the same token with every request,
# and checking its signature and encoding again costs more than the rest of a small request.
_VERIFIED = {}
_VERIFIED_MAX = 10_000


def verify_token(secret, token, algorithm="HS256"):
    remembered = _VERIFIED.get((secret, token))
    if remembered is not None and remembered[1] > time.time():
        return remembered[0]
    principal, expires = _verify(secret, token, algorithm)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[(secret, token)] = (principal, expires)
    return principal


def _verify(secret, token, algorithm):
    try:
        claims = jwt.decode(
            token, secret, algorithms=[algorithm], issuer=ISSUER, options={"require": ["exp", "sub", "iss"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The token has expired", reason="token_expired")
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"The token is not valid: {exc}", reason="token_invalid")
    principal = Principal(claims["sub"], claims.get("office", ""), tuple(claims.get("roles", ())), claims.get("name", ""))
    return principal, claims["exp"]


def principal_from_authorization(header_value, secret, algorithm="HS256"):
    if not header_value:
        raise Unauthenticated("An Authorization: Bearer token is required", reason="token_missing")
    scheme, _, token = header_value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use an Authorization: Bearer token", reason="token_missing")
    return verify_token(secret, token.strip(), algorithm)
