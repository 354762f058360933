"""Database access for a service: a shared engine, a unit of work that writes state and outbox
rows in one transaction, and event consumption that takes effect once."""
import json
from collections import Counter
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from .engine import DatabaseEngine
from .events import Envelope, MalformedEvent
from .idempotency import keyed_request_of
from .logging import get_logger
from .metrics import EVENTS_CONSUMED, OUTBOX_COLLECTOR
from .outbox import OutboxRelay
from .tables import dead_letters, outbox, processed_events

log = get_logger(__name__)

# Built once: a statement with bound parameters is compiled once and cached.
INSERT_OUTBOX = insert(outbox)

# Errors that mean the event itself is wrong: retrying it would fail forever.
MALFORMED = (MalformedEvent, ValidationError, KeyError, TypeError, ValueError)
# The database refusing a value of an event (too long, out of range ...): set aside, not retried.
REFUSED = (DataError, IntegrityError)

# INSERT ... ON CONFLICT DO NOTHING RETURNING event_id: which events of a batch are new, per dialect.
_TRACK_NEW = {
    name: dialect.insert(processed_events).on_conflict_do_nothing().returning(processed_events.c.event_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def utcnow():
    return datetime.now(timezone.utc)


class UnitOfWork:
    """State changes and the events announcing them: committed together or not at all.

    `connection` is a Core connection in this unit of work's transaction; `session` an ORM session on
    the same connection and transaction. Each is made when first asked for: a write made of plain
    statements (a file movement) does not pay for the ORM's bookkeeping of a transaction.

    Opened for an HTTP request carrying an Idempotency-Key (`keyed_request`), its transaction takes
    the key first and keeps the route's answer under it when it commits (eoffice_common.idempotency)."""

    def __init__(self, shared, actor, correlation_id, keyed_request=None):
        self._shared = shared
        self.actor = actor
        self.correlation_id = correlation_id
        self._keyed_request = keyed_request
        self.committed = False
        self._events_written = 0
        self._connection = None
        self._session = None
        self._tracked = []

    def __enter__(self):
        self._turn = self._shared.write_turn()
        self._turn.__enter__()
        return self

    def __exit__(self, *exc_info):
        try:
            self._release()
        finally:
            self._turn.__exit__(*exc_info)

    @property
    def connection(self):
        if self._connection is None:
            self._connection = self._shared.engine.connect()
            if self._keyed_request is not None and not self._keyed_request.answered:
                self._keyed_request.take(self._connection)
        return self._connection

    @property
    def session(self):
        if self._session is None:
            self._session = Session(bind=self.connection, join_transaction_mode="control_fully", expire_on_commit=False, autoflush=True)
        return self._session

    def _release(self):
        """Give the connection back, rolling back whatever was not committed."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def track(self, aggregate):
        """Take an aggregate (eoffice_common.model.Aggregate) into this unit of work: the events it
        records are written to the outbox when the unit of work commits. Returns the aggregate."""
        if all(aggregate is not seen for seen in self._tracked):
            self._tracked.append(aggregate)
        return aggregate

    def emit(self, event):
        """Record `event` (a DomainEvent) in the outbox, inside this transaction."""
        return self.emit_all([event])[0]

    def emit_all(self, events, cause_of=None):
        """Record many events in the outbox with one statement. `cause_of(event)` may name the
        consumed Envelope an event answers: its actor and correlation id then go with the event,
        as apply_once gives them to the unit of work; otherwise this unit of work's."""
        envelopes, rows = self.outbox_rows(events, cause_of)
        if rows:
            self.connection.execute(INSERT_OUTBOX, rows if len(rows) > 1 else rows[0])
        return envelopes

    def outbox_rows(self, events, cause_of=None):
        """(envelopes, outbox rows) of `events`, for a statement of the caller's own that writes
        the rows in this transaction together with its state (one round trip fewer)."""
        envelopes, rows, now = [], [], utcnow()
        for event in events:
            cause = cause_of(event) if cause_of else None
            envelope = Envelope.wrap(event, cause.actor if cause else self.actor,
                                     cause.correlation_id if cause else self.correlation_id)
            envelopes.append(envelope)
            rows.append({
                "event_id": envelope.id,
                "event_type": envelope.type,
                "aggregate_type": envelope.aggregate_type,
                "aggregate_id": envelope.aggregate_id,
                "envelope": json.dumps(envelope.to_dict(), ensure_ascii=False),
                "created_at": now,
            })
        self._events_written += len(rows)
        return envelopes, rows

    def recorded_events(self):
        """The events the tracked aggregates recorded and nobody took yet, each aggregate's in order."""
        return [event for aggregate in self._tracked for event in aggregate.collect_events()]

    def flush(self):
        """Write what the session holds, before a statement that must be the transaction's last."""
        if self._session is not None:
            self._session.flush()

    def commit(self, answer=None):
        """Commit. `answer` is what the route will return for the HTTP request this unit of work
        carries out: if the request carries an Idempotency-Key, it is kept under the key in this
        same transaction (a route declared idempotent must give it)."""
        recorded = self.recorded_events()
        if recorded:
            self.emit_all(recorded)
        keyed = self._keyed_request
        if keyed is not None and not keyed.answered and self._connection is not None:
            if answer is None:
                raise RuntimeError("an idempotent route commits with its answer: uow.commit(answer)")
            keyed.keep(self._connection, answer)
        if self._session is not None:
            self._session.commit()  # flushes, then commits the connection's transaction
        elif self._connection is not None:
            self._connection.commit()
        self.committed = True
        if self._events_written:
            self._shared.outbox_written.set()

    def rollback(self):
        """Undo everything so far; used again, this unit of work starts a new transaction."""
        self._release()
        self._events_written = 0
        for aggregate in self._tracked:
            aggregate.collect_events()
        self._tracked = []


class Database(DependencyProvider):
    """Injects a `Store`: `unit_of_work()` for writes, `apply_once()` for consumed events.
    Declaring it also runs this service's outbox relay."""

    shared = DatabaseEngine()
    relay = OutboxRelay()

    def start(self):
        OUTBOX_COLLECTOR.engines[self.container.service_name] = self.shared.engine

    def stop(self):
        OUTBOX_COLLECTOR.engines.pop(self.container.service_name, None)

    kill = stop

    def get_dependency(self, worker_ctx):
        principal = worker_ctx.data.get("principal") or {}
        consumer = f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}"
        return Store(
            self.shared,
            actor=principal.get("user_id", "system"),
            correlation_id=worker_ctx.data.get("correlation_id"),
            consumer=consumer,
            service=self.container.service_name,
            keyed_request=keyed_request_of(worker_ctx),
        )


class Store:
    def __init__(self, shared, actor, correlation_id, consumer, service, keyed_request=None):
        self._shared = shared
        self.actor = actor
        self.correlation_id = correlation_id
        self.consumer = consumer
        self.service = service
        self._keyed_request = keyed_request

    @property
    def engine(self):
        return self._shared.engine

    def unit_of_work(self, actor=None):
        return UnitOfWork(self._shared, actor or self.actor, self.correlation_id, self._keyed_request)

    def read(self):
        """A session for queries only; nothing it does is committed."""
        return Session(self._shared.engine)

    def apply_once(self, payload, effect):
        """Apply `effect(uow, envelope)` unless this consumer already applied this event.

        The tracking record commits with the effect. A malformed event is dead-lettered and
        acknowledged; any other failure propagates so the message is redelivered.
        Returns "applied", "duplicate" or "dead_lettered".
        """
        try:
            envelope = Envelope.parse(payload)
        except MalformedEvent as exc:
            return self.dead_letter(payload, exc)
        with self.unit_of_work(actor=envelope.actor) as uow:
            uow.correlation_id = envelope.correlation_id
            seen = uow.session.execute(
                select(processed_events.c.event_id).where(
                    processed_events.c.consumer == self.consumer, processed_events.c.event_id == envelope.id
                )
            ).first()
            if seen:
                return self._count(envelope.type, "duplicate")
            try:
                effect(uow, envelope)
                uow.session.execute(
                    insert(processed_events).values(consumer=self.consumer, event_id=envelope.id, processed_at=utcnow())
                )
                uow.commit()
            except IntegrityError:
                # A concurrent redelivery committed the same tracking record first.
                uow.rollback()
                return self._count(envelope.type, "duplicate")
            except MALFORMED as exc:
                uow.rollback()
                return self.dead_letter(payload, exc, envelope)
        return self._count(envelope.type, "applied")

    def apply_batch(self, payloads, effect, validate=None, on_commit=None):
        """Apply a batch of consumed events in one transaction; returns a Counter of outcomes
        ("applied", "duplicate", "dead_lettered").

        `validate(envelope)` checks an event's data and returns what `effect` needs of it;
        `effect(uow, events)` applies [(envelope, validated)], in batch order, of the events this
        consumer has not applied before. Their tracking rows are written first, with one
        INSERT ... ON CONFLICT DO NOTHING: what it does not return was applied already, or is being
        applied by a concurrent redelivery (the insert waits for that transaction to end). Events
        whose envelope or data are malformed are dead-lettered in the same transaction. If the
        effect finds an event malformed or the database refuses one, the batch is applied again
        one event at a time, so that only the culprit is dead-lettered. Any other failure
        propagates: the batch is redelivered. `on_commit(result)` is given effect's result after
        each commit.
        """
        try:
            return self._apply_together(payloads, effect, validate, on_commit)
        except MALFORMED + REFUSED as exc:
            if len(payloads) == 1:
                return Counter([self.dead_letter(payloads[0], exc)])
            log.warning("batch_applied_one_by_one", consumer=self.consumer, events=len(payloads), reason=_reason(exc))
            outcomes = Counter()
            for payload in payloads:
                outcomes += self.apply_batch([payload], effect, validate, on_commit)
            return outcomes

    def _apply_together(self, payloads, effect, validate, on_commit):
        fresh, outcomes, malformed = parse_batch(payloads, validate)
        ids = {envelope.id for envelope, _ in fresh}
        with self.unit_of_work() as uow:
            new = self._track_new(uow.session, ids)
            events = [(envelope, validated) for envelope, validated in fresh if envelope.id in new]
            result = effect(uow, events) if events else None
            for payload, exc, envelope in malformed:
                self._write_dead_letter(uow.session, payload, _reason(exc), envelope)
            uow.commit()
        if events and on_commit:
            on_commit(result)
        for envelope, _ in fresh:
            outcomes[(envelope.type, "applied" if envelope.id in new else "duplicate")] += 1
        for payload, exc, envelope in malformed:
            outcomes[(_type_of(payload, envelope), "dead_lettered")] += 1
            log.warning("event_dead_lettered", consumer=self.consumer, reason=_reason(exc))
        counted = Counter()
        for (event_type, outcome), count in outcomes.items():
            EVENTS_CONSUMED.labels(self.service, str(event_type), outcome).inc(count)
            counted[outcome] += count
        return counted

    def _track_new(self, session, event_ids):
        """Tracking rows for these events; returns the ids of those not tracked before."""
        if not event_ids:
            return set()
        now = utcnow()
        # In key order: concurrent batches then wait for each other, never deadlock.
        rows = [{"consumer": self.consumer, "event_id": event_id, "processed_at": now} for event_id in sorted(event_ids)]
        return set(session.execute(_TRACK_NEW[session.get_bind().dialect.name], rows).scalars())

    def _count(self, event_type, outcome):
        EVENTS_CONSUMED.labels(self.service, event_type, outcome).inc()
        return outcome

    def dead_letter(self, payload, exc, envelope=None):
        """Keep an event that can never apply in the dead letters, with the reason."""
        reason = _reason(exc)
        log.warning("event_dead_lettered", consumer=self.consumer, reason=reason)
        with self.unit_of_work() as uow:
            self._write_dead_letter(uow.session, payload, reason, envelope)
            uow.commit()
        return self._count(str(_type_of(payload, envelope)), "dead_lettered")

    def _write_dead_letter(self, session, payload, reason, envelope):
        session.execute(
            insert(dead_letters).values(
                consumer=self.consumer,
                event_id=_clipped(envelope.id if envelope else (payload.get("id") if isinstance(payload, dict) else None), 64),
                event_type=_clipped(_type_of(payload, envelope), 80),
                payload=json.dumps(payload, ensure_ascii=False, default=str),
                reason=reason,
                created_at=utcnow(),
            )
        )


def parse_batch(payloads, validate=None):
    """A batch of consumed payloads sorted out: (fresh, outcomes, malformed). `fresh` holds
    (envelope, validate(envelope)) of each event once, in batch order; `outcomes` counts
    (type, "duplicate") for events repeated within the batch; `malformed` holds (payload,
    exception, envelope or None) of those that can never apply."""
    fresh, outcomes, malformed, ids = [], Counter(), [], set()
    for payload in payloads:
        envelope = None
        try:
            envelope = Envelope.parse(payload)
            if envelope.id in ids:
                outcomes[(envelope.type, "duplicate")] += 1
                continue
            validated = validate(envelope) if validate else None
        except MALFORMED as exc:
            malformed.append((payload, exc, envelope))
            continue
        ids.add(envelope.id)
        fresh.append((envelope, validated))
    return fresh, outcomes, malformed


def _type_of(payload, envelope):
    return envelope.type if envelope else (payload.get("type") if isinstance(payload, dict) else None)


def _clipped(value, length):
    """An event's id or type as the dead letters can hold it (the event may be wrong in just that)."""
    return str(value)[:length] if value is not None else None


def _reason(exc):
    """Why an event is set aside; for a database refusal, the database's words alone (without the
    statement and its parameters)."""
    detail = str(exc.orig).strip() if isinstance(exc, REFUSED) else str(exc)
    return f"{type(exc).__name__}: {detail}"
