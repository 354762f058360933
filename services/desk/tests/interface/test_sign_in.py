"""Signing in and out: argon2 passwords, the session cookie, CSRF on every form, expiry, language."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text


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
