"""The admin area and the directory an admin keeps in dak, on the fakes."""
import pytest
from werkzeug.datastructures import MultiDict

from desk.exceptions import PageNotFound, ServiceFailure, UnknownAction
from desk.usecases import Redirect, admin

from .conftest import ADMIN, SO

KEPT = {"district": "JHS", "state_admin": False,
        "offices": [{"code": "COLL-JHS", "name_en": "Collectorate Jhansi", "name_hi": "कलेक्ट्रेट झाँसी", "district": "JHS",
                     "department": "revenue"},
                    {"code": "TEH-MAU", "name_en": "Tehsil Mauranipur", "name_hi": "तहसील मऊरानीपुर", "district": "JHS",
                     "department": "revenue"}],
        "users": [{"id": "kamla.jhs", "name_hi": "कमला देवी", "office": "COLL-JHS", "roles": ["clerk", "officer"]}]}


@pytest.fixture
def kept(services):
    services.answer("GET", "dak", "/directory/admin", KEPT)
    return KEPT


def test_the_admin_area_is_for_admins_only(services, desk):
    for shown in (lambda: admin.admin_page(SO, desk), lambda: admin.directory_page(SO, None, desk),
                  lambda: admin.act_as_admin(admin.AdminForm(SO, "head", MultiDict()), desk),
                  lambda: admin.record_user(admin.RecordDirectoryEntry(SO, "new", MultiDict({"user_id": "x"})), desk)):
        with pytest.raises(PageNotFound):
            shown()
    assert services.written == [] and services.reads == []


def test_the_admin_page_shows_what_each_service_has_and_the_week(services, desk):
    services.answer("GET", "files", "/heads", {"heads": [{"code": "11016"}]})
    services.away.add("notify")
    context = admin.admin_page(ADMIN, desk).context
    assert context["heads"] == [{"code": "11016"}] and context["dead_letters"] is None and context["this_week"] == "2026-W50"
    assert ("dak", "/directory/users", {"office": "COLL-JHS", "limit": 200}) in services.reads


def test_a_file_head_added_is_named_in_the_message(services, desk):
    services.answer("POST", "files", "/heads", {"code": "11016/2"})
    form = MultiDict({"main_code": " 11016 ", "main_name_hi": "राजस्व", "sub_code": "2"})
    assert admin.act_as_admin(admin.AdminForm(ADMIN, "head", form), desk) == Redirect("/admin#head", "admin_head", "11016/2")
    assert services.posted("files")[0].body["main_code"] == "11016" and services.posted("files")[0].body["section_label"] == ""


@pytest.mark.parametrize("action, form, field_name", [
    ("acknowledgements", {"enabled": "maybe"}, "enabled"), ("retry", {"letter_id": "abc"}, "letter_id")])
def test_admin_forms_the_desk_cannot_send_on_come_back_with_the_reason(services, desk, action, form, field_name):
    again = admin.act_as_admin(admin.AdminForm(ADMIN, action, MultiDict(form)), desk)
    assert again.status == 422 and again.context["dialog"] == action and field_name in again.context["errors"]
    assert services.written == []


def test_an_unknown_admin_form_and_a_service_failing_are_not_shown_as_refusals(services, desk):
    with pytest.raises(UnknownAction):
        admin.act_as_admin(admin.AdminForm(ADMIN, "drop_tables", MultiDict()), desk)
    services.answer("POST", "metrics", "/weeks/2026-W49/recompute", ServiceFailure("metrics", 502, "internal_error", "down"))
    with pytest.raises(ServiceFailure):
        admin.act_as_admin(admin.AdminForm(ADMIN, "recompute", MultiDict({"week": "2026-W49"})), desk)
    services.answer("POST", "metrics", "/weeks/2026-W49/recompute", {"offices": 12})
    assert admin.act_as_admin(admin.AdminForm(ADMIN, "recompute", MultiDict({"week": "2026-W49"})), desk).value == "2026-W49 (12)"


def test_an_office_form_offers_the_admins_district_only(kept, desk):
    context = admin.office_page(admin.ShowDirectoryEntry(ADMIN, "TEH-MAU"), desk).context
    assert context["values"]["name_hi"] == "तहसील मऊरानीपुर" and context["districts"] == ["JHS"]
    with pytest.raises(PageNotFound):
        admin.office_page(admin.ShowDirectoryEntry(ADMIN, "COLL-LKO"), desk)


def test_a_new_office_needs_its_code(kept, services, desk):
    again = admin.record_office(admin.RecordDirectoryEntry(ADMIN, "new", MultiDict({"name_hi": "तहसील गरौठा"})), desk)
    assert again.status == 422 and again.context["errors"]["code"].key == "required"
    assert again.context["values"]["name_hi"] == "तहसील गरौठा" and services.written == []
    services.answer("PUT", "dak", "/directory/offices/TEH-GRT", {"code": "TEH-GRT"})
    form = MultiDict({"code": " TEH-GRT ", "name_hi": " तहसील गरौठा ", "district": "JHS"})
    assert admin.record_office(admin.RecordDirectoryEntry(ADMIN, "new", form), desk) == Redirect(
        "/admin/offices/TEH-GRT", "admin_office", "TEH-GRT")
    assert services.posted("dak")[0].body == {"name_en": "", "name_hi": "तहसील गरौठा", "district": "JHS", "department": ""}


def test_a_section_refused_names_its_own_fields(kept, services, desk):
    services.answer("PUT", "dak", "/directory/sections/REV-1", ServiceFailure("dak", 422, "invalid_input", "bad", {"name_hi": "Field required"}))
    form = MultiDict({"section_code": "REV-1", "section_name_en": "Revenue"})
    again = admin.record_section(admin.RecordDirectoryEntry(ADMIN, "COLL-JHS", form), desk)
    assert again.context["dialog"] == "section" and set(again.context["errors"]) == {"section_name_hi"}
    assert again.context["section_values"] is form


def test_a_user_recorded_goes_back_to_their_office_in_the_directory(kept, services, desk):
    services.answer("PUT", "dak", "/directory/users/kamla.jhs", {"id": "kamla.jhs"})
    form = MultiDict([("office", "COLL-JHS"), ("name_hi", "कमला देवी"), ("roles", "clerk"), ("roles", "officer")])
    assert admin.record_user(admin.RecordDirectoryEntry(ADMIN, "kamla.jhs", form), desk) == Redirect(
        "/admin/directory?office=COLL-JHS", "admin_user", "kamla.jhs")
    assert services.posted("dak")[0].body["roles"] == ["clerk", "officer"]
    shown = admin.user_page(admin.ShowDirectoryEntry(ADMIN, "kamla.jhs"), desk).context
    assert shown["values"].getlist("roles") == ["clerk", "officer"] and "state_admin" not in shown["roles"]


def test_a_user_who_cannot_be_deactivated_is_shown_with_the_reason_as_a_whole(kept, services, desk):
    services.answer("POST", "dak", "/directory/users/kamla.jhs/deactivate",
                    ServiceFailure("dak", 409, "holds_files", "holds files", {"user_id": "holds files"}))
    again = admin.deactivate_user(admin.RecordDirectoryEntry(ADMIN, "kamla.jhs", MultiDict({"office": "COLL-JHS"})), desk)
    assert again.status == 409 and again.context["failure"].fields == {} and list(again.context["errors"]) == [""]
