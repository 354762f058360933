"""Signing in and out and the language chosen, on the fakes: a throttle that counts in memory, and the
desk's store with its passwords and sessions."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from desk import security
from desk.exceptions import BadCredentials, SignInThrottled, UnknownAction
from desk.usecases import session

from .conftest import SO, FakeStore

# The hash carries its own cost: one made cheaply verifies at once, as the desk's own would, only faster.
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("सही-पासवर्ड-1")
NOW = datetime(2026, 12, 8, 4, 30, tzinfo=timezone.utc)
SNAPSHOT = {"offices": [{"office": "COLL-JHS", "district": "JHS", "name_en": "Collectorate Jhansi", "name_hi": "कलेक्ट्रेट झाँसी"}],
            "users": [{"user_id": "so.jhs", "office": "COLL-JHS", "name_en": "Rajesh Kumar Tripathi", "name_hi": "राजेश कुमार त्रिपाठी",
                       "designation_en": "Section Officer", "designation_hi": "अनुभाग अधिकारी", "roles": ["officer"]}]}


class FakeThrottle:
    """Allows `allowed` attempts; forgets an account's attempts when its password was right."""

    def __init__(self, allowed=3):
        self.allowed = allowed
        self.attempts = []

    def begin(self, user_id, remote_addr, forwarded_for):
        if sum(1 for attempt in self.attempts if attempt == user_id) >= self.allowed:
            raise SignInThrottled("account", 120)
        self.attempts.append(user_id)
        return user_id

    def succeeded(self, attempt):
        self.attempts = [a for a in self.attempts if a != attempt]


@pytest.fixture
def accounts(store):
    store.password_hashes["so.jhs"] = PASSWORD_HASH
    return store


def sign_in(user_id, password):
    return session.SignIn(user_id, password, "10.0.0.7", None)


def test_the_right_password_signs_in_whatever_the_case_typed(accounts):
    throttle = FakeThrottle()
    user = session.sign_in(sign_in(" SO.JHS ", "सही-पासवर्ड-1"), accounts, throttle, lambda: pytest.fail("the copy is not empty"))
    assert user.id == "so.jhs" and throttle.attempts == []


@pytest.mark.parametrize("user_id, password", [("so.jhs", "गलत"), ("nobody.jhs", "सही-पासवर्ड-1"), ("", "")])
def test_a_wrong_user_id_or_password_is_refused_alike(accounts, user_id, password):
    refused = session.sign_in(sign_in(user_id, password), accounts, FakeThrottle(), dict)
    assert refused.status == 401 and isinstance(refused.error, BadCredentials)


def test_too_many_attempts_are_refused_before_the_password_is_checked(accounts):
    throttle = FakeThrottle(allowed=2)
    for _ in range(2):
        session.sign_in(sign_in("so.jhs", "गलत"), accounts, throttle, dict)
    refused = session.sign_in(sign_in("so.jhs", "सही-पासवर्ड-1"), accounts, throttle, dict)
    assert refused.status == 429 and refused.error.retry_after == 120


def test_a_fresh_desk_fills_its_directory_from_dak_before_signing_in():
    store = FakeStore(password_hashes={"so.jhs": PASSWORD_HASH})
    user = session.sign_in(sign_in("so.jhs", "सही-पासवर्ड-1"), store, FakeThrottle(), lambda: SNAPSHOT)
    assert user.name_hi == "राजेश कुमार त्रिपाठी" and set(store.offices) == {"COLL-JHS"}


def test_single_sign_on_signs_in_only_someone_in_the_directory(store):
    assert session.sign_in_by_sso("so.jhs", store).id == "so.jhs"
    refused = session.sign_in_by_sso("stranger", store)
    assert refused.status == 401 and refused.error.reason == "sso_failed"
    store.users["so.jhs"].active = False
    assert session.sign_in_by_sso("so.jhs", store).error.reason == "sso_failed"


def test_a_session_started_keeps_only_its_hash_and_ends_the_expired(store):
    old = session.start_session(store.users["adm.jhs"], store, NOW - timedelta(days=1), ttl_seconds=3600)
    started = session.start_session(store.users["so.jhs"], store, NOW, ttl_seconds=8 * 3600)
    assert list(store.sessions) == [security.id_hash(started.session_id)] and old.session_id not in store.sessions
    user_id, csrf_token, times = store.sessions[security.id_hash(started.session_id)]
    assert user_id == "so.jhs" and csrf_token and times.expires_at == NOW + timedelta(hours=8)
    session.sign_out(replace(SO, session_hash=security.id_hash(started.session_id)), store)
    assert store.sessions == {}


def test_the_language_chosen_is_kept_with_a_signed_in_users_account(store):
    assert session.choose_language(SO, "en", store, NOW) == "en" and store.languages == {"so.jhs": "en"}
    assert session.choose_language(None, "hi", store, NOW) == "hi" and store.languages == {"so.jhs": "en"}
    with pytest.raises(UnknownAction):
        session.choose_language(SO, "fr", store, NOW)
