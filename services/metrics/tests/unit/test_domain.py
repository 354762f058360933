"""The rules in plain Python: IST weeks, the state of files and receipts, counts, the formula."""
import itertools
from datetime import date, datetime, timedelta, timezone

import pytest

from metrics import domain
from metrics.domain import Fact, ItemChange, OfficeInfo, ScoreSettings, UnitInputs

UTC = timezone.utc
T0 = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


def test_a_week_turns_at_midnight_on_sunday_in_india():
    sunday_night = datetime(2026, 11, 22, 18, 29, 59, tzinfo=UTC)  # 23:59:59 IST
    assert domain.week_of(sunday_night) == 202647
    assert domain.week_of(sunday_night + timedelta(seconds=1)) == 202648
    assert domain.day_of(sunday_night + timedelta(seconds=1)) == date(2026, 11, 23)


def test_weeks_are_written_as_iso_weeks_and_checked():
    assert domain.week_label(202601) == "2026-W01"
    assert domain.parse_week("2026-W47") == 202647
    assert domain.parse_week("2026-W53") == 202653  # 2026 has 53 ISO weeks
    for bad in ("2025-W53", "2026-47", "2026-W00", "", None, "2026-W4"):
        with pytest.raises(ValueError):
            domain.parse_week(bad)


def test_weeks_follow_each_other_across_the_new_year():
    assert domain.shift_week(202653, 1) == 202701
    assert domain.shift_week(202701, -1) == 202653
    assert domain.weeks_from(202652, 202702) == [202652, 202653, 202701, 202702]
    assert domain.week_start(202701) == datetime(2027, 1, 4, tzinfo=domain.IST)
    assert domain.week_days(202647)[0] == date(2026, 11, 16) and domain.week_days(202647)[-1] == date(2026, 11, 22)


def fact(event_type, **fields):
    values = dict(event_id="e", event_type=event_type, occurred_at=T0, actor="clerk.jhs", office="COLL-JHS")
    values.update(fields)
    return Fact(**values)


def test_a_fact_without_an_office_is_placed_through_its_user():
    signed = domain.attribute(fact("document_signed", office=None, subject_user="so.jhs"), {"so.jhs": "COLL-JHS"})
    assert signed.office == "COLL-JHS"
    unknown = domain.attribute(fact("notification_delivered", office=None, actor="system", subject_user="new.jhs"), {})
    assert (unknown.office, unknown.subject_user) == (None, "new.jhs")
    sent = domain.attribute(fact("file_sent", to_user="sto.jhs"), {"sto.jhs": "TRY-JHS"})
    assert (sent.office, sent.to_office) == ("COLL-JHS", "TRY-JHS")


def test_counts_of_a_day_and_who_was_active():
    facts = [
        fact("file_created", kind="electronic"),
        fact("file_created", kind="physical", actor="so.jhs"),
        fact("receipt_diarised", kind="electronic"),
        fact("file_sent", to_user="sto.jhs", to_office="TRY-JHS"),
        fact("file_closed", duration_seconds=86400, levels=3),
        fact("file_closed", duration_seconds=3 * 86400, levels=5),
        fact("document_signed", kind="note", actor="so.jhs"),
        fact("document_signed", kind="draft", actor="so.jhs"),
        fact("notification_delivered", actor="system"),
        fact("file_sent", office=None),  # not placed yet: counted nowhere
    ]
    counts, active = domain.count_increments(facts)
    here = counts[("COLL-JHS", T0.date())]
    assert (here["files_created"], here["e_files_created"], here["receipts_diarised"], here["e_receipts_diarised"]) == (2, 1, 1, 1)
    assert (here["files_forwarded"], here["files_closed"], here["disposal_seconds"], here["levels"]) == (1, 2, 4 * 86400, 8)
    assert (here["notes_signed"], here["drafts_signed"], here["notifications_delivered"]) == (1, 1, 1)
    assert counts[("TRY-JHS", T0.date())] == {"files_received": 1}
    assert active == {(202647, "COLL-JHS", "clerk.jhs"), (202647, "COLL-JHS", "so.jhs")}


def test_a_hand_over_on_leave_changes_the_holder_but_is_no_movement():
    handed_over = [
        fact("file_sent", item_type="file", item_id="f", kind="hand_over", to_user="acting.jhs", to_office="COLL-JHS",
             occurred_at=T0 + timedelta(hours=1)),
        fact("receipt_sent", item_type="receipt", item_id="r", kind="hand_over", to_user="acting.jhs", to_office="COLL-JHS",
             occurred_at=T0 + timedelta(hours=1)),
    ]
    sent = fact("file_sent", item_type="file", item_id="f", kind="send", to_user="so.jhs", to_office="COLL-JHS",
                due_date=date(2026, 12, 1))
    counts, active = domain.count_increments([sent, *handed_over])
    here = counts[("COLL-JHS", T0.date())]
    assert (here["files_forwarded"], here["files_received"], here["receipts_forwarded"], here["receipts_received"]) == (1, 1, 0, 0)
    items = domain.merged_item_changes([sent, *handed_over])
    assert (items[("file", "f")].holder, items[("file", "f")].movements, items[("file", "f")].due_date) == ("acting.jhs", 1, date(2026, 12, 1))
    assert (items[("receipt", "r")].holder, items[("receipt", "r")].movements) == ("acting.jhs", 0)


def file_history():
    created = ItemChange("file", "f", office="COLL-JHS", kind="electronic", section="CR", created_at=T0, holder="clerk.jhs", held_since=T0)
    sent = ItemChange("file", "f", office="COLL-JHS", holder="so.jhs", held_since=T0 + timedelta(hours=1), due_date=date(2026, 12, 1),
                      last_sent_at=T0 + timedelta(hours=1), movements=1)
    sent_up = ItemChange("file", "f", office="COLL-JHS", holder="dm.jhs", held_since=T0 + timedelta(hours=2),
                         last_sent_at=T0 + timedelta(hours=2), movements=1)
    closed = ItemChange("file", "f", office="COLL-JHS", last_closed_at=T0 + timedelta(days=2))
    return [created, sent, sent_up, closed]


def merge_all(changes):
    merged = changes[0]
    for change in changes[1:]:
        merged = merged.merge(change)
    return merged


def test_a_file_comes_out_the_same_whatever_order_its_events_arrive_in():
    states = {repr(merge_all(list(order))) for order in itertools.permutations(file_history())}
    assert len(states) == 1
    state = merge_all(file_history())
    assert (state.kind, state.section, state.created_at, state.movements) == ("electronic", "CR", T0, 2)
    assert (state.holder, state.due_date, state.closed_at) == ("dm.jhs", None, T0 + timedelta(days=2))


def test_a_pull_back_or_a_transfer_keeps_the_due_date_of_the_last_send():
    sent = domain.item_changes(fact("file_sent", item_type="file", item_id="f", to_user="so.jhs", due_date=date(2026, 12, 1)))
    pulled_back = domain.item_changes(fact("file_pulled_back", item_type="file", item_id="f", to_user="clerk.jhs",
                                           occurred_at=T0 + timedelta(hours=1)))
    transferred = domain.item_changes(fact("file_transferred", file_ids=["f"], to_user="new.jhs", occurred_at=T0 + timedelta(hours=2)))
    for order in itertools.permutations(sent + pulled_back + transferred):
        state = merge_all(list(order))
        assert (state.holder, state.due_date) == ("new.jhs", date(2026, 12, 1))


def test_a_reopened_file_is_pending_until_closed_again():
    reopened = ItemChange("file", "f", reopened_at=T0 + timedelta(days=3))
    closed_again = ItemChange("file", "f", last_closed_at=T0 + timedelta(days=5))
    assert merge_all(file_history() + [reopened]).closed_at is None
    for order in itertools.permutations(file_history() + [reopened, closed_again]):
        assert merge_all(list(order)).closed_at == T0 + timedelta(days=5)


def test_what_each_fact_does_to_files_and_receipts():
    changes = domain.item_changes(fact("file_transferred", file_ids=["a", "b"], to_user="new.jhs"))
    assert [(c.item_id, c.holder) for c in changes] == [("a", "new.jhs"), ("b", "new.jhs")]
    diarised = domain.item_changes(fact("receipt_diarised", item_type="receipt", item_id="r", kind="physical", to_user="diarist.jhs"))
    assert (diarised[0].holder, diarised[0].created_at, diarised[0].kind) == ("diarist.jhs", T0, "physical")
    assert domain.item_changes(fact("receipt_put_in_file", item_type="receipt", item_id="r"))[0].last_closed_at == T0
    assert domain.item_changes(fact("note_confirmed", item_type="file", item_id="f")) == []


def test_pendency_ages_are_whole_days():
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    bounds = domain.age_bucket_bounds(now)

    def bucket(age):
        created = now - age
        return [label for label, after, not_after in bounds
                if (after is None or created > after) and (not_after is None or created <= not_after)]

    assert bucket(timedelta(days=7, hours=23)) == ["0-7"]
    assert bucket(timedelta(days=8)) == ["8-15"]
    assert bucket(timedelta(days=30, hours=23)) == ["16-30"]
    assert bucket(timedelta(days=31)) == ["31+"]
    assert bucket(timedelta(0)) == ["0-7"]


def test_percentiles_interpolate_between_values():
    assert domain.percentile([], 0.5) is None
    assert domain.percentile([4, 1, 3, 2], 0.5) == 2.5
    assert domain.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)


SETTINGS = ScoreSettings.from_config({})


def components(inputs, settings=SETTINGS):
    return {c["component"]: c for c in domain.explain(inputs, settings)}


def test_each_component_is_put_on_a_scale_of_ten():
    inputs = UnitInputs(
        files_created=10, e_files_created=8, receipts_diarised=4, e_receipts_diarised=1, movements=30,
        active_people={"a", "b", "c", "d", "e"},
        users=10, disposal_days=[2.0, 10.0, 30.0], pending=20, pending_old=5, notes_confirmed=4, notes_signed=6,
    )
    c = components(inputs)
    assert c["e_file_share"]["raw"] == 0.8 and c["e_file_share"]["normalised"] == pytest.approx(8.0)
    assert c["e_receipt_share"]["normalised"] == pytest.approx(2.5)
    assert c["movements_per_active_user"]["raw"] == 6 and c["movements_per_active_user"]["normalised"] == pytest.approx(6.0)
    assert c["median_disposal_days"]["raw"] == 10 and c["median_disposal_days"]["normalised"] == pytest.approx(10 * 20 / 29)
    assert c["old_pendency_share"]["raw"] == 0.25 and c["old_pendency_share"]["normalised"] == pytest.approx(7.5)
    assert c["digital_signing_share"]["raw"] == 1.0  # more signatures than notes counts as all
    assert c["active_user_share"]["normalised"] == pytest.approx(5.0)
    assert sum(x["contribution"] for x in c.values()) == pytest.approx(
        sum(SETTINGS.weights[k] * x["normalised"] for k, x in c.items()) / sum(SETTINGS.weights.values()), abs=0.005
    )


def test_contributions_in_hundredths_add_up_to_the_score():
    # 1/3 each: rounded alone, three contributions make 0.99 of a score of 1.00.
    assert domain.hundredths_adding_up([1 / 3, 1 / 3, 1 / 3]) == [0.34, 0.33, 0.33]
    assert domain.hundredths_adding_up([0.125, 0.125, 0.25]) in ([0.13, 0.12, 0.25], [0.12, 0.13, 0.25])
    inputs = UnitInputs(files_created=3, e_files_created=1, receipts_diarised=3, e_receipts_diarised=2, movements=7,
                        active_people={"a", "b", "c"}, users=7, disposal_days=[3.3], pending=9, pending_old=4,
                        notes_confirmed=3, notes_signed=1)
    for weights in ({}, {"e_file_share": 1.3, "movements_per_active_user": 0.7}, dict.fromkeys(domain.COMPONENT_NAMES, 1)):
        explained = domain.explain(inputs, ScoreSettings.from_config({"weights": weights}))
        exact = sum(c["weight"] * c["normalised"] for c in explained) / sum(c["weight"] for c in explained)
        assert all(round(c["contribution"], 2) == c["contribution"] for c in explained)
        assert round(sum(c["contribution"] for c in explained), 2) == domain.score_of(explained) == round(exact, 2)


def test_no_data_earns_nothing_but_nothing_pending_is_best():
    c = components(UnitInputs(active_people={"clerk.jhs"}))
    assert {k: x["raw"] for k, x in c.items()} == {
        "e_file_share": None, "e_receipt_share": None, "movements_per_active_user": 0.0, "median_disposal_days": None,
        "old_pendency_share": 0.0, "digital_signing_share": None, "active_user_share": None,
    }
    assert domain.score_of(list(c.values())) == round(10 * SETTINGS.weights["old_pendency_share"] / sum(SETTINGS.weights.values()), 2)


def test_disposal_time_is_full_marks_within_a_day_and_none_after_a_month():
    for days, expected in ((0.5, 10.0), (1.0, 10.0), (30.0, 0.0), (45.0, 0.0), (15.5, 5.0)):
        assert domain.normalise("median_disposal_days", days, SETTINGS) == pytest.approx(expected)


def test_weights_and_limits_come_from_the_configuration():
    settings = ScoreSettings.from_config({"weights": {"e_file_share": 1, "active_user_share": 0}, "pendency_days": 7})
    assert settings.weights["e_file_share"] == 1.0 and settings.weights["active_user_share"] == 0.0
    assert settings.weights["e_receipt_share"] == domain.DEFAULT_WEIGHTS["e_receipt_share"]
    assert settings.pendency_days == 7
    for bad in ({"weights": {"typing_speed": 1}}, {"weights": {"e_file_share": -1}},
                {"weights": dict.fromkeys(domain.COMPONENT_NAMES, 0)}, {"disposal_best_days": 40}):
        with pytest.raises(ValueError):
            ScoreSettings.from_config(bad)


def test_equal_scores_share_a_rank():
    assert domain.competition_ranks({"a": 7.5, "b": 8.1, "c": 7.5, "d": 2.0}) == {"b": 1, "a": 2, "c": 2, "d": 4}
    assert domain.rank_change(2, 5) == 3 and domain.rank_change(4, 1) == -3 and domain.rank_change(1, None) is None


def office(code, district, department):
    return OfficeInfo(code, f"Office {code}", f"कार्यालय {code}", district, district, f"ज़िला {district}",
                      department, department, f"विभाग {department}")


def test_districts_and_departments_pool_their_offices_numbers():
    offices = [office("A", "JHS", "REV"), office("B", "JHS", "TRS"), office("C", "JLN", "REV")]
    inputs = {
        "A": UnitInputs(files_created=10, e_files_created=10, disposal_days=[1.0], users=4, active_people={"a1", "a2", "a3", "b1"}),
        "B": UnitInputs(files_created=30, e_files_created=0, disposal_days=[9.0, 29.0], users=4, active_people={"b1"}),
    }
    scored = {(s.level, s.unit): s for s in domain.score_units(offices, inputs, SETTINGS)}
    jhansi = {c["component"]: c for c in scored[("district", "JHS")].components}
    assert (jhansi["e_file_share"]["numerator"], jhansi["e_file_share"]["denominator"]) == (10, 40)
    assert jhansi["median_disposal_days"]["raw"] == 9.0  # of all three disposals, not a mean of medians
    assert jhansi["active_user_share"]["raw"] == 4 / 8  # b1 acted in both offices: one person
    assert scored[("district", "JHS")].name_hi == "ज़िला JHS"
    assert (scored[("office", "C")].score, scored[("office", "C")].active) == (0.0, False)  # a quiet office
    assert sorted(s.rank for (level, _), s in scored.items() if level == "office") == [1, 2, 3]
    assert {unit for level, unit in scored if level == "department"} == {"REV", "TRS"}


def test_the_configuration_file_gives_the_documented_defaults(monkeypatch):
    from eoffice_common.config import load_config, service_config_path
    from metrics import domain as metrics_domain

    for name in ("METRICS_HTTP_ADDRESS", "METRICS_METRICS_PORT", "SCORE_WEIGHT_E_FILE_SHARE", "METRICS_DIRECTORY_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(service_config_path(metrics_domain.__file__))
    assert (config["WEB_SERVER_ADDRESS"], config["METRICS_PORT"]) == ("0.0.0.0:8005", 9105)
    assert config["DIRECTORY_BOOTSTRAP"] is True and config["INGEST_BATCH_WAIT_SECONDS"] == 0.05
    assert ScoreSettings.from_config(config["SCOREBOARD"]) == ScoreSettings.from_config({})
    monkeypatch.setenv("SCORE_WEIGHT_E_FILE_SHARE", "3.5")
    assert ScoreSettings.from_config(load_config(service_config_path(metrics_domain.__file__))["SCOREBOARD"]).weights["e_file_share"] == 3.5


def test_the_readmes_worked_example_of_the_fairness_rules():
    offices = [office(code, "JHS", "REV") for code in "ABCD"]
    worked = UnitInputs(files_created=3, e_files_created=3, receipts_diarised=2, e_receipts_diarised=1, movements=6,
                        active_people={"c1", "c2"}, users=4, disposal_days=[2.0], pending=6, pending_old=1,
                        notes_confirmed=3, notes_signed=2)
    registered_paper = UnitInputs(files_created=3, receipts_diarised=2, active_people={"b1"}, users=4, pending=5)
    idle = UnitInputs(users=4)
    scored = {s.unit: s for s in domain.score_units(offices, {"A": idle, "B": registered_paper, "C": worked, "D": idle}, SETTINGS)
              if s.level == "office"}
    assert {u: (s.score, s.rank, s.active) for u, s in scored.items()} == {
        "C": (7.16, 1, True), "B": (1.75, 2, True), "A": (0.0, 3, False), "D": (0.0, 3, False),
    }
    assert [c["contribution"] for c in scored["C"].components] == [2.0, 1.0, 0.3, 1.45, 1.25, 0.66, 0.5]
    three_weeks_later = UnitInputs(users=4, pending=5, pending_old=5)
    later = {s.unit: s for s in domain.score_units(offices, {"B": three_weeks_later}, SETTINGS) if s.level == "office"}
    assert {u: (s.score, s.rank) for u, s in later.items()} == dict.fromkeys("ABCD", (0.0, 1))


def test_a_dispatch_is_the_same_whatever_order_its_news_and_its_issue_arrive_in():
    at = datetime(2026, 11, 30, 5, tzinfo=timezone.utc)
    issued = Fact("e-1", "draft_issued", at, "so.jhs", office="COLL-JHS", item_type="file", item_id="F-1", kind="intra",
                  dispatches=[{"dispatch_id": "d-1", "mode": "intra", "copy": True, "office": "TEH-MRN"}])
    received = Fact("e-2", "letter_received", at + timedelta(hours=2), "system", office="TEH-MRN", dispatch_id="d-1")
    again = Fact("e-3", "letter_received", at + timedelta(hours=5), "system", office="TEH-MRN", dispatch_id="d-1")
    opened = Fact("e-4", "letter_opened", at + timedelta(hours=3), "clerk.teh", office="TEH-MRN", dispatch_id="d-1")
    unknown = Fact("e-5", "letter_emailed", at + timedelta(hours=1), "system", dispatch_id="d-1", kind="unknown")
    merged = {str(domain.merged_dispatch_changes(list(order))["d-1"])
              for order in itertools.permutations([issued, received, again, opened, unknown])}
    [dispatch] = [domain.merged_dispatch_changes([issued, received, again, opened, unknown])["d-1"]]
    assert len(merged) == 1
    assert (dispatch.office, dispatch.file_id, dispatch.mode, dispatch.for_information, dispatch.addressee_office) == (
        "COLL-JHS", "F-1", "intra", True, "TEH-MRN")
    assert (dispatch.issued_at, dispatch.reached_at, dispatch.opened_at, dispatch.bounced_at) == (
        at, at + timedelta(hours=2), at + timedelta(hours=3), None)


def test_letters_that_reached_their_addressees_count_as_movements_per_active_user():
    inputs = UnitInputs(movements=3, dispatches_reached=2, active_people={"clerk.jhs", "so.jhs"})
    raw, numerator, denominator = domain.raw_values(inputs, ScoreSettings.from_config({}))["movements_per_active_user"]
    assert (raw, numerator, denominator) == (2.5, 5, 2)
    assert UnitInputs.pooled([inputs, UnitInputs(dispatches_reached=4)]).dispatches_reached == 6
