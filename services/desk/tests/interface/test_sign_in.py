"""Signing in and out: argon2 passwords, the session cookie, CSRF on every form, expiry, language;
what the sessions table keeps, and the tokens the desk's calls carry."""
import hashlib
import time
from datetime import datetime, timedelta, timezone

import eventlet
import jwt
import pytest
from eventlet import wsgi
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text

from eoffice_common.testing import TEST_JWT_PUBLIC_KEY, free_port


def test_a_demo_user_signs_in_with_a_session_cookie_that_scripts_cannot_read(browser):
    b = browser()
    response = b.get("/inbox")
    assert response.url.endswith("/sign-in?next=/inbox")
    b.sign_in("clerk.jhs")
    cookie = next(c for c in b.http.cookies if c.name == "desk_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "Lax"
    assert not cookie.secure and cookie.expires is not None
    page = b.get("/inbox").text
    assert "इनबॉक्स" in page  # the directory gives clerk.jhs Hindi


@pytest.mark.parametrize("form, status, shown", [
    ({"user_id": "clerk.jhs", "password": "wrong"}, 401, ['value="clerk.jhs"']),  # the user id is kept
    # PostgreSQL's text cannot hold U+0000: refused before the user is looked up, not a crash
    ({"user_id": "clerk.jhs\x00", "password": "eoffice-demo"}, 422,
     ["Some of what was entered is not valid", "दर्ज की गई कुछ जानकारी मान्य नहीं है"]),  # in the page's language
])
def test_a_refused_sign_in_answers_with_the_reason_and_starts_no_session(browser, form, status, shown):
    b = browser()
    b.get("/sign-in")
    response = b.post("/sign-in", form)
    assert response.status_code == status
    assert 'role="alert"' in response.text and any(text in response.text for text in shown)
    assert "desk_session" not in b.http.cookies
    b.get("/sign-in")
    assert b.post("/sign-in", {"user_id": "clerk.jhs", "password": "eoffice-demo"}).url.endswith("/inbox")


def test_a_form_without_the_session_csrf_token_is_refused(browser):
    b = browser()
    b.sign_in("clerk.jhs")
    response = b.post("/language", {"language": "en", "csrf_token": "forged"})
    assert response.status_code == 403
    assert b.post("/language", {"language": "en"}, csrf=False).status_code == 403
    # the sign-in form also needs the token of its own cookie
    other = browser()
    assert other.post("/sign-in", {"user_id": "clerk.jhs", "password": "eoffice-demo"}, csrf=False).status_code == 403


def test_language_is_switched_per_user_and_kept_across_sessions(browser):
    b = browser()
    b.sign_in("clerk.jhs")
    assert b.post("/language", {"language": "en", "next": "/inbox"}).url.endswith("/inbox")
    assert "<h1>Inbox</h1>" in b.last.text
    again = browser()
    again.sign_in("clerk.jhs")
    assert "<h1>Inbox</h1>" in again.get("/inbox").text


def test_sign_out_ends_the_session_on_the_server(browser):
    b = browser()
    b.sign_in("clerk.jhs")
    stolen = b.http.cookies.get("desk_session")
    b.post("/sign-out")
    assert b.get("/inbox").url.endswith("/sign-in?next=/inbox")
    replay = browser()
    replay.http.cookies.set("desk_session", stolen)
    assert replay.get("/inbox").url.endswith("/sign-in?next=/inbox")


def test_an_idle_or_expired_session_sends_the_user_to_sign_in(browser, desk_system):
    b = browser()
    b.sign_in("clerk.jhs")
    engine = create_engine(desk_system["databases"]["desk"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET last_seen_at = :t"), {"t": datetime.now(timezone.utc) - timedelta(hours=1)})
    engine.dispose()
    assert b.get("/inbox").url.endswith("/sign-in?next=/inbox")


def test_a_tampered_cookie_is_not_a_session(browser):
    b = browser()
    b.sign_in("clerk.jhs")
    value = b.http.cookies.get("desk_session")
    b.http.cookies.clear()
    b.http.cookies.set("desk_session", value[:-1] + ("0" if value[-1] != "0" else "1"))
    assert b.get("/inbox").url.endswith("/sign-in?next=/inbox")


def test_after_sign_in_the_user_lands_where_they_were_going_but_never_off_site(browser):
    b = browser()
    b.get("/sign-in?next=/diarise")
    b.post("/sign-in", {"user_id": "clerk.jhs", "password": "eoffice-demo", "next": "/diarise"})
    assert b.last.url.endswith("/diarise")
    c = browser()
    c.get("/sign-in")
    c.post("/sign-in", {"user_id": "clerk.jhs", "password": "eoffice-demo", "next": "//evil.example/"})
    assert c.last.url.endswith("/inbox")


def test_the_sessions_table_keeps_no_token_and_no_cookie(browser, desk_system):
    b = browser()
    b.sign_in("clerk.jhs")
    session_id = b.http.cookies.get("desk_session").rpartition(".")[0]
    engine = create_engine(desk_system["databases"]["desk"])
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM sessions")).mappings().one()
    engine.dispose()
    assert set(row) == {"id_hash", "user_id", "csrf_token", "created_at", "last_seen_at", "expires_at"}
    assert row["id_hash"] == hashlib.sha256(session_id.encode()).hexdigest()
    assert not any(session_id in str(value) or str(value).startswith("eyJ") for value in row.values())


class Recorder:
    """Stands in for the metrics service (not running in these tests): keeps what each call carried."""

    def __init__(self):
        self.port = free_port()
        self.authorizations = []
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(wsgi.server, self._listener, self._app, log_output=False)

    def _app(self, environ, start_response):
        self.authorizations.append(environ.get("HTTP_AUTHORIZATION"))
        start_response("503 Service Unavailable", [("Content-Type", "application/json")])
        return [b'{"error": "unavailable", "message": "recording only"}']

    def close(self):
        self._server.kill()
        self._listener.close()


@pytest.fixture
def metrics_recorder(desk_config):
    recorder = Recorder()
    desk_config["desk"]["METRICS_URL"] = f"http://127.0.0.1:{recorder.port}"
    yield recorder
    recorder.close()


def test_a_token_copied_from_a_call_of_the_desk_expires_within_minutes(metrics_recorder, browser):
    b = browser()
    b.sign_in("so.jhs")
    assert b.get("/scoreboard").status_code == 200
    scheme, _, token = metrics_recorder.authorizations[0].partition(" ")
    claims = jwt.decode(token, TEST_JWT_PUBLIC_KEY, algorithms=["EdDSA"], issuer="eoffice")
    assert (scheme, claims["sub"], claims["office"]) == ("Bearer", "so.jhs", "COLL-JHS")
    assert claims["exp"] - time.time() <= 300


def session_rows(desk_system):
    engine = create_engine(desk_system["databases"]["desk"])
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM sessions")).scalar()
    engine.dispose()
    return count


# Each as the desk receives it (the query or form already decoded once): a tab, a newline, a carriage
# return, a backslash, two slashes, a scheme, and the same again percent-encoded once more.
OFF_SITE = ["/\t/evil.example", "/\n/evil.example", "/\r\nSet-Cookie: desk_session=x", "/\\evil.example",
            "//evil.example", "https://evil.example/", "/%09/evil.example", "/%0a/evil.example", "/%5Cevil.example",
            "/%2F%2Fevil.example", "%2F%2Fevil.example"]


def test_sign_in_sends_an_off_site_next_home_and_leaves_no_session_without_its_cookie(browser, desk_system):
    for target in OFF_SITE:
        b = browser()
        b.get("/sign-in", params={"next": target})
        response = b.post("/sign-in", {"user_id": "clerk.jhs", "password": "eoffice-demo", "next": target},
                          allow_redirects=False)
        assert (response.status_code, response.headers["Location"]) == (303, "/"), target
        assert b.get("/inbox").status_code == 200, target
    # every session row belongs to a browser that was given its cookie
    assert session_rows(desk_system) == len(OFF_SITE)


def test_the_sign_in_page_of_a_signed_in_user_sends_an_off_site_next_home(browser):
    b = browser()
    b.sign_in("clerk.jhs")
    for target in OFF_SITE:
        response = b.get("/sign-in", params={"next": target}, allow_redirects=False)
        assert (response.status_code, response.headers["Location"]) == (303, "/"), target
    assert b.get("/sign-in", params={"next": "/search?q=भूमि"}).url.endswith("/search?q=%E0%A4%AD%E0%A5%82%E0%A4%AE%E0%A4%BF")


@pytest.mark.parametrize("signed_in", [True, False])
def test_choosing_a_language_sends_an_off_site_next_home(browser, signed_in):
    b = browser()
    if signed_in:
        b.sign_in("clerk.jhs")
    else:
        b.get("/sign-in")
    for target in OFF_SITE:
        response = b.post("/language", {"language": "en", "next": target}, allow_redirects=False)
        assert (response.status_code, response.headers["Location"]) == (303, "/"), target
    assert b.post("/language", {"language": "hi", "next": "/diarise"}, allow_redirects=False).headers["Location"] == "/diarise"


def attempt(b, user_id, password, **kwargs):
    """One password sign-in, with the form token of the sign-in page last shown."""
    if b.csrf is None:
        b.get("/sign-in")
    return b.post("/sign-in", {"user_id": user_id, "password": password}, allow_redirects=False, **kwargs)


def throttled(scope):
    return REGISTRY.get_sample_value("eoffice_desk_sign_in_throttled_total", {"scope": scope}) or 0


def test_after_five_wrong_passwords_even_the_right_one_waits(browser, desk_system):
    b = browser()
    before = throttled("account")
    assert [attempt(b, "clerk.jhs", f"guess-{n}").status_code for n in range(5)] == [401] * 5
    refused = attempt(b, "clerk.jhs", "eoffice-demo")
    assert refused.status_code == 429 and 840 < int(refused.headers["Retry-After"]) <= 900
    assert "साइन इन के बहुत अधिक प्रयास हुए। आपकी सुरक्षा के लिए 15 मिनट बाद फिर प्रयास करें।" in refused.text
    assert "desk_session" not in b.http.cookies and throttled("account") - before == 1
    # the count is the account's: another user at the same address signs in
    assert attempt(browser(), "so.jhs", "eoffice-demo").status_code == 303
    # once the failures are older than the window, the account signs in again
    engine = create_engine(desk_system["databases"]["desk"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE sign_in_attempts SET attempted_at = :t"), {"t": datetime.now(timezone.utc) - timedelta(minutes=16)})
    engine.dispose()
    assert attempt(b, "clerk.jhs", "eoffice-demo").status_code == 303


def test_an_unknown_account_is_throttled_alike_so_the_answer_tells_nobody_who_exists(browser):
    answers = {}
    for user_id in ("clerk.jhs", "nobody.jhs"):
        b = browser()
        for n in range(5):
            attempt(b, user_id, f"guess-{n}")
        refused = attempt(b, user_id, "eoffice-demo")
        assert 840 < int(refused.headers["Retry-After"]) <= 900
        answers[user_id] = (refused.status_code, refused.text.replace(user_id, "").replace(b.csrf, ""))
    assert answers["clerk.jhs"][0] == 429
    assert answers["clerk.jhs"] == answers["nobody.jhs"]


def test_a_right_password_starts_the_account_afresh(browser):
    b = browser()
    for _ in range(2):
        assert [attempt(b, "clerk.jhs", f"guess-{n}").status_code for n in range(4)] == [401] * 4
        assert attempt(b, "clerk.jhs", "eoffice-demo").status_code == 303
        b.post("/sign-out")
        b.csrf = None


def test_one_address_waits_after_twenty_failures_whatever_the_accounts(browser):
    b = browser()
    before = throttled("address")
    for user_id in ("clerk.jhs", "so.jhs", "adm.jhs", "dm.jhs", "nobody.jhs"):
        assert [attempt(b, user_id, f"guess-{n}").status_code for n in range(4)] == [401] * 4
    # X-Forwarded-For is a client's own word unless a proxy in front is trusted (TRUSTED_PROXIES)
    refused = attempt(browser(), "cm.jhs", "eoffice-demo", headers={"X-Forwarded-For": "203.0.113.9"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert throttled("address") - before == 1
