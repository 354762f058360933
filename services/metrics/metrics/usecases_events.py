"""Use cases of consuming events: a batch applied (the shared pipeline, eoffice_common.db.Store.apply_batch,
has tracked each event once and dead-lettered the malformed before), and the directory bootstrapped from
dak's snapshot. Each is `(command, uow)` over a repository.MetricsUnitOfWork."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eoffice_common import directory
from eoffice_common.events import Envelope

from .domain import Stale


@dataclass(frozen=True)
class ApplyEvents:
    events: list[tuple[Envelope, object]]  # (envelope, events.parse_event's answer), of events not applied before
    now: datetime


def apply_events(command: ApplyEvents, uow) -> None:
    """The batch's directory records, then its facts (placed in their offices, projected to files,
    receipts, dispatches, daily counts and active users), and the weeks they make stale marked, in the
    caller's transaction: what is applied commits with the events' tracking rows."""
    uow.facts.lock_against_rebuild()
    stale, facts = Stale(), []
    for envelope, parsed in command.events:
        if envelope.type == "office_recorded":
            uow.directory.record_office(envelope.data, directory.occurred_at(envelope), stale)
        elif envelope.type == "user_recorded":
            uow.directory.record_user(envelope.data, directory.occurred_at(envelope), stale)
        else:
            facts.append(parsed)
    if facts:
        uow.facts.add(facts, stale, command.now)
    uow.facts.mark_stale(stale, command.now)


@dataclass(frozen=True)
class RecordDirectory:
    snapshot: dict  # dak.directory_snapshot(): offices, users, taken_at
    now: datetime


def record_directory(command: RecordDirectory, uow) -> None:
    """A whole directory into an empty copy, at start."""
    with uow:
        stale, taken_at = Stale(), directory.snapshot_taken_at(command.snapshot)
        for data in command.snapshot.get("offices", []):
            uow.directory.record_office(data, taken_at, stale)
        for data in command.snapshot.get("users", []):
            uow.directory.record_user(data, taken_at, stale)
        uow.facts.mark_stale(stale, command.now)
        uow.commit()
