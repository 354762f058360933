"""The HTTP entrypoint every service uses: authenticated by default, JSON in and out, typed errors."""
import inspect
import json
import uuid
from datetime import date, datetime
from functools import partial
from urllib.parse import quote

import yaml
from eventlet.event import Event
from nameko.exceptions import IncorrectSignature
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import Map
from werkzeug.wrappers import Response

from .auth import Principal, principal_from_authorization
from .errors import NUL_REFUSED, BadRequest, InvalidInput, ServiceError, Unauthenticated, invalid_input_from_pydantic
from .health import Readiness, is_ready
from .httpserver import ClientGone, HttpServer, MalformedRequest
from .logging import get_logger
from .metrics import HTTP_REJECTED

log = get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
# Raised to refuse a request (each answered with its status and reason): logged as one line, not as a fault.
EXPECTED_REFUSALS = (ServiceError, ValidationError)


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(payload):
    return json.dumps(payload, ensure_ascii=False, default=_json_default)


def json_response(payload, status=200, headers=None):
    return Response(dumps(payload), status=status, headers=headers, mimetype="application/json")


def content_disposition(filename, disposition="inline"):
    """A Content-Disposition header for any filename: ASCII as is, Hindi names also as RFC 8187
    UTF-8 (a header must be latin-1)."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    if fallback == filename:
        return f'{disposition}; filename="{filename}"'
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def error_response(exc):
    if isinstance(exc, ValidationError):
        exc = invalid_input_from_pydantic(exc)
    if isinstance(exc, RequestEntityTooLarge):
        return json_response({"error": "payload_too_large", "message": "The request body is too large"}, 413)
    if isinstance(exc, ServiceError):
        return json_response(exc.to_dict(), exc.status)
    if isinstance(exc, MalformedRequest):  # a broken request body; the server closes the connection after
        return json_response({"error": exc.reason, "message": str(exc)}, exc.code)
    if isinstance(exc, ClientGone):
        return json_response({"error": "client_gone", "message": "The client stopped sending the request"}, 400)
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return json_response({"error": "internal_error", "message": "An unexpected error occurred"}, 500)


class HttpEntrypoint(HttpRequestHandler):
    """`http(method, url)`: a bearer token is required unless `public=True` is said explicitly."""

    server = HttpServer()

    def __init__(self, method, url, public=False, **kwargs):
        self.public = public
        kwargs.setdefault("expected_exceptions", EXPECTED_REFUSALS)
        super().__init__(method, url, **kwargs)

    def setup(self):
        super().setup()
        method = getattr(self.container.service_cls, self.method_name)
        rule = self.get_url_rule()
        Map([rule])  # binding the rule parses its variables
        try:
            inspect.signature(method).bind(None, None, **dict.fromkeys(rule.arguments))
        except TypeError as exc:
            raise IncorrectSignature(f"{self.method_name} does not take the variables of {self.url}: {exc}")

    def check_signature(self, args, kwargs):
        """Checked once in setup: routing gives every request exactly the route's variables."""

    def handle_request(self, request):
        request.shallow = False
        correlation_id = request.headers.get(CORRELATION_HEADER) or uuid.uuid4().hex
        try:
            context_data = {"correlation_id": correlation_id}
            if not self.public:
                context_data["principal"] = self._authenticate(request).to_dict()
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data, handle_result=partial(self.handle_result, event)
            )
            response = self.response_from_result(event.wait())
        except Exception as exc:  # every failure becomes a typed JSON error
            response = error_response(exc)
        response.headers[CORRELATION_HEADER] = correlation_id
        return response

    def _authenticate(self, request):
        config = self.container.config
        try:
            return principal_from_authorization(
                request.headers.get("Authorization"), config["JWT_SECRET"], config.get("JWT_ALGORITHM", "HS256")
            )
        except Unauthenticated as exc:
            HTTP_REJECTED.labels(self.container.service_name, exc.reason).inc()
            raise

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        if isinstance(result, tuple):
            status, payload = result
            return json_response(payload, status)
        return json_response(result)


http = HttpEntrypoint.decorator


class Caller(DependencyProvider):
    """Injects the authenticated Principal of this call (propagated across RPC), or None."""

    def get_dependency(self, worker_ctx):
        data = worker_ctx.data.get("principal")
        return Principal.from_dict(data) if data else None


def require_caller(principal):
    if principal is None:
        raise Unauthenticated("This action needs an authenticated user", reason="token_missing")
    return principal


def parse_json(request, model):
    """The request body as `model` (a pydantic model); 400 if not JSON, 422 with field reasons if invalid."""
    data = request.get_data(cache=True)
    try:
        body = json.loads(data or b"null")
    except ValueError:
        raise BadRequest("The body is not valid JSON", reason="malformed_json")
    refuse_nul(body, data)
    return model.model_validate(body if body is not None else {})


def refuse_nul(value, raw=None):
    """422 naming each field of `value` (parsed JSON) whose text holds U+0000, which PostgreSQL's text
    cannot store. Given `raw`, the JSON text it was parsed from, a body without an escaped U+0000 (the
    only way JSON can carry it) is not walked."""
    if raw is not None and (b"\\u0000" if isinstance(raw, bytes) else "\\u0000") not in raw:
        return
    fields = {path or "body": NUL_REFUSED for path in _paths_with_nul(value, "")}
    if fields:
        raise InvalidInput("Some fields are not valid", fields=fields)


def _paths_with_nul(value, path):
    """Dotted paths (as pydantic names fields) of the strings in `value` that hold U+0000."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield path
            yield from _paths_with_nul(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_with_nul(item, f"{path}.{index}" if path else str(index))


def query_args(request, model):
    return model.model_validate({key: value for key, value in request.args.items() if value != ""})


class DescribedService:
    """The public endpoints every service has: liveness (the process answers), readiness (its
    database answers and its broker connections are up: 503 otherwise) and its OpenAPI document.
    A service sets `openapi_path` and a `db`."""

    openapi_path = None
    readiness = Readiness()

    @http("GET", "/health/live", public=True)
    def live(self, request):
        return {"status": "ok"}

    @http("GET", "/health/ready", public=True)
    def ready(self, request):
        checks = self.readiness()
        return (200 if is_ready(checks) else 503), checks

    @http("GET", "/openapi.json", public=True)
    def openapi(self, request):
        with open(self.openapi_path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
