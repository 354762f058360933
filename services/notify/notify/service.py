"""The notify service's entrypoints: consume dak, files and signing events; serve the inbox, its
stream, preferences and the dead letters of email and SMS."""
import json
import os

from nameko.dependency_providers import Config
from nameko.timer import timer
from werkzeug.wrappers import Response

# The mixin is reached through its module: `nameko run` takes every class with entrypoints
# in this module's namespace for a service.
from eoffice_common import web
from eoffice_common.consumer import consume_batches, consume_events
from eoffice_common.db import Database
from eoffice_common.errors import NotFound
from eoffice_common.metrics import Instrumentation
from eoffice_common.storage import DocumentStore, open_documents
from eoffice_common.web import Caller, http, parse_json, query_args, require_caller

from . import acting_usecases, domain, intake, letter_usecases, repository, schemas
from .channels import DeliveryError, NotConfigured
from .courier import Courier
from .exceptions import AdminOnly, AlreadyRetried, DeadLetterNotFound, NotificationNotFound
from .metrics import STREAMS_OPEN
from .web import stream_route

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
STREAM_BATCH = 100


def sse_event(row):
    data = json.dumps(schemas.notification_out(row), ensure_ascii=False, default=lambda v: v.isoformat())
    return f"id: {row.seq}\nevent: notification\ndata: {data}\n\n"


class LetterDocuments(DocumentStore):
    """The signed PDFs of issued letters (read only), where S3_ENDPOINT_URL or DOCUMENTS_DIR says; a
    deployment with neither sends no letters by email (each is bounced as undeliverable)."""

    def setup(self):
        config = self.container.config
        self.documents = open_documents(config, self.prefix) if config.get("S3_ENDPOINT_URL") or config.get("DOCUMENTS_DIR") else None


class NotifyService(web.DescribedService):
    name = "notify"
    openapi_path = OPENAPI_PATH

    db = Database()
    courier = Courier()
    letter_documents = LetterDocuments("notify/letters")
    caller = Caller()
    log = Instrumentation()
    config = Config()

    # --- health and description -------------------------------------------------------------


    # --- the inbox ---------------------------------------------------------------------------

    @http("GET", "/notifications")
    def list_notifications(self, request):
        principal = require_caller(self.caller)
        query = query_args(request, schemas.ListQuery)
        with self.db.read() as session:
            rows, total = repository.list_notifications(session, principal.user_id, query)
            return {
                "page": query.page, "per_page": query.per_page, "total": total,
                "unread": repository.unread_count(session, principal.user_id),
                "notifications": [schemas.notification_out(r) for r in rows],
            }

    @http("GET", "/notifications/unread-count")
    def unread_count(self, request):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            return {"unread": repository.unread_count(session, principal.user_id)}

    @http("POST", "/notifications/<string:notification_id>/read")
    def mark_read(self, request, notification_id):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            row = repository.own_notification(uow.session, principal.user_id, notification_id)
            if row is None:
                raise NotificationNotFound(f"notification {notification_id} was not found")
            if row.read_at is None:
                row.read_at = self.courier.now()
            uow.commit()
            return schemas.notification_out(row)

    @http("POST", "/notifications/read-all")
    def mark_all_read(self, request):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            marked = repository.mark_all_read(uow.session, principal.user_id, self.courier.now())
            uow.commit()
        return {"marked": marked}

    @stream_route("GET", "/notifications/stream")
    def stream(self, request):
        """Server-sent events: each new notification of the caller as it is written. Resumes after
        `Last-Event-ID` (or `?after=`); without either, only what arrives from now on."""
        principal = require_caller(self.caller)
        resume = request.headers.get("Last-Event-ID") or request.args.get("after")
        after = schemas.StreamQuery.model_validate({"after": resume or None}).after
        if after is None:
            with self.db.read() as session:
                after = repository.last_seq(session, principal.user_id)
        # eventlet's server otherwise holds back writes smaller than 4 KiB
        request.environ["eventlet.minimum_write_chunk_size"] = 0
        keepalive = float(self.config.get("STREAM_KEEPALIVE_SECONDS", 15))
        events = self._events_of(principal.user_id, after, keepalive)
        return Response(events, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def _events_of(self, user_id, after, keepalive):
        feed, db = self.courier.feed, self.db
        subscription = feed.subscribe(user_id)
        STREAMS_OPEN.inc()
        try:
            yield "retry: 3000\n\n"  # the first bytes send the headers at once
            while True:
                subscription.clear()
                with db.read() as session:
                    rows = repository.notifications_after(session, user_id, after, STREAM_BATCH)
                    chunk = "".join(sse_event(row) for row in rows)
                if rows:
                    after = rows[-1].seq
                    yield chunk
                    if len(rows) == STREAM_BATCH:
                        continue
                if not subscription.wait(keepalive):
                    yield ": keep-alive\n\n"
        finally:
            feed.unsubscribe(subscription)
            STREAMS_OPEN.dec()

    # --- preferences -------------------------------------------------------------------------

    @http("GET", "/preferences")
    def get_preferences(self, request):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            preferences = repository.preferences(session, principal.user_id)
        return schemas.preferences_out(principal.user_id, preferences)

    @http("PUT", "/preferences")
    def put_preferences(self, request):
        principal = require_caller(self.caller)
        preferences_in = parse_json(request, schemas.PreferencesIn)
        with self.db.unit_of_work() as uow:
            repository.save_preferences(uow.session, principal.user_id, preferences_in, self.courier.now())
            uow.commit()
        return self.get_preferences(request)

    # --- dead letters of email and SMS (admins, for their own office) ------------------------

    @http("GET", "/dead-letters")
    def list_dead_letters(self, request):
        principal = self._admin()
        query = query_args(request, schemas.DeadLetterQuery)
        with self.db.read() as session:
            rows, total = repository.dead_letters(session, principal.office, query)
            return {
                "page": query.page, "per_page": query.per_page, "total": total,
                "dead_letters": [schemas.dead_letter_out(letter, delivery) for letter, delivery in rows],
            }

    @http("POST", "/dead-letters/<int:letter_id>/retry", idempotent=True)
    def retry_dead_letter(self, request, letter_id):
        """Send the message again: the admin has decided it did not arrive."""
        principal = self._admin()
        now = self.courier.now()
        with self.db.unit_of_work() as uow:
            found = repository.dead_letter_for_update(uow.session, letter_id, principal.office)
            if found is None:
                raise DeadLetterNotFound(f"dead letter {letter_id} was not found in office {principal.office}")
            letter, delivery = found
            if letter.retried_at is not None or delivery.status != "dead":
                raise AlreadyRetried(f"dead letter {letter_id} was already retried")
            letter.retried_at, letter.retried_by = now, principal.user_id
            delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.due_at = domain.PENDING, 0, now, now
            delivery.claimed_at = delivery.claimed_by = None
            answer = 202, schemas.dead_letter_out(letter, delivery)
            uow.commit(answer)
        self.courier.wake()
        return answer

    def _admin(self):
        principal = require_caller(self.caller)
        if not principal.has_role("admin"):
            raise AdminOnly("only an admin can see and retry undelivered messages")
        return principal

    # --- consumed events ---------------------------------------------------------------------

    @consume_events({"dak": ("acting_charge_set", "acting_charge_ended")})
    def on_acting_charge(self, payload):
        self.db.apply_once(payload, lambda uow, envelope: acting_usecases.record_acting_charge(envelope, uow))

    @consume_events({"files": ("draft_issued",)})
    def email_issued_letters(self, payload):
        """A letter issued to addressees by email: a letter email each, sent by send_letter_emails."""
        if self.db.apply_once(payload, lambda uow, envelope: letter_usecases.record_letter_emails(envelope, uow, self.courier.now())) == "applied":
            self.send_letter_emails()

    @timer(interval=2)
    def send_letter_emails(self):
        """Send the letter emails that are due, each with its signed PDF, and record how each went."""
        courier = self.courier
        with self.db.unit_of_work() as uow:
            claimed = letter_usecases.claim_due_letter_emails(uow, courier.now())
            uow.commit()
        if not claimed:
            return 0
        outcomes = [self._email_letter(letter) for letter in claimed]
        with self.db.unit_of_work() as uow:
            letter_usecases.record_outcomes(outcomes, uow, courier.max_attempts, courier.retry_base, courier.retry_max)
            uow.commit()
        return len(outcomes)

    def _email_letter(self, letter):
        try:
            if self.courier.mailer is None or self.letter_documents is None:
                raise NotConfigured("email or the document store is not configured (SMTP_HOST, S3_ENDPOINT_URL or DOCUMENTS_DIR)")
            self.courier.mailer.send_with_pdf(
                letter.address, letter.subject, letter.body, f"<{letter.dispatch_id}@{self.courier.message_domain}>",
                letter_usecases.pdf_filename(letter.issue_number), self.letter_documents.get(letter.pdf_key),
                headers={"X-eOffice-Issue-Number": letter.issue_number},
            )
        except DeliveryError as exc:
            return letter_usecases.SendOutcome(letter.dispatch_id, exc, self.courier.now())
        except NotFound as exc:
            return letter_usecases.SendOutcome(letter.dispatch_id, NotConfigured(f"the signed PDF is missing: {exc}"), self.courier.now())
        return letter_usecases.SendOutcome(letter.dispatch_id, None, self.courier.now())

    @consume_batches(intake.CONSUMED, alone=intake.DIRECTORY_EVENTS)
    def apply_events(self, payloads):
        """A batch of dak, files and signing events, applied in one transaction (see intake.py);
        once it commits, the streams of those told and the sender are woken."""
        self.db.apply_batch(payloads, self._apply, validate=intake.validate, on_commit=self.courier.after_commit)

    def _apply(self, uow, events):
        return intake.apply(uow, self.courier, events)
