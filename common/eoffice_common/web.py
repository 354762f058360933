"""The HTTP entrypoint every service uses: authenticated by default, JSON in and out, typed errors."""
import inspect
import io
import json
import uuid
from functools import cache, partial
from urllib.parse import quote

import yaml
from eventlet import wsgi
from eventlet.event import Event
from nameko.dependency_providers import Config
from nameko.exceptions import ContainerBeingKilled, IncorrectSignature
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer
from pydantic import ValidationError
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.routing import Map
from werkzeug.wrappers import Response

from .auth import Principal, TokenVerification
from .engine import DatabaseEngine
from .errors import (
    NUL_REFUSED,
    BadRequest,
    BodyTooLarge,
    InvalidInput,
    ServiceError,
    Unauthenticated,
    database_unreachable,
    invalid_input_from_pydantic,
)
from .health import Readiness, is_ready
from .idempotency import DEFAULT_KEEP_HOURS, REPLAYED_HEADER, IdempotencyKeyInUse, KeyedRequest, forget_keys_older_than
from .jsontext import dumps
from .logging import get_logger
from .metrics import HTTP_REJECTED, IDEMPOTENT_REPLAYS
from .routing import JsonRoutingApp

log = get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
# Raised to refuse a request (each answered with its status and reason): logged as one line, not as a fault.
EXPECTED_REFUSALS = (ServiceError, ValidationError, RequestEntityTooLarge, wsgi.ChunkReadError, ClientDisconnected)
# Request bodies: JSON and forms up to MAX_BODY_BYTES; a route declared `upload=True` up to
# MAX_UPLOAD_BYTES, by default one document of MAX_DOCUMENT_BYTES and the form around it.
DEFAULT_MAX_BODY_BYTES = 1 << 20
DEFAULT_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MULTIPART_OVERHEAD_BYTES = 1 << 20
# Parsing, validating and walking JSON recurse once per level: deeper documents are refused unparsed.
MAX_JSON_DEPTH = 64
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
# What a client is told to wait before trying again while the database cannot be reached.
RETRY_AFTER_SECONDS = 5
# A keep-alive connection with no request for this long is closed, and so is one whose client stops
# sending or reading for this long.
IDLE_SECONDS = 120


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
    if isinstance(exc, RequestEntityTooLarge):  # werkzeug's own bound: a form of more than 1,000 parts
        return json_response({"error": "payload_too_large", "message": "The request body is too large"}, 413)
    if isinstance(exc, ServiceError):
        return json_response(exc.to_dict(), exc.status)
    if isinstance(exc, wsgi.ChunkReadError):
        return json_response({"error": "malformed_chunk", "message": str(exc)}, 400)
    if isinstance(exc, ClientDisconnected):
        return json_response({"error": "client_gone", "message": "The client stopped sending the request"}, 400)
    if isinstance(exc, ContainerBeingKilled):  # the process is going; nothing of the request ran
        return json_response({"error": "service_restarting", "message": "The service is restarting; try again shortly"},
                             503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if database_unreachable(exc):  # the worker's log line (one warning) has said so already
        return json_response({"error": "database_unavailable", "message": "The database cannot be reached; try again shortly"},
                             503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return json_response({"error": "internal_error", "message": "An unexpected error occurred"}, 500)


def _served(app):
    """nameko's application as eventlet serves it: the request body's end is eventlet's to find
    (Content-Length or the last chunk), which werkzeug must be told to read a chunked body at all;
    and since no text a service keeps (PostgreSQL's above all) can hold U+0000, a path or query
    carrying it is refused before routing."""
    def serve(environ, start_response):
        environ["wsgi.input_terminated"] = True
        if "\x00" in environ.get("PATH_INFO", "") or "%00" in environ.get("QUERY_STRING", ""):
            response = json_response({"error": "nul_character", "message": "The request's path or query contains U+0000 (%00)"}, 400)
            return response(environ, start_response)
        return app(environ, start_response)

    return serve


class _JsonRefusals(HttpOnlyProtocol):
    # http.server's hooks for the requests it refuses before any application sees them.
    error_content_type = "application/json"
    error_message_format = '{"error": "malformed_request", "message": "%(explain)s"}'


class HttpServer(WebServer):
    """nameko's web server (eventlet.wsgi): each piece of a response leaves as the application yields
    it (a server-sent event must not wait for 4 KB to gather), without an access-log line (every call
    is logged by Instrumentation), and an idle connection is closed."""

    def get_wsgi_app(self):
        return _served(JsonRoutingApp(self))

    def get_wsgi_server(self, sock, wsgi_app, protocol=_JsonRefusals, debug=False):
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug, minimum_chunk_size=0,
                           keepalive=IDLE_SECONDS, socket_timeout=IDLE_SECONDS, log_output=False)


class HttpEntrypoint(HttpRequestHandler):
    """`http(method, url)`: a bearer token is required unless `public=True` is said explicitly. The
    body may be MAX_BODY_BYTES, MAX_UPLOAD_BYTES for a route that takes documents (`upload=True`),
    or what `max_body` says. A route declared `idempotent=True` honours an Idempotency-Key
    (eoffice_common.idempotency)."""

    server = HttpServer()
    tokens = TokenVerification()

    def __init__(self, method, url, public=False, upload=False, max_body=None, idempotent=False, **kwargs):
        self.public = public
        self.upload = upload
        self.max_body = max_body
        self.idempotent = idempotent
        if idempotent:
            if public:
                raise ValueError("an idempotent route keeps answers per user: it cannot be public")
            self.keys_database = DatabaseEngine()
        kwargs.setdefault("expected_exceptions", EXPECTED_REFUSALS)
        super().__init__(method, url, **kwargs)

    def setup(self):
        super().setup()
        self.body_limit = body_limit(self.container.config, self.upload, self.max_body)
        method = getattr(self.container.service_cls, self.method_name)
        rule = self.get_url_rule()
        Map([rule])  # binding the rule parses its variables
        try:
            inspect.signature(method).bind(None, None, **dict.fromkeys(rule.arguments))
        except TypeError as exc:
            raise IncorrectSignature(f"{self.method_name} does not take the variables of {self.url}: {exc}") from exc

    def check_signature(self, args, kwargs):
        """Checked once in setup: routing gives every request exactly the route's variables."""

    def handle_request(self, request):
        request.shallow = False
        correlation_id = request.headers.get(CORRELATION_HEADER) or uuid.uuid4().hex
        try:
            limit_body(request, self.body_limit)
            context_data = {"correlation_id": correlation_id}
            keyed = None
            if not self.public:
                principal = self._authenticate(request)
                context_data["principal"] = principal.to_dict()
                keyed = KeyedRequest.of(request, principal.user_id) if self.idempotent else None
            stored = self._stored_answer(keyed) if keyed else None
            if stored:
                response = self._replayed(keyed.answer_for_this_request(stored))
            else:
                response = self._run_worker(request, context_data, keyed)
        except Exception as exc:  # every failure becomes a typed JSON error
            response = error_response(exc)
        response.headers[CORRELATION_HEADER] = correlation_id
        return response

    def _run_worker(self, request, context_data, keyed):
        if keyed:
            keyed.attach_to(request)
        args, kwargs = self.get_entrypoint_parameters(request)
        self.check_signature(args, kwargs)
        event = Event()
        self.container.spawn_worker(
            self, args, kwargs, context_data=context_data, handle_result=partial(self.handle_result, event)
        )
        try:
            return self.response_from_result(event.wait())
        except IdempotencyKeyInUse:
            stored = self._stored_answer(keyed)
            if stored is None:
                raise
            return self._replayed(keyed.answer_for_this_request(stored))

    def _replayed(self, stored):
        """A kept answer given again, as it was first given."""
        IDEMPOTENT_REPLAYS.labels(self.container.service_name, self.method_name).inc()
        return Response(stored.body, status=stored.status, mimetype="application/json", headers={REPLAYED_HEADER: "true"})

    def _stored_answer(self, keyed):
        with self.keys_database.engine.connect() as connection:
            return keyed.stored_answer(connection)

    def _authenticate(self, request):
        try:
            return self.tokens.verifier.principal_from_authorization(request.headers.get("Authorization"))
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


def body_limit(config, upload=False, max_body=None):
    """The most bytes a route's request body may have: `max_body` if the route names it, else the
    service's limit for uploads or for JSON and forms."""
    if max_body is not None:
        return max_body
    if upload:
        one_document = int(config.get("MAX_DOCUMENT_BYTES") or DEFAULT_MAX_DOCUMENT_BYTES)
        return int(config.get("MAX_UPLOAD_BYTES") or one_document + MULTIPART_OVERHEAD_BYTES)
    return int(config.get("MAX_BODY_BYTES") or DEFAULT_MAX_BODY_BYTES)


def limit_body(request, limit):
    """Refuse a body over `limit` bytes with 413 `body_too_large`: before reading any of it when its
    Content-Length says so, else (chunked) as soon as reading crosses the limit, so no oversized body
    is ever held whole, whatever the server. Call it before anything reads the body."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)
    request.stream = _BoundedInput(request.stream, limit)  # what get_data, form and files read


class _BoundedInput(io.RawIOBase):
    """A request stream that raises BodyTooLarge once more than `limit` bytes are read through it
    (werkzeug's max_content_length cuts a chunked body at the limit silently instead)."""

    def __init__(self, stream, limit):
        self._stream = stream
        self._limit = self._left = limit

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._stream.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise BodyTooLarge(self._limit)
        buffer[:len(data)] = data
        return len(data)


def require_caller(principal):
    if principal is None:
        raise Unauthenticated("This action needs an authenticated user", reason="token_missing")
    return principal


def parse_json(request, model):
    """The request body as `model` (a pydantic model); 400 if not JSON, 422 with field reasons if invalid."""
    data = request.get_data(cache=True)
    body = load_json(data)
    refuse_nul(body, data)
    return model.model_validate(body if body is not None else {})


def load_json(data, what="The body"):
    """`data` (JSON text) parsed: 400 `malformed_json` if it is not JSON, 400 `json_too_deep` if its
    arrays and objects nest deeper than MAX_JSON_DEPTH. Empty text is null."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _nests_deeper(raw, MAX_JSON_DEPTH):
        raise BadRequest(f"{what} nests arrays and objects deeper than {MAX_JSON_DEPTH} levels", reason="json_too_deep")
    try:
        return json.loads(data or b"null")
    except ValueError:
        raise BadRequest(f"{what} is not valid JSON", reason="malformed_json") from None


def _nests_deeper(raw, levels):
    """Whether JSON text nests deeper than `levels`, told in bytes operations only (a loop over the
    characters in Python would hold the server up for as long as the body is large): the brackets
    outside strings are kept, then innermost pairs removed `levels` times."""
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    brackets = outside_strings.translate(_BRACES_AS_BRACKETS, _NOT_BRACKETS)
    for _ in range(levels):
        inner = brackets.replace(b"[]", b"")
        if inner == brackets:  # none left, or unbalanced: what is left open nests on
            return brackets.count(b"[") > levels
        brackets = inner
    return bool(brackets)


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
    database answers and its broker connections are up: 503 otherwise) and its OpenAPI document; and
    the hourly forgetting of old idempotency keys. A service sets `openapi_path` and a `db`."""

    openapi_path = None
    readiness = Readiness()
    settings = Config()

    @timer(interval=3600)
    def forget_old_idempotency_keys(self):
        """Answers kept under idempotency keys go once older than IDEMPOTENCY_KEY_HOURS (24)."""
        hours = float(self.settings.get("IDEMPOTENCY_KEY_HOURS") or DEFAULT_KEEP_HOURS)
        with self.db.unit_of_work() as uow:
            forgotten = forget_keys_older_than(uow.connection, hours)
            uow.commit()
        return forgotten

    @http("GET", "/health/live", public=True)
    def live(self, request):
        return {"status": "ok"}

    @http("GET", "/health/ready", public=True)
    def ready(self, request):
        checks = self.readiness()
        return (200 if is_ready(checks) else 503), checks

    @http("GET", "/openapi.json", public=True)
    def openapi(self, request):
        return openapi_document(self.openapi_path)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A machine-readable reason code."},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "One reason per invalid field, keyed by its dotted path (only when there are any)."},
    },
}
# What this module (and the server under it) answers for any operation, whatever the service:
# documented on every operation that can get it, unless the service's document says more there.
COMMON_REFUSALS = {
    "token": ("401", "`token_missing`, `token_invalid` or `token_expired`: no valid `Authorization: Bearer` token"),
    "nul": ("400", "`nul_character`: the path or query holds U+0000 (%00)"),
    "json": ("400", f"`malformed_json`: the body is not valid JSON; `json_too_deep`: it nests more than {MAX_JSON_DEPTH} levels"),
    "size": ("413", "`body_too_large`: the request body is over this operation's limit (given as `limit`, in bytes)"),
    "fields": ("422", "`invalid_input`: some fields are not valid; `fields` gives a reason for each"),
    "idempotency": ("400", "`idempotency_key_invalid`: the Idempotency-Key is not 1 to 255 visible ASCII characters"),
    "idempotency_reused": ("422", "`idempotency_key_reused`: the Idempotency-Key was used for another request"),
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_READINESS_CHECKS = {
    "type": "object", "required": ["database", "broker"],
    "properties": {name: {"enum": ["ok", "unavailable"]} for name in ("database", "broker")},
}
# DescribedService's /health/ready, the same in every service.
READINESS_RESPONSES = {
    "200": {"description": "The database answers and every broker connection is up.",
            "content": {"application/json": {"schema": _READINESS_CHECKS}}},
    "503": {"description": "Something it checked is unavailable: which, in the body.",
            "content": {"application/json": {"schema": _READINESS_CHECKS}}},
}


@cache
def openapi_document(path):
    """A service's OpenAPI document (the YAML at `path`) with the COMMON_REFUSALS its operations can
    get: 401 on each protected one; 400 and 422 on each with parameters; 413 and 422 on each that
    takes a body, and 400 on each that takes JSON."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    document.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_SCHEMA)
    protected_by_default = bool(document.get("security"))
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            parameters = [_resolved(document, p) for p in path_item.get("parameters", []) + operation.get("parameters", [])]
            body = _resolved(document, operation.get("requestBody", {})).get("content", {})
            refusals = []
            if operation.get("security", protected_by_default):
                refusals.append("token")
            if any(parameter.get("in") in ("path", "query") for parameter in parameters):
                refusals.append("nul")
            if any(parameter.get("in") == "query" for parameter in parameters) or body:
                refusals.append("fields")
            if body:
                refusals += ["size"] + (["json"] if "application/json" in body else [])
            if any(parameter.get("in") == "header" and parameter.get("name", "").lower() == "idempotency-key"
                   for parameter in parameters):
                refusals += ["idempotency", "idempotency_reused"]
            responses = operation.setdefault("responses", {})
            for status in dict.fromkeys(COMMON_REFUSALS[refusal][0] for refusal in refusals):
                responses.setdefault(status, {
                    "description": "; ".join(text for refusal in refusals for code, text in [COMMON_REFUSALS[refusal]] if code == status) + ".",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
            if "idempotency" in refusals:
                _allow_reason(document, _resolved(document, responses["400"]), "idempotency_key_invalid")
                _allow_reason(document, _resolved(document, responses["422"]), "idempotency_key_reused")
    if "/health/ready" in document.get("paths", {}):
        document["paths"]["/health/ready"]["get"]["responses"] = READINESS_RESPONSES
    return document


def _allow_reason(document, response, reason):
    """Adds `reason` to the reasons a documented error response lists, if it lists them (an enum)."""
    schema = _resolved(document, response.get("content", {}).get("application/json", {}).get("schema", {}))
    for part in [schema, *schema.get("allOf", [])]:
        error = _resolved(document, part).get("properties", {}).get("error", {})
        if "enum" in error and reason not in error["enum"]:
            error["enum"].append(reason)


def _resolved(document, node):
    """`node`, or what its local `$ref` (#/components/...) points at."""
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node
