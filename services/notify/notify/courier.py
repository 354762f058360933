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
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import eventlet
from eventlet.greenpool import GreenPool
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import DatabaseEngine
from eoffice_common.logging import get_logger
from eoffice_common.repository import Reading

from . import domain, usecases
from .channels import DeliveryError, Mailer, NotConfigured, OutcomeUnknown, SmsGateway
from .feed import InboxFeed
from .metrics import BACKLOG, DEAD_LETTERED, FAILED, LATENCY, REMINDERS_FIRED, SENT
from .repository import NotifyUnitOfWork
from .usecases import ClaimDue, FireReminders, MakeDigest, RecordOutcomes, RecoverInterrupted, SendOutcome

log = get_logger(__name__)

REMINDER_BATCH = 100


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
        self.lease_seconds = float(config.get("SENDING_LEASE_SECONDS", 600))
        self.batch_size = int(config.get("DISPATCH_BATCH", 100))
        self.concurrency = int(config.get("SEND_CONCURRENCY", 20))
        self.scheduler_poll = float(config.get("SCHEDULER_POLL_SECONDS", 30))
        self.sender_poll = float(config.get("SENDER_POLL_SECONDS", 5))
        self.sender_gather = float(config.get("SENDER_GATHER_SECONDS", 0.02))
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
        self.settings = domain.Settings(
            default_language=config.get("DEFAULT_LANGUAGE") or "hi",
            desk_url=config.get("DESK_URL") or "http://127.0.0.1:8000",
            available_channels=frozenset(c for c, ready in ((domain.EMAIL, self.mailer), (domain.SMS, self.sms)) if ready),
            reminders=domain.ReminderSettings(
                due_soon_days=int(config.get("DUE_SOON_DAYS", 2)),
                escalate_after_days=int(config.get("ESCALATE_AFTER_DAYS", 3)),
                hour=int(config.get("REMINDER_HOUR_IST", 10)),
            ),
            max_attempts=int(config.get("DELIVERY_MAX_ATTEMPTS", 6)),
            retry_base_seconds=float(config.get("RETRY_BASE_SECONDS", 30)),
            retry_max_seconds=float(config.get("RETRY_MAX_SECONDS", 3600)),
        )
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

    def unit_of_work(self) -> NotifyUnitOfWork:
        """A unit of work of the courier's own (its loops act as the system)."""
        return NotifyUnitOfWork(UnitOfWork(self.shared, "system", None))

    # --- telling --------------------------------------------------------------------------------

    def after_commit(self, told):
        """After the commit of the notices a use case told: count them, wake the streams and the sender."""
        if not told:
            return
        for notice, written_at in told:
            SENT.labels(domain.INAPP).inc()
            LATENCY.labels(domain.INAPP).observe(_seconds_since(notice.occurred_at, written_at))
        self.feed.announce({notice.user_id for notice, _ in told})
        self.wake()

    def wake(self):
        self._wake.set()

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
        with self.unit_of_work() as uow:
            claimed = usecases.claim_due(ClaimDue(self.now(), self.batch_size, self.instance), uow)
        if not claimed:
            return 0
        outcomes = list(self._pool.imap(self._send, claimed))
        self._record_until_done(claimed, outcomes)
        return len(claimed)

    def _record_until_done(self, claimed, outcomes):
        """What was sent must be recorded: a database hiccup here would otherwise leave delivered
        messages 'sending', to be dead-lettered as interrupted. Retried for half the lease."""
        deadline = eventlet.hubs.get_hub().clock() + self.lease_seconds / 2
        backoff = 0.1
        while True:
            try:
                return self._record(claimed, outcomes)
            except Exception as exc:  # the whole transaction rolled back: recording again is safe
                if self._stopping or eventlet.hubs.get_hub().clock() + backoff > deadline:
                    raise
                log.warning("recording_failed", error=f"{type(exc).__name__}: {exc}", retry_in=backoff)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def _send(self, delivery) -> SendOutcome:
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
            return SendOutcome(delivery.id, failure=exc.failure, error=str(exc))
        except Exception as exc:  # a fault of ours mid-send: the message may have gone
            log.exception("send_crashed", delivery_id=delivery.id)
            failure = OutcomeUnknown(f"{type(exc).__name__}: {exc}")
            return SendOutcome(delivery.id, failure=failure.failure, error=str(failure))
        return SendOutcome(delivery.id, sent_at=self.now())

    def _record(self, claimed, outcomes):
        # Fresh copies: a failed attempt at recording must not leave its changes on the next one.
        claimed = [replace(delivery) for delivery in claimed]
        with self.unit_of_work() as uow:
            recorded = usecases.record_outcomes(RecordOutcomes(claimed, outcomes, self.instance, self.settings, self.now()), uow)
        for delivery, outcome in zip(recorded, outcomes, strict=True):
            if outcome.failure is None:
                SENT.labels(delivery.channel).inc()
                LATENCY.labels(delivery.channel).observe(_seconds_since(delivery.due_at, outcome.sent_at))
                continue
            FAILED.labels(delivery.channel, outcome.failure).inc()
            log.warning("delivery_failed", delivery_id=delivery.id, channel=delivery.channel,
                        attempts=delivery.attempts, failure=outcome.failure, error=outcome.error)
            if delivery.status == "dead":
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
        with self.unit_of_work() as uow:
            stuck = usecases.recover_interrupted(RecoverInterrupted(self.now(), self.lease_seconds), uow)
        for delivery in stuck:
            DEAD_LETTERED.labels(delivery.channel).inc()
            log.warning("delivery_interrupted", delivery_id=delivery.id, claimed_by=delivery.claimed_by)
        return len(stuck)

    def fire_reminders(self):
        """Fire every reminder whose time has come; returns how many fired."""
        fired = 0
        while not self._stopping:
            with self.unit_of_work() as uow:
                due, told = usecases.fire_reminders(FireReminders(self.now(), REMINDER_BATCH, self.settings), uow)
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
            users = usecases.digest_recipients(now, NotifyUnitOfWork(Reading(session)))
        made = 0
        for user_id in users:
            with self.unit_of_work() as uow:
                made += usecases.make_digest(MakeDigest(user_id, now, self.settings), uow)
        if made:
            self.wake()
        return made
