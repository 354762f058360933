"""The reports a district asked for (issue 19): section-wise pendency, files pending with others,
transaction levels of active files, DARPG's monthly report."""
from datetime import date, datetime, timedelta, timezone

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc)


def history(make):
    office = make.office("COLL-JHS")
    office["data"]["sections"] = [{"code": "CR", "name_en": "Central Registry", "name_hi": "केंद्रीय रजिस्ट्री"},
                                  {"code": "EST", "name_en": "Establishment", "name_hi": "अधिष्ठान"}]
    clerk, officer = make.user("clerk.jhs", "COLL-JHS"), make.user("so.jhs", "COLL-JHS")
    clerk["data"]["section"], officer["data"]["section"] = "CR", "EST"
    day = timedelta(days=1)
    october = datetime(2026, 10, 10, 6, tzinfo=timezone.utc)
    return [office, clerk, officer], [
        make.event("file_created", {"file_id": "F-1", "kind": "electronic", "created_by": "clerk.jhs"}, october),
        make.event("file_sent", {"file_id": "F-1", "to_user": "so.jhs"}, october + day),
        make.event("file_sent", {"file_id": "F-1", "to_user": "clerk.jhs"}, october + 2 * day, actor="so.jhs"),
        make.event("file_closed", {"file_id": "F-1", "created_at": october.isoformat(), "movement_count": 2}, october + 3 * day),
        make.event("file_created", {"file_id": "F-2", "kind": "physical", "created_by": "clerk.jhs"}, october + 4 * day),
        make.event("file_sent", {"file_id": "F-2", "to_user": "so.jhs", "due_date": "2026-11-20"}, NOW - 20 * day),
        make.event("file_created", {"file_id": "F-3", "kind": "electronic", "created_by": "clerk.jhs"}, NOW - 10 * day),
        make.event("file_sent", {"file_id": "F-3", "to_user": "so.jhs"}, NOW - 9 * day),
        make.event("file_pulled_back", {"file_id": "F-3", "by_user": "clerk.jhs"}, NOW - 8 * day),
        make.event("receipt_diarised", {"receipt_id": "R-1", "kind": "electronic", "holder": "clerk.jhs"}, NOW - 2 * day),
        make.event("receipt_sent", {"receipt_id": "R-1", "to_user": "so.jhs"}, NOW - day),
    ]


def test_pendency_by_section_of_the_holder(store, make):
    directory, events = history(make)
    store.apply(directory, NOW)
    store.apply(events, NOW)
    rows = {(r["section"], r["item_type"]): r for r in store.report("section-pendency", NOW)}
    assert set(rows) == {("EST", "file"), ("EST", "receipt"), ("CR", "file")}
    assert (rows[("EST", "file")]["total"], rows[("EST", "file")]["days_31+"], rows[("EST", "file")]["section_name_hi"]) == (1, 1, "अधिष्ठान")
    assert (rows[("CR", "file")]["days_8-15"], rows[("EST", "receipt")]["days_0-7"]) == (1, 1)


def test_what_i_sent_that_others_still_hold(store, make):
    directory, events = history(make)
    store.apply(directory, NOW)
    store.apply(events, NOW)
    mine = store.report("pending-with-others", NOW, sender="clerk.jhs")
    # F-1 came back and was closed, F-3 was pulled back: F-2 and R-1 are still with the officer
    assert [(r["item_id"], r["holder"], r["days_with_holder"], r["due_date"]) for r in mine] == [
        ("F-2", "so.jhs", 20, "2026-11-20"), ("R-1", "so.jhs", 1, None)]
    assert store.report("pending-with-others", NOW, sender="so.jhs") == []


def test_what_i_sent_to_another_office_is_pending_with_the_holders_office(store, make):
    """Like pendency, an item sent on is charged to the office of the user now holding it, not the one
    that created it (issue 19): the tehsil's file the clerk sent to the collectorate's officer is
    pending with the collectorate."""
    store.apply([make.office("COLL-JHS"), make.office("TEH-MRN"), make.user("clerk.teh", "TEH-MRN"),
                 make.user("so.jhs", "COLL-JHS")], NOW)
    at = NOW - timedelta(days=3)
    store.apply([
        make.event("file_created", {"file_id": "F-T", "kind": "electronic", "created_by": "clerk.teh"}, at,
                   office="TEH-MRN", actor="clerk.teh"),
        make.event("file_sent", {"file_id": "F-T", "to_user": "so.jhs"}, at + timedelta(hours=1), office="TEH-MRN",
                   actor="clerk.teh"),
    ], NOW)
    held = store.report("pending-with-others", NOW, sender="clerk.teh", office="COLL-JHS")
    assert [(r["office"], r["office_name_hi"], r["item_id"], r["holder"]) for r in held] == [
        ("COLL-JHS", "कार्यालय COLL-JHS", "F-T", "so.jhs")]
    assert store.report("pending-with-others", NOW, sender="clerk.teh", office="TEH-MRN") == []


def test_transaction_levels_of_files_still_active(store, make):
    directory, events = history(make)
    store.apply(directory, NOW)
    store.apply(events, NOW)
    rows = {r["office"]: r for r in store.report("active-file-levels", NOW)}
    assert (rows["COLL-JHS"]["active_files"], rows["COLL-JHS"]["average_levels"], rows["COLL-JHS"]["most_levels"]) == (2, 1.0, 1)
    assert rows["ALL"]["active_files"] == 2


def test_darpgs_monthly_report(store, make):
    directory, events = history(make)
    store.apply(directory, NOW)
    store.apply(events, NOW)
    rows = {r["month"]: r for r in store.report("darpg-monthly", NOW, first=date(2026, 10, 1), last=date(2026, 12, 2))}
    assert list(rows) == ["2026-10", "2026-11", "2026-12"]
    october, november = rows["2026-10"], rows["2026-11"]
    assert (october["e_file_percent"], october["average_levels"], october["files_closed"]) == (50.0, 2.0, 1)
    assert (october["active_e_files"], october["active_physical_files"]) == (0, 1)
    assert (november["e_file_percent"], november["e_receipt_percent"], november["average_levels"]) == (100.0, 100.0, None)
    assert (november["active_e_files"], november["active_physical_files"]) == (1, 1)


def register_entries(make):
    at = NOW - timedelta(days=3)
    return [
        make.event("receipt_diarised", {"receipt_id": "R-V", "receipt_number": "81829/2026/COLL-JHS", "kind": "electronic",
                                        "vip": True, "main_category": "लोक शिकायत", "subject": "सांसद का पत्र: सड़क मरम्मत",
                                        "classification": "normal", "holder": "clerk.jhs"}, at),
        make.event("receipt_diarised", {"receipt_id": "R-S", "receipt_number": "81830/2026/COLL-JHS", "kind": "physical",
                                        "vip": True, "main_category": "लोक शिकायत", "subject": "गोपनीय जाँच",
                                        "classification": "secret", "holder": "clerk.jhs"}, at + timedelta(hours=1)),
        make.event("receipt_diarised", {"receipt_id": "R-N", "kind": "electronic", "main_category": "RTI", "holder": "clerk.jhs"},
                   at + timedelta(hours=2)),
        make.event("receipt_put_in_file", {"receipt_id": "R-N", "file_id": "F-R"}, at + timedelta(hours=3)),
        make.event("file_created", {"file_id": "F-R", "file_number": "N-11016/6/2026-COLL-JHS", "kind": "electronic",
                                    "subject": "भूमि अधिग्रहण, ग्राम बबीना", "category": "Land", "section": "CR",
                                    "classification": "normal", "created_by": "clerk.jhs"}, at - timedelta(days=1)),
    ]


def test_vip_receipts_still_pending_without_classified_subjects(store, make):
    directory, _ = history(make)
    store.apply(directory, NOW)
    store.apply(register_entries(make), NOW)
    rows = store.report("vip-receipts", NOW)
    assert [(r["receipt_number"], r["subject"], r["classification"], r["days_pending"]) for r in rows] == [
        ("81829/2026/COLL-JHS", "सांसद का पत्र: सड़क मरम्मत", "normal", 3), ("81830/2026/COLL-JHS", None, "secret", 2)]


def test_receipts_by_category(store, make):
    directory, _ = history(make)
    store.apply(directory, NOW)
    store.apply(register_entries(make), NOW)
    rows = {(r["office"], r["category"]): r for r in store.report("receipts-by-category", NOW)}
    complaints = rows[("COLL-JHS", "लोक शिकायत")]
    assert (complaints["receipts"], complaints["electronic"], complaints["physical"], complaints["vip"], complaints["pending"]) == (2, 1, 1, 2, 2)
    assert (rows[("ALL", "RTI")]["receipts"], rows[("ALL", "RTI")]["pending"]) == (1, 0)


def test_the_file_register(store, make):
    directory, _ = history(make)
    store.apply(directory, NOW)
    store.apply(register_entries(make), NOW)
    rows = store.report("file-register", NOW, first=(NOW - timedelta(days=7)).date(), last=NOW.date())
    assert [(r["file_number"], r["subject"], r["category"], r["section"], r["kind"], r["closed_on"], r["holder"]) for r in rows] == [
        ("N-11016/6/2026-COLL-JHS", "भूमि अधिग्रहण, ग्राम बबीना", "Land", "CR", "electronic", None, "clerk.jhs")]
