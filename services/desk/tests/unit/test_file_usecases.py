"""A file's page and its actions, and signing, on the fakes: the files and signing services answer
from memory, as they would."""
import io

import pytest
from werkzeug.datastructures import MultiDict

from desk.exceptions import ServiceFailure, UnknownAction
from desk.usecases import Redirect, Upload, files, signing

from .conftest import SO

FILE = {"id": "f1", "file_number": "N-11016/1/2026-COLL-JHS", "subject": "नहर मरम्मत", "status": "open", "version": 3,
        "custodian": {"id": "so.jhs"}, "owner": {"id": "so.jhs"}, "current_movement": None, "relation": None}
GREEN = {"id": "n1", "status": "green", "text": "प्रस्ताव स्वीकृत।", "author": {"id": "so.jhs"}, "references": []}
APPROVED = {"id": "d1", "status": "approved", "subject": "आदेश", "approval": {"approved_by": {"id": "so.jhs"}}}


@pytest.fixture
def a_file(services):
    services.answer("GET", "files", "/files/f1", FILE)
    services.answer("GET", "files", "/files/f1/notes", {"notes": [GREEN]})
    services.answer("GET", "files", "/files/f1/correspondence", {"correspondence": [
        {"id": "c0", "restricted": True}, {"id": "c1", "title": "पत्र", "documents": [{"position": 1, "filename": "पत्र.pdf"}]}]})
    services.answer("GET", "files", "/files/f1/drafts", {"drafts": [APPROVED]})
    services.answer("GET", "files", "/files", {"files": []})
    services.answer("GET", "signing", "/certificates", {"certificates": [{"status": "active", "source": "dsc", "not_after": None}]})
    services.answer("GET", "signing", "/documents/note/n1", {"signers": ["so.jhs", "adm.jhs"], "next_signer": "so.jhs",
                                                              "owner": "so.jhs", "signatures": []})
    services.answer("GET", "dak", "/address-book", {"correspondents": [{"id": 7, "name": "सुनीता देवी"}]})
    return FILE


def test_the_noting_tab_shows_readable_correspondence_and_whether_i_sign_next(a_file, desk):
    context = files.file_page(files.ShowFile(SO, "f1"), desk).context
    assert context["shown"]["id"] == "c1" and context["docs"][0]["url"] == "/files/f1/correspondence/c1/documents/1"
    state = context["signing"][("note", "n1")]
    assert state.can_sign and state.method == "dsc" and state.order == ["so.jhs", "adm.jhs"]
    assert set(context["signers"]) == {"so.jhs", "adm.jhs"}
    assert context["offices"] == [] and context["correspondents"] == []


def test_the_drafts_tab_offers_the_offices_and_the_address_book_to_issue_an_approved_draft(a_file, services, desk):
    context = files.file_page(files.ShowFile(SO, "f1", "drafts"), desk).context
    assert [o.code for o in context["offices"]] == ["COLL-JHS", "COLL-LKO"]
    assert context["correspondents"] == [{"id": 7, "name": "सुनीता देवी"}]
    # signing has not heard of the draft yet: its approver signs first
    assert context["signing"][("draft", "d1")].next_signer == "so.jhs"


def test_a_file_page_shows_what_it_has_when_signing_is_away(a_file, services, desk):
    services.away.add("signing")
    state = files.file_page(files.ShowFile(SO, "f1"), desk).context["signing"][("note", "n1")]
    assert state.needs_certificate and not state.can_sign


def test_the_audit_tab_checks_the_chain_when_asked(a_file, services, desk):
    services.answer("GET", "files", "/files/f1/audit", {"entries": [{"actor": "adm.jhs", "details": {"on_behalf_of": "dm.jhs"}}]})
    services.answer("GET", "files", "/files/f1/audit/verify", {"intact": True})
    context = files.file_page(files.ShowFile(SO, "f1", "audit", verify=True), desk).context
    assert context["chain"] == {"intact": True} and set(context["signers"]) == {"adm.jhs", "dm.jhs"}


def test_a_note_written_goes_back_to_the_noting_tab(a_file, services, desk):
    services.answer("POST", "files", "/files/f1/notes", {"id": "n2"})
    form = MultiDict([("text", "कृपया अवलोकन करें।"), ("references", "c1")])
    assert files.act_on_file(files.ActOnFile(SO, "f1", "note", form), desk) == Redirect("/files/f1?tab=noting#noting", "note_saved")
    assert services.posted("files")[0].body == {"text": "कृपया अवलोकन करें।", "references": ["c1"]}


def test_a_file_sent_carries_the_version_read_and_a_refusal_reopens_the_dialog(a_file, services, desk):
    services.answer("POST", "files", "/files/f1/send", ServiceFailure("files", 409, "file_changed", "the file changed"))
    form = MultiDict({"to": "adm.jhs", "version": "3", "remarks": "", "q": "sunita"})
    again = files.act_on_file(files.ActOnFile(SO, "f1", "send", form), desk)
    assert again.status == 409 and again.context["dialog"] == "send" and again.context["values"] is form
    assert [p["id"] for p in again.context["people_found"]] == ["adm.jhs"]
    assert services.posted("files")[0].body == {"to": "adm.jhs", "version": 3, "priority": "normal"}


def test_a_file_sent_to_no_one_is_refused_by_the_desk(a_file, services, desk):
    again = files.act_on_file(files.ActOnFile(SO, "f1", "send", MultiDict()), desk)
    assert again.status == 422 and again.context["errors"]["to"].key == "required" and services.written == []


def test_a_new_volume_opens_at_once(a_file, services, desk):
    services.answer("POST", "files", "/files/f1/volumes", {"id": "f2", "file_number": "N-11016/1/2026-COLL-JHS/Vol.2"})
    assert files.act_on_file(files.ActOnFile(SO, "f1", "volume", MultiDict()), desk) == Redirect(
        "/files/f2", "file_created", "N-11016/1/2026-COLL-JHS/Vol.2")


def test_a_file_is_linked_by_its_number_among_those_i_may_open(a_file, services, desk):
    services.answer("GET", "files", "/files/search", lambda params: {"files": [
        {"id": "f9", "file_number": "N-11016/9/2026-COLL-JHS"}, {"id": "f19", "file_number": "N-11016/19/2026-COLL-JHS"}]})
    services.answer("POST", "files", "/files/f1/links", {"linked": True})
    form = MultiDict({"other_file": " N-11016/9/2026-COLL-JHS "})
    assert files.act_on_file(files.ActOnFile(SO, "f1", "link", form), desk).flash == "file_linked"
    assert services.posted("files")[0].body == {"file_id": "f9"}
    unknown = files.act_on_file(files.ActOnFile(SO, "f1", "link", MultiDict({"other_file": "N-1/2020"})), desk)
    assert unknown.status == 422 and unknown.context["errors"]["other_file"].detail == "no such file that you may open"


def test_a_document_is_attached_with_its_title(a_file, services, desk):
    services.answer("POST", "files", "/files/f1/correspondence", {"id": "c2"})
    scan = Upload("आदेश.pdf", io.BytesIO(b"%PDF"), "application/pdf")
    answer = files.act_on_file(files.ActOnFile(SO, "f1", "attach", MultiDict({"title": " आदेश "}), (scan,)), desk)
    assert answer.flash == "document_attached"
    assert services.posted()[0].body == {"item": '{"title": "आदेश"}'} and services.posted()[0].files[0][1][0] == "आदेश.pdf"
    nothing = files.act_on_file(files.ActOnFile(SO, "f1", "attach", MultiDict({"title": "आदेश"})), desk)
    assert nothing.status == 422 and "documents" in nothing.context["errors"]


def test_a_file_the_service_cannot_find_is_not_a_form_to_show_again(services, desk):
    services.answer("POST", "files", "/files/f9/park", ServiceFailure("files", 404, "file_not_found", "no file f9"))
    with pytest.raises(ServiceFailure):
        files.act_on_file(files.ActOnFile(SO, "f9", "park", MultiDict()), desk)
    with pytest.raises(UnknownAction):
        files.act_on_file(files.ActOnFile(SO, "f1", "burn", MultiDict()), desk)


def test_a_new_file_refused_shows_its_heads_and_the_reason(services, desk):
    services.answer("GET", "files", "/heads", {"heads": [{"code": "11016"}]})
    services.answer("POST", "files", "/files", ServiceFailure("files", 422, "invalid_input", "bad", {"subject": "Field required"}))
    again = files.create_file(files.CreateFile(SO, MultiDict({"head": "11016"})), desk)
    assert again.status == 422 and again.context["errors"]["file_subject"].key == "required"
    assert again.context["heads"] == [{"code": "11016"}]
    services.answer("POST", "files", "/files", {"id": "f3", "file_number": "N-11016/3/2026-COLL-JHS"})
    assert files.create_file(files.CreateFile(SO, MultiDict({"head": "11016"})), desk) == Redirect(
        "/files/f3", "file_created", "N-11016/3/2026-COLL-JHS")


def test_signing_waits_for_the_signing_service_to_hear_of_the_note(services, desk):
    answers = iter([ServiceFailure("signing", 404, "document_not_found", "not yet"), {"id": "s1"}])

    def signs(json):
        answer = next(answers)
        if isinstance(answer, ServiceFailure):
            raise answer
        return answer
    services.answer("POST", "signing", "/documents/note/n1/signatures", signs)
    command = signing.SignDocument(SO, "note", "n1", "f1", MultiDict())
    assert signing.sign(command, desk) == Redirect("/signatures/s1", "signed")
    assert [w.body for w in services.posted("signing")] == [{"method": "dsc"}, {"method": "dsc"}]


def test_signing_refused_shows_the_file_with_the_sign_dialog(a_file, services, desk, monkeypatch):
    monkeypatch.setattr(signing, "SIGN_WAIT_SECONDS", 0)
    command = signing.SignDocument(SO, "note", "n1", "f1", MultiDict({"method": "esign"}))
    again = signing.sign(command, desk)
    assert again.template == "file.html" and again.status == 404 and again.context["dialog"] == "sign-n1"
    with pytest.raises(UnknownAction):
        signing.sign(signing.SignDocument(SO, "receipt", "r1", "f1", MultiDict()), desk)


def test_the_signing_order_is_the_ids_typed(a_file, services, desk):
    services.answer("PUT", "signing", "/documents/draft/d1/signers", {"signers": ["so.jhs", "dm.jhs"]})
    command = signing.SignDocument(SO, "draft", "d1", "f1", MultiDict({"signers": "so.jhs,\r\n dm.jhs"}))
    assert signing.set_signing_order(command, desk) == Redirect("/files/f1?tab=drafts#draft-d1", "signing_order_set")
    assert services.posted("signing")[0].body == {"signers": ["so.jhs", "dm.jhs"]}


def test_a_certificate_refused_shows_the_form_again(services, desk):
    services.answer("GET", "signing", "/certificates", {"certificates": []})
    services.answer("POST", "signing", "/certificates", ServiceFailure("signing", 422, "invalid_input", "bad", {"certificate": "not a PEM"}))
    form = MultiDict({"source": "esign", "certificate": " junk "})
    again = signing.register_certificate(signing.RegisterCertificate(SO, form), desk)
    assert again.status == 422 and "certificate" in again.context["errors"]
    assert services.posted("signing")[0].body == {"source": "esign", "certificate": "junk"}
    assert signing.certificates_page(SO, desk).context["values"]["key_label"] == "so.jhs"


def test_a_signature_page_names_the_signer(services, desk):
    services.answer("GET", "signing", "/signatures/s1", {"id": "s1", "document_kind": "note", "document_id": "n1", "signer": "adm.jhs"})
    context = signing.signature_page("s1", desk).context
    assert context["people"]["adm.jhs"]["name_hi"] == "सुनीता वर्मा" and context["document"] is None


def test_a_pdf_is_needed_to_verify(services, desk):
    assert signing.verify_pdf(signing.VerifyPdf(SO, None), desk).status == 422
    services.answer("POST", "signing", "/verify", {"valid": True})
    checked = signing.verify_pdf(signing.VerifyPdf(SO, Upload("आदेश.pdf", io.BytesIO(b"%PDF"), "application/pdf")), desk)
    assert checked.context == {"result": {"valid": True}, "filename": "आदेश.pdf"}
