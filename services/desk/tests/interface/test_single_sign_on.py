"""Sign-in through a state single sign-on (OpenID Connect), against a provider on localhost that
signs real RS256 ID tokens: the state, nonce, PKCE verifier, audience and issuer are all checked."""
import base64
import hashlib
import json
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlparse

import eventlet
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from eventlet import wsgi

from eoffice_common.testing import free_port


class Provider:
    """An OpenID provider: discovery, keys, and a token endpoint that redeems codes it handed out."""

    def __init__(self, client_id):
        self.client_id = client_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.codes = {}
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._server = eventlet.spawn(wsgi.server, self._listener, self._app, log_output=False)

    def authorize(self, query, claims, nonce=None):
        """What the provider does when the user signs in there: a code for these claims."""
        assert query["client_id"] == self.client_id and query["code_challenge_method"] == "S256"
        code = uuid.uuid4().hex
        self.codes[code] = {"claims": claims, "nonce": nonce or query["nonce"], "challenge": query["code_challenge"],
                            "redirect_uri": query["redirect_uri"]}
        return code

    def _app(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/.well-known/openid-configuration":
            body = {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize", "token_endpoint": f"{self.url}/token",
                    "jwks_uri": f"{self.url}/jwks"}
        elif path == "/jwks":
            body = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key())), "kid": "k1", "use": "sig"}]}
        else:
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()).items()}
            grant = self.codes.pop(form.get("code"), None)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
            if grant is None or challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"error": "invalid_grant"}']
            now = int(time.time())
            claims = {"iss": self.url, "aud": self.client_id, "sub": uuid.uuid4().hex, "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], **grant["claims"]}
            body = {"id_token": jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"}), "token_type": "Bearer"}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    def close(self):
        self._server.kill()
        self._listener.close()


@pytest.fixture
def provider(desk_config):
    """Configures the desk (before it starts) to sign in through the provider."""
    sso = Provider("eoffice-desk")
    desk_config["desk"].update({
        "OIDC_ISSUER": sso.url, "OIDC_CLIENT_ID": "eoffice-desk", "OIDC_CLIENT_SECRET": "s3cret",
        "OIDC_REDIRECT_URI": "https://desk.example.gov.in/sign-in/sso/callback", "OIDC_USER_CLAIM": "employee_id",
    })
    yield sso
    sso.close()


def start(b, next_path="/diarise"):
    response = b.http.get(f"{b.base_url}/sign-in/sso?next={next_path}", allow_redirects=False)
    assert response.status_code == 303
    location = urlparse(response.headers["Location"])
    return location, {k: v[0] for k, v in parse_qs(location.query).items()}


def test_an_officer_signs_in_through_the_state_single_sign_on(provider, browser):
    b = browser()
    assert "/sign-in/sso?next=" in b.get("/sign-in").text
    location, query = start(b)
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.url}/authorize"
    assert query["scope"] == "openid profile email" and query["redirect_uri"].endswith("/sign-in/sso/callback")
    code = provider.authorize(query, {"employee_id": "SO.JHS"})
    response = b.get(f"/sign-in/sso/callback?{urlencode({'code': code, 'state': query['state']})}")
    assert response.url.endswith("/diarise") and "राजेश कुमार त्रिपाठी" in response.text


@pytest.mark.parametrize("case", ["wrong_state", "wrong_nonce", "not_in_directory", "code_used_twice"])
def test_a_sign_on_answer_that_does_not_hold_signs_nobody_in(provider, browser, case):
    b = browser()
    _, query = start(b)
    claims = {"employee_id": "nobody.jhs" if case == "not_in_directory" else "so.jhs"}
    code = provider.authorize(query, claims, nonce="other" if case == "wrong_nonce" else None)
    state = "forged" if case == "wrong_state" else query["state"]
    if case == "code_used_twice":
        provider.codes.pop(code)
    response = b.get(f"/sign-in/sso/callback?{urlencode({'code': code, 'state': state})}")
    assert response.status_code == 401 and "सिंगल साइन-ऑन से साइन इन नहीं हो सका" in response.text
    assert "desk_session" not in b.http.cookies


def test_without_configuration_there_is_no_single_sign_on(browser):
    b = browser()
    assert "/sign-in/sso" not in b.get("/sign-in").text
    assert b.get("/sign-in/sso").status_code == 404
