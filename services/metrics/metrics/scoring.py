"""Scoring passes: every stale week (and every week since the first fact that has no scores yet)
is scored again from the projections, one transaction per week."""
from datetime import timedelta

from . import domain, repository


def score_stale_weeks(unit_of_work, settings, now, every_seconds=0.0):
    """Score what needs it; returns the weeks scored. `unit_of_work()` opens a UnitOfWork.
    A week scored less than `every_seconds` ago waits for a later pass (while events pour in, the
    current week is otherwise scored after every batch). One replica scores at a time."""
    current = domain.week_of(now)
    with unit_of_work() as uow:
        session = uow.session
        if not repository.try_scorer_lock(session):
            return []
        work = {week: (rebuild, version) for week, rebuild, version in repository.stale_weeks(session)}
        for week in repository.unscored_weeks(session, current):
            work.setdefault(week, (False, None))
        for week in _out_of_date(session, current, now):
            work.setdefault(week, (False, None))
        recent = repository.weeks_scored_since(session, now - timedelta(seconds=every_seconds)) if every_seconds else set()
        due = [week for week in sorted(work) if week <= current and (work[week][0] or week not in recent)]
        # Read only when there is something to score: this runs every second.
        offices = repository.offices(session) if due else None
        if not offices:
            return []
    scored = []
    for week in due:
        rebuild, version = work[week]
        with unit_of_work() as uow:
            if not repository.try_scorer_lock(uow.session):
                break
            score_week(uow.session, week, settings, now, rebuild=rebuild, offices=offices)
            if version is not None:
                repository.clear_stale(uow.session, week, version)
            uow.commit()
        scored.append(week)
    return scored


def score_week(session, week, settings, now, rebuild=False, offices=None):
    if rebuild:
        repository.rebuild_week(session, week)
    offices = offices if offices is not None else repository.offices(session)
    inputs = repository.scoring_inputs(session, week, now, settings)
    repository.write_scores(session, week, domain.score_units(offices, inputs, settings), settings, now)


def _out_of_date(session, current, now):
    """The current week once its pendency has aged a minute, and every past week until it is scored
    as at its end (last week, or older ones if the scorer was stopped while they ended)."""
    weeks = []
    for week, computed in sorted(repository.computed_at(session).items()):
        if week == current and computed < now - timedelta(minutes=1):
            weeks.append(week)
        if week < current and computed < domain.week_end(week):
            weeks.append(week)
    return weeks


def recompute(unit_of_work, week, settings, now):
    """A week's counts, active users and scores again from its stored facts."""
    with unit_of_work() as uow:
        score_week(uow.session, week, settings, now, rebuild=True)
        uow.commit()


def recompute_everything(unit_of_work, settings, now):
    """Files and receipts from every fact, then every week from the first fact to now."""
    with unit_of_work() as uow:
        repository.rebuild_items(uow.session)
        uow.commit()
    with unit_of_work() as uow:
        first = repository.first_fact_week(uow.session)
    weeks = domain.weeks_from(first, domain.week_of(now)) if first else []
    for week in weeks:
        recompute(unit_of_work, week, settings, now)
    return weeks
