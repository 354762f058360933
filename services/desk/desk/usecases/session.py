"""Signing in (a password, or the state single sign-on), the session that follows, signing out, and
the language chosen. The cookies are the entrypoints'; what is checked and kept is here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Counter

from eoffice_common.errors import ServiceError

from .. import domain, security
from ..domain import SignedIn
from ..exceptions import BadCredentials, SignInThrottled, UnknownAction

SIGN_INS = Counter("eoffice_desk_sign_ins_total", "Sign-in attempts by outcome.", ["outcome"])
SIGN_INS_THROTTLED = Counter("eoffice_desk_sign_in_throttled", "Password sign-ins refused for too many attempts, "
                             "by what had too many: the account typed or the client address.", ["scope"])


@dataclass(frozen=True)
class SignIn:
    """The sign-in form, and where it came from (the address the throttle counts)."""

    user_id: str
    password: str
    remote_addr: str | None
    forwarded_for: str | None


@dataclass(frozen=True)
class Refused:
    """A sign-in refused: why (shown on the sign-in page) and the status it is answered with."""

    error: ServiceError
    status: int


@dataclass(frozen=True)
class SessionStarted:
    user_id: str
    session_id: str  # the cookie's, signed by the entrypoint; only its hash is kept


def typed_user_id(user_id: str | None) -> str:
    return (user_id or "").strip().lower()


def sign_in(command: SignIn, store, throttle, directory_snapshot: Callable[[], dict]):
    """The user whose password this is (the throttle forgets the attempt), else Refused: too many attempts
    (429, nothing checked), or a wrong user id or password (401; which of the two is not said). An
    empty directory copy is first filled from dak's snapshot, so that a fresh desk signs people in."""
    user_id = typed_user_id(command.user_id)
    try:
        attempt = throttle.begin(user_id, command.remote_addr, command.forwarded_for)
    except SignInThrottled as refused:
        SIGN_INS_THROTTLED.labels(refused.scope).inc()
        return Refused(refused, 429)
    store.fill_directory_if_empty(directory_snapshot)
    user = store.user(user_id) if user_id else None
    if not security.verify_password(store.password_hash(user_id) if user else None, command.password):
        SIGN_INS.labels("refused").inc()
        return Refused(BadCredentials("wrong user id or password"), 401)
    throttle.succeeded(attempt)
    SIGN_INS.labels("signed_in").inc()
    return user


def sign_in_by_sso(user_id: str, store):
    """The user the single sign-on vouched for, if the directory has them active."""
    user = store.user(user_id)
    if user is None:
        SIGN_INS.labels("refused").inc()
        return Refused(BadCredentials(f"{user_id} is not in the directory", reason="sso_failed"), 401)
    SIGN_INS.labels("signed_in_sso").inc()
    return user


def sso_refused(refused: BadCredentials) -> Refused:
    SIGN_INS.labels("refused").inc()
    return Refused(refused, 401)


def start_session(user, store, now: datetime, ttl_seconds: int) -> SessionStarted:
    """A new session for `user` with its own CSRF token; sessions past their expiry go."""
    session_id = security.new_token()
    store.start_session(security.id_hash(session_id), user.id, security.new_token(), domain.new_session_times(now, ttl_seconds), now)
    return SessionStarted(user.id, session_id)


def sign_out(caller: SignedIn, store) -> None:
    store.end_session(caller.session_hash)


def choose_language(caller: SignedIn | None, language: str | None, store, now: datetime) -> str:
    """The language chosen, kept with the account of a signed-in user (else the entrypoint's cookie keeps it)."""
    if language not in domain.LANGUAGES:
        raise UnknownAction(f"no language {language}")
    if caller:
        store.choose_language(caller.user_id, language, now)
    return language
