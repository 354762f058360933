"""Request bodies: every route refuses one over its limit with 413 before reading it (Content-Length)
or as soon as it crosses the limit (chunked), so a large body never sits in memory; JSON nested
too deep is refused with 400 before it is parsed."""
import pytest
import requests
from pydantic import BaseModel

from eoffice_common.auth import Principal, issue_token
from eoffice_common.testing import TEST_JWT_KEYS, TEST_JWT_PRIVATE_KEY, free_port, stream_body
from eoffice_common.web import DEFAULT_MAX_BODY_BYTES, MAX_JSON_DEPTH, MULTIPART_OVERHEAD_BYTES, http, parse_json

MAX_DOCUMENT_BYTES = 256 * 1024
UPLOAD_LIMIT = MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD_BYTES
OFFERED = 96 * 1024 * 1024  # what an attacker sends: far more than any limit


class Anything(BaseModel):
    model_config = {"extra": "allow"}


class BodiesService:
    name = "bodies"

    @http("POST", "/json")
    def post_json(self, request):
        return {"keys": len(parse_json(request, Anything).model_extra)}

    @http("POST", "/form")
    def post_form(self, request):
        return {"fields": len(request.form)}

    @http("POST", "/upload", upload=True)
    def upload(self, request):
        return {"bytes": sum(len(upload.read()) for upload in request.files.values())}

    @http("POST", "/ignored")
    def ignored(self, request):
        return {"read": False}


@pytest.fixture
def base_url(container_factory, rabbit_config):
    address = f"127.0.0.1:{free_port()}"
    config = {**rabbit_config, "WEB_SERVER_ADDRESS": address, **TEST_JWT_KEYS,
              "MAX_DOCUMENT_BYTES": MAX_DOCUMENT_BYTES}
    container_factory(BodiesService, config).start()
    return f"http://{address}"


@pytest.fixture
def auth():
    token = issue_token(TEST_JWT_PRIVATE_KEY, Principal("clerk.jhs", "COLL-JHS", ("clerk",), "Pooja Yadav"))
    return {"Authorization": f"Bearer {token}"}


ROUTES = {
    "/json": ("application/json", DEFAULT_MAX_BODY_BYTES),
    "/form": ("application/x-www-form-urlencoded", DEFAULT_MAX_BODY_BYTES),
    "/upload": ("multipart/form-data; boundary=xyz", UPLOAD_LIMIT),
    "/ignored": ("application/json", DEFAULT_MAX_BODY_BYTES),
}


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_declared_too_large_is_refused_before_it_is_read(base_url, auth, path):
    content_type, limit = ROUTES[path]
    answer = stream_body(base_url, path, OFFERED, chunked=False, headers={**auth, "Content-Type": content_type})
    assert (answer.status, answer.body["error"], answer.body["limit"]) == (413, "body_too_large", limit)
    assert answer.sent < OFFERED // 4
    assert answer.peak_rss_growth < OFFERED // 4


@pytest.mark.parametrize("path", ["/json", "/form", "/upload"])
def test_a_chunked_body_is_read_no_further_than_the_limit(base_url, auth, path):
    content_type, limit = ROUTES[path]
    answer = stream_body(base_url, path, OFFERED, chunked=True, headers={**auth, "Content-Type": content_type})
    assert (answer.status, answer.body["error"], answer.body["limit"]) == (413, "body_too_large", limit)
    assert answer.sent < OFFERED // 4
    assert answer.peak_rss_growth < OFFERED // 4


def test_bodies_within_the_limits_arrive_whatever_their_encoding(base_url, auth):
    scan = b"%PDF-1.4\n" + b"x" * (MAX_DOCUMENT_BYTES - 9)
    fixed = requests.post(f"{base_url}/upload", files={"scan": ("a.pdf", scan)}, headers=auth)
    assert fixed.json() == {"bytes": MAX_DOCUMENT_BYTES}
    chunked = requests.post(f"{base_url}/json", data=iter([b'{"a": 1,', b' "b": "' + b"y" * 500_000 + b'"}']),
                            headers={**auth, "Content-Type": "application/json"})
    assert chunked.json() == {"keys": 2}


def test_json_nested_deeper_than_the_bound_is_refused_unparsed(base_url, auth):
    deep = requests.post(f"{base_url}/json", data="[" * 1000 + "]" * 1000,
                         headers={**auth, "Content-Type": "application/json"})
    assert (deep.status_code, deep.json()["error"]) == (400, "json_too_deep")
    unbalanced = requests.post(f"{base_url}/json", data='{"a":' + "[" * 100_000,
                               headers={**auth, "Content-Type": "application/json"})
    assert (unbalanced.status_code, unbalanced.json()["error"]) == (400, "json_too_deep")
    in_strings = {"a": "[" * 1000, "b": '\\"{' * 1000}
    assert requests.post(f"{base_url}/json", json=in_strings, headers=auth).json() == {"keys": 2}
    at_the_bound = {"a": _nested(MAX_JSON_DEPTH - 1)}
    assert requests.post(f"{base_url}/json", json=at_the_bound, headers=auth).json() == {"keys": 1}


def _nested(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value
