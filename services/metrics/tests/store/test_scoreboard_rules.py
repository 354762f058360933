"""The smaller rules of issue 19 (item 7) and the fairness rules (item 6), on both databases."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text

from metrics import domain

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc)  # a Wednesday, 12:00 IST
THIS_WEEK = domain.week_of(NOW)


def directory(make, offices=("COLL-JHS",)):
    users = {"COLL-JHS": ("clerk.jhs", "so.jhs"), "TRY-JHS": ("sto.jhs",), "SDM-MTH": ("sdm.mth",), "BDO-JHS": ("bdo.jhs",)}
    return [make.office(code) for code in offices] + [make.user(user, code) for code in offices for user in users[code]]


def test_the_scoreboards_old_items_are_the_mis_buckets_of_16_days_and_more(store, make):
    store.apply(directory(make), NOW)
    ages = (timedelta(days=15, hours=12), timedelta(days=16), timedelta(days=16, hours=1), timedelta(days=40))
    store.apply([
        make.event("file_created", {"file_id": f"F-{n}", "kind": "electronic", "created_by": "clerk.jhs"}, NOW - age)
        for n, age in enumerate(ages)
    ], NOW)
    store.score(NOW)
    row = store.unit(THIS_WEEK, "office", "COLL-JHS")
    buckets = store.report("pendency", NOW)[0]
    assert (buckets["days_8-15"], buckets["days_16-30"], buckets["days_31+"]) == (1, 2, 1)
    assert (row.pending, row.pending_old) == (4, buckets["days_16-30"] + buckets["days_31+"])


def test_an_event_dated_in_the_future_is_refused_with_its_reason(store, make):
    store.apply(directory(make), NOW)
    outcomes = store.apply([
        make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs"}, NOW + timedelta(minutes=2)),
        make.event("file_created", {"file_id": "F-2", "kind": "electronic", "created_by": "clerk.jhs"}, NOW + timedelta(days=3)),
    ], NOW)
    assert outcomes["applied"] == 1 and outcomes["dead_lettered"] == 1
    with store.engine.engine.connect() as connection:
        reasons = connection.execute(text("SELECT reason FROM dead_letters")).scalars().all()
        facts = connection.execute(text("SELECT item_id FROM facts")).scalars().all()
    assert facts == ["F-1"]  # a clock a little ahead is tolerated
    assert len(reasons) == 1 and "in the future" in reasons[0]


def test_the_overdue_report_keeps_the_due_date_across_a_pull_back_and_a_transfer(store, make):
    store.apply(directory(make), NOW)
    due = date(2026, 11, 20)
    store.apply([
        make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs"}, NOW - timedelta(days=20)),
        make.event("file_sent", {"file_id": "F-1", "to_user": "so.jhs", "due_date": due.isoformat()}, NOW - timedelta(days=19)),
        make.event("file_pulled_back", {"file_id": "F-1", "by_user": "clerk.jhs"}, NOW - timedelta(days=18)),
    ], NOW)
    overdue = store.report("overdue", NOW)
    assert [(r["holder"], r["oldest_due_date"]) for r in overdue] == [("clerk.jhs", due.isoformat())]
    store.apply([make.event("file_transferred", {"file_ids": ["F-1"], "from_user": "clerk.jhs", "to_user": "so.jhs"},
                            NOW - timedelta(days=5), actor="admin.jhs")], NOW)
    overdue = store.report("overdue", NOW)
    assert [(r["holder"], r["oldest_due_date"]) for r in overdue] == [("so.jhs", due.isoformat())]


def test_a_hand_over_on_leave_is_no_movement_of_the_scoreboard_or_transaction_level(store, make):
    store.apply(directory(make), NOW)
    at = NOW - timedelta(days=1)
    store.apply([
        make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs"}, at),
        make.event("file_sent", {"file_id": "F-1", "to_user": "so.jhs", "action": "send"}, at + timedelta(hours=1)),
        make.event("file_sent", {"file_id": "F-1", "to_user": "clerk.jhs", "action": "hand_over"}, at + timedelta(hours=2),
                   actor="so.jhs"),
        make.event("receipt_diarised", {"receipt_id": "R-1", "kind": "electronic", "holder": "so.jhs"}, at),
        make.event("receipt_sent", {"receipt_id": "R-1", "to_user": "clerk.jhs", "action": "hand_over"}, at + timedelta(hours=2),
                   actor="so.jhs"),
    ], NOW)
    store.score(NOW)
    movements = next(c for c in store.unit(THIS_WEEK, "office", "COLL-JHS").components if c["component"] == "movements_per_active_user")
    assert movements["numerator"] == 1
    levels = {r["office"]: r for r in store.report("active-file-levels", NOW)}["COLL-JHS"]
    assert (levels["active_files"], levels["average_levels"], levels["most_levels"]) == (1, 1.0, 1)
    assert [(r["file_id"], r["holder"], r["movements"]) for r in store.report("file-register", NOW)] == [("F-1", "clerk.jhs", 1)]


def test_every_explanation_adds_up_to_its_score_in_hundredths(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS")), NOW)
    events = []
    for n in range(7):
        at = NOW - timedelta(days=n, hours=1)
        events += [
            make.event("file_created", {"file_id": f"F-{n}", "kind": "electronic" if n % 3 else "physical", "created_by": "clerk.jhs"}, at),
            make.event("receipt_diarised", {"receipt_id": f"R-{n}", "kind": "physical" if n % 2 else "electronic"},
                       at, office="TRY-JHS", actor="sto.jhs"),
            make.event("note_confirmed", {"file_id": f"F-{n}", "note_id": f"N-{n}"}, at + timedelta(minutes=5), actor="so.jhs"),
        ]
    store.apply(events, NOW)
    store.score(NOW)
    _, units = store.scores()
    assert units
    for *_, score, _rank, _active, _pending, _pending_old, components in units.values():
        contributions = [c["contribution"] for c in components]
        assert all(round(c, 2) == c for c in contributions)
        assert round(sum(contributions), 2) == score


def test_each_weeks_scores_carry_the_formula_and_weights_they_were_computed_with(store, make):
    store.apply(directory(make), NOW)
    store.apply([make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs"}, NOW - timedelta(days=9))], NOW)
    store.score(NOW)
    weeks, _ = store.scores()
    assert set(weeks) == {domain.shift_week(THIS_WEEK, -1), THIS_WEEK}
    assert list(weeks.values()) == [(domain.FORMULA_VERSION, store.settings.as_dict())] * 2
    assert weeks[THIS_WEEK][1]["weights"]["e_file_share"] == 2


# --- fairness rules -------------------------------------------------------------------------------

def test_an_office_that_entered_old_paper_files_ranks_above_every_office_that_did_nothing(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS", "SDM-MTH", "BDO-JHS")), NOW)
    entered = NOW - timedelta(days=21)  # three weeks ago
    legacy = [
        make.event("file_created", {"file_id": f"OLD-{n}", "kind": "physical", "created_by": "sto.jhs"},
                   entered + timedelta(minutes=n), office="TRY-JHS", actor="sto.jhs")
        for n in range(3)
    ] + [
        make.event("receipt_diarised", {"receipt_id": f"OLD-R-{n}", "kind": "physical", "holder": "sto.jhs"},
                   entered + timedelta(minutes=10 + n), office="TRY-JHS", actor="sto.jhs")
        for n in range(2)
    ]
    working = [make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs"}, entered)]
    store.apply(legacy + working, NOW)
    store.score(NOW)
    for week in domain.weeks_from(domain.week_of(entered), THIS_WEEK):
        rows = {unit: store.unit(week, "office", unit) for unit in ("COLL-JHS", "TRY-JHS", "SDM-MTH", "BDO-JHS")}
        idle = [row for row in rows.values() if not row.active]
        assert {row.unit for row in idle} >= {"SDM-MTH", "BDO-JHS"}
        # those that did nothing are shown as such, share the last rank and earn nothing
        assert {(row.rank, row.score) for row in idle} == {(len(rows) - len(idle) + 1, 0.0)}
        assert all(row.rank < idle[0].rank for row in rows.values() if row.active)
        # whatever the week, the office that entered paper files is not below one that did nothing
        assert rows["TRY-JHS"].rank <= idle[0].rank and rows["TRY-JHS"].score >= idle[0].score
    entry = store.unit(domain.week_of(entered), "office", "TRY-JHS")
    assert entry.active and entry.score > 0


def test_a_district_without_activity_ranks_last(store, make):
    store.apply(directory(make, offices=("COLL-JHS",)) + [make.office("SDM-MTH", district="MTH"), make.user("sdm.mth", "SDM-MTH")], NOW)
    store.apply([
        make.event("file_created", {"file_id": "F-1", "kind": "physical", "created_by": "clerk.jhs"}, NOW - timedelta(days=30)),
    ], NOW)
    store.score(NOW)
    jhansi, mathura = store.unit(THIS_WEEK, "district", "JHS"), store.unit(THIS_WEEK, "district", "MTH")
    # This week Jhansi only has a file pending for a month (0 for pendency) and did nothing: both idle.
    assert (jhansi.active, mathura.active, jhansi.rank, mathura.rank, jhansi.score, mathura.score) == (False, False, 1, 1, 0.0, 0.0)
    first = domain.week_of(NOW - timedelta(days=30))
    jhansi, mathura = store.unit(first, "district", "JHS"), store.unit(first, "district", "MTH")
    assert (jhansi.active, jhansi.rank, mathura.active, mathura.rank) == (True, 1, False, 2)


def test_a_person_is_an_active_user_of_their_own_office_whatever_office_they_acted_in(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS")), NOW)
    # The collectorate's two people work only on the treasury's files; the treasury's one person is idle.
    store.apply([
        make.event("file_created", {"file_id": "T-1", "kind": "electronic", "created_by": "clerk.jhs"},
                   NOW - timedelta(hours=5), office="TRY-JHS", actor="clerk.jhs"),
        make.event("file_sent", {"file_id": "T-1", "to_user": "so.jhs"}, NOW - timedelta(hours=4), office="TRY-JHS", actor="clerk.jhs"),
        make.event("note_confirmed", {"file_id": "T-1", "note_id": "N-1"}, NOW - timedelta(hours=3), office="TRY-JHS", actor="so.jhs"),
    ], NOW)
    store.score(NOW)
    collectorate, treasury = store.unit(THIS_WEEK, "office", "COLL-JHS"), store.unit(THIS_WEEK, "office", "TRY-JHS")
    share = {row.unit: next(c for c in row.components if c["component"] == "active_user_share") for row in (collectorate, treasury)}
    assert (share["COLL-JHS"]["numerator"], share["COLL-JHS"]["denominator"]) == (2, 2)
    assert (share["TRY-JHS"]["numerator"], share["TRY-JHS"]["denominator"]) == (0, 1)
    today = NOW.date()
    active = {row["office"]: (row["active_users"], row["users"]) for row in store.report("active-users", NOW, first=today, last=today)}
    assert active == {"COLL-JHS": (2, 2), "TRY-JHS": (0, 1), "ALL": (2, 3)}


# --- attribution ------------------------------------------------------------------------------------

def test_pendency_is_charged_to_the_office_holding_the_item_then(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS")), NOW)
    created, sent = NOW - timedelta(days=20), NOW - timedelta(days=10)
    store.apply([
        make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs",
                                    "subject": "भूमि अभिलेख / land records"}, created),
        make.event("file_sent", {"file_id": "F-1", "to_user": "sto.jhs"}, sent),
    ], NOW)
    store.score(NOW)

    def pending(week):
        return {unit: store.unit(week, "office", unit).pending for unit in ("COLL-JHS", "TRY-JHS")}

    # Before it was sent the collectorate held it; from the week it went to the treasury, the treasury.
    assert pending(domain.week_of(created)) == {"COLL-JHS": 1, "TRY-JHS": 0}
    assert pending(domain.week_of(sent)) == pending(THIS_WEEK) == {"COLL-JHS": 0, "TRY-JHS": 1}
    # The MIS pendency and the scoreboard charge the same office.
    assert [(r["office"], r["holder"], r["total"]) for r in store.report("pendency", NOW)] == [("TRY-JHS", "sto.jhs", 1)]
    assert [r["office"] for r in store.report("section-pendency", NOW)] == ["TRY-JHS"]
    assert store.report("pendency", NOW, office="COLL-JHS") == []

    # A send that arrives late moves the pendency of every week since it, not only its own week's.
    store.apply([make.event("file_created", {"file_id": "F-2", "kind": "physical", "created_by": "clerk.jhs"}, created)], NOW)
    store.score(NOW)
    store.apply([make.event("file_sent", {"file_id": "F-2", "to_user": "sto.jhs"}, NOW - timedelta(days=15))], NOW)
    store.score(NOW)
    assert pending(domain.shift_week(THIS_WEEK, -1)) == {"COLL-JHS": 0, "TRY-JHS": 2}
    stored = store.scores()
    store.recompute_everything(NOW)
    assert store.scores() == stored


def test_a_holder_the_directory_does_not_know_yet_leaves_the_pendency_with_the_creating_office(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS")), NOW)
    store.apply([
        make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs"}, NOW - timedelta(days=3)),
        make.event("file_sent", {"file_id": "F-1", "to_user": "new.sto.jhs"}, NOW - timedelta(days=2)),
    ], NOW)
    store.score(NOW)
    assert store.unit(THIS_WEEK, "office", "COLL-JHS").pending == 1
    store.apply([make.user("new.sto.jhs", "TRY-JHS")], NOW)
    store.score(NOW)
    assert (store.unit(THIS_WEEK, "office", "COLL-JHS").pending, store.unit(THIS_WEEK, "office", "TRY-JHS").pending) == (0, 1)


def test_a_signature_counts_for_the_office_of_the_signed_note_not_the_signers(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS")), NOW)
    at = NOW - timedelta(hours=3)
    store.apply([
        make.event("note_confirmed", {"file_id": "F-1", "note_id": "N-1"}, at, actor="clerk.jhs"),
        # the treasury officer signs the collectorate's note: signing names the note's office
        make.event("document_signed", {"signature_id": "S-1", "document_kind": "note", "document_id": "N-1", "file_id": "F-1",
                                       "signer": "sto.jhs", "office": "COLL-JHS"}, at + timedelta(minutes=5), office="", actor="sto.jhs"),
    ], NOW)
    store.score(NOW)
    signing = {unit: next(c for c in store.unit(THIS_WEEK, "office", unit).components if c["component"] == "digital_signing_share")
               for unit in ("COLL-JHS", "TRY-JHS")}
    assert (signing["COLL-JHS"]["numerator"], signing["COLL-JHS"]["denominator"]) == (1, 1)
    assert (signing["TRY-JHS"]["numerator"], signing["TRY-JHS"]["denominator"]) == (0, 0)
    # the signer is still an active user of their own office
    active = next(c for c in store.unit(THIS_WEEK, "office", "TRY-JHS").components if c["component"] == "active_user_share")
    assert active["numerator"] == 1


def test_a_receipt_pulled_back_is_charged_again_to_the_office_of_who_pulled_it_back(store, make):
    store.apply(directory(make, offices=("COLL-JHS", "TRY-JHS")), NOW)
    store.apply([
        make.event("receipt_diarised", {"receipt_id": "R-1", "kind": "electronic", "holder": "clerk.jhs",
                                        "subject": "पेंशन प्रकरण / pension case"}, NOW - timedelta(hours=5)),
        make.event("receipt_sent", {"receipt_id": "R-1", "to_user": "sto.jhs"}, NOW - timedelta(hours=4)),
    ], NOW)
    store.score(NOW)
    assert [(r["office"], r["holder"]) for r in store.report("pendency", NOW)] == [("TRY-JHS", "sto.jhs")]
    store.apply([make.event("receipt_pulled_back", {"receipt_id": "R-1", "by_user": "clerk.jhs", "from_user": "sto.jhs"},
                            NOW - timedelta(hours=3))], NOW)
    store.score(NOW)
    assert [(r["office"], r["holder"]) for r in store.report("pendency", NOW)] == [("COLL-JHS", "clerk.jhs")]
    assert (store.unit(THIS_WEEK, "office", "COLL-JHS").pending, store.unit(THIS_WEEK, "office", "TRY-JHS").pending) == (1, 0)
