"""The desk's entrypoints: each page reads what it shows from the services as the signed-in user,
and each form is relayed to the service that owns the action; errors come back beside their fields."""
import base64
import mimetypes
import os
from datetime import datetime, timezone

import yaml
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.health import Readiness, is_ready
from eoffice_common.metrics import Instrumentation
from eoffice_common.rpc import RpcProxy
from eoffice_common.web import dumps

from . import domain, relays, security
from .clients import Services
from .exceptions import (
    BadCredentials,
    PageNotFound,
    SignInThrottled,
)
from .oidc import OidcClient
from .repository import DeskStore
from .throttle import SignInThrottle
from .usecases import (
    Desk,
    Json,
    Redirect,
    Upload,
    address_book,
    admin,
    copies,
    files,
    inbox,
    notifications,
    people,
    receipts,
    reports,
    session,
    signing,
)
from .web import FORM_COOKIE, SESSION_COOKIE, STATIC_DIR, Pages, page

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
SSO_COOKIE = "desk_sso"  # the state, nonce and PKCE verifier of a single sign-on under way
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
        command = session.SignIn(form.get("user_id"), form.get("password") or "", request.remote_addr,
                                 request.headers.get("X-Forwarded-For"))
        user = session.sign_in(command, DeskStore(self.db), SignInThrottle(self.db, self.config), self.dak_rpc.directory_snapshot)
        if isinstance(user, session.Refused):
            user_id, refused = session.typed_user_id(command.user_id), user.error
            response = self._sign_in_page(request, {"user_id": user_id, "next": form.get("next", "")}, refused, user.status)
            if isinstance(refused, SignInThrottled):
                self.log.info("sign_in_throttled", user_id=user_id, scope=refused.scope, retry_after=refused.retry_after)
                response.headers["Retry-After"] = str(refused.retry_after)
            else:
                self.log.info("sign_in_refused", user_id=user_id)
            return response
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
        except BadCredentials as refused:
            user = session.sso_refused(refused)
        else:
            user = session.sign_in_by_sso(user_id, DeskStore(self.db))
        if isinstance(user, session.Refused):
            self.log.info("sso_refused", reason=user.error.message)
            return self._sign_in_page(request, {}, user.error, user.status)
        response = self._start_session(user, next_path)
        response.delete_cookie(SSO_COOKIE, path="/sign-in/sso")
        return response

    def _start_session(self, user, next_path):
        """A new session for `user`: its CSRF token, the cookie."""
        ttl = int(self.config.get("SESSION_TTL_SECONDS", 8 * 3600))
        started = session.start_session(user, DeskStore(self.db), utcnow(), ttl)
        response = self.pages.redirect(domain.safe_next(next_path))
        response.set_cookie(
            SESSION_COOKIE, security.sign(started.session_id, self._session_secret()), max_age=ttl, httponly=True,
            samesite="Lax", secure=self._secure_cookies(), path="/",
        )
        response.delete_cookie(FORM_COOKIE, path="/")
        return response

    @page("POST", "/sign-out")
    def sign_out(self, request):
        session.sign_out(self._me, DeskStore(self.db))
        response = self.pages.redirect("/sign-in", "signed_out")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @page("POST", "/language", signed_in=False)
    def choose_language(self, request):
        language = session.choose_language(self._me, request.form.get("language"), DeskStore(self.db), utcnow())
        response = self.pages.redirect(domain.safe_next(request.form.get("next")))
        if not self._me:
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
        self.db.apply_once(payload, copies.record_directory_effect)

    @consume_events({"dak": ("office_recorded",)})
    def on_office_recorded(self, payload):
        self.db.apply_once(payload, copies.record_directory_effect)

    @consume_events({"dak": ("receipt_sent",)})
    def on_receipt_sent(self, payload):
        self.db.apply_once(payload, copies.record_receipt_sent_effect)

    @consume_events({"dak": ("acting_charge_set", "acting_charge_ended")})
    def on_acting_charge(self, payload):
        self.db.apply_once(payload, copies.record_acting_charge_effect)

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
        return relays.document(self.services, self.pages, request, "dak", f"/receipts/{receipt_id}/scans/{position}")

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
        return relays.document(self.services, self.pages, request, "files", f"/files/{file_id}/correspondence/{item_id}/documents/{position}")

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
        return relays.document(self.services, self.pages, request, "signing", f"/documents/{kind}/{document_id}/pdf")

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
        return self._answer(request, reports.search(reports.Lookup(self._me, request.args), self._desk))

    # --- the admin area (admins only) and the directory an admin of the district keeps in dak ---------

    @page("GET", "/admin")
    def admin(self, request):
        return self._answer(request, admin.admin_page(self._me, self._desk))

    @page("POST", "/admin/<string:action>")
    def admin_action(self, request, action):
        return self._answer(request, admin.act_as_admin(admin.AdminForm(self._me, action, request.form), self._desk))

    @page("GET", "/admin/directory")
    def admin_directory(self, request):
        return self._answer(request, admin.directory_page(self._me, request.args.get("office") or None, self._desk))

    @page("GET", "/admin/offices/<string:code>")
    def admin_office_form(self, request, code):
        return self._answer(request, admin.office_page(admin.ShowDirectoryEntry(self._me, code), self._desk))

    @page("POST", "/admin/offices/<string:code>")
    def admin_record_office(self, request, code):
        return self._answer(request, admin.record_office(admin.RecordDirectoryEntry(self._me, code, request.form), self._desk))

    @page("POST", "/admin/offices/<string:code>/sections")
    def admin_record_section(self, request, code):
        return self._answer(request, admin.record_section(admin.RecordDirectoryEntry(self._me, code, request.form), self._desk))

    @page("GET", "/admin/users/<string:user_id>")
    def admin_user_form(self, request, user_id):
        return self._answer(request, admin.user_page(admin.ShowDirectoryEntry(self._me, user_id), self._desk))

    @page("POST", "/admin/users/<string:user_id>")
    def admin_record_user(self, request, user_id):
        return self._answer(request, admin.record_user(admin.RecordDirectoryEntry(self._me, user_id, request.form), self._desk))

    @page("POST", "/admin/users/<string:user_id>/deactivate")
    def admin_deactivate_user(self, request, user_id):
        return self._answer(request, admin.deactivate_user(admin.RecordDirectoryEntry(self._me, user_id, request.form), self._desk))

    # --- MIS reports, scoreboard ---------------------------------------------------------------------

    @page("GET", "/reports")
    def reports(self, request):
        return self._answer(request, reports.report(reports.Lookup(self._me, request.args), self._desk))

    @page("GET", "/reports/<string:name>.csv")
    def report_csv(self, request, name):
        reports.known_report(name)
        return relays.relay(self.services, "metrics", f"/mis/{name}", params={**reports.report_params(name, request.args), "format": "csv"})

    @page("GET", "/scoreboard")
    def scoreboard(self, request):
        return self._answer(request, reports.scoreboard(reports.Lookup(self._me, request.args), self._desk))

    @page("GET", "/dispatch-register")
    def dispatch_register(self, request):
        return self._answer(request, reports.dispatch_register(reports.Lookup(self._me, request.args), self._desk))

    # --- notifications, leave ----------------------------------------------------------------------

    @page("GET", "/notifications")
    def notifications(self, request):
        command = notifications.ShowNotifications(self._me, _page_number(request))
        return self._answer(request, notifications.notifications_page(command, self._desk))

    @page("GET", "/notifications/unread-count")
    def unread_count(self, request):
        return self._answer(request, notifications.unread_count(self._me, self._desk))

    @page("POST", "/notifications/read")
    def mark_read(self, request):
        return self._answer(request, notifications.mark_read(notifications.MarkRead(self._me, request.form.get("id")), self._desk))

    @page("GET", "/notifications/stream")
    def notification_stream(self, request):
        return relays.event_stream(self.services, request)

    @page("GET", "/notifications/preferences")
    def preferences_form(self, request):
        return self._answer(request, notifications.preferences_page(self._me, self._desk))

    @page("POST", "/notifications/preferences")
    def save_preferences(self, request):
        return self._answer(request, notifications.save_preferences(notifications.PostedForm(self._me, request.form), self._desk))

    @page("GET", "/leave")
    def leave(self, request):
        return self._answer(request, notifications.leave_page(self._me, self._desk))

    @page("POST", "/leave")
    def set_leave(self, request):
        return self._answer(request, notifications.set_leave(notifications.PostedForm(self._me, request.form), self._desk))

    @page("POST", "/leave/<string:charge_id>/end")
    def end_leave(self, request, charge_id):
        return self._answer(request, notifications.end_leave(self._me, charge_id, self._desk))


def _uploads(request, name):
    return tuple(Upload(f.filename, f.stream, f.mimetype) for f in request.files.getlist(name) if f.filename)


def json_page(payload, status=200):
    return Response(dumps(payload), status=status, mimetype="application/json")


def _wants_json(request):
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


def _page_number(request):
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


