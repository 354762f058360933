"""The desk's entrypoints: each page reads what it shows from the services as the signed-in user,
and each form is relayed to the service that owns the action; errors come back beside their fields."""
import base64
import mimetypes
import os
from datetime import datetime, timezone
from urllib.parse import quote

import eventlet
import requests
import yaml
from nameko.dependency_providers import Config
from prometheus_client import Counter
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.health import Readiness, is_ready
from eoffice_common.metrics import Instrumentation
from eoffice_common.rpc import RpcProxy
from eoffice_common.web import dumps

from . import domain, repository, schemas, security
from .clients import Services
from .events import apply_snapshot, record_acting_charge_effect, record_directory_effect, record_receipt_sent_effect
from .exceptions import (
    BadCredentials,
    OtherDistrictToConfirm,
    PageNotFound,
    ServiceFailure,
    ServiceUnavailable,
    SignInThrottled,
    UnknownAction,
)
from .i18n import Translator
from .models import Session as SessionRow
from .oidc import OidcClient
from .repository import DeskStore
from .throttle import SignInThrottle
from .usecases import FORMS, Desk, Json, Redirect, Upload, address_book, files, inbox, people, receipts, signing
from .web import FORM_COOKIE, SESSION_COOKIE, STATIC_DIR, Pages, page, render_image

SIGN_INS = Counter("eoffice_desk_sign_ins_total", "Sign-in attempts by outcome.", ["outcome"])
SIGN_INS_THROTTLED = Counter("eoffice_desk_sign_in_throttled", "Password sign-ins refused for too many attempts, "
                             "by what had too many: the account typed or the client address.", ["scope"])

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
SSO_COOKIE = "desk_sso"  # the state, nonce and PKCE verifier of a single sign-on under way
ADMIN_ACTIONS = ("head", "transfer", "revoke", "retry", "recompute", "acknowledgements")
NEW = "new"  # /admin/offices/new, /admin/users/new: the form to add one
DIRECTORY_ROLES = ("clerk", "officer", "admin", "district_head", "state_admin")  # state_admin last: a state admin's to give
CLEARANCES = ("normal", "confidential", "secret", "top_secret")
SECTION_FIELDS = {"code": "section_code", "name_en": "section_name_en", "name_hi": "section_name_hi"}
MIS_REPORTS = ("pendency", "section-pendency", "overdue", "pending-with-others", "vip-receipts", "disposal",
               "active-file-levels", "monthly", "receipts-by-category", "file-register", "dispatch", "electronic",
               "darpg-monthly", "active-users")
PAGED_REPORTS = ("file-register",)  # as JSON a page at a time; the CSV is whole
STREAM_CHUNK = 64 * 1024
with open(os.path.join(STATIC_DIR, "devanagari.woff"), "rb") as _font:
    DEVANAGARI_FONT = base64.b64encode(_font.read()).decode()
# Longer than notify's keep-alive interval: a quiet stream is not a dead one.
STREAM_READ_TIMEOUT = 90
# A sign-in form is a user id, a password, a CSRF token and where to go next: more is refused unread.
SIGN_IN_MAX_BYTES = 8 * 1024


def utcnow():
    return datetime.now(timezone.utc)


class DeskService:
    name = "desk"

    db = Database()
    pages = Pages()
    services = Services()
    dak_rpc = RpcProxy("dak")
    log = Instrumentation()
    config = Config()
    readiness = Readiness()

    @property
    def _desk(self):
        return Desk(self.services, DeskStore(self.db))

    @property
    def _me(self):
        return self.pages.session

    def _answer(self, request, answer):
        """What a use case answered, as the browser gets it."""
        if isinstance(answer, Redirect):
            return self.pages.redirect(answer.location, answer.flash, answer.value)
        if isinstance(answer, Json):
            return self.pages.flash(json_page(answer.payload, answer.status), answer.flash, answer.value)
        return self.pages.render(request, answer.template, status=answer.status, **answer.context)

    # --- health, description, assets --------------------------------------------------------

    @page("GET", "/health/live", signed_in=False)
    def live(self, request):
        return json_page({"status": "ok"})

    @page("GET", "/health/ready", signed_in=False)
    def ready(self, request):
        checks = self.readiness()
        return json_page(checks, 200 if is_ready(checks) else 503)

    @page("GET", "/openapi.json", signed_in=False)
    def openapi(self, request):
        with open(OPENAPI_PATH, encoding="utf-8") as handle:
            return json_page(yaml.safe_load(handle))

    @page("GET", "/static/<string:name>", signed_in=False)
    def static(self, request, name):
        path = os.path.join(STATIC_DIR, name)
        if "/" in name or name.startswith(".") or not os.path.isfile(path):
            raise PageNotFound(f"no asset {name}")
        with open(path, "rb") as handle:
            data = handle.read()
        content_type = {"woff": "font/woff", "js": "text/javascript", "css": "text/css"}.get(name.rsplit(".", 1)[-1])
        # Asset URLs carry their content's hash (?v=), so they may be kept for long.
        return Response(data, mimetype=content_type or mimetypes.guess_type(name)[0] or "application/octet-stream",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})

    # --- signing in and out ------------------------------------------------------------------

    @page("GET", "/", signed_in=False)
    def home(self, request):
        return self.pages.redirect("/inbox" if self.pages.session else "/sign-in")

    @page("GET", "/sign-in", signed_in=False)
    def sign_in_form(self, request):
        if self.pages.session:
            return self.pages.redirect(domain.safe_next(request.args.get("next")))
        return self._sign_in_page(request, {"next": request.args.get("next", "")})

    @page("POST", "/sign-in", signed_in=False, max_body=SIGN_IN_MAX_BYTES)
    def sign_in(self, request):
        form = request.form
        user_id = (form.get("user_id") or "").strip().lower()
        throttle = SignInThrottle(self.db, self.config)
        try:
            attempt = throttle.begin(request, user_id)
        except SignInThrottled as refused:
            SIGN_INS_THROTTLED.labels(refused.scope).inc()
            self.log.info("sign_in_throttled", user_id=user_id, scope=refused.scope, retry_after=refused.retry_after)
            response = self._sign_in_page(request, {"user_id": user_id, "next": form.get("next", "")}, refused, 429)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
        with self.db.unit_of_work() as uow:
            if repository.count_users(uow.session) == 0:
                apply_snapshot(uow.session, self.dak_rpc.directory_snapshot())
                uow.commit()
        with self.db.read() as session:
            user = repository.get_user(session, user_id) if user_id else None
            account = session.get(repository.Account, user_id) if user else None
        if not security.verify_password(account.password_hash if account else None, form.get("password") or ""):
            SIGN_INS.labels("refused").inc()
            self.log.info("sign_in_refused", user_id=user_id)
            return self._sign_in_page(request, {"user_id": user_id, "next": form.get("next", "")}, BadCredentials("wrong user id or password"), 401)
        throttle.succeeded(attempt)
        SIGN_INS.labels("signed_in").inc()
        return self._start_session(user, form.get("next"))

    @page("GET", "/sign-in/sso", signed_in=False)
    def sign_in_sso(self, request):
        """Off to the state single sign-on (OpenID Connect), which sends the browser back to the callback."""
        sso = OidcClient(self.config)
        if not sso.enabled:
            raise PageNotFound("single sign-on is not configured")
        location, kept = sso.start(domain.safe_next(request.args.get("next")))
        response = self.pages.redirect(location)
        response.set_cookie(SSO_COOKIE, security.sign(base64.urlsafe_b64encode(kept.encode()).decode(), self._session_secret()),
                            max_age=600, httponly=True, samesite="Lax", secure=self._secure_cookies(), path="/sign-in/sso")
        return response

    @page("GET", "/sign-in/sso/callback", signed_in=False)
    def sign_in_sso_callback(self, request):
        sso = OidcClient(self.config)
        if not sso.enabled:
            raise PageNotFound("single sign-on is not configured")
        kept = security.unsign(request.cookies.get(SSO_COOKIE), self._session_secret())
        try:
            user_id, next_path = sso.finish(base64.urlsafe_b64decode(kept).decode() if kept else "",
                                            request.args.get("state"), request.args.get("code"))
            with self.db.read() as session:
                user = repository.get_user(session, user_id)
            if user is None:
                raise BadCredentials(f"{user_id} is not in the directory", reason="sso_failed")
        except BadCredentials as refused:
            SIGN_INS.labels("refused").inc()
            self.log.info("sso_refused", reason=refused.message)
            return self._sign_in_page(request, {}, refused, 401)
        SIGN_INS.labels("signed_in_sso").inc()
        response = self._start_session(user, next_path)
        response.delete_cookie(SSO_COOKIE, path="/sign-in/sso")
        return response

    def _start_session(self, user, next_path):
        """A new session for `user`: its CSRF token, the cookie."""
        session_id, now = security.new_token(), utcnow()
        ttl = int(self.config.get("SESSION_TTL_SECONDS", 8 * 3600))
        times = domain.new_session_times(now, ttl)
        response = self.pages.redirect(domain.safe_next(next_path))
        with self.db.unit_of_work(actor=user.id) as uow:
            uow.session.add(SessionRow(
                id_hash=security.id_hash(session_id), user_id=user.id, csrf_token=security.new_token(),
                created_at=times.created_at, last_seen_at=times.last_seen_at, expires_at=times.expires_at,
            ))
            repository.end_expired_sessions(uow.session, now)
            uow.commit()
        response.set_cookie(
            SESSION_COOKIE, security.sign(session_id, self._session_secret()), max_age=ttl, httponly=True,
            samesite="Lax", secure=self._secure_cookies(), path="/",
        )
        response.delete_cookie(FORM_COOKIE, path="/")
        return response

    @page("POST", "/sign-out")
    def sign_out(self, request):
        with self.db.unit_of_work() as uow:
            repository.end_session(uow.session, self.pages.session.session_hash)
            uow.commit()
        response = self.pages.redirect("/sign-in", "signed_out")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @page("POST", "/language", signed_in=False)
    def choose_language(self, request):
        language = request.form.get("language")
        if language not in domain.LANGUAGES:
            raise UnknownAction(f"no language {language}")
        response = self.pages.redirect(domain.safe_next(request.form.get("next")))
        me = self.pages.session
        if me:
            with self.db.unit_of_work() as uow:
                account = repository.account_of(uow.session, me.user_id)
                account.language, account.updated_at = language, utcnow()
                uow.commit()
        else:
            response.set_cookie("desk_lang", language, max_age=365 * 86400, samesite="Lax", path="/")
        return response

    def _sign_in_page(self, request, values, error=None, status=200):
        token = security.unsign(request.cookies.get(FORM_COOKIE), self._session_secret())
        fresh = token is None
        token = token or security.new_token()
        response = self.pages.render(
            request, "sign_in.html", status=status, values=values, error=error, form_token=token,
            oidc=OidcClient(self.config).enabled,
        )
        if fresh:
            response.set_cookie(FORM_COOKIE, security.sign(token, self._session_secret()), max_age=3600, httponly=True,
                                samesite="Lax", secure=self._secure_cookies(), path="/")
        return response

    def _session_secret(self):
        return security.session_secret(self.config)

    def _secure_cookies(self):
        return str(self.config.get("SESSION_COOKIE_SECURE", "false")).lower() in ("1", "true", "yes")

    # --- the directory copy --------------------------------------------------------------------

    @consume_events({"dak": ("user_recorded",)})
    def on_user_recorded(self, payload):
        self.db.apply_once(payload, record_directory_effect)

    @consume_events({"dak": ("office_recorded",)})
    def on_office_recorded(self, payload):
        self.db.apply_once(payload, record_directory_effect)

    @consume_events({"dak": ("receipt_sent",)})
    def on_receipt_sent(self, payload):
        self.db.apply_once(payload, record_receipt_sent_effect)

    @consume_events({"dak": ("acting_charge_set", "acting_charge_ended")})
    def on_acting_charge(self, payload):
        self.db.apply_once(payload, record_acting_charge_effect)

    # --- inbox and lists -------------------------------------------------------------------------

    @page("GET", "/inbox")
    def inbox(self, request):
        return self._answer(request, inbox.inbox_page(inbox.ShowInbox(self._me), self._desk))

    @page("POST", "/inbox/receipts")
    def act_on_selected_receipts(self, request):
        return self._answer(request, inbox.act_on_selected_receipts(inbox.ActOnSelected(self._me, request.form), self._desk))

    @page("GET", "/receipts")
    def receipt_list(self, request):
        command = inbox.ShowList(self._me, request.args.get("box", "inbox"), _page_number(request))
        return self._answer(request, inbox.receipt_list(command, self._desk))

    @page("GET", "/files")
    def file_list(self, request):
        command = inbox.ShowList(self._me, request.args.get("box", "inbox"), _page_number(request))
        return self._answer(request, inbox.file_list(command, self._desk))

    @page("POST", "/files/selected")
    def send_selected_files(self, request):
        command = inbox.ActOnSelected(self._me, request.form, _page_number(request))
        return self._answer(request, inbox.send_selected_files(command, self._desk))

    # --- diarise and receipts --------------------------------------------------------------------

    @page("GET", "/diarise")
    def diarise_form(self, request):
        return self._answer(request, receipts.diarise_form(self._me, self._desk))

    @page("POST", "/diarise", upload=True)
    def diarise(self, request):
        command = receipts.Diarise(self._me, request.form, _uploads(request, "scans"), _wants_json(request))
        return self._answer(request, receipts.diarise(command, self._desk))

    @page("GET", "/diarise/bulk")
    def bulk_diarise_form(self, request):
        return self._answer(request, receipts.bulk_diarise_form(self._me, self._desk))

    @page("POST", "/diarise/bulk", upload=True)
    def bulk_diarise(self, request):
        scans = {row: _uploads(request, f"scans_{row}") for row in range(1, receipts.BULK_ROWS + 1)}
        return self._answer(request, receipts.diarise_many(receipts.DiariseMany(self._me, request.form, scans), self._desk))

    @page("GET", "/receipts/<string:receipt_id>")
    def receipt_view(self, request, receipt_id):
        command = receipts.ShowReceipt(self._me, receipt_id, request.args.get("dialog"), request.args.get("q", ""))
        return self._answer(request, receipts.receipt_page(command, self._desk))

    @page("POST", "/receipts/<string:receipt_id>/<string:action>")
    def receipt_action(self, request, receipt_id, action):
        command = receipts.ActOnReceipt(self._me, receipt_id, action, request.form)
        return self._answer(request, receipts.act_on_receipt(command, self._desk))

    @page("GET", "/receipts/<string:receipt_id>/scans/<int:position>")
    def receipt_scan(self, request, receipt_id, position):
        return self._document(request, "dak", f"/receipts/{receipt_id}/scans/{position}")

    # --- finding people (the Send dialog) --------------------------------------------------------

    @page("GET", "/people")
    def find_people(self, request):
        """Officers by name or designation, English or Hindi: JSON for the Send dialog's search."""
        return self._answer(request, people.find_people(people.FindPeople(self._me, request.args.get("q", "")), self._desk))

    # --- the office's address book ----------------------------------------------------------------

    @page("GET", "/address-book")
    def address_book(self, request):
        """The office's outside correspondents matching `q` (JSON, for the diarise and issue forms' suggestions)."""
        return self._answer(request, address_book.suggest_correspondents(request.args.get("q", ""), self._desk))

    @page("GET", "/correspondents")
    def correspondents(self, request):
        command = address_book.ShowAddressBook(self._me, request.args.get("q", ""), request.args.get("edit"))
        return self._answer(request, address_book.address_book_page(command, self._desk))

    @page("POST", "/correspondents")
    def add_correspondent(self, request):
        command = address_book.KeepCorrespondent(self._me, request.form, None, request.args.get("q", ""))
        return self._answer(request, address_book.keep_correspondent(command, self._desk))

    @page("POST", "/correspondents/<string:correspondent_id>")
    def edit_correspondent(self, request, correspondent_id):
        command = address_book.KeepCorrespondent(self._me, request.form, correspondent_id, request.args.get("q", ""))
        return self._answer(request, address_book.keep_correspondent(command, self._desk))

    def _correspondents(self):
        return address_book.correspondents(self._desk)

    # --- files -----------------------------------------------------------------------------------

    @page("GET", "/files/new")
    def new_file_form(self, request):
        return self._answer(request, files.new_file_form(self._me, self._desk))

    @page("POST", "/files/new")
    def create_file(self, request):
        return self._answer(request, files.create_file(files.CreateFile(self._me, request.form), self._desk))

    @page("GET", "/files/<string:file_id>")
    def file_view(self, request, file_id):
        args = request.args
        tab = args.get("tab", "noting")
        command = files.ShowFile(self._me, file_id, tab if tab in files.FILE_TABS else "noting", args.get("dialog"), args.get("item"),
                                 args.get("draft"), args.get("version"), bool(args.get("verify")), args.get("q", ""))
        return self._answer(request, files.file_page(command, self._desk))

    @page("POST", "/files/<string:file_id>/<string:action>", upload=True)
    def file_action(self, request, file_id, action):
        command = files.ActOnFile(self._me, file_id, action, request.form, _uploads(request, "documents"))
        return self._answer(request, files.act_on_file(command, self._desk))

    @page("GET", "/files/<string:file_id>/correspondence/<string:item_id>/documents/<int:position>")
    def file_document(self, request, file_id, item_id, position):
        return self._document(request, "files", f"/files/{file_id}/correspondence/{item_id}/documents/{position}")

    # --- signatures --------------------------------------------------------------------------------

    @page("POST", "/signers/<string:kind>/<string:document_id>")
    def set_signing_order(self, request, kind, document_id):
        command = signing.SignDocument(self._me, kind, document_id, request.form.get("file_id", ""), request.form)
        return self._answer(request, signing.set_signing_order(command, self._desk))

    @page("POST", "/sign/<string:kind>/<string:document_id>")
    def sign(self, request, kind, document_id):
        command = signing.SignDocument(self._me, kind, document_id, request.form.get("file_id", ""), request.form)
        return self._answer(request, signing.sign(command, self._desk))

    @page("GET", "/certificates")
    def certificates(self, request):
        return self._answer(request, signing.certificates_page(self._me, self._desk))

    @page("POST", "/certificates")
    def register_certificate(self, request):
        return self._answer(request, signing.register_certificate(signing.RegisterCertificate(self._me, request.form), self._desk))

    @page("GET", "/signatures/<string:signature_id>")
    def signature_view(self, request, signature_id):
        return self._answer(request, signing.signature_page(signature_id, self._desk))

    @page("GET", "/documents/<string:kind>/<string:document_id>/pdf")
    def signed_pdf(self, request, kind, document_id):
        if kind not in ("note", "draft"):
            raise PageNotFound(f"no document kind {kind}")
        return self._document(request, "signing", f"/documents/{kind}/{document_id}/pdf")

    @page("GET", "/verify")
    def verify_form(self, request):
        return self.pages.render(request, "verify.html", result=None)

    @page("POST", "/verify", upload=True)
    def verify(self, request):
        upload = request.files.get("file")
        command = signing.VerifyPdf(self._me, Upload(upload.filename, upload.stream, upload.mimetype) if upload and upload.filename else None)
        return self._answer(request, signing.verify_pdf(command, self._desk))

    # --- search, MIS reports, scoreboard ------------------------------------------------------------

    @page("GET", "/search")
    def search(self, request):
        """Advanced search: files (files service), receipts (dak's lists, filtered) and the words inside
        every document (search service) in one page."""
        args = request.args
        what = args.get("what", "files")
        results, failure = None, None
        if args.get("go"):
            if what == "text":
                params = {k: args.get(k) for k in ("q", "type", "number", "date_from", "date_to", "classification", "page")
                          if args.get(k)}
                results, failure = self._try(self.services.get, "search", "/search", params=params)
            elif what == "receipts":
                params = {k: args.get(k) for k in ("q", "number", "letter_number", "sender", "category", "date_from", "date_to",
                                                   "classification") if args.get(k)}
                params.update({"box": args.get("box") or "office", "per_page": 50})
                results, failure = self._try(self.services.get, "dak", "/receipts", params=params)
            else:
                params = {k: args.get(k) for k in ("number", "computer_number", "q", "category", "year", "date_from",
                                                   "date_to", "classification", "scope") if args.get(k)}
                params["per_page"] = 50
                results, failure = self._try(self.services.get, "files", "/files/search", params=params)
        return self.pages.render(request, "search.html", what=what, values=args, results=results, failure=failure,
                                 errors=self._form_errors(failure) if failure and failure.status == 422 else {})

    # --- the admin area (admins only; each service keeps an admin to their own office) ---------------

    @page("GET", "/admin")
    def admin(self, request):
        return self._admin_page(request)

    @page("POST", "/admin/<string:action>")
    def admin_action(self, request, action):
        self._require_admin()
        if action not in ADMIN_ACTIONS:
            raise UnknownAction(f"no admin action {action}")
        form = request.form
        try:
            value = self._act_as_admin(action, form)
        except ServiceFailure as failure:
            if failure.status >= 500:
                raise
            FORMS.labels(f"admin_{action}", "refused").inc()
            return self._admin_page(request, dialog=action, failure=failure, values=form, status=_form_status(failure))
        FORMS.labels(f"admin_{action}", "done").inc()
        return self.pages.redirect(f"/admin#{action}", f"admin_{action}", value or "")

    def _act_as_admin(self, action, form):
        """Relay one admin form to the service that owns it; returns a word for the message shown."""
        text = {name: (form.get(name) or "").strip() for name in form}
        if action == "head":
            fields = ("main_code", "main_name_en", "main_name_hi", "sub_code", "sub_name_en", "sub_name_hi", "section_label", "department_label")
            return self.services.post("files", "/heads", json={f: text.get(f, "") for f in fields})["code"]
        if action == "transfer":
            body = {"from_user": text.get("from_user", ""), "to_user": text.get("to_user", ""), "remarks": text.get("remarks") or None}
            self.services.post("files", "/transfers", json={k: v for k, v in body.items() if v is not None})
            return body["to_user"]
        if action == "acknowledgements":
            if text.get("enabled") not in ("on", "off"):
                raise ServiceFailure("desk", 422, "invalid_input", "choose on or off", {"enabled": "Field required"})
            self.services.json("dak", "PUT", "/acknowledgements/setting", json={"enabled": text["enabled"] == "on"})
            return None
        if action == "revoke":
            certificate = text.get("certificate_id", "")
            self.services.post("signing", f"/certificates/{quote(certificate, safe='')}/revoke", json={"reason": text.get("reason", "")})
            return certificate
        if action == "retry":
            letter = text.get("letter_id", "")
            if not letter.isdigit():
                raise ServiceFailure("desk", 422, "invalid_input", "choose a dead letter", {"letter_id": "Input should be a valid integer"})
            self.services.post("notify", f"/dead-letters/{letter}/retry")
            return letter
        week = text.get("week", "")
        answer = self.services.post("metrics", f"/weeks/{quote(week, safe='')}/recompute")
        return f"{week} ({answer.get('offices', 0)})"

    def _require_admin(self):
        if not self.pages.session.has_role("admin"):
            raise PageNotFound("the admin area is for admins")

    def _admin_page(self, request, dialog=None, failure=None, values=None, status=200):
        self._require_admin()
        me = self.pages.session
        pile = eventlet.GreenPile(5)
        pile.spawn(self._try, self.services.get, "files", "/heads")
        pile.spawn(self._try, self.services.get, "notify", "/dead-letters", params={"per_page": 50})
        pile.spawn(self._try, self.services.get, "dak", "/directory/users", params={"office": me.office, "limit": 200})
        pile.spawn(self._try, self.services.get, "signing", "/office/certificates")
        pile.spawn(self._try, self.services.get, "dak", "/acknowledgements/setting")
        (heads, _), (dead_letters, _), (users, _), (certificates, _), (acknowledgements, _) = list(pile)
        return self.pages.render(
            request, "admin.html", status=status, dialog=dialog, failure=failure, values=values or MultiDict(),
            errors=self._form_errors(failure) if failure else {}, heads=(heads or {}).get("heads"),
            dead_letters=(dead_letters or {}).get("dead_letters"), users=(users or {}).get("users"),
            certificates=(certificates or {}).get("certificates"), this_week=domain.iso_week(domain.today_ist()),
            acknowledgements=acknowledgements,
        )

    # --- the directory, kept by an admin of the district (dak publishes every change) ----------------

    @page("GET", "/admin/directory")
    def admin_directory(self, request):
        self._require_admin()
        office = request.args.get("office") or None
        kept, failure = self._try(self.services.get, "dak", "/directory/admin", params={"office": office} if office else None)
        return self.pages.render(request, "admin_directory.html", kept=kept, failure=failure, office=office)

    @page("GET", "/admin/offices/<string:code>")
    def admin_office_form(self, request, code):
        return self._admin_office_page(request, code)

    @page("POST", "/admin/offices/<string:code>")
    def admin_record_office(self, request, code):
        form = request.form

        def write():
            office = _directory_key(form, "code") if code == NEW else code
            body = {name: (form.get(name) or "").strip() for name in ("name_en", "name_hi", "district", "department")}
            self.services.put("dak", f"/directory/offices/{quote(office, safe='')}", json=body)
            return f"/admin/offices/{quote(office, safe='')}", office
        return self._admin_write("admin_office", write, lambda failure: self._admin_office_page(request, code, "office", failure, form))

    @page("POST", "/admin/offices/<string:code>/sections")
    def admin_record_section(self, request, code):
        form = request.form

        def write():
            section = _directory_key(form, "section_code")
            body = {"office": code, "name_en": (form.get("section_name_en") or "").strip(),
                    "name_hi": (form.get("section_name_hi") or "").strip()}
            try:
                self.services.put("dak", f"/directory/sections/{quote(section, safe='')}", json=body)
            except ServiceFailure as failure:  # the form names the section's fields apart from the office's
                failure.fields = {SECTION_FIELDS.get(name, name): reason for name, reason in failure.fields.items()}
                raise
            return f"/admin/offices/{quote(code, safe='')}#sections", section
        return self._admin_write("admin_section", write, lambda failure: self._admin_office_page(request, code, "section", failure, form))

    @page("GET", "/admin/users/<string:user_id>")
    def admin_user_form(self, request, user_id):
        return self._admin_user_page(request, user_id)

    @page("POST", "/admin/users/<string:user_id>")
    def admin_record_user(self, request, user_id):
        form = request.form

        def write():
            person = _directory_key(form, "user_id") if user_id == NEW else user_id
            body = domain.directory_user_body(form)
            self.services.put("dak", f"/directory/users/{quote(person, safe='')}", json=body)
            return f"/admin/directory?office={quote(body['office'], safe='')}", person
        return self._admin_write("admin_user", write, lambda failure: self._admin_user_page(request, user_id, failure, form))

    @page("POST", "/admin/users/<string:user_id>/deactivate")
    def admin_deactivate_user(self, request, user_id):
        def write():
            self.services.post("dak", f"/directory/users/{quote(user_id, safe='')}/deactivate")
            return f"/admin/directory?office={quote(request.form.get('office') or '', safe='')}", user_id
        def page_again(failure):
            failure.fields = {}  # the reason is the user's as a whole, not a field's of the form shown
            return self._admin_user_page(request, user_id, failure)
        return self._admin_write("admin_deactivate", write, page_again)

    def _admin_write(self, form_name, write, page_again):
        """Relay one directory form to dak: `write()` answers (where to go on, what was written), or the
        form comes again through `page_again(failure)` with the reasons beside their fields."""
        self._require_admin()
        try:
            done_at, written = write()
        except ServiceFailure as failure:
            if failure.status >= 500:
                raise
            FORMS.labels(form_name, "refused").inc()
            return page_again(failure)
        FORMS.labels(form_name, "done").inc()
        return self.pages.redirect(done_at, form_name, written)

    def _admin_office_page(self, request, code, dialog=None, failure=None, form=None):
        self._require_admin()
        kept, unavailable = self._try(self.services.get, "dak", "/directory/admin")
        offices = (kept or {}).get("offices") or []
        office = next((o for o in offices if o["code"] == code), None)
        if office is None and code != NEW and kept is not None:
            raise failure or PageNotFound(f"office {code} is not one you keep")
        values = MultiDict(form) if form is not None and dialog == "office" else MultiDict(office or {})
        return self.pages.render(
            request, "admin_office.html", status=_form_status(failure) if failure else 200, kept=kept, unavailable=unavailable,
            office=office, code=code, values=values, section_values=form if dialog == "section" else MultiDict(),
            dialog=dialog, failure=failure, errors=self._form_errors(failure) if failure else {},
            districts=domain.choices(offices, "district", kept and kept.get("district")),
            departments=domain.choices(offices, "department"),
        )

    def _admin_user_page(self, request, user_id, failure=None, form=None):
        self._require_admin()
        kept, unavailable = self._try(self.services.get, "dak", "/directory/admin")
        user = next((u for u in (kept or {}).get("users") or [] if u["id"] == user_id), None)
        if user is None and user_id != NEW and kept is not None:
            raise failure or PageNotFound(f"user {user_id} is not one you keep")
        values = MultiDict(form) if form is not None else domain.directory_user_values(user)
        return self.pages.render(
            request, "admin_user.html", status=_form_status(failure) if failure else 200, kept=kept, unavailable=unavailable,
            person_kept=user, user_id=user_id, values=values, failure=failure, errors=self._form_errors(failure) if failure else {},
            roles=DIRECTORY_ROLES if (kept or {}).get("state_admin") else DIRECTORY_ROLES[:-1], clearances=CLEARANCES,
        )

    @page("GET", "/reports")
    def reports(self, request):
        """A MIS report of the scope chosen among the caller's (their jurisdiction), with its charts."""
        name = request.args.get("report", "pendency")
        if name not in MIS_REPORTS:
            raise PageNotFound(f"no report {name}")
        pile = eventlet.GreenPile(2)
        pile.spawn(self._try, self.services.get, "metrics", "/mis/scopes")
        pile.spawn(self._try, self.services.get, "metrics", f"/mis/{name}", params=_report_params(name, request.args, paged=name in PAGED_REPORTS))
        (jurisdiction, _), (report, failure) = list(pile)
        scopes = (jurisdiction or {}).get("scopes", [])
        return self.pages.render(
            request, "reports.html", name=name, reports=MIS_REPORTS, report=report, failure=failure,
            values=request.args, errors=self._form_errors(failure) if failure and failure.status == 422 else {},
            scopes=scopes, scope=request.args.get("scope", ""),
            pendency_chart=domain.pendency_chart(report) if report else None,
            monthly_chart=domain.monthly_chart(report) if report else None,
            dispatch_chart=domain.dispatch_chart(report) if report else None,
        )

    @page("GET", "/reports/<string:name>.csv")
    def report_csv(self, request, name):
        if name not in MIS_REPORTS:
            raise PageNotFound(f"no report {name}")
        return self._relay("metrics", f"/mis/{name}", params={**_report_params(name, request.args), "format": "csv"})

    @page("GET", "/scoreboard")
    def scoreboard(self, request):
        """The week's ranking with bars, one unit's score over the weeks and how its score is made."""
        level = request.args.get("level", "district")
        if level not in ("district", "department", "office"):
            raise PageNotFound(f"no level {level}")
        params = {"level": level, **({"week": request.args["week"]} if request.args.get("week") else {})}
        board, failure = self._try(self.services.get, "metrics", "/scoreboard", params=params)
        units = (board or {}).get("units", [])
        unit = request.args.get("unit") or (units[0]["unit"] if units else None)
        detail = explained = None
        if unit:
            week = {"week": board["week"]} if board else {}
            pile = eventlet.GreenPile(2)
            pile.spawn(self._try, self.services.get, "metrics", f"/scoreboard/{level}/{unit}", params=week)
            pile.spawn(self._try, self.services.get, "metrics", f"/scoreboard/{level}/{unit}/explain", params=week)
            (detail, _), (explained, _) = list(pile)
        return self.pages.render(
            request, "scoreboard.html", level=level, board=board, failure=failure, unit=unit, detail=detail,
            explained=explained,
            history_chart=domain.line_chart(sorted((h["week"], h["score"]) for h in (detail or {}).get("history", []))),
            rank_chart=domain.rank_chart(sorted((h["week"], h["rank"]) for h in (detail or {}).get("history", []))),
        )

    # --- notifications ---------------------------------------------------------------------------

    @page("GET", "/notifications")
    def notifications(self, request):
        page_number = _page_number(request)
        listing = self.services.get("notify", "/notifications", params={"page": page_number, "per_page": 30})
        return self.pages.render(request, "notifications.html", listing=listing, page_number=page_number,
                                 pages=_page_count(listing), unread=listing["unread"], box="")

    @page("GET", "/notifications/unread-count")
    def unread_count(self, request):
        return json_page({"unread": self.services.get("notify", "/notifications/unread-count")["unread"]})

    @page("POST", "/notifications/read")
    def mark_read(self, request):
        notification_id = request.form.get("id")
        if notification_id:
            note = self.services.post("notify", f"/notifications/{notification_id}/read")
            item = note.get("item") or {}
            if item.get("type") in ("file", "receipt"):
                return self.pages.redirect(f"/{item['type']}s/{item['id']}")
        else:
            self.services.post("notify", "/notifications/read-all")
        return self.pages.redirect("/notifications")

    @page("GET", "/notifications/stream")
    def notification_stream(self, request):
        """notify's server-sent events, relayed from this origin with the session's token."""
        headers = {"Accept": "text/event-stream"}
        if request.headers.get("Last-Event-ID"):
            headers["Last-Event-ID"] = request.headers["Last-Event-ID"]
        upstream = self.services.request("notify", "GET", "/notifications/stream", stream=True, headers=headers,
                                         timeout=(5, STREAM_READ_TIMEOUT))
        # eventlet's server otherwise holds back writes smaller than 4 KiB
        request.environ["eventlet.minimum_write_chunk_size"] = 0

        def events():
            try:
                for chunk in upstream.iter_content(chunk_size=None):
                    yield chunk
            except requests.RequestException:
                return  # notify went away: the browser's EventSource reconnects
            finally:
                upstream.close()

        return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @page("GET", "/notifications/preferences")
    def preferences_form(self, request):
        preferences = self.services.get("notify", "/preferences")
        return self.pages.render(request, "preferences.html", preferences=preferences, kinds=schemas.NOTIFICATION_KINDS, errors={})

    @page("POST", "/notifications/preferences")
    def save_preferences(self, request):
        body = schemas.preferences_request(request.form, schemas.NOTIFICATION_KINDS)
        try:
            self.services.json("notify", "PUT", "/preferences", json=body)
        except ServiceFailure as failure:
            if failure.status != 422:
                raise
            typed = schemas.preferences_as_typed(request.form, schemas.NOTIFICATION_KINDS)
            return self.pages.render(request, "preferences.html", status=422, preferences=typed, kinds=schemas.NOTIFICATION_KINDS,
                                     errors=self._form_errors(failure, {"quiet_hours_start": "quiet_start", "quiet_hours_end": "quiet_end"}), failure=failure)
        return self.pages.redirect("/notifications/preferences", "preferences_saved")

    # --- letters: dispatch register, leave -------------------------------------------------------

    @page("GET", "/dispatch-register")
    def dispatch_register(self, request):
        """Every addressee of the office's issued letters, filtered; printable as the dispatch list."""
        params = {k: v for k in ("date_from", "date_to", "dispatch_mode", "status") if (v := request.args.get(k))}
        register = self.services.get("files", "/dispatch-register", params={**params, "per_page": 200})
        return self.pages.render(request, "dispatch_register.html", register=register, nav="dispatch_register")

    @page("GET", "/leave")
    def leave(self, request):
        return self._leave_page(request)

    @page("POST", "/leave")
    def set_leave(self, request):
        form = request.form
        body = {k: v for k in ("absent_user", "acting_user", "from_date", "to_date", "reason") if (v := (form.get(k) or "").strip())}
        if form.get("hand_over"):
            body["hand_over"] = True
        try:
            self.services.post("dak", "/acting-charges", json=body)
        except ServiceFailure as failure:
            if failure.status not in (403, 409, 422):
                raise
            FORMS.labels("leave", "refused").inc()
            return self._leave_page(request, failure=failure, values=form, status=_form_status(failure))
        FORMS.labels("leave", "done").inc()
        return self.pages.redirect("/leave", "leave_set")

    @page("POST", "/leave/<string:charge_id>/end")
    def end_leave(self, request, charge_id):
        self.services.post("dak", f"/acting-charges/{charge_id}/end")
        return self.pages.redirect("/leave", "leave_ended")

    def _leave_page(self, request, failure=None, values=None, status=200):
        charges = self.services.get("dak", "/acting-charges")["charges"]
        return self.pages.render(request, "leave.html", status=status, charges=charges, failure=failure, values=values or MultiDict(),
                                 errors=self._form_errors(failure) if failure else {}, nav="leave")

    # --- helpers ---------------------------------------------------------------------------------

    def _people(self, session, user_ids):
        """Names and designations of users from the directory copy, as dicts."""
        ids = {u for u in user_ids if u}
        if not ids:
            return {}
        rows = session.execute(repository.select(repository.User).where(repository.User.id.in_(ids))).scalars()
        return {u.id: {"id": u.id, "name_en": u.name_en, "name_hi": u.name_hi, "designation_en": u.designation_en,
                       "designation_hi": u.designation_hi} for u in rows}

    def _try(self, call, *args, **kwargs):
        """(answer, None), or (None, the failure) when a service is away: a page shows what it has."""
        try:
            return call(*args, **kwargs), None
        except (ServiceFailure, ServiceUnavailable) as failure:
            return None, failure

    def _unread(self):
        try:
            return self.services.get("notify", "/notifications/unread-count", timeout=2)["unread"]
        except (ServiceFailure, ServiceUnavailable):
            return None

    def _form_errors(self, failure, aliases=None):
        if isinstance(failure, OtherDistrictToConfirm):  # a question for the sender, not a field's error
            return {}
        errors = domain.field_errors(failure.fields, failure.message, aliases)
        if not errors and failure.status == 422:
            errors[""] = domain.FieldError(domain.reason_key(failure.message), failure.message)
        return errors

    def _document(self, request, service, path):
        """A scan or PDF relayed from its service; one the service cannot find is shown as missing, in
        both languages: as an image where an <img> asked for it, else as a page for the viewer's frame."""
        try:
            return self._relay(service, path)
        except ServiceFailure as failure:
            if failure.status != 404:
                raise
        languages = [Translator(self.pages.language), Translator("en" if self.pages.language == "hi" else "hi")]
        if request.accept_mimetypes.best_match(["text/html", "image/svg+xml"]) == "image/svg+xml":
            image = render_image("document_missing.svg", languages=languages, font=DEVANAGARI_FONT)
            return Response(image, status=404, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
        return self.pages.render(request, "document_missing.html", status=404, languages=languages)

    def _relay(self, service, path, params=None):
        """A document from a service, streamed to the browser from this origin."""
        upstream = self.services.request(service, "GET", path, stream=True, params=params)
        headers = {"Cache-Control": "private, max-age=300"}
        if "Content-Disposition" in upstream.headers:
            headers["Content-Disposition"] = upstream.headers["Content-Disposition"]
        if "Content-Length" in upstream.headers:
            headers["Content-Length"] = upstream.headers["Content-Length"]

        def body():
            try:
                yield from upstream.iter_content(STREAM_CHUNK)
            finally:
                upstream.close()

        return Response(body(), status=200, mimetype=upstream.headers.get("Content-Type", "application/octet-stream"),
                        headers=headers)


def _uploads(request, name):
    return tuple(Upload(f.filename, f.stream, f.mimetype) for f in request.files.getlist(name) if f.filename)


def json_page(payload, status=200):
    return Response(dumps(payload), status=status, mimetype="application/json")


def _wants_json(request):
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


def _directory_key(form, field):
    """A directory key (code, user id) typed into a form: refused beside its field when empty."""
    key = (form.get(field) or "").strip()
    if not key:
        raise ServiceFailure("desk", 422, "invalid_input", f"{field} is required", {field: "Field required"})
    return key


def _form_status(failure):
    return failure.status if 400 <= failure.status < 500 else 502


def _report_params(name, args, paged=False):
    """What a report page passes on to metrics: the period, the chosen scope, what the dispatch report's
    rows are per, and (for a register read a page at a time) the page."""
    params = {k: args.get(k) for k in ("from", "to") if args.get(k)}
    if name == "dispatch" and args.get("by") in domain.DISPATCH_UNITS:
        params["by"] = args.get("by")
    if paged and args.get("page"):
        params["page"] = args.get("page")
    return {**params, **domain.report_scope(args.get("scope"))}


def _page_number(request):
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _page_count(listing):
    return max(1, -(-listing["total"] // listing["per_page"]))
