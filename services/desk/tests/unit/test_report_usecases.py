"""Search, reports, the scoreboard, notifications, preferences and leave, on the fakes."""
import pytest
from werkzeug.datastructures import MultiDict

from desk.exceptions import PageNotFound, ServiceFailure
from desk.usecases import Json, Redirect, notifications, reports

from .conftest import SO


def test_search_reads_nothing_until_asked(services, desk):
    shown = reports.search(reports.Lookup(SO, MultiDict({"what": "files"})), desk)
    assert shown.context["results"] is None and services.reads == []


def test_search_asks_the_service_that_keeps_what_is_looked_for(services, desk):
    services.answer("GET", "search", "/search", {"results": [], "page": 1})
    services.answer("GET", "dak", "/receipts", {"receipts": []})
    reports.search(reports.Lookup(SO, MultiDict({"what": "text", "go": "1", "q": "भूमि", "box": "inbox"})), desk)
    reports.search(reports.Lookup(SO, MultiDict({"what": "receipts", "go": "1", "sender": "सुनीता"})), desk)
    assert services.reads == [("search", "/search", {"q": "भूमि"}),
                              ("dak", "/receipts", {"sender": "सुनीता", "box": "office", "per_page": 50})]


def test_a_search_refused_shows_its_reasons_and_one_away_shows_none(services, desk):
    services.answer("GET", "files", "/files/search", ServiceFailure("files", 422, "invalid_input", "bad", {"year": "Input should be a valid integer"}))
    shown = reports.search(reports.Lookup(SO, MultiDict({"go": "1", "year": "दो"})), desk)
    assert shown.context["errors"]["year"].key == "choice"
    services.away.add("files")
    assert reports.search(reports.Lookup(SO, MultiDict({"go": "1"})), desk).context["errors"] == {}


def test_a_report_is_read_for_the_scope_chosen_with_its_chart(services, desk):
    services.answer("GET", "metrics", "/mis/scopes", {"scopes": [{"key": "district:JHS"}]})
    services.answer("GET", "metrics", "/mis/pendency", lambda params: {"rows": [], "totals": {}, "params": params})
    shown = reports.report(reports.Lookup(SO, MultiDict({"scope": "district:JHS", "from": "2026-11-01", "page": "2"})), desk)
    assert shown.context["report"]["params"] == {"from": "2026-11-01", "district": "JHS"}
    assert shown.context["scopes"] == [{"key": "district:JHS"}] and shown.context["scope"] == "district:JHS"
    with pytest.raises(PageNotFound):
        reports.report(reports.Lookup(SO, MultiDict({"report": "salaries"})), desk)


def test_the_file_register_is_read_a_page_at_a_time(services, desk):
    services.answer("GET", "metrics", "/mis/file-register", lambda params: {"rows": [], "params": params})
    shown = reports.report(reports.Lookup(SO, MultiDict({"report": "file-register", "page": "2"})), desk)
    assert shown.context["report"]["params"] == {"page": "2"}


def test_the_scoreboard_explains_the_first_unit_of_the_week(services, desk):
    services.answer("GET", "metrics", "/scoreboard", {"week": "2026-W49", "units": [{"unit": "JHS"}, {"unit": "LKO"}]})
    services.answer("GET", "metrics", "/scoreboard/district/JHS", {"history": [{"week": "2026-W48", "score": 71, "rank": 2},
                                                                         {"week": "2026-W49", "score": 80, "rank": 1}]})
    services.answer("GET", "metrics", "/scoreboard/district/JHS/explain", {"parts": []})
    context = reports.scoreboard(reports.Lookup(SO, MultiDict()), desk).context
    assert context["unit"] == "JHS" and context["explained"] == {"parts": []} and context["history_chart"]
    assert ("metrics", "/scoreboard/district/JHS", {"week": "2026-W49"}) in services.reads
    with pytest.raises(PageNotFound):
        reports.scoreboard(reports.Lookup(SO, MultiDict({"level": "village"})), desk)


def test_the_dispatch_register_passes_on_its_filters(services, desk):
    services.answer("GET", "files", "/dispatch-register", {"rows": []})
    reports.dispatch_register(reports.Lookup(SO, MultiDict({"dispatch_mode": "post", "status": "", "x": "y"})), desk)
    assert services.reads == [("files", "/dispatch-register", {"dispatch_mode": "post", "per_page": 200})]


def test_a_notification_read_opens_its_file_or_receipt(services, desk):
    services.answer("POST", "notify", "/notifications/5/read", {"item": {"type": "file", "id": "f1"}})
    services.answer("POST", "notify", "/notifications/6/read", {"item": {"type": "letter", "id": "x"}})
    services.answer("POST", "notify", "/notifications/read-all", {"read": 3})
    assert notifications.mark_read(notifications.MarkRead(SO, "5"), desk) == Redirect("/files/f1")
    assert notifications.mark_read(notifications.MarkRead(SO, "6"), desk) == Redirect("/notifications")
    assert notifications.mark_read(notifications.MarkRead(SO, None), desk) == Redirect("/notifications")
    assert [w.path for w in services.written] == ["/notifications/5/read", "/notifications/6/read", "/notifications/read-all"]


def test_notifications_a_page_at_a_time_with_the_unread_count(services, desk):
    services.answer("GET", "notify", "/notifications", {"notifications": [], "total": 31, "per_page": 30, "unread": 2})
    services.answer("GET", "notify", "/notifications/unread-count", {"unread": 2})
    assert notifications.notifications_page(notifications.ShowNotifications(SO, 2), desk).context["pages"] == 2
    assert notifications.unread_count(SO, desk) == Json({"unread": 2})


def test_preferences_refused_are_shown_as_typed(services, desk):
    services.answer("PUT", "notify", "/preferences", ServiceFailure("notify", 422, "invalid_input", "bad",
                                                                  {"quiet_hours_start": "Input should be a valid time"}))
    form = MultiDict({"quiet_start": "25:00", "quiet_end": "07:00"})
    again = notifications.save_preferences(notifications.PostedForm(SO, form), desk)
    assert again.status == 422 and "quiet_start" in again.context["errors"]
    assert again.context["preferences"]["quiet_hours"] == {"start": "25:00", "end": "07:00"}
    services.answer("PUT", "notify", "/preferences", {})
    assert notifications.save_preferences(notifications.PostedForm(SO, form), desk) == Redirect(
        "/notifications/preferences", "preferences_saved")


def test_leave_set_with_charge_handed_over_and_a_refusal_shown_beside_the_form(services, desk):
    services.answer("GET", "dak", "/acting-charges", {"charges": []})
    services.answer("POST", "dak", "/acting-charges", ServiceFailure("dak", 409, "charge_overlaps", "overlaps"))
    form = MultiDict({"absent_user": "so.jhs", "acting_user": " adm.jhs ", "from_date": "2026-12-09", "to_date": "2026-12-12",
                      "reason": "", "hand_over": "on"})
    again = notifications.set_leave(notifications.PostedForm(SO, form), desk)
    assert again.status == 409 and again.context["values"] is form
    assert services.posted("dak")[0].body == {"absent_user": "so.jhs", "acting_user": "adm.jhs", "from_date": "2026-12-09",
                                               "to_date": "2026-12-12", "hand_over": True}
    services.answer("POST", "dak", "/acting-charges/c1/end", {"ended": True})
    assert notifications.end_leave(SO, "c1", desk) == Redirect("/leave", "leave_ended")
