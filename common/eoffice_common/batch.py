"""A nameko entrypoint that consumes events in batches: one worker, and so one transaction, per
batch of up to INGEST_BATCH_SIZE events, acknowledged together after it commits.

A nameko @event_handler runs one worker and one transaction per event, which tops out near a few
hundred to a few thousand events a second. Here the next batch is read while up to two are applied.
The queue is durable and shared by the replicas of the service; the worker applies each event once
(tracking rows in the same transaction: Store.apply_batch), so a batch redelivered after a crash
changes nothing.
"""
import collections
import json
import socket
import time
import uuid
from functools import partial

from eventlet.event import Event
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import Entrypoint
from prometheus_client import Histogram

from eoffice_common.logging import get_logger

log = get_logger(__name__)

BATCH_SIZES = Histogram(
    "eoffice_consumer_batch_events", "Events per consumed batch.", ["service"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000),
)
MAX_BACKOFF_SECONDS = 5.0
MAX_BATCH_AGE_SECONDS = 1.0
# Two batches are applied at once, in two transactions: one's statements run in PostgreSQL while
# the other's rows are prepared here. They take row locks in the same order (rows sorted by key,
# tables in the same order), so they wait for each other at most, never deadlock.
BATCHES_IN_FLIGHT = 2

# A batch given to a worker: its messages, the event its result arrives on, whether it goes alone.
InFlight = collections.namedtuple("InFlight", "batch done alone")


class BatchEventConsumer(Entrypoint):
    """`@batch_events({"dak": ("receipt_diarised", ...), ...}, alone={...})`: the method receives a
    list of event payloads (envelopes as dicts; a body that is not JSON arrives as its text).
    A batch holding an event type of `alone` is applied with no other batch in flight, after every
    earlier one and before every later one (events that later ones depend on, like the directory)."""

    def __init__(self, sources, batch_size=500, max_wait_seconds=0.05, alone=(), **kwargs):
        self.sources = sources
        self.alone = frozenset(alone)
        self.default_batch_size = batch_size
        self.default_max_wait = max_wait_seconds
        self._stopping = False
        self._stop_requested = Event()
        self._thread = None
        self._connection = None
        self._channel = None
        super().__init__(**kwargs)

    def setup(self):
        config = self.container.config
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.batch_size = int(config.get("INGEST_BATCH_SIZE") or self.default_batch_size)
        self.max_wait = float(config.get("INGEST_BATCH_WAIT_SECONDS") or self.default_max_wait)
        self.queue_name = f"evt-batch--{self.container.service_name}.{self.method_name}"

    def start(self):
        self._stopping = False
        self._stop_requested = Event()
        try:
            # Declared before start returns, so events published from now on are kept for us.
            self._connect()
        except Exception as exc:  # the broker is away: the consuming thread keeps trying
            log.warning("batch_consumer_not_connected", error=f"{type(exc).__name__}: {exc}")
            self._close()
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._stopping = True
        if not self._stop_requested.ready():
            self._stop_requested.send()
        if self._thread is not None:
            self._thread.wait()
        self._close()

    def kill(self):
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()
        self._close()

    def _run(self):
        backoff = 0.1
        while not self._stopping:
            try:
                self._consume()
                backoff = 0.1
            except Exception as exc:  # the broker went away, or a batch failed: retry after a pause
                log.warning("batch_consumer_interrupted", error=f"{type(exc).__name__}: {exc}", retry_in=backoff)
                self._close()
                self._stop_requested.wait(backoff)  # a stop need not wait out the pause
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _declare(self, channel):
        for service in self.sources:
            # Declared as nameko declares its event exchanges, so publishers and we agree.
            channel.exchange_declare(f"{service}.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare(self.queue_name, durable=True, auto_delete=False)
        for service, event_types in self.sources.items():
            for event_type in event_types:
                channel.queue_bind(self.queue_name, f"{service}.events", routing_key=event_type)

    def _connect(self):
        self._connection = Connection(self.amqp_uri, heartbeat=0, connect_timeout=5)
        self._connection.connect()
        _read_in_chunks(self._connection.connection.transport)
        self._channel = self._connection.connection.channel()
        self._declare(self._channel)

    def _consume(self):
        if self._connection is None:
            self._connect()
        connection, channel = self._connection.connection, self._channel
        # Room for the batches being applied and the one being read.
        channel.basic_qos(0, min(self.batch_size * (BATCHES_IN_FLIGHT + 1), 65535), False)
        buffer = []
        channel.basic_consume(self.queue_name, callback=buffer.append, no_ack=False)
        applying = collections.deque()  # InFlight batches, oldest first
        first_at = last_at = None
        # One timeout for every read, set once: py-amqp then leaves the socket's timeout alone,
        # where it would otherwise set and reset it for every frame.
        self._connection.connection.transport.sock.settimeout(self.max_wait)
        try:
            while not self._stopping:
                # Acknowledged in order (each ack covers every earlier delivery).
                while applying and applying[0].done.ready():
                    self._settle(channel, applying.popleft())
                if len(buffer) < self.batch_size:
                    # Batches being applied mostly wait for the database: meanwhile the next is read.
                    had = len(buffer)
                    try:
                        connection.drain_events(timeout=self.max_wait)
                    except socket.timeout:
                        pass
                    now = time.monotonic()
                    if len(buffer) > had:
                        first_at, last_at = first_at or now, now
                elif applying and (len(applying) >= BATCHES_IN_FLIGHT or applying[-1].alone):
                    applying[0].done.wait()
                    continue
                if not buffer or len(applying) >= BATCHES_IN_FLIGHT or (applying and applying[-1].alone):
                    continue
                # A batch is applied when full, when no event came for max_wait, or when it is a second old.
                now = time.monotonic()
                if len(buffer) >= self.batch_size or now - last_at >= self.max_wait or now - first_at >= MAX_BATCH_AGE_SECONDS:
                    batch, buffer[:] = buffer[: self.batch_size], buffer[self.batch_size:]
                    first_at = last_at = now if buffer else None
                    payloads = [_decode(message.body) for message in batch]
                    alone = any(isinstance(p, dict) and p.get("type") in self.alone for p in payloads)
                    while alone and applying:
                        self._settle(channel, applying.popleft())
                    applying.append(InFlight(batch, self._apply(payloads), alone))
        except BaseException:
            for in_flight in applying:
                in_flight.done.wait()  # finished before the connection goes; not acknowledged, so redelivered
            raise
        # Stopping: the batches in hand are finished and acknowledged; the rest go back to the queue.
        while applying:
            self._settle(channel, applying.popleft())

    def _apply(self, payloads):
        BATCH_SIZES.labels(self.container.service_name).observe(len(payloads))
        done = Event()
        self.container.spawn_worker(
            self, (payloads,), {}, context_data={"correlation_id": f"batch-{uuid.uuid4().hex}"},
            handle_result=partial(self._handle_result, done),
        )
        return done

    @staticmethod
    def _settle(channel, in_flight):
        _, exc_info = in_flight.done.wait()
        batch = in_flight.batch
        if exc_info is None:
            channel.basic_ack(batch[-1].delivery_tag, multiple=True)
            return
        # Not applied (database away): closing the connection puts the batch back in the queue.
        raise RuntimeError(f"a batch of {len(batch)} events was not applied: {exc_info[0].__name__}: {exc_info[1]}")

    @staticmethod
    def _handle_result(done, worker_ctx, result, exc_info):
        done.send((result, exc_info))
        return result, exc_info

    def _close(self):
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # already broken; nothing to release
                pass
            self._connection = self._channel = None


READ_CHUNK_BYTES = 8192


def _read_in_chunks(transport):
    """py-amqp (5.x) asks the socket for exactly the bytes of the frame part it parses next: nine
    small reads per message. Its reader keeps whatever arrives beyond that for the next read, so
    asking for more at a time is safe and reads a run of messages at once. Not too much more: it
    copies the rest of its buffer on every read, and 8 KiB took 30 µs of CPU per message where
    64 KiB took 56 µs and py-amqp's own reads 46 µs (1 kB events, measured on this machine)."""
    recv = transport.sock.recv
    transport._quick_recv = lambda n: recv(max(n, READ_CHUNK_BYTES))


def _decode(body):
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body)
    except ValueError:
        return body


batch_events = BatchEventConsumer.decorator
