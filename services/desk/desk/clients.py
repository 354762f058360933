"""Calls to the other services' HTTP APIs, as the signed-in user (a short-lived bearer token minted
for them), so that every service authorises the user itself."""
import time

import requests
from nameko.extensions import DependencyProvider

from eoffice_common.auth import Principal, issue_token, private_key
from eoffice_common.idempotency import HEADER as IDEMPOTENCY_HEADER
from eoffice_common.web import CORRELATION_HEADER

from .exceptions import ServiceFailure, ServiceUnavailable
from .web import IDEMPOTENCY_FIELD

SERVICES = ("dak", "files", "signing", "notify", "metrics", "search")


class TokenMint:
    """Short-lived tokens for the signed-in users' calls. Nothing is stored: a token is kept in this
    process for half its life and then minted again, since a service remembers a token it verified
    and one token per user and page would cost every service a signature check per call."""

    kept_max = 10_000

    def __init__(self, signing_key, ttl_seconds):
        self.signing_key = signing_key
        self.ttl_seconds = ttl_seconds
        self._kept = {}

    def token_for(self, principal):
        now = time.monotonic()
        kept = self._kept.get(principal)
        if kept is not None and kept[1] > now:
            return kept[0]
        token = issue_token(self.signing_key, principal, self.ttl_seconds)
        if len(self._kept) >= self.kept_max:
            self._kept.clear()
        self._kept[principal] = (token, now + self.ttl_seconds / 2)
        return token


class ServiceCalls:
    """Calls as the signed-in user. Given the posted form's idempotency key, each POST carries it as
    its Idempotency-Key, numbered in call order: one form may make several calls, and the same form
    posted again makes the same calls in the same order, each then answered as the first time."""

    def __init__(self, http, urls, tokens, principal, correlation_id, timeout, idempotency_key=None):
        self._http = http
        self._urls = urls
        self._tokens = tokens
        self._principal = principal
        self._correlation_id = correlation_id
        self.timeout = timeout
        self._idempotency_key = idempotency_key
        self._posts = 0

    def _headers(self, extra=None):
        headers = {CORRELATION_HEADER: self._correlation_id or ""}
        if self._principal:
            headers["Authorization"] = f"Bearer {self._tokens.token_for(self._principal)}"
        return {**headers, **(extra or {})}

    def request(self, service, method, path, *, stream=False, timeout=None, headers=None, **kwargs):
        """The service's response (2xx), or ServiceFailure with its reason and field reasons."""
        if method == "POST" and self._idempotency_key:
            self._posts += 1
            headers = {IDEMPOTENCY_HEADER: f"{self._idempotency_key}.{self._posts}", **(headers or {})}
        try:
            response = self._http.request(
                method, f"{self._urls[service]}{path}", headers=self._headers(headers), stream=stream,
                timeout=timeout or self.timeout, **kwargs,
            )
        except requests.RequestException as exc:
            raise ServiceUnavailable(service, f"{service} is not reachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise failure_of(service, response)
        return response

    def json(self, service, method, path, **kwargs):
        return self.request(service, method, path, **kwargs).json()

    def get(self, service, path, **kwargs):
        return self.json(service, "GET", path, **kwargs)

    def post(self, service, path, **kwargs):
        return self.json(service, "POST", path, **kwargs)

    def put(self, service, path, **kwargs):
        return self.json(service, "PUT", path, **kwargs)


def failure_of(service, response):
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code >= 500 and response.status_code != 503:
        return ServiceFailure(service, 502, body.get("error", "internal_error"), body.get("message") or response.reason)
    return ServiceFailure(
        service, response.status_code, body.get("error", "error"), body.get("message") or response.reason,
        body.get("fields") or {},
    )


class Services(DependencyProvider):
    """Injects ServiceCalls carrying a token of the signed-in user and the request's correlation id.
    The desk does not start without the private key its tokens are signed with."""

    def setup(self):
        config = self.container.config
        self.tokens = TokenMint(private_key(config), int(config.get("SERVICE_TOKEN_TTL_SECONDS", 300)))
        self.urls = {name: config.get(f"{name.upper()}_URL", "").rstrip("/") for name in SERVICES}
        self.timeout = float(config.get("SERVICE_TIMEOUT_SECONDS", 30))
        self.http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=len(SERVICES), pool_maxsize=100)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def stop(self):
        self.http.close()

    def get_dependency(self, worker_ctx):
        session = worker_ctx.data.get("desk_session")
        principal = Principal(session["user_id"], session["office"], tuple(session["roles"]), session["name_en"]) if session else None
        return ServiceCalls(self.http, self.urls, self.tokens, principal, worker_ctx.data.get("correlation_id"), self.timeout,
                            worker_ctx.data.get(IDEMPOTENCY_FIELD))
