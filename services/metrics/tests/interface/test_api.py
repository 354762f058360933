"""The HTTP API on the running service: scoreboard, unit detail and explanation, MIS reports as
JSON and CSV, the phone page, and the errors (401, 403, 404, 422)."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from metrics.domain import FORMULA_VERSION, IST, week_label, week_of, week_start

NOW = datetime.now(timezone.utc)
MONDAY = week_start(week_of(NOW))
LAST_WEEK = MONDAY - timedelta(days=5)  # Wednesday of last week
TODAY = NOW.astimezone(IST).date()


def this_week(fraction):
    """A moment of this week before now, whatever the day today."""
    return MONDAY + (NOW - MONDAY) * fraction

THIS_WEEK, PREVIOUS_WEEK = week_label(week_of(NOW)), week_label(week_of(LAST_WEEK))
ADMIN = {"user": "admin.jhs", "office": "COLL-JHS", "roles": ("admin", "officer")}
DM = {"user": "dm.jhs", "office": "COLL-JHS", "roles": ("officer", "district_head")}
REVENUE_HEAD = {"user": "head.rev", "office": "COLL-JLN", "roles": ("officer", "department_head")}


@pytest.fixture
def scored(client, events, events_factory, metrics_db, wait):
    """Two districts, three offices; events this week and last; scored."""
    make = events_factory.make
    events.publish([
        events_factory.office("COLL-JHS", "JHS", "REV", "ज़िलाधिकारी कार्यालय, झाँसी", "Collectorate, Jhansi", sections=["COLL-JHS-CR"]),
        events_factory.office("TRY-JHS", "JHS", "TRS", "ज़िला कोषागार, झाँसी", "District Treasury, Jhansi", department_name_hi="कोषागार"),
        events_factory.office("COLL-JLN", "JLN", "REV", "ज़िलाधिकारी कार्यालय, जालौन", "Collectorate, Jalaun", district_name_hi="जालौन"),
        events_factory.user("clerk.jhs", "COLL-JHS", name_hi="पूजा यादव"),
        events_factory.user("so.jhs", "COLL-JHS", name_hi="सुनीता देवी", roles=("officer",)),
        events_factory.user("sto.jhs", "TRY-JHS", district="JHS"),
        events_factory.user("clerk.jln", "COLL-JLN", district="JLN"),
        events_factory.user("dm.jhs", "COLL-JHS", roles=DM["roles"]),
        events_factory.user("head.rev", "COLL-JLN", roles=REVENUE_HEAD["roles"], district="JLN"),
    ])
    old = NOW - timedelta(days=40)
    events.publish([
        # Collectorate Jhansi: electronic, quick, a file sent up
        make("file_created", {"file_id": "f-1", "kind": "electronic", "section": "COLL-JHS-CR", "created_by": "clerk.jhs"}, at=LAST_WEEK),
        make("file_created", {"file_id": "f-2", "kind": "electronic", "section": "COLL-JHS-CR", "created_by": "clerk.jhs",
                              "file_number": "N-11016/6/2026-COLL-JHS", "subject": "भूमि अधिग्रहण, ग्राम बबीना"}, at=this_week(0.5)),
        make("file_sent", {"file_id": "f-2", "to_user": "so.jhs", "due_date": (TODAY - timedelta(days=1)).isoformat()}, at=this_week(0.75)),
        make("receipt_diarised", {"receipt_id": "r-1", "kind": "electronic", "holder": "clerk.jhs"}, at=old),
        make("draft_issued", {"file_id": "f-2", "dispatch_mode": "email", "addressees": [
            {"dispatch_id": "d-1", "position": 1, "mode": "email", "copy": False, "name": "Ravi", "email": "ravi@example.in"}]},
            actor="so.jhs", at=this_week(0.9)),
        make("file_closed", {"file_id": "f-1", "created_at": LAST_WEEK.isoformat(), "movement_count": 3}, at=LAST_WEEK + timedelta(days=1)),
        # Treasury Jhansi: physical
        make("file_created", {"file_id": "t-1", "kind": "physical", "created_by": "sto.jhs"}, office="TRY-JHS", actor="sto.jhs", at=LAST_WEEK),
        make("file_created", {"file_id": "t-2", "kind": "physical", "created_by": "sto.jhs"}, office="TRY-JHS", actor="sto.jhs", at=this_week(0.5)),
        # Collectorate Jalaun: only last week
        make("receipt_diarised", {"receipt_id": "r-9", "kind": "physical", "holder": "clerk.jln"}, office="COLL-JLN", actor="clerk.jln", district="JLN", at=LAST_WEEK),
    ])
    assert wait(lambda: metrics_db.scalar("SELECT count(*) FROM processed_events") == 18)
    assert wait(lambda: metrics_db.scalar("SELECT count(*) FROM stale_weeks") == 0
                and metrics_db.scalar("SELECT count(DISTINCT week) FROM unit_scores WHERE week >= :w", w=week_of(LAST_WEEK)) == 2)
    return client


def test_the_scoreboard_ranks_every_unit_with_its_change_in_rank(scored):
    body = scored.get(f"/scoreboard?week={THIS_WEEK}&level=office").json()
    assert body["week"] == THIS_WEEK and body["level"] == "office" and body["pendency_days"] == 15
    units = body["units"]
    assert [u["rank"] for u in units] == sorted(u["rank"] for u in units)
    assert units[0]["unit"] == "COLL-JHS" and units[0]["name_hi"] == "ज़िलाधिकारी कार्यालय, झाँसी"
    assert all(u["previous_rank"] is not None and u["rank_change"] == u["previous_rank"] - u["rank"] for u in units)
    districts = scored.get(f"/scoreboard?week={THIS_WEEK}&level=district").json()["units"]
    assert {d["unit"]: d["name_hi"] for d in districts} == {"JHS": "झाँसी", "JLN": "जालौन"}
    only_jhansi = scored.get(f"/scoreboard?week={THIS_WEEK}&level=office&district=JHS").json()["units"]
    assert {u["unit"] for u in only_jhansi} == {"COLL-JHS", "TRY-JHS"}
    assert scored.get("/scoreboard").json()["week"] == THIS_WEEK  # the latest scored week by default


def test_the_scoreboard_as_csv_keeps_hindi(scored):
    response = scored.get(f"/scoreboard?week={PREVIOUS_WEEK}&level=office&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f"scoreboard-office-{PREVIOUS_WEEK}.csv" in response.headers["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert {r["unit"]: r["name_hi"] for r in rows}["TRY-JHS"] == "ज़िला कोषागार, झाँसी"
    assert list(rows[0])[:3] == ["rank", "rank_change", "unit"]


def test_a_unit_is_explained_component_by_component(scored):
    detail = scored.get(f"/scoreboard/office/COLL-JHS?week={THIS_WEEK}").json()
    assert detail["unit"] == "COLL-JHS" and detail["level"] == "office"
    assert [h["week"] for h in detail["history"]][:2] == [THIS_WEEK, PREVIOUS_WEEK]
    explained = scored.get(f"/scoreboard/office/COLL-JHS/explain?week={THIS_WEEK}").json()
    components = {c["component"]: c for c in explained["components"]}
    assert len(components) == 7
    assert round(sum(c["contribution"] for c in components.values()), 2) == explained["score"]
    assert explained["formula"]["version"] == FORMULA_VERSION and explained["active"] is True
    assert (components["e_file_share"]["numerator"], components["e_file_share"]["denominator"], components["e_file_share"]["raw"]) == (1, 1, 1.0)
    assert components["movements_per_active_user"]["raw"] == 0.5  # one movement; clerk.jhs and so.jhs were active
    assert components["old_pendency_share"]["numerator"] == 1  # the receipt diarised 40 days ago
    assert components["median_disposal_days"]["raw"] is None and components["median_disposal_days"]["normalised"] == 0
    assert components["e_file_share"]["label_hi"] and explained["formula"]["weights"]["e_file_share"] == 2
    district = scored.get(f"/scoreboard/district/JHS/explain?week={PREVIOUS_WEEK}").json()
    pooled = {c["component"]: c for c in district["components"]}
    assert (pooled["e_file_share"]["numerator"], pooled["e_file_share"]["denominator"]) == (1, 2)
    assert pooled["median_disposal_days"]["raw"] == pytest.approx(1.0)


@pytest.mark.parametrize("path, status, reason", [
    ("/scoreboard?week=2019-W01", 404, "unknown_week"),
    (f"/scoreboard?week={week_label(week_of(NOW + timedelta(days=14)))}", 404, "unknown_week"),
    ("/scoreboard?week=2026-W99", 422, "invalid_input"),
    ("/scoreboard?level=state", 422, "invalid_input"),
    ("/scoreboard/office/NO-SUCH-OFFICE", 404, "unknown_unit"),
    ("/scoreboard/district/XYZ/explain", 404, "unknown_unit"),
    ("/scoreboard/state/UP", 404, "unknown_level"),
    ("/scoreboard/office/COLL-JHS?week=2019-W01", 404, "unknown_week"),
    ("/scoreboard/page?week=2019-W01", 404, "unknown_week"),
])
def test_unknown_weeks_and_units_are_not_found(scored, path, status, reason):
    response = scored.get(path)
    assert (response.status_code, response.json()["error"]) == (status, reason)


def test_a_malformed_week_says_which_field(scored):
    assert scored.get("/scoreboard?week=47").json()["fields"] == {"week": "Value error, a week is written like 2026-W47"}


def test_every_route_but_health_needs_a_token(scored):
    import requests

    for path in ("/scoreboard", "/scoreboard/page", "/mis/pendency", "/scoreboard/office/COLL-JHS/explain"):
        response = requests.get(f"{scored.base_url}{path}")
        assert (response.status_code, response.json()["error"]) == (401, "token_missing")
    assert requests.post(f"{scored.base_url}/weeks/{THIS_WEEK}/recompute").status_code == 401
    assert requests.get(f"{scored.base_url}/health/ready").json() == {"database": "ok", "broker": "ok"}


def test_reports_follow_the_jurisdiction_the_directory_gives(scored):
    for caller in ({}, ADMIN):  # a clerk, and an admin (who administers an office, nothing wider)
        for query in ("office=TRY-JHS", "district=JHS", "department=REV"):
            response = scored.get(f"/mis/pendency?{query}", **caller)
            assert (response.status_code, response.json()["error"]) == (403, "not_your_office")
    assert scored.get("/mis/pendency?office=COLL-JHS").status_code == 200
    district = scored.get("/mis/electronic", **DM).json()  # the whole jurisdiction by default
    assert district["scope"] == {"district": "JHS"} and {r["office"] for r in district["rows"]} == {"COLL-JHS", "TRY-JHS", "ALL"}
    assert scored.get("/mis/pendency?office=TRY-JHS", **DM).status_code == 200
    for beyond in ("office=COLL-JLN", "department=REV", "district=JLN"):
        assert scored.get(f"/mis/pendency?{beyond}", **DM).status_code == 403
    revenue = scored.get("/mis/electronic?department=REV", **REVENUE_HEAD).json()
    assert {r["office"] for r in revenue["rows"]} == {"COLL-JHS", "COLL-JLN", "ALL"}  # across districts
    assert scored.get("/mis/pendency?office=TRY-JHS", **REVENUE_HEAD).status_code == 403
    scopes = scored.get("/mis/scopes", **DM).json()
    assert scopes == {"offices": 2, "scopes": [
        {"kind": "district", "code": "JHS", "name_en": "District JHS", "name_hi": "झाँसी"},
        {"kind": "office", "code": "COLL-JHS", "name_en": "Collectorate, Jhansi", "name_hi": "ज़िलाधिकारी कार्यालय, झाँसी"},
    ]}
    response = scored.get("/mis/pendency?office=NOPE", **DM)
    assert (response.status_code, response.json()["error"]) == (404, "unknown_unit")
    response = scored.get("/mis/pendency?office=COLL-JHS&district=JHS", **DM)
    assert response.status_code == 422


def test_pendency_by_user_and_age(scored):
    body = scored.get("/mis/pendency").json()  # a clerk: their own office
    assert body["scope"] == {"office": "COLL-JHS"}
    rows = {(r["holder"], r["item_type"]): r for r in body["rows"]}
    assert rows[("so.jhs", "file")]["days_0-7"] == 1 and rows[("so.jhs", "file")]["holder_name_hi"] == "सुनीता देवी"
    assert rows[("clerk.jhs", "receipt")]["days_31+"] == 1
    csv_text = scored.get("/mis/pendency?format=csv").content.decode("utf-8-sig")
    assert "सुनीता देवी" in csv_text and csv_text.splitlines()[0].startswith("office,office_name_en,office_name_hi,holder")


def test_the_other_mis_reports(scored):
    period = f"from={TODAY - timedelta(days=20)}&to={TODAY}"
    disposal = {r["office"]: r for r in scored.get(f"/mis/disposal?district=JHS&{period}", **DM).json()["rows"]}
    assert (disposal["COLL-JHS"]["files_closed"], disposal["COLL-JHS"]["median_days"], disposal["COLL-JHS"]["average_levels"]) == (1, 1.0, 3.0)
    assert disposal["ALL"]["files_closed"] == 1 and disposal["TRY-JHS"]["median_days"] is None

    monthly = scored.get("/mis/monthly?department=REV", **REVENUE_HEAD).json()
    totals = [r for r in monthly["rows"] if r["office"] == "ALL"]
    assert sum(r["files_created"] for r in totals) == 2 and sum(r["receipts_diarised"] for r in totals) == 2
    assert sum(r["files_forwarded"] for r in totals) == 1 and sum(r["files_received"] for r in totals) == 1
    assert all(re.match(r"^\d{4}-\d{2}$", r["month"]) for r in monthly["rows"])

    dispatch = scored.get(f"/mis/dispatch?by=section&{period}").json()["rows"]
    assert [(r["office"], r["section"], r["section_name_hi"], r["issued"], r["by_email"], r["awaiting"]) for r in dispatch] == [
        ("COLL-JHS", "COLL-JHS-CR", "अनुभाग COLL-JHS-CR", 1, 1, 1), ("ALL", None, None, 1, 1, 1)]
    assert scored.get(f"/mis/dispatch?by=ward&{period}").status_code == 422

    overdue = scored.get("/mis/overdue").json()["rows"]
    assert [(r["holder"], r["overdue"], r["days_overdue"]) for r in overdue] == [("so.jhs", 1, 1)]

    electronic = {r["office"]: r for r in scored.get(f"/mis/electronic?district=JHS&{period}", **DM).json()["rows"]}
    assert electronic["COLL-JHS"]["e_file_percent"] == 100.0 and electronic["TRY-JHS"]["e_file_percent"] == 0.0
    assert electronic["ALL"]["e_file_percent"] == pytest.approx(100 * 2 / 4)
    assert (electronic["ALL"]["pending_e_files"], electronic["ALL"]["pending_physical_files"]) == (1, 2)

    active = {r["office"]: r for r in scored.get(f"/mis/active-users?district=JHS&{period}", **DM).json()["rows"]}
    assert (active["COLL-JHS"]["active_users"], active["COLL-JHS"]["users"], active["COLL-JHS"]["active_percent"]) == (2, 3, 66.67)

    too_long = scored.get("/mis/disposal?from=2024-01-01&to=2026-01-01")
    assert (too_long.status_code, too_long.json()["error"]) == (422, "invalid_range")
    backwards = scored.get("/mis/disposal?from=2026-02-01&to=2026-01-01")
    assert backwards.json()["fields"] == {"from": "after to"}


def test_the_reports_a_district_asked_for(scored):
    for route in ("section-pendency", "pending-with-others", "active-file-levels", "vip-receipts",
                  "receipts-by-category", "file-register", "darpg-monthly"):
        response = scored.get(f"/mis/{route}", **DM)
        assert response.status_code == 200, (route, response.text)
        assert response.json()["scope"] == {"district": "JHS"}
    sent = scored.get("/mis/pending-with-others").json()["rows"]  # the clerk sent f-2 to the officer
    assert [(r["item_id"], r["holder"], r["holder_name_hi"]) for r in sent] == [("f-2", "so.jhs", "सुनीता देवी")]
    register = scored.get("/mis/file-register?format=csv").content.decode("utf-8-sig")
    assert "N-11016/6/2026-COLL-JHS" in register and "भूमि अधिग्रहण, ग्राम बबीना" in register
    # The register as JSON comes a page at a time, in order of opening; its CSV is the whole period.
    pages = [scored.get(f"/mis/file-register?per_page=3&page={n}", **DM).json() for n in (1, 2)]
    assert [(p["page"], p["per_page"], p["total"]) for p in pages] == [(1, 3, 4), (2, 3, 4)]
    assert [r["file_id"] for p in pages for r in p["rows"]] == ["f-1", "t-1", "f-2", "t-2"]
    assert scored.get("/mis/file-register?format=csv", **DM).content.decode("utf-8-sig").count("\r\n") == 5
    too_many = scored.get("/mis/file-register?per_page=5000")
    assert (too_many.status_code, list(too_many.json()["fields"])) == (422, ["per_page"])
    months = scored.get("/mis/darpg-monthly", **DM).json()
    assert months["columns"][:3] == ["month", "e_file_percent", "e_receipt_percent"] and len(months["rows"]) >= 12


def test_the_phone_page_is_self_contained_and_bilingual(scored):
    response = scored.get(f"/scoreboard/page?week={THIS_WEEK}&level=office")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "ई-ऑफिस स्कोरबोर्ड" in page and "eOffice scoreboard" in page
    assert "ज़िलाधिकारी कार्यालय, झाँसी" in page and "Collectorate, Jhansi" in page
    assert "लंबित / pending" in page and "कार्यालय · Office" in page
    assert not re.search(r"<script|<link|@import|url\(|https?://", page)
    assert f"?week={PREVIOUS_WEEK}&amp;level=office" in page  # the previous week is scored: a link to it
    assert not [w for w in re.findall(r"(?<![-\w])(?:min-)?width:\s*(\d+)px", page) if int(w) > 360]


def test_recomputing_a_week_is_for_admins(scored):
    response = scored.post(f"/weeks/{PREVIOUS_WEEK}/recompute", user="clerk.jhs", roles=("clerk",))
    assert (response.status_code, response.json()["error"]) == (403, "admin_only")
    assert scored.post("/weeks/last-week/recompute").json()["fields"] == {"week": "a week is written like 2026-W47"}
    future = week_label(week_of(NOW + timedelta(days=14)))
    assert scored.post(f"/weeks/{future}/recompute").status_code == 404
    assert scored.post(f"/weeks/{PREVIOUS_WEEK}/recompute").json() == {"week": PREVIOUS_WEEK, "recomputed": True, "offices": 3}
