"""Stored scores and reports that drifted from a recompute (issue 19, items 1-4): each case applies
events the way the consumer does, scores as the scorer does, and compares with a recompute from
scratch over the same facts and directory."""
from datetime import datetime, timedelta, timezone

from metrics import domain

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc)  # a Wednesday, 12:00 IST
THIS_MONDAY = datetime(2026, 11, 30, tzinfo=domain.IST)


def weeks_ago(n, days=1, hours=10):
    return THIS_MONDAY - timedelta(weeks=n) + timedelta(days=days, hours=hours)


def week(moment):
    return domain.week_of(moment)


def component(row, name):
    return next(c for c in row.components if c["component"] == name)


def directory(make, offices=("COLL-JHS",), users=(("clerk.jhs", "COLL-JHS"), ("so.jhs", "COLL-JHS"))):
    return [make.office(code) for code in offices] + [make.user(user, office) for user, office in users]


def assert_equals_a_recompute(store):
    stored = store.scores(), store.every_report(NOW)
    store.recompute_everything(NOW)
    assert (store.scores(), store.every_report(NOW)) == stored


def created(make, file_id, at, office="COLL-JHS", actor="clerk.jhs", kind="electronic"):
    return make.event("file_created", {"file_id": file_id, "kind": kind, "created_by": actor}, at, office=office, actor=actor)


def test_a_reopened_file_is_pending_again_in_every_week_since_its_creation(store, make):
    store.apply(directory(make), NOW)
    store.apply([
        created(make, "F-1", weeks_ago(6)),
        make.event("file_closed", {"file_id": "F-1", "created_at": weeks_ago(6).isoformat(), "movement_count": 0}, weeks_ago(5)),
    ], NOW)
    store.score(NOW)
    assert store.unit(week(weeks_ago(3)), "office", "COLL-JHS").pending == 0
    store.apply([make.event("file_reopened", {"file_id": "F-1"}, weeks_ago(1))], NOW)
    store.score(NOW)
    for n in (5, 4, 3, 2, 1, 0):
        assert store.unit(week(weeks_ago(n)), "office", "COLL-JHS").pending == 1, n
    assert_equals_a_recompute(store)


def test_a_user_recorded_late_changes_every_week_of_the_office(store, make):
    store.apply(directory(make), NOW)
    store.apply([created(make, f"F-{n}", weeks_ago(n)) for n in range(6)], NOW)
    store.score(NOW)
    store.apply([make.user("late.jhs", "COLL-JHS")], NOW)
    store.score(NOW)
    for n in range(6):
        assert component(store.unit(week(weeks_ago(n)), "office", "COLL-JHS"), "active_user_share")["denominator"] == 3, n
    assert_equals_a_recompute(store)


def test_a_user_deactivated_or_moved_changes_every_week_of_both_offices(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS"), users=(
        ("clerk.jhs", "COLL-JHS"), ("so.jhs", "COLL-JHS"), ("sto.jhs", "TRY-JHS"), ("acct.jhs", "TRY-JHS"))), NOW)
    store.apply([created(make, f"F-{n}", weeks_ago(n)) for n in range(6)]
                + [created(make, f"T-{n}", weeks_ago(n), office="TRY-JHS", actor="sto.jhs") for n in range(6)], NOW)
    store.score(NOW)
    store.apply([make.user("so.jhs", "COLL-JHS", active=False), make.user("acct.jhs", "COLL-JHS")], NOW)
    store.score(NOW)
    for n in range(6):
        at = week(weeks_ago(n))
        assert component(store.unit(at, "office", "COLL-JHS"), "active_user_share")["denominator"] == 2, n
        assert component(store.unit(at, "office", "TRY-JHS"), "active_user_share")["denominator"] == 1, n
    assert_equals_a_recompute(store)


def test_a_new_office_is_ranked_in_every_week_already_scored(store, make):
    store.apply(directory(make), NOW)
    store.apply([created(make, f"F-{n}", weeks_ago(n)) for n in range(6)], NOW)
    store.score(NOW)
    store.apply([make.office("SDM-MTH"), make.user("sdm.mth", "SDM-MTH")], NOW)
    store.score(NOW)
    for n in range(6):
        assert store.unit(week(weeks_ago(n)), "office", "SDM-MTH") is not None, n
    assert_equals_a_recompute(store)


def test_files_sent_to_a_user_not_yet_known_are_received_when_the_user_arrives(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS")), NOW)
    store.apply([
        created(make, "F-1", weeks_ago(3)),
        make.event("file_sent", {"file_id": "F-1", "to_user": "sto.jhs"}, weeks_ago(3, hours=12)),
    ], NOW)
    store.score(NOW)
    store.apply([make.user("sto.jhs", "TRY-JHS")], NOW)
    store.score(NOW)
    received = {row["office"]: row["files_received"] for row in store.report("monthly", NOW)}
    assert received["TRY-JHS"] == 1
    assert_equals_a_recompute(store)


def test_a_district_counts_a_person_active_in_two_offices_once(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS"), users=(("clerk.jhs", "COLL-JHS"), ("sto.jhs", "TRY-JHS"))), NOW)
    store.apply([
        created(make, "F-1", weeks_ago(1)),
        created(make, "T-1", weeks_ago(1, hours=11), office="TRY-JHS", actor="clerk.jhs"),
    ], NOW)
    store.score(NOW)
    district = store.unit(week(weeks_ago(1)), "district", "JHS")
    assert component(district, "active_user_share")["numerator"] == 1
    department = store.unit(week(weeks_ago(1)), "department", "REV")
    assert component(department, "active_user_share")["numerator"] == 1
    everyone = store.report("active-users", NOW, first=weeks_ago(1).date(), last=weeks_ago(1).date())
    assert next(row for row in everyone if row["office"] == "ALL")["active_users"] == 1
