"""The courier: writes notices into the inbox and the outgoing tables, and sends email and SMS.

It runs two loops in each notify process:
- the sender claims due messages (marking them 'sending' and committing) before it sends them,
  then records the outcome: sent, retry later with exponential back-off, or dead-lettered;
- the scheduler fires reminders, gathers daily digests and dead-letters messages left 'sending'
  by a process that died (they may or may not have gone: never sent again on their own).
Rows are picked with FOR UPDATE SKIP LOCKED, so any number of replicas share the work and no
message or reminder is handled by two of them.
"""
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import DatabaseEngine
from eoffice_common.logging import get_logger

from . import acting_usecases, domain, repository
from .channels import DeliveryError, Mailer, NotConfigured, OutcomeUnknown, SmsGateway
from .events import NotificationDelivered, NotificationFailed
from .feed import InboxFeed
from .metrics import BACKLOG, DEAD_LETTERED, FAILED, LATENCY, REMINDERS_FIRED, SENT

log = get_logger(__name__)

REMINDER_BATCH = 100
DIGEST_KIND = "digest"


def _seconds_since(moment, now):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max((now - moment).total_seconds(), 0.0)


class Courier(DependencyProvider):
    shared = DatabaseEngine()
    feed = InboxFeed()

    def setup(self):
        config = self.container.config
        self.shift = timedelta(seconds=float(config.get("CLOCK_SHIFT_SECONDS") or 0))
        self.default_language = config.get("DEFAULT_LANGUAGE") or "hi"
        self.desk_url = config.get("DESK_URL") or "http://127.0.0.1:8000"
        self.max_attempts = int(config.get("DELIVERY_MAX_ATTEMPTS", 6))
        self.retry_base = float(config.get("RETRY_BASE_SECONDS", 30))
        self.retry_max = float(config.get("RETRY_MAX_SECONDS", 3600))
        self.lease_seconds = float(config.get("SENDING_LEASE_SECONDS", 600))
        self.batch_size = int(config.get("DISPATCH_BATCH", 100))
        self.concurrency = int(config.get("SEND_CONCURRENCY", 20))
        self.scheduler_poll = float(config.get("SCHEDULER_POLL_SECONDS", 30))
        self.sender_poll = float(config.get("SENDER_POLL_SECONDS", 5))
        self.sender_gather = float(config.get("SENDER_GATHER_SECONDS", 0.02))
        self.reminders = domain.ReminderSettings(
            due_soon_days=int(config.get("DUE_SOON_DAYS", 2)),
            escalate_after_days=int(config.get("ESCALATE_AFTER_DAYS", 3)),
            hour=int(config.get("REMINDER_HOUR_IST", 10)),
        )
        self.mailer = None
        if config.get("SMTP_HOST"):
            self.mailer = Mailer(
                config["SMTP_HOST"], config.get("SMTP_PORT", 25), config.get("SMTP_FROM") or "eoffice@localhost",
                config.get("SMTP_FROM_NAME") or "", config.get("SMTP_TLS") or "none", config.get("SMTP_USERNAME"),
                config.get("SMTP_PASSWORD"), config.get("SMTP_TIMEOUT_SECONDS", 30), pool_size=self.concurrency,
            )
        self.sms = None
        if config.get("SMS_GATEWAY_URL"):
            self.sms = SmsGateway(
                config["SMS_GATEWAY_URL"], config.get("SMS_API_KEY"), config.get("SMS_SENDER_ID") or "",
                config.get("SMS_TIMEOUT_SECONDS", 10), pool_size=self.concurrency,
            )
        self.available_channels = {c for c, ready in ((domain.EMAIL, self.mailer), (domain.SMS, self.sms)) if ready}
        self.message_domain = (config.get("SMTP_FROM") or "eoffice@localhost").rpartition("@")[2]
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stopping = False
        self._threads = []

    def start(self):
        BACKLOG.sources[id(self)] = (self.shared.engine, self.now)
        self._stopping = False
        self._pool = GreenPool(self.concurrency)
        self._threads = [
            self.container.spawn_managed_thread(self._sender_loop),
            self.container.spawn_managed_thread(self._scheduler_loop),
        ]

    def stop(self):
        BACKLOG.sources.pop(id(self), None)
        self._stopping = True
        self._wake.set()
        for thread in self._threads:
            thread.wait()
        self._threads = []
        for channel in (self.mailer, self.sms):
            if channel is not None:
                channel.close()

    def kill(self):
        BACKLOG.sources.pop(id(self), None)
        self._stopping = True
        for thread in self._threads:
            thread.kill()

    def get_dependency(self, worker_ctx):
        return self

    # --- time -----------------------------------------------------------------------------------

    def now(self):
        """Now, shifted by CLOCK_SHIFT_SECONDS: tests let days pass without waiting for them."""
        return datetime.now(timezone.utc) + self.shift

    # --- telling --------------------------------------------------------------------------------

    def tell(self, uow, notices, causes=None):
        """Write each notice into its recipient's inbox and its emails and SMS into the outgoing
        table, inside `uow`, a few statements for all of them. `causes` maps a notice's source id
        to the consumed Envelope it answers (its actor and correlation id go with the events
        announcing the notifications). Returns the (notice, written_at) pairs that were new."""
        if not notices:
            return []
        session = uow.session
        now = self.now()
        involved = repository.people_and_preferences(
            session, {n.user_id for n in notices} | {n.by for n in notices} | {n.extra.get("holder") for n in notices}
        )
        people = {user_id: person for user_id, (person, _) in involved.items()}
        inbox = {}  # notification id -> (notice, row)
        for notice in notices:
            recipient = people.get(notice.user_id)
            if recipient is not None and not recipient.active:
                continue
            title, body = domain.render_inapp(notice, domain.language_of(recipient, self.default_language), people)
            notification_id = str(uuid.uuid4())
            inbox[notification_id] = (notice, {
                "id": notification_id, "user_id": notice.user_id, "kind": notice.kind,
                "source_event_id": notice.source_id, "title": title, "body": body, "item_type": notice.item_type,
                "item_id": notice.item_id, "priority": notice.priority, "occurred_at": notice.occurred_at,
                "created_at": now,
            })
        written = repository.add_notifications(session, [row for _, row in inbox.values()])
        told, announced, outgoing = [], [], []
        for notification_id, (notice, _) in inbox.items():
            if notification_id not in written:
                continue
            recipient = people.get(notice.user_id)
            announced.append(self._event(NotificationDelivered, notification_id, notice.user_id, domain.INAPP,
                                         notice.kind, notice.source_id, recipient, delivered_at=now.isoformat()))
            told.append((notice, now))
            preferences = involved[notice.user_id][1] if recipient else domain.DEFAULT_PREFERENCES
            for message in domain.plan_outgoing(notice, recipient, preferences, now, self.available_channels):
                if message.channel == domain.EMAIL:
                    subject, text = domain.render_email(notice, recipient, people, self.desk_url)
                else:
                    subject, text = "", domain.render_sms(notice, recipient, people)
                outgoing.append(repository.delivery_row(notice, message, notification_id, subject, text, now))
        repository.add_deliveries(session, outgoing)
        causes = causes or {}
        uow.emit_all(announced, cause_of=lambda event: causes.get(event.source_event_id))
        return told

    def after_commit(self, told):
        """After the commit of what `tell` wrote: count it, wake the streams and the sender."""
        if not told:
            return
        for notice, written_at in told:
            SENT.labels(domain.INAPP).inc()
            LATENCY.labels(domain.INAPP).observe(_seconds_since(notice.occurred_at, written_at))
        self.feed.announce({notice.user_id for notice, _ in told})
        self.wake()

    def wake(self):
        self._wake.set()

    def schedule_reminders(self, uow, notices):
        """The reminders of the items these notices sent with a due date."""
        now = self.now()
        planned = [(notice, domain.plan_reminders(notice.due_date, now, self.reminders))
                   for notice in notices if notice.due_date]
        repository.schedule_reminders(uow.session, planned, now)

    @staticmethod
    def _event(event_class, notification_id, user_id, channel, kind, source_id, person, **fields):
        return event_class(
            notification_id=notification_id, user=user_id, channel=channel, kind=kind, source_event_id=source_id,
            office=person.office if person else "", district=person.district if person else None, **fields,
        )

    # --- the sender -----------------------------------------------------------------------------

    def _sender_loop(self):
        backoff = 0.1
        while not self._stopping:
            self._wake.clear()
            try:
                sent = self.send_due()
                backoff = 0.1
            except Exception as exc:  # the database is unavailable: wait and resume
                log.warning("sending_failed", error=f"{type(exc).__name__}: {exc}", retry_in=backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not sent and self._wake.wait(self.sender_poll):
                # Let a few more messages fall due, so that one claim and one record serve them all.
                eventlet.sleep(self.sender_gather)

    def send_due(self):
        """Claim a batch of due messages, send them, record what happened; returns how many."""
        with UnitOfWork(self.shared, "system", None) as uow:
            claimed = repository.claim_due(uow.session, self.now(), self.batch_size, self.instance)
            uow.commit()
        if not claimed:
            return 0
        outcomes = list(self._pool.imap(self._send, claimed))
        self._record_until_done(outcomes)
        return len(claimed)

    def _record_until_done(self, outcomes):
        """What was sent must be recorded: a database hiccup here would otherwise leave delivered
        messages 'sending', to be dead-lettered as interrupted. Retried for half the lease."""
        deadline = eventlet.hubs.get_hub().clock() + self.lease_seconds / 2
        backoff = 0.1
        while True:
            try:
                return self._record(outcomes)
            except Exception as exc:  # the whole transaction rolled back: recording again is safe
                if self._stopping or eventlet.hubs.get_hub().clock() + backoff > deadline:
                    raise
                log.warning("recording_failed", error=f"{type(exc).__name__}: {exc}", retry_in=backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def _send(self, delivery):
        try:
            if delivery.channel == domain.EMAIL:
                if self.mailer is None:
                    raise NotConfigured("email is not configured (SMTP_HOST)")
                self.mailer.send(
                    delivery.address, delivery.subject, delivery.body, f"<{delivery.id}@{self.message_domain}>",
                    headers={"X-eOffice-Notification": delivery.kind, "X-eOffice-Event": delivery.source_event_id},
                )
            else:
                if self.sms is None:
                    raise NotConfigured("SMS is not configured (SMS_GATEWAY_URL)")
                self.sms.send(delivery.address, delivery.body, reference=delivery.id)
        except DeliveryError as exc:
            return delivery, exc, None
        except Exception as exc:  # a fault of ours mid-send: the message may have gone
            log.exception("send_crashed", delivery_id=delivery.id)
            return delivery, OutcomeUnknown(f"{type(exc).__name__}: {exc}"), None
        return delivery, None, self.now()

    def _record(self, outcomes):
        now = self.now()
        with UnitOfWork(self.shared, "system", None) as uow:
            session = uow.session
            people = repository.people(session, {delivery.recipient for delivery, _, _ in outcomes})
            counted, delivered = [], []
            sent = [(delivery.id, sent_at) for delivery, error, sent_at in outcomes if error is None]
            repository.mark_sent(session, sent, self.instance)
            for delivery, error, sent_at in outcomes:
                person = people.get(delivery.recipient)
                if error is None:
                    delivered.append(self._event(NotificationDelivered, delivery.id, delivery.recipient,
                                                 delivery.channel, delivery.kind, delivery.source_event_id, person,
                                                 delivered_at=sent_at.isoformat()))
                    counted.append(("sent", delivery, sent_at))
                    continue
                counted.append(("failed", delivery, error))
                if domain.after_failure(error.failure, delivery.attempts, self.max_attempts) == "retry":
                    delay = domain.retry_delay(delivery.attempts, self.retry_base, self.retry_max)
                    repository.mark_for_retry(session, delivery.id, self.instance, now + delay, str(error))
                    continue
                reason = f"{error.failure} after {delivery.attempts} attempt(s): {error}"
                if repository.mark_dead(session, delivery.id, reason, now, claimed_by=self.instance):
                    uow.emit(self._event(NotificationFailed, delivery.id, delivery.recipient, delivery.channel,
                                         delivery.kind, delivery.source_event_id, person, reason=reason))
                    counted.append(("dead", delivery, reason))
            uow.emit_all(delivered)
            uow.commit()
        for outcome, delivery, detail in counted:
            if outcome == "sent":
                SENT.labels(delivery.channel).inc()
                LATENCY.labels(delivery.channel).observe(_seconds_since(delivery.due_at, detail))
            elif outcome == "failed":
                FAILED.labels(delivery.channel, detail.failure).inc()
                log.warning("delivery_failed", delivery_id=delivery.id, channel=delivery.channel,
                            attempts=delivery.attempts, failure=detail.failure, error=str(detail))
            else:
                DEAD_LETTERED.labels(delivery.channel).inc()

    # --- the scheduler --------------------------------------------------------------------------

    def _scheduler_loop(self):
        while not self._stopping:
            for task in (self.recover_interrupted, self.fire_reminders, self.send_digests):
                try:
                    task()
                except Exception as exc:  # the database is unavailable: the next round tries again
                    log.warning("scheduler_task_failed", task=task.__name__, error=f"{type(exc).__name__}: {exc}")
            self._sleep(self.scheduler_poll)

    def _sleep(self, seconds):
        deadline = eventlet.hubs.get_hub().clock() + seconds
        while not self._stopping and eventlet.hubs.get_hub().clock() < deadline:
            eventlet.sleep(min(0.5, seconds))

    def recover_interrupted(self):
        """Dead-letter messages left 'sending' longer than the lease by a process that died."""
        now = self.now()
        with UnitOfWork(self.shared, "system", None) as uow:
            stuck = repository.interrupted_sends(uow.session, now, self.lease_seconds)
            people = repository.people(uow.session, {d.recipient for d in stuck})
            for delivery in stuck:
                reason = domain.INTERRUPTED.format(by=delivery.claimed_by, at=delivery.claimed_at.isoformat())
                if repository.mark_dead(uow.session, delivery.id, reason, now):
                    uow.emit(self._event(NotificationFailed, delivery.id, delivery.recipient, delivery.channel,
                                         delivery.kind, delivery.source_event_id, people.get(delivery.recipient),
                                         reason=reason))
            uow.commit()
        for delivery in stuck:
            DEAD_LETTERED.labels(delivery.channel).inc()
            log.warning("delivery_interrupted", delivery_id=delivery.id, claimed_by=delivery.claimed_by)
        return len(stuck)

    def fire_reminders(self):
        """Fire every reminder whose time has come; returns how many fired."""
        fired = 0
        while not self._stopping:
            now = self.now()
            with UnitOfWork(self.shared, "system", None) as uow:
                due = repository.due_reminders(uow.session, now, REMINDER_BATCH)
                holders = repository.people(uow.session, {r.user_id for r in due})
                notices = []
                for reminder in due:
                    found, next_at = domain.fire_reminder(
                        repository.reminder_view(reminder), now, holders.get(reminder.user_id), self.reminders
                    )
                    notices += found
                    reminder.occurrence += 1
                    reminder.last_fired_at = now
                    if next_at is None:
                        reminder.status = "done"
                    else:
                        reminder.fire_at = next_at
                told = self.tell(uow, acting_usecases.redirected(uow.session, notices, domain.ist_date(now)))
                uow.commit()
            for reminder in due:
                REMINDERS_FIRED.labels(reminder.kind).inc()
            self.after_commit(told)
            fired += len(due)
            if len(due) < REMINDER_BATCH:
                return fired
        return fired

    def send_digests(self):
        """One email per user whose digest time has come, standing for their held emails."""
        now = self.now()
        with Session(self.shared.engine) as session:
            users = repository.digest_recipients(session, now)
        made = sum(self._send_digest(user_id, now) for user_id in users)
        if made:
            self.wake()
        return made

    def _send_digest(self, user_id, now):
        with UnitOfWork(self.shared, "system", None) as uow:
            session = uow.session
            if not repository.try_lock_digest(session, user_id):
                return 0  # another replica is making this user's digest
            items = repository.digest_items(session, user_id, now)
            if not items:
                return 0
            held = [row.Delivery for row in items]
            recipient = repository.people(session, [user_id]).get(user_id)
            if recipient is None or not recipient.active or not recipient.email:
                for delivery in held:
                    repository.mark_dead(session, delivery.id, "the recipient has no email address any more", now,
                                         expected_status=domain.DIGEST)
                uow.commit()
                return 0
            lines = [(occurred_at or d.created_at, title or d.subject) for d, title, occurred_at in items]
            subject, body = domain.render_digest(recipient, lines, self.desk_url)
            notice = domain.Notice(DIGEST_KIND, user_id, f"digest:{held[0].id}", now, "", "")
            message = domain.Outgoing(domain.EMAIL, recipient.email, domain.PENDING, now)
            digest_id = repository.add_delivery(session, notice, message, None, subject, body, now)
            if digest_id:
                repository.fold_into_digest(session, [d.id for d in held], digest_id)
            uow.commit()
        return 1
