"""The notify service's entrypoints: consume dak, files and signing events; serve the inbox, its
stream, preferences and the dead letters of email and SMS."""
import json
import os
from datetime import datetime, timezone

from nameko.dependency_providers import Config
from nameko.events import event_handler
from werkzeug.wrappers import Response

from eoffice_common.db import Database
from eoffice_common.metrics import Instrumentation
# The mixin is reached through its module: `nameko run` takes every class with entrypoints
# in this module's namespace for a service.
from eoffice_common import web
from eoffice_common.web import Caller, http, parse_json, query_args, require_caller

from . import domain, repository, schemas
from .courier import Courier
from .exceptions import AdminOnly, AlreadyRetried, DeadLetterNotFound, NotificationNotFound
from .metrics import STREAMS_OPEN
from .web import stream_route

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
DRAFT_DECISIONS = {
    "draft_approved": (schemas.DraftApproved, domain.draft_approved_notices),
    "draft_issued": (schemas.DraftIssued, domain.draft_issued_notices),
}
STREAM_BATCH = 100


def occurred_at(envelope):
    moment = datetime.fromisoformat(envelope.occurred_at)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def draft_notices(event_type, event_id, at, data, author):
    model, notices = DRAFT_DECISIONS[event_type]
    return notices(event_id, at, model.model_validate(data), author)


def sse_event(row):
    data = json.dumps(schemas.notification_out(row), ensure_ascii=False, default=lambda v: v.isoformat())
    return f"id: {row.seq}\nevent: notification\ndata: {data}\n\n"


class NotifyService(web.DescribedService):
    name = "notify"
    openapi_path = OPENAPI_PATH

    db = Database()
    courier = Courier()
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

    @http("POST", "/dead-letters/<int:letter_id>/retry")
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
            uow.commit()
            answer = schemas.dead_letter_out(letter, delivery)
        self.courier.wake()
        return 202, answer

    def _admin(self):
        principal = require_caller(self.caller)
        if not principal.has_role("admin"):
            raise AdminOnly("only an admin can see and retry undelivered messages")
        return principal

    # --- consumed events ---------------------------------------------------------------------

    @staticmethod
    def _moved(uow, item_type, item_id, envelope, due_date=None):
        """Record that a file or receipt moved (sent, pulled back, closed ...) and cancel the reminders
        of its earlier movements. False if a later movement was already seen: this one is stale."""
        at = occurred_at(envelope)
        may_have_reminders = repository.record_movement(uow.session, item_type, item_id, at, due_date)
        if may_have_reminders:
            repository.cancel_reminders(uow.session, item_type, item_id, at)
        return may_have_reminders is not None

    def _apply(self, payload, effect):
        """apply_once, then (if it took effect) wake the streams and the sender."""
        told = []
        outcome = self.db.apply_once(payload, lambda uow, envelope: told.extend(effect(uow, envelope)))
        if outcome == "applied":
            self.courier.after_commit(told)

    @event_handler("dak", "user_recorded", requeue_on_error=True)
    def on_user_recorded(self, payload):
        self._apply(payload, self._record_user)

    def _record_user(self, uow, envelope):
        repository.record_user(uow.session, schemas.UserRecorded.model_validate(envelope.data), self.courier.now())
        return []

    @event_handler("dak", "receipt_sent", requeue_on_error=True)
    def on_receipt_sent(self, payload):
        self._apply(payload, self._receipt_sent)

    def _receipt_sent(self, uow, envelope):
        data = schemas.ReceiptSent.model_validate(envelope.data)
        latest = self._moved(uow, "receipt", data.receipt_id, envelope, data.due_date)
        notices = domain.receipt_sent_notices(envelope.id, occurred_at(envelope), data)
        for notice in notices:
            if latest and notice.kind == "receipt_sent":
                self.courier.schedule_reminders(uow, notice)
        return self.courier.tell(uow, notices)

    @event_handler("dak", "receipt_closed", requeue_on_error=True)
    def on_receipt_closed(self, payload):
        self._apply(payload, self._receipt_done)

    @event_handler("dak", "receipt_put_in_file", requeue_on_error=True)
    def on_receipt_put_in_file(self, payload):
        self._apply(payload, self._receipt_done)

    def _receipt_done(self, uow, envelope):
        self._moved(uow, "receipt", schemas.ReceiptDone.model_validate(envelope.data).receipt_id, envelope)
        return []

    @event_handler("files", "file_sent", requeue_on_error=True)
    def on_file_sent(self, payload):
        self._apply(payload, self._file_sent)

    def _file_sent(self, uow, envelope):
        data = schemas.FileSent.model_validate(envelope.data)
        latest = self._moved(uow, "file", data.file_id, envelope, data.due_date)
        notices = domain.file_sent_notices(envelope.id, occurred_at(envelope), data)
        for notice in notices if latest else ():
            self.courier.schedule_reminders(uow, notice)
        return self.courier.tell(uow, notices)

    @event_handler("files", "file_pulled_back", requeue_on_error=True)
    def on_file_pulled_back(self, payload):
        self._apply(payload, self._file_pulled_back)

    def _file_pulled_back(self, uow, envelope):
        data = schemas.FilePulledBack.model_validate(envelope.data)
        self._moved(uow, "file", data.file_id, envelope)
        return self.courier.tell(uow, domain.file_pulled_back_notices(envelope.id, occurred_at(envelope), data))

    @event_handler("files", "file_closed", requeue_on_error=True)
    def on_file_closed(self, payload):
        self._apply(payload, self._file_closed)

    def _file_closed(self, uow, envelope):
        self._moved(uow, "file", schemas.FileClosed.model_validate(envelope.data).file_id, envelope)
        return []

    @event_handler("files", "file_transferred", requeue_on_error=True)
    def on_file_transferred(self, payload):
        self._apply(payload, self._file_transferred)

    def _file_transferred(self, uow, envelope):
        data = schemas.FileTransferred.model_validate(envelope.data)
        repository.transfer_reminders(uow.session, data.file_ids, data.from_user, data.to_user)
        return []

    @event_handler("files", "draft_versioned", requeue_on_error=True)
    def on_draft_versioned(self, payload):
        self._apply(payload, self._draft_versioned)

    def _draft_versioned(self, uow, envelope):
        data = schemas.DraftVersioned.model_validate(envelope.data)
        repository.lock_draft(uow.session, data.draft_id)
        repository.record_draft(uow.session, data)
        notices = []
        for waiting in repository.take_waiting_draft_notices(uow.session, data.draft_id):
            notices += draft_notices(waiting.event_type, waiting.event_id, waiting.occurred_at, waiting.data, data.author)
        return self.courier.tell(uow, notices)

    @event_handler("files", "draft_approved", requeue_on_error=True)
    def on_draft_approved(self, payload):
        self._apply(payload, self._draft_decided)

    @event_handler("files", "draft_issued", requeue_on_error=True)
    def on_draft_issued(self, payload):
        self._apply(payload, self._draft_decided)

    def _draft_decided(self, uow, envelope):
        """Tell the draft's author; if its draft_versioned has not come yet, wait for it."""
        draft_id = DRAFT_DECISIONS[envelope.type][0].model_validate(envelope.data).draft_id
        repository.lock_draft(uow.session, draft_id)
        author = repository.draft_author(uow.session, draft_id)
        if author is None:
            repository.wait_for_author(uow.session, envelope, occurred_at(envelope))
            return []
        return self.courier.tell(uow, draft_notices(envelope.type, envelope.id, occurred_at(envelope), envelope.data, author))

    @event_handler("signing", "signature_failed", requeue_on_error=True)
    def on_signature_failed(self, payload):
        self._apply(payload, self._signature_failed)

    def _signature_failed(self, uow, envelope):
        data = schemas.SignatureFailed.model_validate(envelope.data)
        return self.courier.tell(uow, domain.signature_failed_notices(envelope.id, occurred_at(envelope), data))
