"""Diarising, a receipt's page and its actions, and the address book, on the fakes."""
import io
import itertools
from json import loads

import pytest
from werkzeug.datastructures import MultiDict

from desk.exceptions import ServiceFailure, UnknownAction
from desk.i18n import Translator
from desk.usecases import Json, Redirect, Upload, address_book, receipts

from .conftest import SO, TODAY

SUNITA = {"id": 7, "name": "सुनीता देवी", "designation": "प्रधान", "organisation": "ग्राम पंचायत बड़ागाँव", "letters": 3}


class FakeDiary:
    """dak's POST /receipts: numbers each letter in turn; refuses one without a sender."""

    def __init__(self):
        self.serials = itertools.count(1)
        self.diarised = []

    def __call__(self, json=None, data=None, files=None):
        body = json if json is not None else loads(data["receipt"])
        if not body.get("sender", {}).get("name"):
            raise ServiceFailure("dak", 422, "invalid_input", "Some fields are not valid", {"sender.name": "Field required"})
        serial = next(self.serials)
        receipt = {"id": f"r{serial}", "receipt_number": f"{serial}/2026/COLL-JHS", "subject": body["subject"],
                   "scans": [name for _, (name, _, _) in files or ()]}
        self.diarised.append(receipt)
        return {"receipt": receipt, "warnings": []}


@pytest.fixture
def diary(services):
    diary = FakeDiary()
    services.answer("POST", "dak", "/receipts", diary)
    services.answer("GET", "dak", "/address-book", {"correspondents": [SUNITA]})
    return diary


def a_letter(**fields):
    return MultiDict({"kind": "electronic", "delivery_mode": "post", "received_date": TODAY.isoformat(),
                      "sender_name": "सुनीता देवी", "subject": "हैंडपंप की मरम्मत", **fields})


def test_the_diarise_form_offers_the_address_book_and_today(diary, desk):
    shown = receipts.diarise_form(SO, desk)
    assert shown.context["correspondents"] == [SUNITA] and shown.context["values"]["received_date"] == "2026-12-08"


@pytest.mark.parametrize("action, location", [
    ("generate", "/receipts/r1"), ("generate_send", "/receipts/r1?dialog=send")])
def test_a_letter_diarised_opens_its_receipt(diary, desk, action, location):
    answer = receipts.diarise(receipts.Diarise(SO, a_letter(action=action)), desk)
    assert answer == Redirect(location, "diarised", "1/2026/COLL-JHS")
    assert diary.diarised[0]["subject"] == "हैंडपंप की मरम्मत"


def test_generate_and_copy_keeps_the_sender_for_the_next_letter_and_sends_the_scans(diary, desk):
    scan = Upload("पत्र.pdf", io.BytesIO(b"%PDF-1.4"), "application/pdf")
    answer = receipts.diarise(receipts.Diarise(SO, a_letter(action="generate_copy"), (scan,)), desk)
    assert answer.template == "diarise.html" and answer.context["diarised"]["scans"] == ["पत्र.pdf"]
    assert answer.context["values"].get("sender_name") == "सुनीता देवी" and "subject" not in answer.context["values"]


def test_a_letter_refused_comes_back_with_the_reason_beside_its_field(diary, desk):
    answer = receipts.diarise(receipts.Diarise(SO, a_letter(sender_name="")), desk)
    assert answer.status == 422 and answer.context["errors"]["sender_name"].key == "required"
    as_json = receipts.diarise(receipts.Diarise(SO, a_letter(sender_name=""), wants_json=True), desk)
    assert as_json.status == 422 and as_json.payload["error"] == "invalid_input"
    assert as_json.payload["fields"] == {"sender_name": Translator("hi")("error.required")}


def test_the_script_is_told_where_to_go_and_the_next_page_says_what_was_diarised(diary, desk):
    answer = receipts.diarise(receipts.Diarise(SO, a_letter(), wants_json=True), desk)
    assert answer == Json({"receipt": diary.diarised[0], "location": "/receipts/r1", "warnings": []}, 201, "diarised", "1/2026/COLL-JHS")


def test_a_pile_of_letters_is_diarised_in_the_order_of_its_rows(diary, desk):
    form = MultiDict({"sender_name": "सुनीता देवी", "kind": "electronic", "subject_1": "पहला", "subject_3": "तीसरा"})
    scans = {3: (Upload("3.png", io.BytesIO(b"png"), "image/png"),)}
    answer = receipts.diarise_many(receipts.DiariseMany(SO, form, scans), desk)
    assert answer == Redirect("/diarise/bulk", "bulk_diarised", "1/2026/COLL-JHS, 2/2026/COLL-JHS")
    assert [(r["subject"], r["scans"]) for r in diary.diarised] == [("पहला", []), ("तीसरा", ["3.png"])]


def test_a_pile_refused_keeps_the_shared_fields_and_names_the_rows(diary, desk):
    form = MultiDict({"kind": "electronic", "subject_2": "दूसरा", "letter_number_2": "प/12"})
    answer = receipts.diarise_many(receipts.DiariseMany(SO, form), desk)
    assert answer.status == 422 and "sender_name" in answer.context["errors"]
    assert answer.context["values"]["subject_2"] == "दूसरा" and answer.context["values"]["kind"] == "electronic"
    empty = receipts.diarise_many(receipts.DiariseMany(SO, MultiDict({"sender_name": "x"})), desk)
    assert empty.status == 422 and empty.context["errors"]["subject_1"].key == "required" and diary.diarised == []


def a_receipt(**fields):
    return {"id": "r1", "receipt_number": "1/2026/COLL-JHS", "status": "open", "holder": "so.jhs", "created_by": "diarist.jhs",
            "kind": "electronic", "movements": [{"from": "diarist.jhs", "to": "so.jhs"}],
            "scans": [{"position": 1, "filename": "पत्र.pdf", "content_type": "application/pdf", "size": 9}], **fields}


def test_a_receipt_page_names_its_people_and_offers_files_to_put_it_in(services, desk):
    services.answer("GET", "dak", "/receipts/r1", a_receipt())
    services.answer("GET", "files", "/heads", {"heads": [{"code": "11016"}]})
    services.answer("GET", "files", "/files", {"files": [{"id": "f1"}]})
    shown = receipts.receipt_page(receipts.ShowReceipt(SO, "r1", "send", "ravi"), desk)
    context = shown.context
    assert set(context["people"]) == {"diarist.jhs", "so.jhs"} and context["actions"] == ["send", "reply", "put_in_file", "close", "copy"]
    assert context["heads"] == [{"code": "11016"}] and context["my_files"] == [{"id": "f1"}]
    assert context["docs"][0]["url"] == "/receipts/r1/scans/1"
    assert [p["id"] for p in context["people_found"]] == ["dm.jhs", "dm.lko"]


def test_a_receipt_sent_is_relayed_to_dak_and_a_refusal_reopens_the_dialog(services, desk):
    services.answer("GET", "dak", "/receipts/r1", a_receipt())
    services.answer("POST", "dak", "/receipts/r1/send", {"receipt": {"id": "r1"}})
    form = MultiDict([("to", "adm.jhs"), ("remarks", "कृपया देखें")])
    assert receipts.act_on_receipt(receipts.ActOnReceipt(SO, "r1", "send", form), desk) == Redirect("/receipts/r1", "receipt_send")
    assert services.posted("dak")[0].body["to"] == ["adm.jhs"]

    services.answer("POST", "dak", "/receipts/r1/close", ServiceFailure("dak", 409, "receipt_not_held", "not with you"))
    again = receipts.act_on_receipt(receipts.ActOnReceipt(SO, "r1", "close", MultiDict()), desk)
    assert again.template == "receipt.html" and again.status == 409 and again.context["dialog"] == "close"


def test_a_receipt_dak_cannot_find_is_not_a_form_to_show_again(services, desk):
    services.answer("POST", "dak", "/receipts/r9/reply", ServiceFailure("dak", 404, "receipt_not_found", "no receipt r9"))
    with pytest.raises(ServiceFailure):
        receipts.act_on_receipt(receipts.ActOnReceipt(SO, "r9", "reply", MultiDict()), desk)
    with pytest.raises(UnknownAction):
        receipts.act_on_receipt(receipts.ActOnReceipt(SO, "r1", "shred", MultiDict()), desk)


def test_put_in_a_new_file_makes_the_file_first(services, desk):
    services.answer("POST", "files", "/files", {"id": "f7", "file_number": "N-7/2026"})
    services.answer("POST", "dak", "/receipts/r1/put-in-file", {"receipt": {"id": "r1"}})
    form = MultiDict({"file_choice": "new", "file_subject": "नहर", "head": "11016"})
    assert receipts.act_on_receipt(receipts.ActOnReceipt(SO, "r1", "put_in_file", form), desk) == Redirect("/files/f7", "put_in_file")
    assert [(w.service, w.path) for w in services.written] == [("files", "/files"), ("dak", "/receipts/r1/put-in-file")]
    assert services.written[1].body == {"file_id": "f7"}


def test_put_in_an_existing_file_needs_the_file_chosen(services, desk):
    services.answer("GET", "dak", "/receipts/r1", a_receipt())
    services.away.add("files")
    again = receipts.act_on_receipt(receipts.ActOnReceipt(SO, "r1", "put_in_file", MultiDict({"file_choice": "existing"})), desk)
    assert again.status == 422 and again.context["errors"]["file_id"].key == "required" and services.written == []


def test_the_copy_opens_at_once(services, desk):
    services.answer("POST", "dak", "/receipts/r1/copy", {"receipt": {"id": "r2", "receipt_number": "2/2026/COLL-JHS"}})
    assert receipts.act_on_receipt(receipts.ActOnReceipt(SO, "r1", "copy", MultiDict()), desk) == Redirect(
        "/receipts/r2", "copied", "2/2026/COLL-JHS")


def test_the_address_book_suggests_nothing_when_dak_is_away(services, desk):
    services.away.add("dak")
    assert address_book.suggest_correspondents("सुनीता", desk).payload == {"correspondents": []}


def test_an_entry_added_is_shown_found_and_a_namesake_is_offered_to_edit(services, desk):
    services.answer("POST", "dak", "/address-book", {"id": 8, "name": "सुनीता देवी"})
    form = MultiDict({"name": " सुनीता देवी ", "mobile": ""})
    command = address_book.KeepCorrespondent(SO, form)
    assert address_book.keep_correspondent(command, desk) == Redirect(
        "/correspondents?q=%E0%A4%B8%E0%A5%81%E0%A4%A8%E0%A5%80%E0%A4%A4%E0%A4%BE%20%E0%A4%A6%E0%A5%87%E0%A4%B5%E0%A5%80",
        "correspondent_added", "सुनीता देवी")
    assert services.written[0].body["name"] == "सुनीता देवी" and services.written[0].body["mobile"] is None

    services.answer("POST", "dak", "/address-book", ServiceFailure("dak", 409, "correspondent_exists", "there already"))
    services.answer("GET", "dak", "/address-book", lambda params: {"correspondents": [SUNITA] if params.get("q") == "सुनीता देवी" else []})
    again = address_book.keep_correspondent(command, desk)
    assert again.status == 409 and again.context["correspondents"] == [SUNITA] and again.context["query"] == "सुनीता देवी"


def test_an_entry_opened_to_edit_has_its_fields(services, desk):
    services.answer("GET", "dak", "/address-book", {"correspondents": [SUNITA]})
    shown = address_book.address_book_page(address_book.ShowAddressBook(SO, "", "7"), desk)
    assert shown.context["editing"] == "7" and shown.context["values"]["organisation"] == "ग्राम पंचायत बड़ागाँव"
    assert shown.context["keeps_the_book"]
    assert address_book.address_book_page(address_book.ShowAddressBook(SO, "", "99"), desk).context["editing"] is None


def test_an_entry_corrected_is_put_to_dak(services, desk):
    services.answer("PUT", "dak", "/address-book/7", {"id": 7, "name": "सुनीता देवी"})
    command = address_book.KeepCorrespondent(SO, MultiDict({"name": "सुनीता देवी", "mobile": "9876543210"}), "7")
    assert address_book.keep_correspondent(command, desk).flash == "correspondent_saved"
    assert services.written[0].body["mobile"] == "9876543210"

