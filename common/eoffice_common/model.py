"""What every service's domain model shares: an aggregate records the events its changes imply."""
from __future__ import annotations

from .events import DomainEvent

_PENDING = "_pending_events"


class Aggregate:
    """A mixin for a domain object, plain or mapped by SQLAlchemy, whose methods change its state
    and record the events the change implies. The unit of work that tracks the aggregate writes
    those events to the outbox in the transaction that commits the change.

    The list lives in the instance's __dict__ because SQLAlchemy builds loaded objects without
    calling __init__."""

    def record(self, event: DomainEvent) -> None:
        self.__dict__.setdefault(_PENDING, []).append(event)

    def collect_events(self) -> list[DomainEvent]:
        """The events recorded since the last collection, oldest first."""
        return self.__dict__.pop(_PENDING, [])
