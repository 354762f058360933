"""The event pipeline: every service consumes events through this one nameko entrypoint, an event
or a batch at a time, on kombu's ConsumerMixin (connection, channel, consumer, reconnection).

    @consume_events({"dak": ("user_recorded",)})        # the method gets one payload
    @consume_batches(CONSUMED, alone=DIRECTORY_EVENTS)  # the method gets a list of payloads

Each entrypoint owns a durable queue bound to the event types it names, and a retry queue. A
payload is the envelope as a dict (a body that is not JSON arrives as its text); the method applies
it once (Store.apply_once or apply_batch, tracking rows in the same transaction). Batches are
acknowledged in order once their worker returns. The next batch is read while up to two are
applied (docs/decisions/0102-batched-consumption.md).

A worker that fails does not put its events straight back: each is republished to the retry
queue with a per-message TTL that grows with its attempts (ATTEMPTS_HEADER) and is dead-lettered
by RabbitMQ back to the consumer's queue when it expires. An event that has failed before is
applied on its own, so a bad one does not hold back its batch. Failing for a reason other than an
outage, it goes to the `dead_letters` table with that reason after MAX_ATTEMPTS; an outage (the
database away) is retried for as long as it lasts, at most RETRY_DELAYS_SECONDS[-1] apart.
"""
import collections
import json
import time
import uuid
from contextlib import contextmanager
from functools import partial

import eventlet
import greenlet
import sqlalchemy.exc
from eventlet.event import Event
from kombu import Connection, Producer, Queue, binding
from kombu.mixins import ConsumerMixin
from nameko.constants import AMQP_URI_CONFIG_KEY, DEFAULT_HEARTBEAT, HEARTBEAT_CONFIG_KEY
from nameko.extensions import Entrypoint
from prometheus_client import Counter, Histogram

from .db import Database, Store
from .logging import get_logger
from .outbox import events_exchange

log = get_logger(__name__)

BATCH_SIZES = Histogram(
    "eoffice_consumer_batch_events", "Events per consumed batch.", ["service"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000),
)
RETRIED = Counter(
    "eoffice_events_retried_total", "Events put in the retry queue after their worker failed.", ["service", "consumer", "cause"],
)

ATTEMPTS_HEADER = "x-eoffice-attempts"
# Delay before the n-th retry; the last one repeats for as long as an outage lasts.
RETRY_DELAYS_SECONDS = (1, 2, 4, 8, 15)
MAX_ATTEMPTS = 5
# Failures that mean something the event needs is away (the database), not that the event is wrong.
OUTAGES = (
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError, OSError,
)
# kombu waits 2 s, then 4 s ... up to 30 s between attempts to reconnect; back within a second
# of the broker's return instead. Each connection starts again from the first interval.
RECONNECT_INTERVALS = {"interval_start": 0, "interval_step": 0.25, "interval_max": 1.0}
LOG_WAITING_EVERY_SECONDS = 30.0
START_TIMEOUT_SECONDS = 5.0
MAX_BATCH_AGE_SECONDS = 1.0
# Two batches are applied at once, in two transactions: one's statements run in PostgreSQL while
# the other's rows are prepared here. They take row locks in the same order (rows sorted by key,
# tables in the same order), so they wait for each other at most, never deadlock.
BATCHES_IN_FLIGHT = 2

# A batch given to a worker: its messages, the event its result arrives on, whether it goes alone.
InFlight = collections.namedtuple("InFlight", "messages done alone")


def queue_arguments(config):
    """Arguments of every durable queue: RabbitMQ quorum queues when AMQP_QUEUE_TYPE is quorum."""
    queue_type = (config.get("AMQP_QUEUE_TYPE") or "classic").lower()
    if queue_type not in ("classic", "quorum"):
        raise ValueError(f"AMQP_QUEUE_TYPE must be classic or quorum, not {queue_type!r}")
    return {"x-queue-type": queue_type}


def consumer_queues(sources, queue_name, config):
    """The queue an entrypoint consumes, bound to every event type it names, and its retry queue,
    which dead-letters each message back to it when the message's TTL expires."""
    arguments = queue_arguments(config)
    bindings = [binding(events_exchange(service), routing_key=event_type)
                for service, event_types in sources.items() for event_type in event_types]
    retry_arguments = {**arguments, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name}
    if arguments["x-queue-type"] == "quorum":
        # Quorum queues dead-letter at most once unless told otherwise; never lose a retried event.
        retry_arguments.update({"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"})
    return (
        Queue(queue_name, bindings=bindings, durable=True, auto_delete=False, queue_arguments=arguments),
        Queue(f"{queue_name}.retry", durable=True, auto_delete=False, queue_arguments=retry_arguments),
    )


def declare_queues(service_cls, config):
    """Declare the queues and bindings of every event entrypoint of a service, as the running
    service does: run at deploy time (`<service> migrate`), so that no event is published before
    its consumers' queues exist. Returns the names of the queues."""
    declared = []
    with Connection(config[AMQP_URI_CONFIG_KEY], connect_timeout=10) as connection:
        channel = connection.channel()
        for method_name in dir(service_cls):
            for entrypoint in getattr(getattr(service_cls, method_name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventConsumer):
                    name = entrypoint.queue_name_for(service_cls.name, method_name)
                    for queue in consumer_queues(entrypoint.sources, name, config):
                        queue(channel).declare()
                        declared.append(queue.name)
    return declared


def is_outage(exc):
    return isinstance(exc, OUTAGES)


def attempts_of(message):
    return int((message.headers or {}).get(ATTEMPTS_HEADER, 0))


def retry_delay(attempt):
    return RETRY_DELAYS_SECONDS[min(attempt, len(RETRY_DELAYS_SECONDS)) - 1]


class QuickReconnect:
    """For a kombu ConsumerMixin: reconnects within a second of the broker's return, starting
    from the shortest interval after every connection; logs waiting for the broker when it
    starts and then every LOG_WAITING_EVERY_SECONDS, not at every attempt; and tells readiness
    whether it is consuming."""

    consuming = False
    _waiting_logged_at = None

    @contextmanager
    def establish_connection(self):
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries, **RECONNECT_INTERVALS)
            yield connection

    def on_connection_error(self, exc, interval):
        now = time.monotonic()
        if self._waiting_logged_at is None or now - self._waiting_logged_at >= LOG_WAITING_EVERY_SECONDS:
            self._waiting_logged_at = now
            log.warning("consumer_waiting_for_broker", consumer=self.name, error=f"{type(exc).__name__}: {exc}")

    @contextmanager
    def extra_context(self, connection, channel):
        self.consuming, self._waiting_logged_at = True, None
        try:
            yield
        finally:
            self.consuming = False

    def broker_ready(self):
        """Whether this consumer is connected and consuming (for /health/ready)."""
        return self.consuming


class EventConsumer(Entrypoint):
    """Consumes the events of `sources` ({service: (event types)}): one at a time, or in batches of
    up to INGEST_BATCH_SIZE when `batched`. A batch holding an event type of `alone` is applied
    with no other batch in flight, after every earlier one and before every later one (events that
    later ones depend on, like the directory)."""

    def __init__(self, sources, batched=False, batch_size=500, max_wait_seconds=0.05, alone=(), **kwargs):
        self.sources = sources
        self.batched = batched
        self.alone = frozenset(alone)
        self.default_batch_size = batch_size if batched else 1
        self.default_max_wait = max_wait_seconds
        self._consumer = None
        self._thread = None
        super().__init__(expected_exceptions=OUTAGES, **kwargs)

    @staticmethod
    def queue_name_for(service_name, method_name):
        return f"evt--{service_name}.{method_name}"

    def setup(self):
        config = self.container.config
        batch_size = int(config.get("INGEST_BATCH_SIZE") or self.default_batch_size) if self.batched else 1
        self.consumer_name = f"{self.container.service_name}.{self.method_name}"
        self._consumer = _Consumer(
            self,
            Connection(config[AMQP_URI_CONFIG_KEY], heartbeat=config.get(HEARTBEAT_CONFIG_KEY, DEFAULT_HEARTBEAT),
                       connect_timeout=5, transport_options={"confirm_publish": True}),
            consumer_queues(self.sources, self.queue_name_for(self.container.service_name, self.method_name), config),
            batch_size,
            float(config.get("INGEST_BATCH_WAIT_SECONDS") or self.default_max_wait),
        )

    def start(self):
        try:
            # Declared before start returns, so events published from now on are kept for us.
            with self._consumer.connection.clone() as connection:
                channel = connection.ensure_connection(max_retries=0).channel()
                for queue in self._consumer.queues:
                    queue(channel).declare()
            broker_there = True
        except Exception as exc:  # the broker is away: the consuming thread declares them once it is back
            log.warning("event_consumer_not_connected", consumer=self.consumer_name, error=f"{type(exc).__name__}: {exc}")
            broker_there = False
        self._thread = self.container.spawn_managed_thread(self._consumer.run_until_stopped)
        if broker_there:
            # As nameko's own consumers, started once consuming, and so ready.
            with eventlet.Timeout(START_TIMEOUT_SECONDS, False):
                while not self._consumer.consuming:
                    eventlet.sleep(0.01)

    def stop(self):
        self._consumer.should_stop = True
        if not self._consumer.consuming:
            self._thread.kill()  # it is waiting for the broker: nothing is in hand
        try:
            self._thread.wait()
        except greenlet.GreenletExit:  # what the killed thread ended with, raised again by wait()
            pass

    def kill(self):
        self._consumer.should_stop = True
        if self._thread is not None:
            self._thread.kill()

    def broker_ready(self):
        return self._consumer is not None and self._consumer.broker_ready()

    def apply(self, messages, payloads):
        """Give a batch to a worker; returns the event its (result, exc_info) arrives on."""
        BATCH_SIZES.labels(self.container.service_name).observe(len(payloads))
        if self.batched:
            args, correlation_id = (payloads,), f"batch-{uuid.uuid4().hex}"
        else:
            args, correlation_id = (payloads[0],), _correlation_id(messages[0], payloads[0])
        done = Event()
        self.container.spawn_worker(
            self, args, {}, context_data={"correlation_id": correlation_id},
            handle_result=partial(_send_result, done),
        )
        return done

    def dead_letter(self, message, exc):
        """Keep an event that kept failing in the dead letters, with the reason."""
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        store = Store(database.shared, actor="system", correlation_id=None, consumer=self.consumer_name,
                      service=self.container.service_name)
        store.dead_letter(_decode(message.body), exc)


class _Consumer(QuickReconnect, ConsumerMixin):
    """The consuming loop of one EventConsumer, in a green thread of its container."""

    def __init__(self, entrypoint, connection, queues, batch_size, max_wait):
        self.entrypoint = entrypoint
        self.connection = connection
        self.queues = queues
        self.queue, self.retry_queue = queues
        self.batch_size = batch_size
        self.max_wait = max_wait
        self._buffer = []
        self._first_at = self._last_at = None
        self._applying = collections.deque()  # InFlight batches, oldest first
        self._retry_producer = None

    def run_until_stopped(self):
        while not self.should_stop:
            try:
                # Draining returns at least every max_wait, to apply a batch that has waited long enough.
                self.run(safety_interval=self.max_wait)
            except Exception as exc:  # not the connection (run() reconnects): start over, a second later
                log.warning("event_consumer_interrupted", consumer=self.entrypoint.consumer_name,
                            error=f"{type(exc).__name__}: {exc}", exc_info=True)
                eventlet.sleep(1)

    @property
    def name(self):
        return self.entrypoint.consumer_name

    def get_consumers(self, Consumer, channel):
        self.retry_queue(channel).declare()
        self._retry_producer = Producer(channel.connection.channel())
        self._buffer.clear()  # what was read before the last connection ended is being redelivered
        # Room for the batches being applied and the one being read.
        prefetch = min(self.batch_size * (BATCHES_IN_FLIGHT + 1), 65535)
        return [Consumer(queues=[self.queue], on_message=self._received, prefetch_count=prefetch)]

    @contextmanager
    def extra_context(self, connection, channel):
        with super().extra_context(connection, channel):
            try:
                yield
            except BaseException:
                for in_flight in self._applying:
                    in_flight.done.wait()  # finished before the connection goes; not acknowledged, so redelivered
                self._applying.clear()
                raise
            # Stopping: the batches in hand are finished and settled; the rest go back to the queue.
            while self._applying:
                self._settle(self._applying.popleft())

    def _received(self, message):
        self._last_at = time.monotonic()
        if not self._buffer:
            self._first_at = self._last_at
        self._buffer.append(message)

    def on_iteration(self):
        """Before each read from the broker: settle finished batches, start the next one if due."""
        applying, buffer = self._applying, self._buffer
        # Settled in order (an acknowledgement covers every earlier delivery).
        while applying and applying[0].done.ready():
            self._settle(applying.popleft())
        if not buffer:
            return
        if applying and (len(applying) >= BATCHES_IN_FLIGHT or applying[-1].alone):
            if len(buffer) >= self.batch_size:
                self._settle(applying.popleft())  # nothing more to read until it is done
            return
        # A batch is applied when full, when no event came for max_wait, or when it is a second old.
        now = time.monotonic()
        if len(buffer) < self.batch_size and now - self._last_at < self.max_wait and now - self._first_at < MAX_BATCH_AGE_SECONDS:
            return
        messages = self._next_batch()
        payloads = [_decode(message.body) for message in messages]
        alone = any(isinstance(p, dict) and p.get("type") in self.entrypoint.alone for p in payloads)
        while alone and applying:
            self._settle(applying.popleft())
        applying.append(InFlight(messages, self.entrypoint.apply(messages, payloads), alone))

    def _next_batch(self):
        """The oldest messages, up to a batch: an event that failed before goes on its own."""
        buffer = self._buffer
        size = 1
        if attempts_of(buffer[0]) == 0:
            while size < min(len(buffer), self.batch_size) and attempts_of(buffer[size]) == 0:
                size += 1
        messages, buffer[:] = buffer[:size], buffer[size:]
        self._first_at = time.monotonic()
        return messages

    def _settle(self, in_flight):
        _, exc_info = in_flight.done.wait()
        messages = in_flight.messages
        if exc_info is not None:
            exc = exc_info[1]
            outage = is_outage(exc)
            for message in messages:
                attempt = attempts_of(message) + 1
                if not outage and attempt >= MAX_ATTEMPTS:
                    try:
                        self.entrypoint.dead_letter(message, exc)
                        continue
                    except OUTAGES:
                        outage = True
                self._retry(message, attempt, "outage" if outage else "failure")
            if attempts_of(messages[0]) == 0:  # the worker logged each failure; later retries are counted, not logged
                log.warning("events_retried", consumer=self.entrypoint.consumer_name, events=len(messages),
                            error=f"{type(exc).__name__}: {exc}", outage=outage)
        messages[-1].ack(multiple=True)

    def _retry(self, message, attempt, cause):
        """Publish a copy to wait in the retry queue, confirmed before the original is acknowledged."""
        properties = message.properties
        self._retry_producer.publish(
            message.body, routing_key=self.retry_queue.name, headers={**(message.headers or {}), ATTEMPTS_HEADER: attempt},
            expiration=retry_delay(attempt), content_type=message.content_type, content_encoding=message.content_encoding,
            delivery_mode=2, message_id=properties.get("message_id"), mandatory=True, retry=False,
        )
        RETRIED.labels(self.entrypoint.container.service_name, self.entrypoint.consumer_name, cause).inc()


def _send_result(done, worker_ctx, result, exc_info):
    done.send((result, exc_info))
    return result, exc_info


def _decode(body):
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body)
    except ValueError:
        return body


def _correlation_id(message, payload):
    from_payload = payload.get("correlation_id") if isinstance(payload, dict) else None
    return (message.headers or {}).get("nameko.correlation_id") or from_payload


consume_events = partial(EventConsumer.decorator, batched=False)
consume_batches = partial(EventConsumer.decorator, batched=True)
