"""Tokens: EdDSA only, signed where they are issued and verified with the public key elsewhere;
remembered after verification, but never past their expiry or under another key."""
import time

import jwt
import pytest

from eoffice_common.auth import (
    Principal,
    TokenKeyError,
    TokenVerifier,
    dev_key_pair,
    issue_token,
    new_key_pair,
    private_key,
    public_key,
)
from eoffice_common.errors import Unauthenticated

PRIVATE, PUBLIC = new_key_pair()
OLD_DEV_SECRET = "dev-only-secret-change-me-0123456789"  # what every config.yml said until Ed25519 keys


def verifier():
    return TokenVerifier(public_key({"JWT_PUBLIC_KEY": PUBLIC}))


def test_a_verified_token_gives_its_principal_again():
    token = issue_token(PRIVATE, Principal("so.jhs", "COLL-JHS", ("officer",), "रमेश"), ttl_seconds=60)
    tokens = verifier()
    assert tokens.verify(token) == tokens.verify(token) == Principal("so.jhs", "COLL-JHS", ("officer",), "रमेश")


def test_a_remembered_token_still_expires():
    token = issue_token(PRIVATE, Principal("so.jhs", "COLL-JHS"), ttl_seconds=1)
    tokens = verifier()
    tokens.verify(token)
    time.sleep(1.1)
    with pytest.raises(Unauthenticated) as refused:
        tokens.verify(token)
    assert refused.value.reason == "token_expired"


def test_a_remembered_token_is_not_accepted_under_another_key():
    token = issue_token(PRIVATE, Principal("so.jhs", "COLL-JHS"))
    verifier().verify(token)
    _, other_public = new_key_pair()
    with pytest.raises(Unauthenticated):
        TokenVerifier(public_key({"JWT_PUBLIC_KEY": other_public})).verify(token)


@pytest.mark.parametrize("forged", [
    # the published dev secret of the HS256 days, and the public key itself used as an HMAC secret
    jwt.encode({"iss": "eoffice", "sub": "admin.jhs", "roles": ["admin"], "exp": int(time.time()) + 600}, OLD_DEV_SECRET, algorithm="HS256"),
    jwt.encode({"iss": "eoffice", "sub": "admin.jhs", "roles": ["admin"], "exp": int(time.time()) + 600}, None, algorithm="none"),
])
def test_only_eddsa_tokens_are_accepted(forged):
    with pytest.raises(Unauthenticated) as refused:
        verifier().verify(forged)
    assert refused.value.reason == "token_invalid"


@pytest.mark.parametrize("config, message", [
    ({}, "JWT_PUBLIC_KEY is not set"),
    ({"JWT_PUBLIC_KEY": OLD_DEV_SECRET}, "JWT_PUBLIC_KEY is not a key in PEM"),
    ({"JWT_PUBLIC_KEY": PRIVATE}, "JWT_PUBLIC_KEY is not a key in PEM"),
    ({"EMBEDDED": False}, "JWT_PUBLIC_KEY is not set"),
])
def test_no_public_key_no_verifier(config, message):
    with pytest.raises(TokenKeyError, match=message):
        public_key(config)


def test_an_issuer_needs_the_private_key_of_the_public_key_it_is_given():
    assert private_key({"JWT_PRIVATE_KEY": PRIVATE, "JWT_PUBLIC_KEY": PUBLIC})
    with pytest.raises(TokenKeyError, match="JWT_PRIVATE_KEY is not set"):
        private_key({"JWT_PUBLIC_KEY": PUBLIC})
    with pytest.raises(TokenKeyError, match="not the private key of JWT_PUBLIC_KEY"):
        private_key({"JWT_PRIVATE_KEY": new_key_pair()[0], "JWT_PUBLIC_KEY": PUBLIC})


def test_only_an_embedded_run_falls_back_on_the_dev_key_pair(tmp_path):
    dev_key_pair(str(tmp_path))
    embedded = {"EMBEDDED": "true", "DEV_KEYS_DIR": str(tmp_path)}
    token = issue_token(private_key(embedded), Principal("so.jhs", "COLL-JHS"))
    assert TokenVerifier(public_key(embedded)).verify(token).user_id == "so.jhs"
    with pytest.raises(TokenKeyError):
        public_key({**embedded, "EMBEDDED": "false"})
    assert oct((tmp_path / "jwt-dev-private.pem").stat().st_mode & 0o777) == "0o600"
