"""Tokens: remembered after verification, but never past their expiry or for another secret."""
import time

import pytest

from eoffice_common.auth import Principal, issue_token, verify_token
from eoffice_common.errors import Unauthenticated

SECRET = "s" * 40


def test_a_verified_token_gives_its_principal_again():
    token = issue_token(SECRET, Principal("so.jhs", "COLL-JHS", ("officer",), "रमेश"), ttl_seconds=60)
    first = verify_token(SECRET, token)
    assert verify_token(SECRET, token) == first == Principal("so.jhs", "COLL-JHS", ("officer",), "रमेश")


def test_a_remembered_token_still_expires():
    token = issue_token(SECRET, Principal("so.jhs", "COLL-JHS"), ttl_seconds=1)
    verify_token(SECRET, token)
    time.sleep(1.1)
    with pytest.raises(Unauthenticated) as refused:
        verify_token(SECRET, token)
    assert refused.value.reason == "token_expired"


def test_a_remembered_token_is_not_accepted_under_another_secret():
    token = issue_token(SECRET, Principal("so.jhs", "COLL-JHS"))
    verify_token(SECRET, token)
    with pytest.raises(Unauthenticated):
        verify_token("another secret of enough length......", token)
