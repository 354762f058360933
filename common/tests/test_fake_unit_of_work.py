"""The in-memory unit of work that use-case unit tests run on behaves as the real one does:
what an aggregate records is committed with it, or forgotten with a rollback."""
from dataclasses import dataclass

from eoffice_common.events import DomainEvent
from eoffice_common.fakes import FakeUnitOfWork
from eoffice_common.model import Aggregate


@dataclass(frozen=True)
class Rang(DomainEvent):
    event_type = "bell_rang"
    aggregate_type = "bell"
    times: int

    @property
    def aggregate_id(self):
        return "bell"


class Bell(Aggregate):
    def __init__(self):
        self.times = 0

    def ring(self):
        self.times += 1
        self.record(Rang(times=self.times))


def test_events_recorded_by_tracked_aggregates_are_committed_in_order():
    uow, bell = FakeUnitOfWork(), Bell()
    with uow:
        uow.track(bell).ring()
        uow.track(bell).ring()
        uow.commit()
    assert [event.times for event in uow.committed_events] == [1, 2]
    assert bell.collect_events() == []


def test_events_of_a_unit_of_work_left_without_commit_are_forgotten():
    uow, bell = FakeUnitOfWork(), Bell()
    with uow:
        uow.track(bell).ring()
    with uow:
        uow.track(bell).ring()
        uow.commit()
    assert [event.times for event in uow.events_of(Rang)] == [2]
    assert uow.commits == 1
