"""HTTP entrypoints: a token is required unless a route is declared public; errors are typed JSON;
the correlation id of a request travels into the events it causes."""
import base64
import hashlib
import hmac
import json
import logging
import time

import jwt
import pytest
import requests
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text

from eoffice_common.auth import Principal, TokenKeyError, issue_token, new_key_pair
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY


def start_writer(container_factory, writer_service, writer_config):
    container = container_factory(writer_service, writer_config)
    container.start()
    return f"http://{writer_config['WEB_SERVER_ADDRESS']}"


def token(user="clerk.jhs", key=TEST_JWT_PRIVATE_KEY, ttl=600):
    return issue_token(key, Principal(user, "COLL-JHS", ("clerk",), "Pooja Yadav"), ttl)


def hs256_by_hand(claims, secret):
    """An HS256 token with any secret (PyJWT itself refuses a PEM key as an HMAC secret)."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")
    signed = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(claims)
    return (signed + b"." + base64.urlsafe_b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).rstrip(b"=")).decode()


def test_a_route_without_a_token_answers_401(container_factory, writer_service, writer_config):
    base = start_writer(container_factory, writer_service, writer_config)
    response = requests.post(f"{base}/notes", json={"id": "1", "text": "t"})
    assert response.status_code == 401
    assert response.json()["error"] == "token_missing"


def test_expired_forged_and_malformed_tokens_are_refused(container_factory, writer_service, writer_config):
    base = start_writer(container_factory, writer_service, writer_config)
    expired = jwt.encode({"iss": "eoffice", "sub": "x", "exp": int(time.time()) - 10}, TEST_JWT_PRIVATE_KEY, algorithm="EdDSA")
    admin = {"iss": "eoffice", "sub": "admin.jhs", "office": "COLL-JHS", "roles": ["admin"], "exp": int(time.time()) + 600}
    cases = {
        expired: "token_expired",
        token(key=new_key_pair()[0]): "token_invalid",  # signed with a key other than the configured one
        # signed with the dev secret every config.yml published until tokens were Ed25519
        jwt.encode(admin, "dev-only-secret-change-me-0123456789", algorithm="HS256"): "token_invalid",
        hs256_by_hand(admin, TEST_JWT_KEYS["JWT_PUBLIC_KEY"].encode()): "token_invalid",  # the public key as an HMAC secret
        "not-a-jwt": "token_invalid",
    }
    rejected_before = REGISTRY.get_sample_value("eoffice_http_rejected_total", {"service": "writer", "reason": "token_invalid"}) or 0
    for bad, reason in cases.items():
        response = requests.post(f"{base}/notes", json={"id": "1", "text": "t"}, headers={"Authorization": f"Bearer {bad}"})
        assert (response.status_code, response.json()["error"]) == (401, reason)
    rejected = REGISTRY.get_sample_value("eoffice_http_rejected_total", {"service": "writer", "reason": "token_invalid"})
    assert rejected - rejected_before == 4


def test_a_service_without_a_public_key_does_not_start(container_factory, writer_service, writer_config):
    """Outside the embedded `make run` there is no default key to fall back on."""
    container = container_factory(writer_service, {key: value for key, value in writer_config.items() if not key.startswith("JWT_")})
    with pytest.raises(TokenKeyError, match="JWT_PUBLIC_KEY is not set"):
        container.start()


def test_public_routes_are_public_by_declaration(container_factory, writer_service, writer_config):
    base = start_writer(container_factory, writer_service, writer_config)
    assert requests.get(f"{base}/ping").json() == {"pong": True}


class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_invalid_bodies_get_field_reasons(container_factory, writer_service, writer_config):
    base = start_writer(container_factory, writer_service, writer_config)
    headers = {"Authorization": f"Bearer {token()}"}
    captured, worker_log = Captured(), logging.getLogger("nameko.containers")
    worker_log.addHandler(captured)
    try:
        malformed = requests.post(f"{base}/notes", data="{not json", headers={**headers, "Content-Type": "application/json"})
        assert (malformed.status_code, malformed.json()["error"]) == (400, "malformed_json")
        invalid = requests.post(f"{base}/notes", json={"id": "1"}, headers=headers)
        assert invalid.status_code == 422
        assert invalid.json()["fields"] == {"text": "Field required"}
    finally:
        worker_log.removeHandler(captured)
    # A refusal is the caller's to correct: a warning line each, no error and no traceback for ops to chase.
    assert [(r.levelname, r.exc_info) for r in captured.records if r.levelno >= logging.WARNING] == [("WARNING", None)] * 2


def test_the_correlation_id_follows_the_request_into_its_events(
    container_factory, writer_service, writer_config, event_tap
):
    tap = event_tap("writer")
    base = start_writer(container_factory, writer_service, writer_config)
    response = requests.post(
        f"{base}/notes",
        json={"id": "n-7", "text": "नमस्ते"},
        headers={"Authorization": f"Bearer {token()}", "X-Correlation-ID": "req-42"},
    )
    assert response.status_code == 201
    assert response.headers["X-Correlation-ID"] == "req-42"
    event = tap.wait_for("note_written")
    assert event["correlation_id"] == "req-42"
    assert event["actor"] == "clerk.jhs"
    assert event["data"]["text"] == "नमस्ते (clerk.jhs)"


def test_a_nul_character_anywhere_in_a_request_is_refused_with_a_reason_and_nothing_is_written(
        container_factory, writer_service, writer_config):
    """PostgreSQL's text cannot hold U+0000: without this check the driver fails mid-request (a 500)."""
    base = start_writer(container_factory, writer_service, writer_config)
    headers = {"Authorization": f"Bearer {token()}"}
    in_body = requests.post(f"{base}/notes", json={"id": "nul-1", "text": "नोट\u0000"}, headers=headers)
    assert in_body.status_code == 422
    assert in_body.json()["error"] == "invalid_input"
    assert in_body.json()["fields"] == {"text": "U+0000 (NUL) is not allowed in text"}
    nested = requests.post(f"{base}/notes", data='{"id": "nul-2", "text": "ok", "x": ["\\u0000"]}', headers={**headers, "Content-Type": "application/json"})
    assert (nested.status_code, nested.json()["fields"]) == (422, {"x.0": "U+0000 (NUL) is not allowed in text"})
    escaped_backslash = requests.post(f"{base}/notes", data='{"id": "nul-3", "text": "C:\\\\u0000"}', headers={**headers, "Content-Type": "application/json"})
    assert escaped_backslash.status_code == 201  # the text is a backslash and "u0000", not a NUL
    for target in ("/ping%00", "/ping?q=%00"):
        refused = requests.get(f"{base}{target}")
        assert (refused.status_code, refused.json()["error"]) == (400, "nul_character"), target
    engine = create_engine(writer_config["DB_URL"])
    with engine.connect() as connection:
        written = set(connection.execute(text("SELECT id FROM notes WHERE id LIKE 'nul-%'")).scalars())
    engine.dispose()
    assert written == {"nul-3"}


def test_a_request_no_route_takes_is_refused_in_json(container_factory, writer_service, writer_config):
    base = start_writer(container_factory, writer_service, writer_config)
    nowhere = requests.get(f"{base}/nowhere")
    assert (nowhere.status_code, nowhere.headers["Content-Type"], nowhere.json()["error"]) == (404, "application/json", "route_not_found")
    wrong_method = requests.get(f"{base}/notes")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (405, "method_not_allowed")
    assert "POST" in wrong_method.headers["Allow"]
