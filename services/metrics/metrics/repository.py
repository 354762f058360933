"""Database work of the metrics service: applying a batch of events in one transaction, rebuilding
a week from its facts, and reading what the scorer and the API need. Works on PostgreSQL and SQLite."""
from collections import namedtuple
from datetime import datetime

from sqlalchemy import and_, case, delete, func, insert, null, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from eoffice_common.directory import OFFICE_FIELDS, USER_FIELDS, CopyTable, DirectoryCopy
from eoffice_common.repository import Repository, RepositoryUnitOfWork

from . import domain
from .bulk import insert_many
from .domain import COUNTERS, HOLDING_EVENTS, LIFECYCLE_EVENTS, Fact, OfficeInfo, Stale, UnitInputs, as_utc, week_of
from .models import (
    Dispatch,
    Holding,
    Item,
    Office,
    ScoredWeek,
    StaleWeek,
    UnitScore,
    User,
    WeeklyActiveUser,
    daily_counts,
)
from .models import Fact as FactRow

# metrics' copy of the directory, kept by the shared rules: the newer record wins.
DIRECTORY = DirectoryCopy(
    users=CopyTable.of(User.__table__, USER_FIELDS, key="user_id"),
    offices=CopyTable.of(Office.__table__, OFFICE_FIELDS, key="office", renamed={"office": "code"}),
)

# PostgreSQL advisory lock keys: batches hold the first shared and a week rebuild holds it alone;
# the second elects one scorer among replicas.
REBUILD_LOCK, SCORER_LOCK = 0x6D657472, 0x6D657473

FACT_COLUMNS = (
    "event_id", "event_type", "occurred_at", "actor", "office", "subject_user", "item_type", "item_id", "kind",
    "to_user", "to_office", "section", "number", "subject", "category", "classification", "vip", "due_date",
    "duration_seconds", "levels", "file_ids", "dispatch_id", "dispatches",
)


def _is_postgres(session):
    return session.get_bind().dialect.name == "postgresql"


def _upsert(session, table):
    return (postgresql.insert if _is_postgres(session) else sqlite.insert)(table)


def _do_nothing(statement):
    return statement.on_conflict_do_nothing()


# --- applying events ----------------------------------------------------------------------------

def lock_batch_against_rebuild(session):
    """Batches apply side by side; a week or item rebuild waits for them, and they for it."""
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": REBUILD_LOCK})


def record_office(session, data, recorded_at, stale):
    if DIRECTORY.record_office(session, data, recorded_at).changed():
        # A new office is ranked in every week; a renamed or moved one changes its pools in every week.
        stale.every_week = True


def record_user(session, data, recorded_at, stale):
    recorded = DIRECTORY.record_user(session, data, recorded_at)
    if not recorded.applied:
        return
    if recorded.changed("office", "active"):
        stale.every_week = True
    user_id, office = recorded.values["user_id"], recorded.values["office"]
    # Facts that arrived before the directory knew this user (signing, notify; what was sent to
    # them) can now be placed, and their weeks counted again.
    facts = FactRow.__table__.c
    for office_column, user_column in ((facts.office, facts.subject_user), (facts.to_office, facts.to_user)):
        stale.rebuild |= set(session.execute(
            update(FactRow.__table__)
            .where(office_column.is_(None), user_column == user_id)
            .values({office_column: office})
            .returning(facts.week)
        ).scalars())


def apply_facts(session, facts, stale, now):
    wanted = {f.subject_user or f.actor for f in facts if not f.office} | {f.to_user for f in facts if f.to_user}
    office_of_user = dict(session.execute(select(User.user_id, User.office).where(User.user_id.in_(wanted))).all()) if wanted else {}
    facts = [domain.attribute(f, office_of_user) for f in facts]
    insert_many(session, FactRow.__table__, [_fact_row(f) for f in facts])
    lifecycle = [f for f in facts if f.event_type in LIFECYCLE_EVENTS]
    moved = [f.occurred_at for f in facts if f.event_type in HOLDING_EVENTS]
    pendency_changed_since = min(filter(None, [_earliest_pendency_change(session, lifecycle), *moved]), default=None)
    upsert_items(session, domain.merged_item_changes(facts).values())
    add_holdings(session, domain.holdings(facts))
    dispatches = domain.merged_dispatch_changes(facts)
    upsert_dispatches(session, dispatches.values())
    stale.rescore |= _weeks_reached(session, [change.dispatch_id for change in dispatches.values() if change.issued_at])
    counts, active = domain.count_increments(facts)
    add_counts(session, counts)
    add_active_users(session, active)
    stale.rescore |= {f.week for f in facts}
    if pendency_changed_since is not None:
        stale.rescore |= set(domain.weeks_from(week_of(pendency_changed_since), max(week_of(now), week_of(pendency_changed_since))))


def _earliest_pendency_change(session, lifecycle):
    """The earliest moment from which facts that create, close or reopen items change pendency:
    an item counts as pending from its creation to its closing (a reopened one since its creation),
    so the weeks from the earliest of the facts and of the items' creation and closing before them."""
    if not lifecycle:
        return None
    keys = sorted({change.key for f in lifecycle for change in domain.item_changes(f)})
    moments = [f.occurred_at for f in lifecycle]
    i = Item.__table__.c
    for created_at, closed_at in session.execute(
        select(i.created_at, i.closed_at).where(tuple_(i.item_type, i.item_id).in_(keys))
    ):
        moments += [as_utc(m) for m in (created_at, closed_at) if m is not None]
    return min(moments)


def _fact_row(fact):
    row = {name: getattr(fact, name) for name in FACT_COLUMNS}
    row["week"] = fact.week
    return row


def upsert_items(session, changes):
    rows = [
        {
            "item_type": c.item_type, "item_id": c.item_id, **{name: getattr(c, name) for name in domain.FROM_CREATION},
            "created_at": c.created_at, "last_closed_at": c.last_closed_at, "reopened_at": c.reopened_at,
            "closed_at": c.closed_at, "holder": c.holder, "held_since": c.held_since, "due_date": c.due_date,
            "last_sent_at": c.last_sent_at, "last_sent_by": c.last_sent_by, "movements": c.movements,
        }
        for c in sorted(changes, key=lambda c: c.key)
    ]
    insert_many(session, Item.__table__, rows, conflict=_merge_items)


def _merge_items(statement):
    """The same merge as domain.ItemChange.merge, in SQL."""
    new, old = statement.excluded, Item.__table__.c
    new_creator = and_(new.created_at.isnot(None), or_(old.created_at.is_(None), new.created_at < old.created_at))

    def from_creator(column):
        return case((new_creator, new[column]), (old.created_at.isnot(None), old[column]), else_=func.coalesce(old[column], new[column]))

    def earliest(column):
        return case((new[column].is_(None), old[column]), (old[column].is_(None), new[column]),
                    (new[column] < old[column], new[column]), else_=old[column])

    def latest(column):
        return case((new[column].is_(None), old[column]), (old[column].is_(None), new[column]),
                    (new[column] > old[column], new[column]), else_=old[column])

    moved_later = and_(new.held_since.isnot(None), or_(old.held_since.is_(None), new.held_since >= old.held_since))
    sent_later = and_(new.last_sent_at.isnot(None), or_(old.last_sent_at.is_(None), new.last_sent_at >= old.last_sent_at))
    closed, reopened = latest("last_closed_at"), latest("reopened_at")
    return statement.on_conflict_do_update(
        index_elements=["item_type", "item_id"],
        set_={
            **{name: from_creator(name) for name in domain.FROM_CREATION},
            "created_at": earliest("created_at"), "last_closed_at": closed, "reopened_at": reopened,
            "closed_at": case((and_(closed.isnot(None), or_(reopened.is_(None), closed > reopened)), closed), else_=null()),
            "holder": case((moved_later, new.holder), else_=old.holder),
            "held_since": case((moved_later, new.held_since), else_=old.held_since),
            "due_date": case((sent_later, new.due_date), else_=old.due_date),
            "last_sent_at": case((sent_later, new.last_sent_at), else_=old.last_sent_at),
            "last_sent_by": case((sent_later, new.last_sent_by), else_=old.last_sent_by),
            "movements": old.movements + new.movements,
        },
    )


def upsert_dispatches(session, changes):
    rows = [{"dispatch_id": c.dispatch_id, **{name: getattr(c, name) for name in DISPATCH_MOMENTS + domain.FROM_ISSUE}}
            for c in sorted(changes, key=lambda c: c.dispatch_id)]
    insert_many(session, Dispatch.__table__, rows, conflict=_merge_dispatches)


DISPATCH_MOMENTS = ("reached_at", "opened_at", "bounced_at")


def _merge_dispatches(statement):
    """The same merge as domain.DispatchChange.merge, in SQL."""
    new, old = statement.excluded, Dispatch.__table__.c
    issued_first = and_(new.issued_at.isnot(None), or_(old.issued_at.is_(None), new.issued_at < old.issued_at))
    return statement.on_conflict_do_update(
        index_elements=["dispatch_id"],
        set_={
            **{name: case((issued_first, new[name]), else_=old[name]) for name in domain.FROM_ISSUE},
            **{name: _earliest(new[name], old[name]) for name in DISPATCH_MOMENTS},
        },
    )


def _earliest(new, old):
    return case((new.is_(None), old), (old.is_(None), new), (new < old, new), else_=old)


def _weeks_reached(session, dispatch_ids):
    """The weeks in which dispatches whose issue was just learned reached their addressees: the issuing
    office's movements of those weeks change (the news of arrival may come before the issue)."""
    if not dispatch_ids:
        return set()
    d = Dispatch.__table__.c
    reached = session.execute(select(d.reached_at).where(d.dispatch_id.in_(dispatch_ids), d.reached_at.isnot(None))).scalars()
    return {week_of(as_utc(moment)) for moment in reached}


def add_holdings(session, holdings):
    rows = [{"item_type": t, "item_id": i, "held_from": at, "holder": holder} for (t, i, at), holder in sorted(holdings.items())]
    insert_many(session, Holding.__table__, rows, conflict=_do_nothing)


def add_counts(session, counts):
    if not counts:
        return
    rows = [{"office": office, "day": day, **{c: counter.get(c, 0) for c in COUNTERS}} for (office, day), counter in sorted(counts.items())]
    insert_many(session, daily_counts, rows, conflict=_add_to_counts)


def _add_to_counts(statement):
    return statement.on_conflict_do_update(
        index_elements=["office", "day"], set_={c: daily_counts.c[c] + statement.excluded[c] for c in COUNTERS}
    )


def add_active_users(session, active):
    if not active:
        return
    rows = [{"week": week, "office": office, "user_id": user} for week, office, user in sorted(active)]
    insert_many(session, WeeklyActiveUser.__table__, rows, conflict=_do_nothing)


def mark_stale(session, stale, now):
    if stale.every_week:
        first = first_fact_week(session)
        if first is not None:
            stale.rescore |= set(domain.weeks_from(first, week_of(now)))
    weeks = sorted(stale.rescore | stale.rebuild)
    if not weeks:
        return
    rows = [{"week": w, "rebuild": w in stale.rebuild, "version": 1} for w in weeks]
    statement = _upsert(session, StaleWeek.__table__).values(rows)
    column = StaleWeek.__table__.c
    statement = statement.on_conflict_do_update(
        index_elements=["week"],
        set_={"version": column.version + 1, "rebuild": or_(column.rebuild, statement.excluded.rebuild)},
    )
    session.execute(statement)


# --- rebuilding from facts ----------------------------------------------------------------------

def lock_for_rebuild(session):
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REBUILD_LOCK})


def stored_facts(session, where, chunk=20000):
    """Stored facts as domain Facts, read in chunks."""
    columns = [FactRow.__table__.c[name] for name in FACT_COLUMNS]
    result = session.execute(select(*columns).where(where).order_by(FactRow.seq).execution_options(yield_per=chunk))
    for rows in result.partitions():
        yield [Fact(**{**row._asdict(), "occurred_at": as_utc(row.occurred_at)}) for row in rows]


def rebuild_week(session, week):
    """Daily counts and active users of a week, again from its facts (placing facts that waited for
    the directory first)."""
    lock_for_rebuild(session)
    t = FactRow.__table__.c
    office_of = select(User.office).where(User.user_id == t.subject_user).scalar_subquery()
    session.execute(update(FactRow.__table__).where(t.week == week, t.office.is_(None)).values(office=office_of))
    to_office_of = select(User.office).where(User.user_id == t.to_user).scalar_subquery()
    session.execute(
        update(FactRow.__table__).where(t.week == week, t.to_office.is_(None), t.to_user.isnot(None)).values(to_office=to_office_of)
    )
    days = domain.week_days(week)
    session.execute(delete(daily_counts).where(daily_counts.c.day.between(days[0], days[-1])))
    session.execute(delete(WeeklyActiveUser.__table__).where(WeeklyActiveUser.week == week))
    for facts in counted_facts(session, week):
        counts, active = domain.count_increments(facts)
        add_counts(session, counts)
        add_active_users(session, active)


# What domain.count_increments reads of a fact.
COUNTED_COLUMNS = ("event_id", "event_type", "occurred_at", "actor", "office", "kind", "to_office", "duration_seconds", "levels")


def counted_facts(session, week, chunk=20000):
    """A week's attributed facts as domain Facts carrying only what is counted, read in chunks
    through Core (no ORM rows, no subjects): a week of a state is some 40,000 facts, and reading
    every column of each through the ORM took most of a one-week recompute."""
    t = FactRow.__table__.c
    result = session.connection().execute(
        select(*[t[name] for name in COUNTED_COLUMNS]).where(t.week == week, t.office.isnot(None)).order_by(t.seq)
    )
    while rows := result.fetchmany(chunk):
        facts = []
        for event_id, event_type, occurred_at, actor, office, kind, to_office, seconds, levels in rows:
            fact = Fact(event_id, event_type, as_utc(occurred_at), actor, office, kind=kind, to_office=to_office,
                        duration_seconds=seconds, levels=levels)
            fact.__dict__["week"] = week  # the stored week: no need to work it out again
            facts.append(fact)
        yield facts


def rebuild_items(session):
    """Every file and receipt again from all facts (the merge does not depend on their order)."""
    lock_for_rebuild(session)
    session.execute(delete(Item.__table__))
    session.execute(delete(Holding.__table__))
    session.execute(delete(Dispatch.__table__))
    for facts in stored_facts(session, FactRow.__table__.c.seq.isnot(None), chunk=50000):
        upsert_items(session, domain.merged_item_changes(facts).values())
        add_holdings(session, domain.holdings(facts))
        upsert_dispatches(session, domain.merged_dispatch_changes(facts).values())


# --- what the scorer reads and writes -------------------------------------------------------------

def offices(session):
    return [
        OfficeInfo(o.code, o.name_en, o.name_hi, o.district, o.district_name_en, o.district_name_hi,
                   o.department, o.department_name_en, o.department_name_hi)
        for o in session.query(Office).order_by(Office.code)
    ]


def scoring_inputs(session, week, now, settings):
    """UnitInputs of every office for one week; pendency is counted at the end of the week (or now)."""
    inputs = {}

    def of(office):
        return inputs.setdefault(office, UnitInputs())

    days = domain.week_days(week)
    sums = [func.sum(daily_counts.c[c]) for c in ("files_created", "e_files_created", "receipts_diarised",
                                                   "e_receipts_diarised", "files_forwarded", "receipts_forwarded",
                                                   "notes_confirmed", "notes_signed")]
    for row in session.execute(
        select(daily_counts.c.office, *sums).where(daily_counts.c.day.between(days[0], days[-1])).group_by(daily_counts.c.office)
    ):
        office, files, e_files, receipts, e_receipts, files_fwd, receipts_fwd, notes, signed = row
        unit = of(office)
        unit.files_created, unit.e_files_created = int(files), int(e_files)
        unit.receipts_diarised, unit.e_receipts_diarised = int(receipts), int(e_receipts)
        unit.movements = int(files_fwd + receipts_fwd)
        unit.notes_confirmed, unit.notes_signed = int(notes), int(signed)
    # A person is an active user of their own office (the directory's, as now), whichever office's
    # files they acted on: active users are always some of the office's users.
    for office, user in session.execute(
        select(User.office, WeeklyActiveUser.user_id).distinct()
        .join(User, User.user_id == WeeklyActiveUser.user_id)
        .where(WeeklyActiveUser.week == week, User.active.is_(True))
    ):
        of(office).active_people.add(user)
    for office, users in session.execute(select(User.office, func.count()).where(User.active.is_(True)).group_by(User.office)):
        of(office).users = users
    t = FactRow.__table__.c
    for office, seconds in session.execute(
        select(t.office, t.duration_seconds).where(
            t.week == week, t.event_type == "file_closed", t.office.isnot(None), t.duration_seconds.isnot(None)
        )
    ):
        of(office).disposal_days.append(seconds / domain.DAY_SECONDS)
    d = Dispatch.__table__.c
    for office, reached in session.execute(
        select(d.office, func.count())
        .where(d.reached_at >= domain.week_start(week), d.reached_at < domain.week_end(week), d.office.isnot(None))
        .group_by(d.office)
    ):
        of(office).dispatches_reached = reached
    at = min(domain.week_end(week), as_utc(now))
    # "More than pendency_days days" in whole days, as the MIS age buckets count them.
    old_if_opened_by = domain.opened_at_least(settings.pendency_days + 1, at)
    for office, (pending, old) in pendency_at(session, at, old_if_opened_by).items():
        of(office).pending, of(office).pending_old = pending, old
    return inputs


def pendency_at(session, at, old_if_opened_by):
    """{office: (pending, pending since `old_if_opened_by` or before)} at a moment: files and
    receipts opened by then and not closed by then, charged to the office (in the directory as it is
    now) of the user holding each then; the creating office if the directory does not know that
    user. An item reopened since counts as pending throughout."""
    i, h, u = Item.__table__.c, Holding.__table__.c, User.__table__.c
    # Most items were last moved before `at` (all of them, for the current week): their holder then
    # is their holder now; the others' is looked up in their holdings.
    holder_then = case((i.held_since <= at, i.holder), else_=(
        select(h.holder).where(h.item_type == i.item_type, h.item_id == i.item_id, h.held_from <= at)
        .order_by(h.held_from.desc()).limit(1).scalar_subquery()))
    found = {}
    for condition in (i.closed_at.is_(None), i.closed_at > at):
        pending = (
            select(i.office, i.created_at, holder_then.label("holder"))
            .where(condition, i.created_at <= at, i.office.isnot(None))
            .subquery()
        )
        p = pending.c
        office = func.coalesce(u.office, p.office)
        old = func.sum(case((p.created_at <= old_if_opened_by, 1), else_=0))
        for code, count, older in session.execute(
            select(office, func.count(), old)
            .select_from(pending.outerjoin(User.__table__, u.user_id == p.holder))
            .group_by(office)
        ):
            before = found.get(code, (0, 0))
            found[code] = (before[0] + count, before[1] + int(older or 0))
    return found


def write_scores(session, week, scored, settings, now):
    session.execute(delete(UnitScore.__table__).where(UnitScore.week == week))
    session.execute(delete(ScoredWeek.__table__).where(ScoredWeek.week == week))
    if scored:
        session.execute(insert(ScoredWeek.__table__).values(
            week=week, computed_at=now, formula_version=domain.FORMULA_VERSION, settings=settings.as_dict(),
        ))
        session.execute(insert(UnitScore.__table__), [
            {"week": week, "level": s.level, "unit": s.unit, "name_en": s.name_en, "name_hi": s.name_hi,
             "district": s.district, "department": s.department, "score": s.score, "rank": s.rank, "active": s.active,
             "pending": s.pending, "pending_old": s.pending_old, "components": s.components, "computed_at": now}
            for s in scored
        ])


def stale_weeks(session):
    return session.execute(select(StaleWeek.week, StaleWeek.rebuild, StaleWeek.version).order_by(StaleWeek.week)).all()


def clear_stale(session, week, version):
    session.execute(delete(StaleWeek.__table__).where(StaleWeek.week == week, StaleWeek.version == version))


def first_fact_week(session):
    return session.execute(select(func.min(FactRow.week))).scalar()


def unscored_weeks(session, current):
    """Weeks from the first fact to now that have no scores yet (a quiet week still has pendency)."""
    first = first_fact_week(session)
    if first is None:
        return []
    scored = set(session.execute(select(ScoredWeek.week)).scalars())
    return [w for w in domain.weeks_from(first, current) if w not in scored]


def computed_at(session):
    """{week: when its scores were computed} of every week that has scores."""
    rows = session.execute(select(ScoredWeek.week, ScoredWeek.computed_at))
    return {week: as_utc(moment) for week, moment in rows}


def weeks_scored_since(session, moment):
    return set(session.execute(select(ScoredWeek.week).where(ScoredWeek.computed_at >= moment)).scalars())


def try_scorer_lock(session):
    if not _is_postgres(session):
        return True
    return session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SCORER_LOCK}).scalar()


def week_has_facts(session, week):
    return session.execute(select(FactRow.seq).where(FactRow.week == week).limit(1)).first() is not None


# --- what the API reads ---------------------------------------------------------------------------

def week_is_scored(session, week):
    return session.get(ScoredWeek, week) is not None


def scored_week(session, week):
    """When a week was scored, with which formula version and settings."""
    return session.get(ScoredWeek, week)


def latest_scored_week(session, not_after):
    return session.execute(select(func.max(ScoredWeek.week)).where(ScoredWeek.week <= not_after)).scalar()


ScoreboardRow = namedtuple("ScoreboardRow", "unit name_en name_hi district department score rank active pending pending_old previous_rank")


def scoreboard(session, week, level, district=None):
    """A level's units in a week, ranked, each with its rank the week before.

    Two range reads of the primary key, joined here, rather than the table joined to itself: a
    planner without fresh statistics (autovacuum off, or behind after a load) estimated one row
    a week and joined the weeks by a nested loop, reading the whole previous week once per unit,
    and with the current week rescored every minute each of those reads also passed every dead
    version of that week's rows. The 470 offices of a state took 89 ms after 15 rescorings this
    way, against 9 ms with statistics; the two reads take the same time either way
    (docs/decisions/0009)."""
    s = UnitScore
    query = (
        select(s.unit, s.name_en, s.name_hi, s.district, s.department, s.score, s.rank, s.active, s.pending, s.pending_old)
        .where(s.week == week, s.level == level)
        .order_by(s.rank, s.unit)
    )
    if district:
        query = query.where(s.district == district)
    previous = dict(session.execute(select(s.unit, s.rank).where(s.week == domain.shift_week(week, -1), s.level == level)).all())
    return [ScoreboardRow(*row, previous.get(row.unit)) for row in session.execute(query)]


def unit_score(session, week, level, unit):
    return session.get(UnitScore, (week, level, unit))


def unit_history(session, level, unit, last_week, weeks):
    return session.execute(
        select(UnitScore.week, UnitScore.score, UnitScore.rank)
        .where(UnitScore.level == level, UnitScore.unit == unit, UnitScore.week <= last_week)
        .order_by(UnitScore.week.desc())
        .limit(weeks)
    ).all()


def unit_exists(session, level, unit):
    column = {"office": Office.code, "department": Office.department, "district": Office.district}[level]
    return session.execute(select(Office.code).where(column == unit).limit(1)).first() is not None


def current_gauges(session, week):
    """Score, pendency and old pendency of every district and department in a week."""
    return session.execute(
        select(UnitScore.level, UnitScore.unit, UnitScore.score, UnitScore.pending, UnitScore.pending_old)
        .where(UnitScore.week == week, UnitScore.level.in_(("district", "department")))
    ).all()


# --- the repositories the use cases work with ---------------------------------------------------------

class FactRepository(Repository):
    """The facts applied and what they project to: files and receipts, who held them, the dispatches of
    letters, daily counts and active users; and the weeks they make stale."""

    def lock_against_rebuild(self) -> None:
        lock_batch_against_rebuild(self.session)

    def add(self, facts: list[Fact], stale: Stale, now: datetime) -> None:
        apply_facts(self.session, facts, stale, now)

    def mark_stale(self, stale: Stale, now: datetime) -> None:
        mark_stale(self.session, stale, now)

    def rebuild_items(self) -> None:
        rebuild_items(self.session)

    def first_week(self) -> int | None:
        return first_fact_week(self.session)


class DirectoryRepository(Repository):
    """metrics' copy of the directory (offices and users)."""

    def record_office(self, data: dict, recorded_at: datetime, stale: Stale) -> None:
        record_office(self.session, data, recorded_at, stale)

    def record_user(self, data: dict, recorded_at: datetime, stale: Stale) -> None:
        record_user(self.session, data, recorded_at, stale)

    def offices(self) -> list[OfficeInfo]:
        return offices(self.session)


class WeekRepository(Repository):
    """The weeks to score and their scores."""

    def take_scorer_lock(self) -> bool:
        return try_scorer_lock(self.session)

    def stale(self) -> list[tuple[int, bool, int]]:
        return [tuple(row) for row in stale_weeks(self.session)]

    def unscored(self, current: int) -> list[int]:
        return unscored_weeks(self.session, current)

    def computed_at(self) -> dict[int, datetime]:
        return computed_at(self.session)

    def scored_since(self, moment: datetime) -> set[int]:
        return weeks_scored_since(self.session, moment)

    def rebuild(self, week: int) -> None:
        rebuild_week(self.session, week)

    def inputs(self, week: int, now: datetime, settings: domain.ScoreSettings) -> dict[str, UnitInputs]:
        return scoring_inputs(self.session, week, now, settings)

    def write(self, week: int, scored: list[domain.ScoredUnit], settings: domain.ScoreSettings, now: datetime) -> None:
        write_scores(self.session, week, scored, settings, now)

    def clear_stale(self, week: int, version: int) -> None:
        clear_stale(self.session, week, version)


class MetricsUnitOfWork(RepositoryUnitOfWork):
    """metrics' repositories over a unit of work (eoffice_common.repository.RepositoryUnitOfWork)."""

    def __init__(self, uow):
        super().__init__(uow)
        self.facts = FactRepository(uow)
        self.directory = DirectoryRepository(uow)
        self.weeks = WeekRepository(uow)
