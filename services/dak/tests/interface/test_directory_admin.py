"""An admin edits the directory of their own district (a state admin every district's): offices,
sections, users and deactivation, each published as the office_recorded / user_recorded event an
import publishes. Outside their district an admin gets 403 outside_jurisdiction and nothing changes."""
from sqlalchemy import select, update

from dak.models import User
from eoffice_common.engine import StandaloneEngine

NEW_CLERK = {
    "name_en": "Kamla Devi", "name_hi": "कमला देवी", "designation_en": "Junior Assistant", "designation_hi": "कनिष्ठ सहायक",
    "office": "COLL-JHS", "section": "COLL-JHS-REV", "reporting_officer": "so.jhs", "roles": ["clerk"],
    "clearance": "confidential", "language": "hi", "email": "kamla.jhs@up.gov.example",
}


def put(desk, path, user, body):
    return desk.request("PUT", path, user, json=body)


def stored_user(dak_db, user_id):
    engine = StandaloneEngine(dak_db)
    with engine.engine.connect() as connection:
        row = connection.execute(select(User).where(User.id == user_id)).first()
    engine.engine.dispose()
    return row


def test_an_admin_adds_a_user_of_their_district_published_as_the_import_publishes_it(desk, dak_db, event_tap):
    tap = event_tap("dak")
    added = put(desk, "/directory/users/kamla.jhs", "admin.jhs", NEW_CLERK)
    assert added.status_code == 200, added.text
    assert (added.json()["district"], added.json()["clearance"], added.json()["active"]) == ("JHS", "confidential", True)
    event = tap.wait_for("user_recorded", lambda e: e["data"]["user_id"] == "kamla.jhs")
    assert event["data"]["name_hi"] == "कमला देवी" and event["district"] == "JHS"
    assert event["data"]["section"] == "COLL-JHS-REV" and event["data"]["reporting_officer"] == "so.jhs"

    # Found by the directory's search, Hindi folded as everywhere
    found = desk.get("/directory/users?q=कमला", "so.jhs").json()["users"]
    assert [u["id"] for u in found] == ["kamla.jhs"]

    edited = put(desk, "/directory/users/kamla.jhs", "admin.jhs", {**NEW_CLERK, "designation_hi": "वरिष्ठ सहायक", "language": "en"})
    assert edited.status_code == 200, edited.text
    event = tap.wait_for("user_recorded", lambda e: e["data"]["user_id"] == "kamla.jhs" and e["data"]["language"] == "en")
    assert event["data"]["designation_hi"] == "वरिष्ठ सहायक"


def test_an_admin_of_jhansi_cannot_edit_or_deactivate_a_lucknow_user(desk, dak_db, event_tap):
    before = stored_user(dak_db, "so.lko")
    for method, path, body in [
        ("PUT", "/directory/users/so.lko", {**NEW_CLERK, "office": "COLL-LKO", "section": None, "reporting_officer": None}),
        ("PUT", "/directory/users/so.lko", NEW_CLERK),  # not even by moving them into Jhansi
        ("POST", "/directory/users/so.lko/deactivate", None),
        ("PUT", "/directory/users/new.lko", {**NEW_CLERK, "office": "COLL-LKO", "section": None}),
        ("PUT", "/directory/offices/COLL-LKO", {"name_en": "X", "name_hi": "क", "district": "LKO", "department": "REV"}),
        ("PUT", "/directory/offices/TEHSIL-JHS", {"name_en": "Tehsil", "name_hi": "तहसील", "district": "LKO", "department": "REV"}),
        ("PUT", "/directory/sections/COLL-LKO-NEW", {"office": "COLL-LKO", "name_en": "New", "name_hi": "नया"}),
    ]:
        response = desk.request(method, path, "admin.jhs", json=body)
        assert (response.status_code, response.json()["error"]) == (403, "outside_jurisdiction"), (path, response.text)
    after = stored_user(dak_db, "so.lko")
    assert (after.name_en, after.office_code, after.active) == (before.name_en, before.office_code, True)
    assert stored_user(dak_db, "new.lko") is None


def test_only_admins_edit_and_only_a_state_admin_makes_a_state_admin(desk, dak_db):
    refused = put(desk, "/directory/users/kamla.jhs", "so.jhs", NEW_CLERK)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_allowed")
    escalation = put(desk, "/directory/users/kamla.jhs", "admin.jhs", {**NEW_CLERK, "roles": ["clerk", "state_admin"]})
    assert (escalation.status_code, escalation.json()["error"]) == (403, "outside_jurisdiction")
    assert escalation.json()["fields"] == {"roles": "outside_jurisdiction"}

    engine = StandaloneEngine(dak_db)
    with engine.engine.begin() as connection:
        connection.execute(update(User).where(User.id == "admin.lko").values(roles=["admin", "state_admin"]))
    engine.engine.dispose()
    assert put(desk, "/directory/users/so.jhs", "admin.lko", {**NEW_CLERK, "reporting_officer": "adm.jhs", "roles": ["officer"]}).status_code == 200
    kept = desk.get("/directory/admin", "admin.lko").json()
    assert kept["state_admin"] is True and {o["district"] for o in kept["offices"]} == {"JHS", "JLN", "LLP", "LKO"}
    own = desk.get("/directory/admin", "admin.jhs").json()
    assert own["district"] == "JHS" and {o["district"] for o in own["offices"]} == {"JHS"}
    assert {u["office"] for u in own["users"]} <= {o["code"] for o in own["offices"]}


def test_a_record_that_does_not_fit_the_directory_is_refused_field_by_field(desk, dak_db):
    response = put(desk, "/directory/users/kamla.jhs", "admin.jhs",
                   {**NEW_CLERK, "section": "TRY-JHS-ACC", "reporting_officer": "nobody.jhs"})
    assert (response.status_code, response.json()["error"]) == (422, "directory_record_refused")
    assert response.json()["fields"] == {"section": "not_a_section_of_the_office", "reporting_officer": "unknown_user"}
    bad_role = put(desk, "/directory/users/kamla.jhs", "admin.jhs", {**NEW_CLERK, "roles": ["emperor"]})
    assert bad_role.status_code == 422 and "roles.0" in bad_role.json()["fields"]
    bad_key = put(desk, "/directory/users/kamla jhs", "admin.jhs", NEW_CLERK)
    assert (bad_key.status_code, bad_key.json()["fields"]) == (422, {"user_id": "invalid_directory_key"})
    assert stored_user(dak_db, "kamla.jhs") is None


def test_offices_and_sections_are_published_as_office_recorded(desk, dak_db, event_tap):
    tap = event_tap("dak")
    office = put(desk, "/directory/offices/TEH-MRP", "admin.jhs",
                 {"name_en": "Tehsil Mauranipur", "name_hi": "तहसील मऊरानीपुर", "district": "JHS", "department": "REV"})
    assert office.status_code == 200, office.text
    section = put(desk, "/directory/sections/TEH-MRP-REG", "admin.jhs",
                  {"office": "TEH-MRP", "name_en": "Registry", "name_hi": "रजिस्ट्री"})
    assert section.status_code == 200, section.text
    event = tap.wait_for("office_recorded", lambda e: e["data"]["office"] == "TEH-MRP" and e["data"]["sections"])
    assert event["data"]["sections"] == [{"code": "TEH-MRP-REG", "name_en": "Registry", "name_hi": "रजिस्ट्री"}]
    assert event["data"]["district_name_hi"] == "झाँसी"
    unknown = put(desk, "/directory/offices/TEH-X", "admin.jhs", {"name_en": "X", "name_hi": "क", "district": "JHS", "department": "NOPE"})
    assert (unknown.status_code, unknown.json()["fields"]) == (422, {"department": "unknown_department"})
    stolen = put(desk, "/directory/sections/COLL-JHS-REV", "admin.jhs", {"office": "TEH-MRP", "name_en": "R", "name_hi": "र"})
    assert (stolen.status_code, stolen.json()["fields"]) == (422, {"code": "section_of_another_office"})


def test_a_user_is_deactivated_once_their_receipts_have_a_successor(desk, dak_db, event_tap):
    tap = event_tap("dak")
    desk.diarise(user="clerk.jhs")
    holding = desk.post("/directory/users/clerk.jhs/deactivate", "admin.jhs")
    assert (holding.status_code, holding.json()["error"]) == (409, "holds_receipts")
    assert stored_user(dak_db, "clerk.jhs").active is True

    deactivated = desk.post("/directory/users/so.jhs/deactivate", "admin.jhs")
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    tap.wait_for("user_recorded", lambda e: e["data"]["user_id"] == "so.jhs" and e["data"]["active"] is False)
    assert desk.post("/directory/users/so.jhs/deactivate", "admin.jhs").status_code == 200  # once is enough
    assert stored_user(dak_db, "so.jhs").active is False
    itself = desk.post("/directory/users/admin.jhs/deactivate", "admin.jhs")
    assert (itself.status_code, itself.json()["error"]) == (409, "cannot_deactivate_self")


def test_importing_the_master_again_undoes_no_admin_edit(desk, dak_db, demo_master):
    """`make run` and the compose file import the master at every start: what an admin added or changed stays."""
    from dak.directory import import_master
    from eoffice_common.db import UnitOfWork

    assert put(desk, "/directory/users/kamla.jhs", "admin.jhs", NEW_CLERK).status_code == 200
    so = {**NEW_CLERK, "name_en": "Rajesh Kumar Tripathi", "name_hi": "राजेश कुमार त्रिपाठी", "designation_en": "Senior Section Officer",
          "designation_hi": "वरिष्ठ अनुभाग अधिकारी", "reporting_officer": "adm.jhs", "roles": ["officer"], "clearance": "secret"}
    assert put(desk, "/directory/users/so.jhs", "admin.jhs", so).status_code == 200
    assert put(desk, "/directory/offices/COLL-JHS", "admin.jhs", {"name_en": "Collectorate and District Magistrate's Office, Jhansi",
                                                                  "name_hi": "कलेक्ट्रेट, झाँसी", "district": "JHS", "department": "REV"}).status_code == 200
    engine = StandaloneEngine(dak_db)
    with UnitOfWork(engine, actor="directory-import", correlation_id=None) as uow:
        changed = import_master(uow, demo_master)
        uow.commit()
    engine.engine.dispose()
    assert changed == {"offices": 0, "users": 0}
    assert stored_user(dak_db, "kamla.jhs").active is True
    assert (stored_user(dak_db, "so.jhs").designation_hi, stored_user(dak_db, "so.jhs").clearance) == ("वरिष्ठ अनुभाग अधिकारी", "secret")
    offices = desk.get("/directory/admin", "admin.jhs").json()["offices"]
    assert next(o for o in offices if o["code"] == "COLL-JHS")["name_hi"] == "कलेक्ट्रेट, झाँसी"
