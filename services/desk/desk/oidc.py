"""Sign-in through a state single sign-on (OpenID Connect, authorization code flow with PKCE).

Off unless OIDC_ISSUER is set. The provider's endpoints come from its discovery document; the ID
token is checked against the provider's published keys (issuer, audience, expiry, nonce), and the
claim OIDC_USER_CLAIM names the directory user, who then gets an ordinary desk session."""
import base64
import hashlib
import json
import secrets
import time
from urllib.parse import urlencode

import jwt
import requests

from .exceptions import BadCredentials

DISCOVERY_TTL_SECONDS = 3600
_discovered = {}


class OidcClient:
    def __init__(self, config, http=None):
        self.issuer = (config.get("OIDC_ISSUER") or "").rstrip("/")
        self.client_id = config.get("OIDC_CLIENT_ID") or ""
        self.client_secret = config.get("OIDC_CLIENT_SECRET") or ""
        self.redirect_uri = config.get("OIDC_REDIRECT_URI") or ""
        self.scopes = config.get("OIDC_SCOPES") or "openid profile email"
        self.user_claim = config.get("OIDC_USER_CLAIM") or "preferred_username"
        self.http = http or requests

    @property
    def enabled(self):
        return bool(self.issuer and self.client_id and self.redirect_uri)

    def metadata(self):
        cached = _discovered.get(self.issuer)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        response = self.http.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        document = response.json()
        _discovered[self.issuer] = (document, time.monotonic() + DISCOVERY_TTL_SECONDS)
        return document

    def start(self, next_path):
        """(the provider's authorization URL, the state to keep in a signed cookie)."""
        verifier = secrets.token_urlsafe(48)
        state = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24), "verifier": verifier, "next": next_path}
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri, "scope": self.scopes,
            "state": state["state"], "nonce": state["nonce"], "code_challenge": challenge, "code_challenge_method": "S256",
        })
        return f"{self.metadata()['authorization_endpoint']}?{query}", json.dumps(state)

    def finish(self, kept, returned_state, code):
        """The directory user id the provider vouches for; BadCredentials for anything amiss."""
        try:
            kept = json.loads(kept or "")
        except ValueError:
            raise BadCredentials("the sign-on was not started here", reason="sso_failed") from None
        if not code or not secrets.compare_digest(kept.get("state", ""), returned_state or ""):
            raise BadCredentials("the sign-on answer does not match its request", reason="sso_failed")
        metadata = self.metadata()
        answer = self.http.post(metadata["token_endpoint"], timeout=15, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
            "client_id": self.client_id, "client_secret": self.client_secret, "code_verifier": kept["verifier"],
        })
        if answer.status_code != 200 or "id_token" not in answer.json():
            raise BadCredentials("the single sign-on refused the code", reason="sso_failed")
        id_token = answer.json()["id_token"]
        try:
            key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(id_token)
            claims = jwt.decode(id_token, key.key, algorithms=["RS256", "ES256"], audience=self.client_id,
                                issuer=metadata.get("issuer", self.issuer), options={"require": ["exp", "iat", "sub"]})
        except jwt.PyJWTError as exc:
            raise BadCredentials(f"the ID token is not valid: {exc}", reason="sso_failed") from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")), kept["nonce"]):
            raise BadCredentials("the ID token was not issued for this sign-on", reason="sso_failed")
        user_id = str(claims.get(self.user_claim) or "").strip().lower()
        if not user_id:
            raise BadCredentials(f"the ID token has no {self.user_claim}", reason="sso_failed")
        return user_id, kept.get("next")
