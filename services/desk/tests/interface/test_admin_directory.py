"""The directory kept from the desk's admin area, without JavaScript: an admin adds and edits a user
of their district (Hindi kept), adds an office and a section, deactivates a user, and every change
reaches the desk's own copy of the directory through dak's events; another district's user is refused."""
from sqlalchemy import select

from desk.models import User

from ..conftest import wait_for

KAMLA = {"user_id": "kamla.jhs", "name_en": "Kamla Devi", "name_hi": "कमला देवी", "designation_en": "Junior Assistant",
         "designation_hi": "कनिष्ठ सहायक", "office": "COLL-JHS", "section": "COLL-JHS-REV", "reporting_officer": "so.jhs",
         "roles": "clerk", "clearance": "confidential", "language": "hi", "email": "", "mobile": ""}


def desk_user(desk_system, user_id):
    from sqlalchemy import create_engine
    engine = create_engine(desk_system["databases"]["desk"])
    with engine.connect() as connection:
        row = connection.execute(select(User).where(User.id == user_id)).first()
    engine.dispose()
    return row


def test_an_admin_adds_edits_and_deactivates_users_of_their_district_and_the_desk_follows(browser, desk_system):
    admin = browser()
    admin.sign_in("admin.jhs")
    page = admin.get("/admin/directory")
    assert page.status_code == 200 and "COLL-JHS" in page.text and "COLL-LKO" not in page.text

    form = admin.get("/admin/users/new")
    assert form.status_code == 200 and 'name="roles" value="clerk"' in form.text and 'value="state_admin"' not in form.text
    refused = admin.post("/admin/users/new", {**KAMLA, "section": "TRY-JHS-ACC"})
    assert refused.status_code == 422 and 'id="e-section"' in refused.text and "कमला देवी" in refused.text
    added = admin.post("/admin/users/new", KAMLA)
    assert added.status_code == 200 and added.url.endswith("/admin/directory?office=COLL-JHS"), added.text[:300]
    assert "kamla.jhs" in added.text
    copied = wait_for(lambda: desk_user(desk_system, "kamla.jhs"), what="the new user reaching the desk")
    assert copied.name_hi == "कमला देवी" and copied.designation_hi == "कनिष्ठ सहायक"

    edited = admin.post("/admin/users/kamla.jhs", {**KAMLA, "designation_hi": "वरिष्ठ सहायक", "roles": ["clerk", "officer"]})
    assert edited.status_code == 200, edited.text[:300]
    wait_for(lambda: desk_user(desk_system, "kamla.jhs").designation_hi == "वरिष्ठ सहायक", what="the edit reaching the desk")
    assert 'value="officer" checked' in admin.get("/admin/users/kamla.jhs").text

    deactivated = admin.post("/admin/users/kamla.jhs/deactivate", {"office": "COLL-JHS"})
    assert deactivated.status_code == 200 and deactivated.url.endswith("/admin/directory?office=COLL-JHS")
    wait_for(lambda: desk_user(desk_system, "kamla.jhs").active is False, what="the deactivation reaching the desk")


def test_an_admin_of_jhansi_cannot_edit_a_lucknow_user_from_the_desk(browser, desk_system):
    admin = browser()
    admin.sign_in("admin.jhs")
    assert admin.get("/admin/users/so.lko").status_code == 404  # not one they keep
    refused = admin.post("/admin/users/so.lko", {**KAMLA, "office": "COLL-LKO", "section": "", "reporting_officer": ""})
    assert refused.status_code == 403 and "belongs to another district" in refused.text  # admin.jhs works in English
    refused = admin.post("/admin/users/so.lko/deactivate", {"office": "COLL-LKO"})
    assert refused.status_code == 403
    assert desk_user(desk_system, "so.lko").active is True

    clerk = browser()
    clerk.sign_in("clerk.jhs")
    assert clerk.get("/admin/directory").status_code == 404  # the admin area is for admins


def test_an_admin_adds_an_office_and_its_section(browser, desk_system):
    admin = browser()
    admin.sign_in("admin.jhs")
    form = admin.get("/admin/offices/new")
    assert form.status_code == 200 and '<option value="JHS"' in form.text and '<option value="LKO"' not in form.text
    done = admin.post("/admin/offices/new", {"code": "TEH-MRP", "name_en": "Tehsil Mauranipur", "name_hi": "तहसील मऊरानीपुर",
                                             "district": "JHS", "department": "REV"})
    assert done.status_code == 200 and done.url.endswith("/admin/offices/TEH-MRP"), done.text[:300]
    section = admin.post("/admin/offices/TEH-MRP/sections", {"section_code": "TEH-MRP-REG", "section_name_en": "Registry",
                                                              "section_name_hi": "रजिस्ट्री"})
    assert section.status_code == 200 and "Registry <span class=\"muted\">(TEH-MRP-REG)</span>" in section.text
    stolen = admin.post("/admin/offices/TEH-MRP/sections", {"section_code": "COLL-JHS-REV", "section_name_en": "R", "section_name_hi": "र"})
    assert stolen.status_code == 422 and 'id="e-section_code"' in stolen.text
    outside = admin.post("/admin/offices/new", {"code": "TEH-X", "name_en": "X", "name_hi": "क", "district": "LKO", "department": "REV"})
    assert outside.status_code == 403 and 'id="e-district"' in outside.text
