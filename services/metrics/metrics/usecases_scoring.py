"""Use cases of scoring: every stale week (and every week since the first fact that has no scores yet)
scored again from the projections, and weeks recomputed from their facts. A scoring pass is one
transaction per week, so that a batch of events never waits for a whole pass: these use cases take
`start`, which opens a new repository.MetricsUnitOfWork each time it is called."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from . import domain


@dataclass(frozen=True)
class ScoreStaleWeeks:
    settings: domain.ScoreSettings
    now: datetime
    every_seconds: float = 0.0  # a week scored less than this ago waits for a later pass


def score_stale_weeks(command: ScoreStaleWeeks, start: Callable) -> list[int]:
    """Score what needs it; returns the weeks scored. While events pour in, the current week would
    otherwise be scored after every batch. One replica scores at a time."""
    now, current = command.now, domain.week_of(command.now)
    with start() as uow:
        if not uow.weeks.take_scorer_lock():
            return []
        work = {week: (rebuild, version) for week, rebuild, version in uow.weeks.stale()}
        for week in uow.weeks.unscored(current):
            work.setdefault(week, (False, None))
        for week in _out_of_date(uow.weeks.computed_at(), current, now):
            work.setdefault(week, (False, None))
        recent = uow.weeks.scored_since(now - timedelta(seconds=command.every_seconds)) if command.every_seconds else set()
        due = [week for week in sorted(work) if week <= current and (work[week][0] or week not in recent)]
        # Read only when there is something to score: this runs every second.
        offices = uow.directory.offices() if due else None
        if not offices:
            return []
    scored = []
    for week in due:
        rebuild, version = work[week]
        with start() as uow:
            if not uow.weeks.take_scorer_lock():
                break
            score_week(ScoreWeek(week, command.settings, now, rebuild, offices), uow)
            if version is not None:
                uow.weeks.clear_stale(week, version)
            uow.commit()
        scored.append(week)
    return scored


@dataclass(frozen=True)
class ScoreWeek:
    week: int
    settings: domain.ScoreSettings
    now: datetime
    rebuild: bool = False  # the week's daily counts and active users again from its facts first
    offices: list | None = None  # the directory's offices, when a pass has read them already


def score_week(command: ScoreWeek, uow) -> None:
    """One week's scores written again, in the caller's transaction."""
    if command.rebuild:
        uow.weeks.rebuild(command.week)
    offices = command.offices if command.offices is not None else uow.directory.offices()
    inputs = uow.weeks.inputs(command.week, command.now, command.settings)
    uow.weeks.write(command.week, domain.score_units(offices, inputs, command.settings), command.settings, command.now)


def _out_of_date(computed_at: dict[int, datetime], current: int, now: datetime) -> list[int]:
    """The current week once its pendency has aged a minute, and every past week until it is scored
    as at its end (last week, or older ones if the scorer was stopped while they ended)."""
    weeks = []
    for week, computed in sorted(computed_at.items()):
        if week == current and computed < now - timedelta(minutes=1):
            weeks.append(week)
        if week < current and computed < domain.week_end(week):
            weeks.append(week)
    return weeks


def recompute_week(command: ScoreWeek, start: Callable) -> None:
    """A week's counts, active users and scores again from its stored facts (rebuilt whatever the
    command says), in a transaction of its own."""
    with start() as uow:
        score_week(replace(command, rebuild=True), uow)
        uow.commit()


@dataclass(frozen=True)
class RecomputeEverything:
    settings: domain.ScoreSettings
    now: datetime


def recompute_everything(command: RecomputeEverything, start: Callable) -> list[int]:
    """Files, receipts and dispatches from every fact, then every week from the first fact to now."""
    with start() as uow:
        uow.facts.rebuild_items()
        uow.commit()
    with start() as uow:
        first = uow.facts.first_week()
    weeks = domain.weeks_from(first, domain.week_of(command.now)) if first else []
    for week in weeks:
        recompute_week(ScoreWeek(week, command.settings, command.now), start)
    return weeks
