"""How a browser reaches the desk: the `page` entrypoint (session cookie, CSRF check, HTML errors,
security headers) and the renderer of templates in the user's language."""
import hashlib
import os
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from functools import partial
from urllib.parse import quote

from eventlet.event import Event
from jinja2 import Environment, FileSystemLoader, select_autoescape
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from eoffice_common.engine import DatabaseEngine
from eoffice_common.errors import NUL_REFUSED, InvalidInput, PayloadTooLarge, ServiceError
from eoffice_common.logging import get_logger
from eoffice_common.web import CORRELATION_HEADER, EXPECTED_REFUSALS, HttpServer, body_limit, limit_body

from . import domain, repository, security
from .domain import SignedIn
from .exceptions import CsrfRejected, SignInRequired
from .i18n import Translator

log = get_logger(__name__)

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC_DIR = os.path.join(HERE, "static")
SESSION_COOKIE = "desk_session"
FORM_COOKIE = "desk_form"  # CSRF token of a browser not signed in (the sign-in form)
FLASH_COOKIE = "desk_flash"
IDEMPOTENCY_FIELD = "idempotency_key"  # of every form (new_idempotency_key)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SECURITY_HEADERS = {
    # Everything from this origin only: no CDN, no inline script; frames and objects for scans only.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
        "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def _asset_versions():
    versions = {}
    for name in os.listdir(STATIC_DIR):
        with open(os.path.join(STATIC_DIR, name), "rb") as handle:
            versions[name] = hashlib.sha256(handle.read()).hexdigest()[:12]
    return versions


ASSET_VERSIONS = _asset_versions()


def static_url(name):
    return f"/static/{name}?v={ASSET_VERSIONS.get(name, '0')}"


class SessionStore(SharedExtension):
    """Finds the live session of a request's cookie (and keeps its last-seen time)."""

    shared = DatabaseEngine()

    def setup(self):
        config = self.container.config
        self.secret = security.session_secret(config)
        self.idle_seconds = int(config.get("SESSION_IDLE_SECONDS", 3600))
        self.ttl_seconds = int(config.get("SESSION_TTL_SECONDS", 8 * 3600))
        self.secure = str(config.get("SESSION_COOKIE_SECURE", "false")).lower() in ("1", "true", "yes")

    def resolve(self, request):
        session_id = security.unsign(request.cookies.get(SESSION_COOKIE), self.secret)
        if session_id is None:
            return None
        id_hash = security.id_hash(session_id)
        now = datetime.now(timezone.utc)
        with self.shared.engine.connect() as connection:
            row = repository.signed_in(connection, id_hash)
            if row is None or not row.active:
                return None
            times = domain.SessionTimes(row.created_at, _aware(row.last_seen_at), _aware(row.expires_at))
            if not domain.session_is_live(times, now, self.idle_seconds):
                return None
            if domain.should_touch(times, now):
                with self.shared.write_turn():
                    repository.touch_session(connection, id_hash, now)
                    connection.commit()
        return SignedIn.from_row(row)

    def cookie_value(self, session_id):
        return security.sign(session_id, self.secret)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)



def _refuse_nul_in_form(request):
    """422 for a form field holding U+0000 (PostgreSQL's text cannot), before anything is looked up with it."""
    fields = {name: NUL_REFUSED for name, value in request.form.items(multi=True) if "\x00" in name or "\x00" in value}
    if fields:
        raise InvalidInput("Some fields are not valid", fields=fields)


class PageEntrypoint(HttpRequestHandler):
    """`page(method, url)`: a page of the desk. Signed in by default (else to the sign-in page);
    `signed_in=False` for the sign-in page, health, static assets and the OpenAPI document.
    Every unsafe request must carry the session's CSRF token (form field `csrf_token` or header
    `X-CSRF-Token`); a browser not signed in carries the token of its `desk_form` cookie instead.
    A body over the page's limit (`upload=True`: MAX_UPLOAD_BYTES; else `max_body`, or MAX_BODY_BYTES)
    is refused with 413 before anything reads it."""

    server = HttpServer()

    sessions = SessionStore()

    def __init__(self, method, url, signed_in=True, csrf=True, upload=False, max_body=None, **kwargs):
        self.signed_in = signed_in
        self.csrf = csrf
        self.upload = upload
        self.max_body = max_body
        kwargs.setdefault("expected_exceptions", EXPECTED_REFUSALS)
        super().__init__(method, url, **kwargs)

    def setup(self):
        super().setup()
        self.body_limit = body_limit(self.container.config, self.upload, self.max_body)

    def handle_request(self, request):
        request.shallow = False
        correlation_id = request.headers.get(CORRELATION_HEADER) or uuid.uuid4().hex
        session = None
        try:
            limit_body(request, self.body_limit)
            session = self.sessions.resolve(request)
            if self.signed_in and session is None:
                raise SignInRequired("sign in to continue")
            if self.csrf and request.method in UNSAFE:
                self._check_csrf(request, session)
            context_data = {"correlation_id": correlation_id}
            if request.method in UNSAFE:
                _refuse_nul_in_form(request)
                context_data[IDEMPOTENCY_FIELD] = request.form.get(IDEMPOTENCY_FIELD)
            if session is not None:
                context_data["desk_session"] = asdict(session)
                context_data["principal"] = {"user_id": session.user_id, "office": session.office, "roles": list(session.roles)}
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data, handle_result=partial(self.handle_result, event)
            )
            response = event.wait()
        except Exception as exc:  # every failure becomes a page (or a sign-in redirect)
            response = self.error_response(exc, request, session)
        response.headers[CORRELATION_HEADER] = correlation_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _check_csrf(self, request, session):
        given = request.headers.get("X-CSRF-Token")
        if given is None:
            given = request.form.get("csrf_token")
        expected = session.csrf_token if session else security.unsign(request.cookies.get(FORM_COOKIE), self.sessions.secret)
        if not security.same_token(expected, given):
            raise CsrfRejected("the form expired or did not come from this site")

    def error_response(self, exc, request, session):
        if isinstance(exc, SignInRequired):
            target = request.full_path if request.method == "GET" else "/inbox"
            if request.accept_mimetypes.best == "application/json" or request.path.startswith("/notifications/stream"):
                return Response('{"error": "sign_in_required"}', 401, mimetype="application/json")
            return redirect(f"/sign-in?next={quote(target.rstrip('?'))}", 303)
        if isinstance(exc, RequestEntityTooLarge):  # werkzeug's own bound: a form of more than 1,000 parts
            exc = PayloadTooLarge("the form is too large")
        if not isinstance(exc, ServiceError):
            log.exception("unhandled_error", error_type=type(exc).__name__)
        language = session.language if session else language_of_request(request)
        status = getattr(exc, "status", 500)
        return render_page("error.html", language, session, request, status=status, error_status=status,
                           error=exc if isinstance(exc, ServiceError) else None)

    def response_from_result(self, result):
        return result


page = PageEntrypoint.decorator


def language_of_request(request):
    """For a visitor not signed in: the `lang` cookie, else Hindi."""
    return domain.page_language(request.cookies.get("desk_lang"), None)


def figure(value):
    """A number as Indian offices write it, grouped in lakhs and crores (12,34,567; 1,234.5 is
    1,234.50); anything else as it is, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    whole, _, fraction = (f"{abs(value):.2f}" if isinstance(value, float) else str(abs(value))).partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        head, groups = head[:-2], [head[-2:], *groups]
    grouped = ",".join([g for g in [head, *groups] if g] + [tail])
    return ("-" if value < 0 else "") + grouped + (f".{fraction}" if fraction else "")


def in_language(columns, language):
    """A report's columns without the names in the other language (office_name_hi on an English page)."""
    other = "_name_hi" if language == "en" else "_name_en"
    return [c for c in columns if not c.endswith(other)]


def new_idempotency_key():
    """A key for each form as it is rendered (its `idempotency_key` field): the desk passes it on to
    the services it calls, so a form posted twice (a double click, a resubmission) is carried out once."""
    return uuid.uuid4().hex


_environment = Environment(
    loader=FileSystemLoader(os.path.join(HERE, "templates")),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.globals["static_url"] = static_url
_environment.filters["figure"] = figure
_environment.filters["in_language"] = in_language
_environment.filters["ist"] = domain.ist_time
_environment.filters["day"] = domain.indian_date
_environment.globals["new_idempotency_key"] = new_idempotency_key


def error_message(t, exc):
    """A service's or the desk's error in the page's language."""
    if exc is None:
        return t("error.unexpected")
    key = f"reason.{exc.reason}"
    if t.has(key):
        return t(key, **getattr(exc, "params", {}))
    return f"{t('error.service_said')} {exc.message}"


def render_image(template, **context):
    """An SVG image drawn from a template: words only, none of a page's context."""
    return _environment.get_template(template).render(**context)


def render_page(template, language, session, request, status=200, headers=None, **context):
    t = Translator(language)
    flash = None
    if request is not None:
        flash = request.cookies.get(FLASH_COOKIE)
    body = _environment.get_template(template).render(
        t=t, lang=language, user=session, request=request, csrf_token=session.csrf_token if session else "",
        flash=flash_message(t, flash), error_message=partial(error_message, t),
        person=partial(domain.person_name, language=language), **context,
    )
    response = Response(body, status=status, headers=headers, mimetype="text/html")
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def flash_message(t, value):
    """A message left for the next page (`key|param`), in the page's language."""
    if not value:
        return None
    key, _, param = value.partition("|")
    if not t.has(f"flash.{key}"):
        return None
    return t(f"flash.{key}", value=param)


class Pages(DependencyProvider):
    """Injects a renderer bound to the request's session: `pages.render(request, "inbox.html", ...)`."""

    def get_dependency(self, worker_ctx):
        data = worker_ctx.data.get("desk_session")
        session = SignedIn(**{**data, "roles": tuple(data["roles"])}) if data else None
        return Renderer(session)


class Renderer:
    def __init__(self, session):
        self.session = session

    @property
    def language(self):
        return self.session.language if self.session else "hi"

    @property
    def t(self):
        return Translator(self.language)

    def render(self, request, template, status=200, **context):
        language = self.session.language if self.session else language_of_request(request)
        return render_page(template, language, self.session, request, status=status, **context)

    def redirect(self, location, flash=None, value=""):
        """Post/redirect/get, with a message for the next page."""
        return self.flash(redirect(location, 303), flash, value)

    @staticmethod
    def flash(response, key, value=""):
        """Leave a message (a key of the catalogue's `flash.` words) for the next page shown."""
        if key:
            response.set_cookie(FLASH_COOKIE, f"{key}|{value}", max_age=60, httponly=True, samesite="Lax", path="/")
        return response
