"""Calls to the other services' HTTP APIs, as the signed-in user (their bearer token), so that every
service authorises the user itself."""
import requests
from nameko.extensions import DependencyProvider

from eoffice_common.web import CORRELATION_HEADER

from .exceptions import ServiceFailure, ServiceUnavailable

SERVICES = ("dak", "files", "signing", "notify", "metrics")


class ServiceCalls:
    def __init__(self, http, urls, token, correlation_id, timeout):
        self._http = http
        self._urls = urls
        self._token = token
        self._correlation_id = correlation_id
        self.timeout = timeout

    def _headers(self, extra=None):
        headers = {CORRELATION_HEADER: self._correlation_id or ""}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return {**headers, **(extra or {})}

    def request(self, service, method, path, *, stream=False, timeout=None, headers=None, **kwargs):
        """The service's response (2xx), or ServiceFailure with its reason and field reasons."""
        try:
            response = self._http.request(
                method, f"{self._urls[service]}{path}", headers=self._headers(headers), stream=stream,
                timeout=timeout or self.timeout, **kwargs,
            )
        except requests.RequestException as exc:
            raise ServiceUnavailable(service, f"{service} is not reachable: {type(exc).__name__}")
        if response.status_code >= 400:
            raise failure_of(service, response)
        return response

    def json(self, service, method, path, **kwargs):
        return self.request(service, method, path, **kwargs).json()

    def get(self, service, path, **kwargs):
        return self.json(service, "GET", path, **kwargs)

    def post(self, service, path, **kwargs):
        return self.json(service, "POST", path, **kwargs)


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
    """Injects ServiceCalls carrying the signed-in user's token and the request's correlation id."""

    def setup(self):
        config = self.container.config
        self.urls = {name: config.get(f"{name.upper()}_URL", "").rstrip("/") for name in SERVICES}
        self.timeout = float(config.get("SERVICE_TIMEOUT_SECONDS", 30))
        self.http = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=len(SERVICES), pool_maxsize=100)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def stop(self):
        self.http.close()

    def get_dependency(self, worker_ctx):
        session = worker_ctx.data.get("desk_session") or {}
        return ServiceCalls(
            self.http, self.urls, session.get("bearer_token"), worker_ctx.data.get("correlation_id"), self.timeout
        )
