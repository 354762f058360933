"""The outbox relay: publishes committed events to RabbitMQ with publisher confirms, in order.

Events leave in outbox order (and so in order per aggregate): a batch is published, the broker's
confirms are awaited together, and only the confirmed head of the batch is deleted from the outbox.
Events are published mandatory: one that no queue is bound to is returned by the broker, counted
(eoffice_outbox_returned_total) and kept in the outbox, published again after a back-off.
If the broker is unreachable the rows simply wait; a later pass resumes from the first unconfirmed
row. Delivery is at least once (a crash between confirm and delete republishes); consumers are
idempotent. Deleting rather than marking keeps the table as small as the backlog and costs
PostgreSQL less: 57 bytes of WAL an event against 1,377, and a file movement's share of its CPU fell
from 1.38 to 1.14-1.17 ms (BENCHMARKS.md as of ad41e41, seventh session; the change is df2d5b0).
"""
import json
import socket
import time
import zlib

import eventlet
from eventlet.event import Event
from kombu import Connection, Exchange, Producer
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import Extension
from sqlalchemy import bindparam, delete, select, text

from .engine import DatabaseEngine
from .logging import get_logger
from .metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED, OUTBOX_RETURNED
from .tables import outbox

log = get_logger(__name__)

BATCH_SIZE = 500
POLL_SECONDS = 1.0
# After a wake-up, wait this long so that events committed meanwhile leave in the same batch:
# under load one pass then carries many events instead of one.
LINGER_SECONDS = 0.02
MIN_BACKOFF_SECONDS = 0.05
# Back within a second of the broker's return.
MAX_BACKOFF_SECONDS = 1.0
LOG_FAILURES_EVERY_SECONDS = 30.0
CONFIRM_TIMEOUT_SECONDS = 10.0


_LOCK_AND_SCAN_BY_INDEX = text("SELECT pg_try_advisory_xact_lock(:key) AND set_config('enable_seqscan', 'off', true) = 'off'")
_UNPUBLISHED = select(outbox.c.seq, outbox.c.event_id, outbox.c.event_type, outbox.c.envelope).order_by(outbox.c.seq).limit(BATCH_SIZE)
_DELETE_PUBLISHED = delete(outbox).where(outbox.c.seq.in_(bindparam("seqs", expanding=True)))


def events_exchange(service):
    """A service's event exchange, declared as nameko declares it, so that nameko's consumers and
    ours bind to it."""
    return Exchange(f"{service}.events", type="topic", durable=True, auto_delete=False)


class ConfirmingPublisher:
    """Publishes nameko-compatible event messages on one channel in confirm mode, mandatory: an
    event that no queue is bound to is returned by the broker, not dropped.

    The confirms of a batch are awaited together (docs/decisions/0101-outbox-batched-confirms.md):
    kombu and py-amqp otherwise wait for each message's confirm before sending the next."""

    def __init__(self, amqp_uri, service_name):
        self.amqp_uri = amqp_uri
        self.exchange = events_exchange(service_name)
        self.service_name = service_name
        self._connection = None

    def check(self):
        """Connect if not connected, and read what the broker sent: a connection it closed shows here."""
        connection = self._connect()
        try:
            connection.drain_events(timeout=0)
        except socket.timeout:
            pass

    def _connect(self):
        if self._connection is None:
            connection = Connection(self.amqp_uri, connect_timeout=5)
            connection.ensure_connection(max_retries=0)  # connect() would try again 2 s later: the relay has its own back-off
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._producer = Producer(channel, exchange=self.exchange, on_return=self._on_return)
            self._connection = connection
            self._next_tag = self._oldest = 1
            self._outstanding = set()
            self._nacked = set()
            self._returned = set()
        return self._connection

    def _settle(self, tag, multiple):
        if not multiple:
            return {tag} & self._outstanding
        # Tags are consecutive: an ack of "all up to tag" settles those from the oldest unsettled on.
        settled = {t for t in range(self._oldest, tag + 1) if t in self._outstanding}
        self._oldest = max(self._oldest, tag + 1)
        return settled

    def _on_ack(self, delivery_tag, multiple):
        self._outstanding -= self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag, multiple):
        settled = self._settle(delivery_tag, multiple)
        self._outstanding -= settled
        self._nacked |= settled

    def _on_return(self, exc, exchange, routing_key, message):
        # The broker returns an unroutable message before it confirms it.
        self._returned.add(message.properties.get("message_id"))

    def publish(self, envelopes):
        """Publish envelopes (dicts) in order; return how many from the head the broker confirmed
        and routed to a queue."""
        confirmed, returned = self._publish(
            (json.dumps(envelope, ensure_ascii=False).encode("utf-8"), envelope["id"], envelope["type"],
             envelope.get("correlation_id"))
            for envelope in envelopes
        )
        return confirmed - len(returned)

    def publish_stored(self, rows):
        """Publish outbox rows (seq, event_id, event_type, envelope as its stored JSON text) as stored;
        returns (how many from the head the broker confirmed, the ids of those it returned)."""
        return self._publish(
            (envelope.encode("utf-8"), event_id, event_type, _correlation_id(envelope))
            for _seq, event_id, event_type, envelope in rows
        )

    def _publish(self, messages):
        """(body, event id, event type, correlation id) in order; returns (how many from the head
        the broker confirmed, the ids of the events among them it could not route)."""
        connection = self._connect()
        tags = []
        for body, event_id, event_type, correlation_id in messages:
            self._producer.publish(
                body, routing_key=event_type, mandatory=True, retry=False,
                content_type="application/json", content_encoding="utf-8", delivery_mode=2, message_id=event_id,
                headers={"nameko.correlation_id": correlation_id or event_id,
                         "nameko.call_id_stack": [f"{self.service_name}.outbox.{event_id}"]},
            )
            tags.append(self._next_tag)
            self._outstanding.add(self._next_tag)
            self._next_tag += 1
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while self._outstanding:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("publisher confirms did not arrive in time")
            connection.drain_events(timeout=remaining)
        confirmed = 0
        for tag in tags:
            if tag in self._nacked:
                break
            confirmed += 1
        returned, self._returned = self._returned, set()
        self._nacked.clear()
        return confirmed, returned

    def close(self):
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # the connection is already broken; nothing to release
                pass
        self._connection = None


class OutboxRelay(Extension):
    """Runs inside each service process (a sub-extension of Database)."""

    shared = DatabaseEngine()

    def __init__(self):
        super().__init__()
        self._stopping = False
        self._stop_requested = Event()
        self._thread = None
        self.broker_reachable = False

    def setup(self):
        config = self.container.config
        self.amqp_uri = config.get("OUTBOX_AMQP_URI") or config[AMQP_URI_CONFIG_KEY]
        self.service_name = self.container.service_name
        self.publisher = ConfirmingPublisher(self.amqp_uri, self.service_name)
        # Each service's relays elect one publisher at a time through this PostgreSQL advisory lock.
        self.lock_key = zlib.crc32(f"outbox:{self.service_name}".encode()) & 0x7FFFFFFF

    def start(self):
        self._stopping = False
        self._stop_requested = Event()
        try:
            self.publisher.check()  # ready from the start when the broker is there
            self.broker_reachable = True
        except Exception:  # the broker is away: the relay's passes keep trying
            self.publisher.close()
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._stopping = True
        if not self._stop_requested.ready():
            self._stop_requested.send()
        self.shared.outbox_written.set()
        if self._thread is not None:
            self._thread.wait()
        self.publisher.close()

    kill = stop

    def broker_ready(self):
        """Whether the relay reached the broker on its last pass (for /health/ready)."""
        return self.broker_reachable

    def _run(self):
        backoff, failures, logged_at = MIN_BACKOFF_SECONDS, 0, 0.0
        while not self._stopping:
            try:
                try:
                    self.publisher.check()
                except Exception:
                    self.broker_reachable = False
                    raise
                self.broker_reachable = True
                published = self.publish_pending()
                backoff, failures = MIN_BACKOFF_SECONDS, 0
            except Exception as exc:  # the broker or database is unavailable, or an event unroutable: wait and resume
                OUTBOX_PUBLISH_FAILURES.labels(self.service_name).inc()
                failures += 1
                # Retried every second while something is down: logged when it starts, then now and again.
                if failures == 1 or time.monotonic() - logged_at >= LOG_FAILURES_EVERY_SECONDS:
                    log.warning("outbox_publish_failed", error=f"{type(exc).__name__}: {exc}", failures=failures)
                    logged_at = time.monotonic()
                if not isinstance(exc, EventsReturned):
                    self.publisher.close()
                self._stop_requested.wait(backoff)  # a stop need not wait out the pause
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            if published < BATCH_SIZE:
                if self.shared.outbox_written.wait(POLL_SECONDS):
                    eventlet.sleep(LINGER_SECONDS)
                self.shared.outbox_written.clear()

    def publish_pending(self):
        """One pass: publish up to BATCH_SIZE unsent events; return how many were sent."""
        shared = self.shared
        with shared.engine.connect() as conn:
            if not shared.is_sqlite:
                # The unpublished rows are read in seq order from the primary key. A sequential scan,
                # which PostgreSQL prefers for the few rows it expects, reads every deleted row's
                # page until vacuum (0.35 ms a pass after 3,000 deletions); an index scan marks
                # those entries dead once and skips them after (0.06 ms).
                if not conn.execute(_LOCK_AND_SCAN_BY_INDEX, {"key": self.lock_key}).scalar_one():
                    return 0
            rows = conn.execute(_UNPUBLISHED).all()
            if shared.is_sqlite:
                conn.rollback()
            if not rows:
                return 0
            confirmed, returned = self.publisher.publish_stored(rows)
            # A returned event stays in the outbox until a queue is bound for it; the rest of the batch
            # goes on (events of one type are returned together, so their order holds).
            published = [seq for seq, event_id, *_ in rows[:confirmed] if event_id not in returned]
            if published:
                with shared.write_turn():
                    conn.execute(_DELETE_PUBLISHED, {"seqs": published})
                    conn.commit()
                OUTBOX_PUBLISHED.labels(self.service_name).inc(len(published))
            if returned:
                OUTBOX_RETURNED.labels(self.service_name).inc(len(returned))
                raise EventsReturned(f"no queue is bound for {len(returned)} events: "
                                     f"{sorted({row[2] for row in rows if row[1] in returned})}")
            if confirmed < len(rows):
                raise RuntimeError(f"broker refused event at outbox seq {rows[confirmed][0]}")
            return confirmed


class EventsReturned(Exception):
    """The broker routed some events to no queue: they wait in the outbox for one to be declared."""


def _correlation_id(envelope_text):
    return json.loads(envelope_text).get("correlation_id")
