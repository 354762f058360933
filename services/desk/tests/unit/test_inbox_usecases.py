"""The inbox, the lists, and what is done to several receipts or files at once, on the fakes."""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from desk.exceptions import PageNotFound, ServiceFailure
from desk.usecases import Page, Redirect, inbox, people

from .conftest import SO, TODAY


def a_receipt(receipt_id, number, **kwargs):
    return {"id": receipt_id, "receipt_number": number, "subject": "भूमि विवाद", "classification": "normal",
            "priority": "normal", "status": "in_progress", "holder": "so.jhs", "created_at": "2026-12-01T10:00:00+00:00",
            **kwargs}


def a_file(file_id, number, **kwargs):
    return {"id": file_id, "file_number": number, "subject": "नहर मरम्मत", "classification": "normal", "priority": "normal",
            "status": "open", "custodian": "so.jhs", "received_at": "2026-12-02T10:00:00+00:00", **kwargs}


def test_the_inbox_puts_overdue_receipts_first_and_names_who_sent_them(services, store, desk):
    services.answer("GET", "dak", "/receipts", {"receipts": [a_receipt("r1", "1/2026"), a_receipt("r2", "2/2026")], "total": 2})
    services.answer("GET", "files", "/files", {"files": [a_file("f1", "N-1/2026")], "total": 1})
    services.answer("GET", "notify", "/notifications/unread-count", {"unread": 4})
    store.deadlines["r2"] = {"priority": "urgent", "due_date": TODAY - timedelta(days=1), "sent_at": "2026-12-07T10:00:00+00:00",
                             "from_user": "dm.jhs"}

    shown = inbox.inbox_page(inbox.ShowInbox(SO), desk)

    assert shown.template == "inbox.html" and shown.status == 200
    context = shown.context
    assert [i.id for i in context["items"]][0] == "r2"
    assert {i.id for i in context["items"]} == {"r1", "r2", "f1"}
    assert context["counts"]["total"] == 3 and context["unread"] == 4
    assert context["totals"] == {"receipts": 2, "files": 1}


def test_the_inbox_shows_what_it_has_when_a_service_is_away(services, desk):
    services.answer("GET", "dak", "/receipts", {"receipts": [a_receipt("r1", "1/2026")], "total": 1})
    services.away.update({"files", "notify"})

    context = inbox.inbox_page(inbox.ShowInbox(SO), desk).context

    assert [i.id for i in context["items"]] == ["r1"]
    assert context["errors"]["files"].reason == "service_unavailable" and context["errors"]["receipts"] is None
    assert context["unread"] is None


def test_receipts_closed_together_are_each_relayed_and_counted(services, desk):
    for receipt_id in ("r1", "r2"):
        services.answer("POST", "dak", f"/receipts/{receipt_id}/close", {"receipt": {"id": receipt_id}})
    form = MultiDict([("bulk_action", "close"), ("receipt", "r1"), ("receipt", "r2"), ("receipt", "r1"), ("remarks", " निस्तारित ")])

    answer = inbox.act_on_selected_receipts(inbox.ActOnSelected(SO, form), desk)

    assert answer == Redirect("/inbox", "bulk_close", "2")
    assert [(w.path, w.body) for w in services.posted("dak")] == [
        ("/receipts/r1/close", {"remarks": "निस्तारित"}), ("/receipts/r2/close", {"remarks": "निस्तारित"})]


def test_receipts_refused_are_named_on_the_inbox_with_the_others_done(services, desk):
    services.answer("POST", "dak", "/receipts/r1/put-in-file", {"receipt": {"id": "r1"}})
    services.answer("POST", "dak", "/receipts/r2/put-in-file", ServiceFailure("dak", 409, "receipt_not_held", "not with you"))
    form = MultiDict([("bulk_action", "put_in_file"), ("receipt", "r1"), ("receipt", "r2"), ("file_id", "f1")])

    answer = inbox.act_on_selected_receipts(inbox.ActOnSelected(SO, form), desk)

    assert isinstance(answer, Page) and answer.status == 409
    assert answer.context["done"] == 1
    assert [(receipt_id, failure.reason) for receipt_id, failure in answer.context["refused"]] == [("r2", "receipt_not_held")]


@pytest.mark.parametrize("form", [
    MultiDict([("bulk_action", "send"), ("receipt", "r1")]),  # no one to send to
    MultiDict([("bulk_action", "shred"), ("receipt", "r1")]),
    MultiDict([("bulk_action", "close")]),
])
def test_nothing_chosen_is_said_and_nothing_relayed(services, desk, form):
    assert inbox.act_on_selected_receipts(inbox.ActOnSelected(SO, form), desk) == Redirect("/inbox", "bulk_nothing")
    assert services.written == []


def test_sending_receipts_to_another_district_asks_first_then_sends(services, desk):
    services.answer("POST", "dak", "/receipts/r1/send", {"receipt": {"id": "r1"}})
    form = MultiDict([("bulk_action", "send"), ("receipt", "r1"), ("to", "dm.lko")])

    asked = inbox.act_on_selected_receipts(inbox.ActOnSelected(SO, form), desk)

    assert asked.status == 409 and asked.context["confirm"].reason == "confirm_other_district"
    assert [p["id"] for p in asked.context["confirm"].elsewhere] == ["dm.lko"] and asked.context["confirming"] is form
    assert services.written == []
    form.add("confirm_district", "dm.lko")
    assert inbox.act_on_selected_receipts(inbox.ActOnSelected(SO, form), desk) == Redirect("/inbox", "bulk_send", "1")
    assert services.posted("dak")[0].body["to"] == ["dm.lko"]


def test_a_list_is_one_of_its_boxes_a_page_at_a_time(services, desk):
    services.answer("GET", "dak", "/receipts", {"receipts": [], "total": 120, "per_page": 50, "page": 2})
    shown = inbox.receipt_list(inbox.ShowList(SO, "sent", 2), desk)
    assert shown.context["pages"] == 3 and services.reads == [("dak", "/receipts", {"box": "sent", "page": 2, "per_page": 50})]
    with pytest.raises(PageNotFound):
        inbox.receipt_list(inbox.ShowList(SO, "parked"), desk)
    with pytest.raises(PageNotFound):
        inbox.file_list(inbox.ShowList(SO, "bin"), desk)


def test_files_sent_together_name_the_refused_by_the_number_the_list_showed(services, desk):
    services.answer("GET", "files", "/files", {"files": [], "total": 0, "per_page": 50, "page": 1})
    services.answer("POST", "files", "/files/f1/send", {"id": "f1"})
    services.answer("POST", "files", "/files/f2/send", ServiceFailure("files", 409, "file_not_held", "not with you"))
    form = MultiDict([("file", "f1"), ("file", "f2"), ("to", "adm.jhs"), ("number.f2", "N-2/2026")])

    answer = inbox.send_selected_files(inbox.ActOnSelected(SO, form), desk)

    assert answer.template == "file_list.html" and answer.status == 409 and answer.context["done"] == 1
    assert [(file_id, number) for file_id, number, _ in answer.context["refused"]] == [("f2", "N-2/2026")]
    del services.routes[("POST", "files", "/files/f2/send")]
    services.answer("POST", "files", "/files/f2/send", {"id": "f2"})
    form["back"] = "inbox"
    assert inbox.send_selected_files(inbox.ActOnSelected(SO, form), desk) == Redirect("/inbox", "bulk_file_send", "2")


def test_people_found_are_from_my_district_first_with_who_acts_for_one_on_leave(store, desk):
    charge = SimpleNamespace(from_date=TODAY, to_date=date(2026, 12, 12))
    store.away["dm.jhs"] = (charge, store.users["adm.jhs"])

    found = people.find_people(people.FindPeople(SO, "ravi"), desk).payload["people"]

    assert [p["id"] for p in found] == ["dm.jhs", "dm.lko"]
    assert found[0]["own_district"] and not found[1]["own_district"]
    assert found[0]["away"]["acting"].startswith("सुनीता वर्मा") and "12-12-2026" in found[0]["away_text"]
    assert found[1]["away_text"] is None


def test_the_searcher_is_not_among_the_people_found(desk):
    assert people.people_found(people.FindPeople(SO, "Tripathi"), desk) == []
