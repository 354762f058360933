"""An in-memory unit of work for unit tests of use cases: no broker, no database.

A service's fake subclasses it and adds its in-memory repositories (`self.receipts = ...`).
Tests then assert on the repositories' state and on `committed_events`, not on calls."""
from __future__ import annotations

from .events import DomainEvent
from .model import Aggregate


class FakeUnitOfWork:
    def __init__(self, actor: str = "tester", correlation_id: str | None = None):
        self.actor = actor
        self.correlation_id = correlation_id
        self.committed = False
        self.commits = 0
        self.committed_events: list[DomainEvent] = []
        self.answers: list[object] = []
        self._pending: list[DomainEvent] = []
        self._tracked: list[Aggregate] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.rollback()

    def track(self, aggregate: Aggregate) -> Aggregate:
        if all(aggregate is not seen for seen in self._tracked):
            self._tracked.append(aggregate)
        return aggregate

    def emit(self, event: DomainEvent) -> DomainEvent:
        self._pending.append(event)
        return event

    def emit_all(self, events, cause_of=None):
        return [self.emit(event) for event in events]

    def flush(self) -> None:
        """Nothing to write: the repositories hold their objects already."""

    def commit(self, answer: object = None) -> None:
        for aggregate in self._tracked:
            self._pending.extend(aggregate.collect_events())
        self.committed_events.extend(self._pending)
        self._pending = []
        self.answers.append(answer)
        self.committed = True
        self.commits += 1

    def rollback(self) -> None:
        """Forget what was not committed. The in-memory repositories keep their objects (a fake
        has no transaction to undo); a test of a failure asserts on the events instead."""
        for aggregate in self._tracked:
            aggregate.collect_events()
        self._pending = []
        self._tracked = []

    def events_of(self, event_type: type[DomainEvent]) -> list[DomainEvent]:
        return [event for event in self.committed_events if isinstance(event, event_type)]
