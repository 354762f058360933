"""The use cases of consuming events and scoring weeks on an in-memory unit of work (no broker, no
database): what a batch applies where and marks stale, which weeks a scoring pass scores, and a
recompute of everything."""
from datetime import datetime, timedelta, timezone

import pytest

from eoffice_common.events import Envelope, MalformedEvent
from eoffice_common.fakes import FakeUnitOfWork
from metrics import domain
from metrics.events import parse_event
from metrics.usecases_events import ApplyEvents, RecordDirectory, apply_events, record_directory
from metrics.usecases_scoring import (
    RecomputeEverything,
    ScoreStaleWeeks,
    recompute_everything,
    score_stale_weeks,
)

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc)
THIS_WEEK = domain.week_of(NOW)
LAST_WEEK, TWO_WEEKS_AGO = domain.shift_week(THIS_WEEK, -1), domain.shift_week(THIS_WEEK, -2)
SETTINGS = domain.ScoreSettings.from_config({})
OFFICE = {"office": "COLL-JHS", "name_en": "Collectorate, Jhansi", "name_hi": "ज़िलाधिकारी कार्यालय, झाँसी", "district": "JHS",
          "district_name_en": "Jhansi", "district_name_hi": "झाँसी", "department": "REV", "department_name_en": "Revenue",
          "department_name_hi": "राजस्व", "state": "UP", "sections": []}


class InMemoryFacts:
    def __init__(self):
        self.facts, self.marked, self.locks, self.items_rebuilt = [], [], 0, False

    def lock_against_rebuild(self):
        self.locks += 1

    def add(self, facts, stale, now):
        self.facts += facts
        stale.rescore |= {f.week for f in facts}

    def mark_stale(self, stale, now):
        self.marked.append(stale)

    def rebuild_items(self):
        self.items_rebuilt = True

    def first_week(self):
        return min((f.week for f in self.facts), default=None)


class InMemoryDirectory:
    def __init__(self):
        self.recorded = []

    def record_office(self, data, recorded_at, stale):
        self.recorded.append(("office", data["office"]))
        stale.every_week = True

    def record_user(self, data, recorded_at, stale):
        self.recorded.append(("user", data["user_id"]))
        stale.every_week = True

    def offices(self):
        return [domain.OfficeInfo(*(OFFICE[k] for k in ("office", "name_en", "name_hi", "district", "district_name_en",
                                                        "district_name_hi", "department", "department_name_en", "department_name_hi")))
                ] if ("office", "COLL-JHS") in self.recorded else []


class InMemoryWeeks:
    def __init__(self):
        self.marked, self.computed, self.scores, self.rebuilt, self.cleared = [], {}, {}, [], []
        self.first_fact_week, self.another_scorer = None, False

    def take_scorer_lock(self):
        return not self.another_scorer

    def stale(self):
        return list(self.marked)

    def unscored(self, current):
        first = self.first_fact_week
        return [w for w in domain.weeks_from(first, current) if w not in self.computed] if first else []

    def computed_at(self):
        return dict(self.computed)

    def scored_since(self, moment):
        return {week for week, at in self.computed.items() if at >= moment}

    def rebuild(self, week):
        self.rebuilt.append(week)

    def inputs(self, week, now, settings):
        return {"COLL-JHS": domain.UnitInputs(files_created=2, e_files_created=1, active_people={"clerk.jhs"}, users=2)}

    def write(self, week, scored, settings, now):
        self.scores[week], self.computed[week] = scored, now

    def clear_stale(self, week, version):
        self.cleared.append((week, version))
        self.marked = [m for m in self.marked if (m[0], m[2]) != (week, version)]


class FakeMetricsUnitOfWork(FakeUnitOfWork):
    def __init__(self):
        super().__init__()
        self.facts, self.directory, self.weeks = InMemoryFacts(), InMemoryDirectory(), InMemoryWeeks()

    def rollback(self):
        """Nothing to undo: the in-memory repositories hold what the use cases wrote."""


@pytest.fixture
def uow():
    return FakeMetricsUnitOfWork()


def envelope(event_type, data, at=NOW, office="COLL-JHS"):
    return Envelope.parse({
        "id": f"e-{event_type}-{at.timestamp()}", "type": event_type, "schema_version": 1, "occurred_at": at.isoformat(),
        "actor": "clerk.jhs", "office": office, "district": "JHS", "correlation_id": None, "aggregate_type": "x",
        "aggregate_id": "a", "data": data,
    })


def parsed(*envelopes, now=NOW):
    return [(e, parse_event(e, now)) for e in envelopes]


def test_a_batch_records_the_directory_and_adds_its_facts_and_marks_what_they_made_stale(uow):
    user = {"user_id": "clerk.jhs", "office": "COLL-JHS", "name_en": "Pooja", "name_hi": "पूजा", "roles": ["clerk"]}
    created = envelope("file_created", {"file_id": "F-1", "kind": "electronic"}, at=NOW - timedelta(days=8))
    apply_events(ApplyEvents(parsed(envelope("office_recorded", OFFICE), envelope("user_recorded", user), created), NOW), uow)
    assert uow.directory.recorded == [("office", "COLL-JHS"), ("user", "clerk.jhs")]
    assert [(f.event_type, f.item_id) for f in uow.facts.facts] == [("file_created", "F-1")]
    [stale] = uow.facts.marked
    assert stale.every_week and stale.rescore == {LAST_WEEK}
    # the batch is the pipeline's transaction: it commits the effects with the events' tracking rows
    assert uow.facts.locks == 1 and uow.commits == 0


def test_an_event_dated_beyond_the_clocks_tolerance_cannot_be_used():
    assert parse_event(envelope("note_added", {"file_id": "F-1"}, at=NOW + timedelta(minutes=4)), NOW).item_id == "F-1"
    with pytest.raises(MalformedEvent, match="in the future"):
        parse_event(envelope("note_added", {"file_id": "F-1"}, at=NOW + timedelta(minutes=6)), NOW)


def test_the_directory_bootstrapped_from_daks_snapshot_makes_every_week_stale(uow):
    record_directory(RecordDirectory({"offices": [OFFICE], "users": [], "taken_at": NOW.isoformat()}, NOW), uow)
    assert uow.directory.recorded == [("office", "COLL-JHS")] and uow.facts.marked[0].every_week and uow.commits == 1


def test_a_pass_scores_stale_and_unscored_weeks_and_clears_only_the_marking_it_saw(uow):
    uow.directory.recorded.append(("office", "COLL-JHS"))
    uow.weeks.first_fact_week = TWO_WEEKS_AGO
    uow.weeks.marked = [(LAST_WEEK, True, 3)]
    scored = score_stale_weeks(ScoreStaleWeeks(SETTINGS, NOW), lambda: uow)
    assert scored == [TWO_WEEKS_AGO, LAST_WEEK, THIS_WEEK]
    assert uow.weeks.rebuilt == [LAST_WEEK] and uow.weeks.cleared == [(LAST_WEEK, 3)]
    [office] = [s for s in uow.weeks.scores[THIS_WEEK] if s.level == "office"]
    assert office.unit == "COLL-JHS" and office.score > 0 and uow.commits == 3


def test_a_week_scored_moments_ago_waits_unless_it_must_be_rebuilt_and_another_scorer_holds_the_lock(uow):
    uow.directory.recorded.append(("office", "COLL-JHS"))
    uow.weeks.first_fact_week = THIS_WEEK
    uow.weeks.computed = {THIS_WEEK: NOW - timedelta(seconds=5)}
    uow.weeks.marked = [(THIS_WEEK, False, 1)]
    assert score_stale_weeks(ScoreStaleWeeks(SETTINGS, NOW, every_seconds=15), lambda: uow) == []
    uow.weeks.marked = [(THIS_WEEK, True, 2)]
    uow.weeks.another_scorer = True
    assert score_stale_weeks(ScoreStaleWeeks(SETTINGS, NOW, every_seconds=15), lambda: uow) == []
    uow.weeks.another_scorer = False
    assert score_stale_weeks(ScoreStaleWeeks(SETTINGS, NOW, every_seconds=15), lambda: uow) == [THIS_WEEK]


def test_nothing_is_scored_before_the_directory_has_an_office(uow):
    uow.weeks.first_fact_week = THIS_WEEK
    assert score_stale_weeks(ScoreStaleWeeks(SETTINGS, NOW), lambda: uow) == [] and uow.weeks.scores == {}


def test_recomputing_everything_rebuilds_the_items_then_every_week_from_the_first_fact(uow):
    uow.directory.recorded.append(("office", "COLL-JHS"))
    uow.facts.facts = [parse_event(envelope("note_added", {"file_id": "F-1"}, at=NOW - timedelta(days=14)), NOW)]
    weeks = recompute_everything(RecomputeEverything(SETTINGS, NOW), lambda: uow)
    assert weeks == [TWO_WEEKS_AGO, LAST_WEEK, THIS_WEEK] and uow.facts.items_rebuilt
    assert uow.weeks.rebuilt == weeks and sorted(uow.weeks.scores) == weeks
