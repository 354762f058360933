"""Database access for a service: a shared engine, a unit of work that writes state and outbox
rows in one transaction, and event consumption that takes effect once."""
import json
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .engine import DatabaseEngine
from .events import Envelope, MalformedEvent
from .logging import get_logger
from .metrics import EVENTS_CONSUMED, OUTBOX_COLLECTOR
from .outbox import OutboxRelay
from .tables import dead_letters, outbox, processed_events

log = get_logger(__name__)

# Built once: a statement with bound parameters is compiled once and cached.
INSERT_OUTBOX = insert(outbox)

# Errors that mean the event itself is wrong: retrying it would fail forever.
MALFORMED = (MalformedEvent, ValidationError, KeyError, TypeError, ValueError)


def utcnow():
    return datetime.now(timezone.utc)


class UnitOfWork:
    """State changes and the events announcing them: committed together or not at all."""

    def __init__(self, shared, actor, correlation_id):
        self._shared = shared
        self.actor = actor
        self.correlation_id = correlation_id
        self.committed = False
        self._events_written = 0

    def __enter__(self):
        self._turn = self._shared.write_turn()
        self._turn.__enter__()
        self.session = Session(self._shared.engine, expire_on_commit=False, autoflush=True)
        return self

    def __exit__(self, *exc_info):
        try:
            if not self.committed:
                self.session.rollback()
            self.session.close()
        finally:
            self._turn.__exit__(*exc_info)

    def emit(self, event):
        """Record `event` (a DomainEvent) in the outbox, inside this transaction."""
        envelope = Envelope.wrap(event, self.actor, self.correlation_id)
        self.session.connection().execute(
            INSERT_OUTBOX,
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "aggregate_type": envelope.aggregate_type,
                "aggregate_id": envelope.aggregate_id,
                "envelope": json.dumps(envelope.to_dict(), ensure_ascii=False),
                "created_at": utcnow(),
            },
        )
        self._events_written += 1
        return envelope

    def commit(self):
        self.session.commit()
        self.committed = True
        if self._events_written:
            self._shared.outbox_written.set()

    def rollback(self):
        self.session.rollback()
        self._events_written = 0


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
        principal = worker_ctx.context_data.get("principal") or {}
        consumer = f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}"
        return Store(
            self.shared,
            actor=principal.get("user_id", "system"),
            correlation_id=worker_ctx.context_data.get("correlation_id"),
            consumer=consumer,
            service=self.container.service_name,
        )


class Store:
    def __init__(self, shared, actor, correlation_id, consumer, service):
        self._shared = shared
        self.actor = actor
        self.correlation_id = correlation_id
        self.consumer = consumer
        self.service = service

    @property
    def engine(self):
        return self._shared.engine

    def unit_of_work(self, actor=None):
        return UnitOfWork(self._shared, actor or self.actor, self.correlation_id)

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
            return self._dead_letter(payload, exc)
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
                return self._dead_letter(payload, exc, envelope)
        return self._count(envelope.type, "applied")

    def _count(self, event_type, outcome):
        EVENTS_CONSUMED.labels(self.service, event_type, outcome).inc()
        return outcome

    def _dead_letter(self, payload, exc, envelope=None):
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("event_dead_lettered", consumer=self.consumer, reason=reason)
        event_type = envelope.type if envelope else (payload.get("type") if isinstance(payload, dict) else None)
        with self.unit_of_work() as uow:
            uow.session.execute(
                insert(dead_letters).values(
                    consumer=self.consumer,
                    event_id=envelope.id if envelope else (payload.get("id") if isinstance(payload, dict) else None),
                    event_type=event_type,
                    payload=json.dumps(payload, ensure_ascii=False, default=str),
                    reason=reason,
                    created_at=utcnow(),
                )
            )
            uow.commit()
        return self._count(str(event_type), "dead_lettered")
