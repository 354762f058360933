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
from eoffice_common.repository import Reading
from eoffice_common.storage import DocumentStore, open_documents
from eoffice_common.web import Caller, http, parse_json, query_args, require_caller

from . import acknowledgements, domain, intake, letter_usecases, outside, schemas, usecases
from .channels import NotConfigured
from .courier import Courier
from .exceptions import AdminOnly
from .metrics import STREAMS_OPEN
from .repository import NotifyUnitOfWork
from .usecases import (
    ApplyEvents,
    DeadLetterQuery,
    InboxQuery,
    MarkAllRead,
    MarkRead,
    Page,
    RetryDeadLetter,
    SavePreferences,
)
from .web import stream_route

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
STREAM_BATCH = 100


def reading(session):
    """notify's repositories over a read-only session."""
    return NotifyUnitOfWork(Reading(session))


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

    # --- the inbox ---------------------------------------------------------------------------

    @http("GET", "/notifications")
    def list_notifications(self, request):
        principal = require_caller(self.caller)
        query = query_args(request, schemas.ListQuery)
        with self.db.read() as session:
            notifications, total, unread = usecases.inbox(
                InboxQuery(principal.user_id, query.unread, Page(query.page, query.per_page)), reading(session))
        return {
            "page": query.page, "per_page": query.per_page, "total": total, "unread": unread,
            "notifications": [schemas.notification_out(n) for n in notifications],
        }

    @http("GET", "/notifications/unread-count")
    def unread_count(self, request):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            return {"unread": usecases.unread_count(principal.user_id, reading(session))}

    @http("POST", "/notifications/<string:notification_id>/read")
    def mark_read(self, request, notification_id):
        principal = require_caller(self.caller)
        with self._unit_of_work() as uow:
            notification = usecases.mark_read(MarkRead(principal.user_id, notification_id, self.courier.now()), uow)
        return schemas.notification_out(notification)

    @http("POST", "/notifications/read-all")
    def mark_all_read(self, request):
        principal = require_caller(self.caller)
        with self._unit_of_work() as uow:
            marked = usecases.mark_all_read(MarkAllRead(principal.user_id, self.courier.now()), uow)
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
                after = usecases.last_seq(principal.user_id, reading(session))
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
                    rows = usecases.notifications_after(user_id, after, STREAM_BATCH, reading(session))
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
            preferences = usecases.preferences_of(principal.user_id, reading(session))
        return schemas.preferences_out(principal.user_id, preferences)

    @http("PUT", "/preferences")
    def put_preferences(self, request):
        principal = require_caller(self.caller)
        chosen = parse_json(request, schemas.PreferencesIn)
        quiet = chosen.quiet_hours
        command = SavePreferences(principal.user_id, chosen.channels, quiet.start if quiet else None,
                                  quiet.end if quiet else None, chosen.digest, chosen.digest_time, self.courier.now())
        with self._unit_of_work() as uow:
            preferences = usecases.save_preferences(command, uow)
        return schemas.preferences_out(principal.user_id, preferences)

    # --- dead letters of email and SMS (admins, for their own office) ------------------------

    @http("GET", "/dead-letters")
    def list_dead_letters(self, request):
        principal = self._admin()
        query = query_args(request, schemas.DeadLetterQuery)
        with self.db.read() as session:
            letters, total = usecases.dead_letters(
                DeadLetterQuery(principal.office, query.include_retried, Page(query.page, query.per_page)), reading(session))
        return {
            "page": query.page, "per_page": query.per_page, "total": total,
            "dead_letters": [schemas.dead_letter_out(letter) for letter in letters],
        }

    @http("POST", "/dead-letters/<int:letter_id>/retry", idempotent=True)
    def retry_dead_letter(self, request, letter_id):
        """Send the message again: the admin has decided it did not arrive."""
        principal = self._admin()
        command = RetryDeadLetter(letter_id, principal.office, principal.user_id, self.courier.now())
        with self._unit_of_work(lambda letter: (202, schemas.dead_letter_out(letter))) as uow:
            usecases.retry_dead_letter(command, uow)
        self.courier.wake()
        return uow.answer

    def _unit_of_work(self, present=None):
        return NotifyUnitOfWork(self.db.unit_of_work(), present)

    def _admin(self):
        principal = require_caller(self.caller)
        if not principal.has_role("admin"):
            raise AdminOnly("only an admin can see and retry undelivered messages")
        return principal

    # --- consumed events ---------------------------------------------------------------------

    @consume_events({"dak": ("acting_charge_set", "acting_charge_ended")})
    def on_acting_charge(self, payload):
        self.db.apply_once(payload, lambda uow, envelope: usecases.record_acting_charge(envelope, NotifyUnitOfWork(uow)))

    @consume_events({"dak": ("receipt_diarised",)})
    def acknowledge_senders(self, payload):
        """A diarised letter whose sender is to be told its receipt number: an email and/or SMS to them."""
        if self.db.apply_once(payload, lambda uow, envelope: acknowledgements.record_acknowledgements(envelope, uow, self.courier.now())) == "applied":
            self.send_acknowledgements()

    @timer(interval=2)
    def send_acknowledgements(self):
        """Send the acknowledgements that are due and record how each went."""
        return self._send_due(acknowledgements.claim_due, self._acknowledge, acknowledgements.record_outcomes)

    def _acknowledge(self, acknowledgement):
        courier = self.courier
        if acknowledgement.channel == domain.EMAIL:
            if courier.mailer is None:
                raise NotConfigured("email is not configured (SMTP_HOST)")
            courier.mailer.send(acknowledgement.address, acknowledgement.subject, acknowledgement.body,
                                f"<ack-{acknowledgement.receipt_id}@{courier.message_domain}>",
                                headers={"X-eOffice-Receipt-Number": acknowledgement.receipt_number})
        else:
            if courier.sms is None:
                raise NotConfigured("SMS is not configured (SMS_GATEWAY_URL)")
            courier.sms.send(acknowledgement.address, acknowledgement.body, reference=f"ack-{acknowledgement.receipt_id}")

    @consume_events({"files": ("draft_issued",)})
    def email_issued_letters(self, payload):
        """A letter issued to addressees by email: a letter email each, sent by send_letter_emails."""
        if self.db.apply_once(payload, lambda uow, envelope: letter_usecases.record_letter_emails(envelope, uow, self.courier.now())) == "applied":
            self.send_letter_emails()

    @timer(interval=2)
    def send_letter_emails(self):
        """Send the letter emails that are due, each with its signed PDF, and record how each went."""
        return self._send_due(letter_usecases.claim_due_letter_emails, self._email_letter, letter_usecases.record_outcomes)

    def _email_letter(self, letter):
        if self.courier.mailer is None or self.letter_documents is None:
            raise NotConfigured("email or the document store is not configured (SMTP_HOST, S3_ENDPOINT_URL or DOCUMENTS_DIR)")
        try:
            pdf = self.letter_documents.get(letter.pdf_key)
        except NotFound as exc:
            raise NotConfigured(f"the signed PDF is missing: {exc}") from exc
        self.courier.mailer.send_with_pdf(
            letter.address, letter.subject, letter.body, f"<{letter.dispatch_id}@{self.courier.message_domain}>",
            letter_usecases.pdf_filename(letter.issue_number), pdf, headers={"X-eOffice-Issue-Number": letter.issue_number},
        )

    def _send_due(self, claim_due, send, record_outcomes):
        """Claim the due rows (committed before anything leaves), send each, then record how each went."""
        courier = self.courier
        with self.db.unit_of_work() as uow:
            claimed = claim_due(uow, courier.now())
            uow.commit()
        if not claimed:
            return 0
        outcomes = outside.send_each(claimed, send, courier.now)
        with self.db.unit_of_work() as uow:
            record_outcomes(outcomes, uow, courier.settings)
            uow.commit()
        return len(outcomes)

    @consume_batches(intake.CONSUMED, alone=intake.DIRECTORY_EVENTS)
    def apply_events(self, payloads):
        """A batch of dak, files and signing events, applied in one transaction (usecases.apply_events);
        once it commits, the streams of those told and the sender are woken."""
        self.db.apply_batch(payloads, self._apply, validate=intake.validate, on_commit=self.courier.after_commit)

    def _apply(self, uow, events):
        command = ApplyEvents(events, self.courier.settings, self.courier.now())
        return usecases.apply_events(command, NotifyUnitOfWork(uow))
