"""Noting, drafts, correspondence and signatures, on the fake unit of work."""
from datetime import datetime, timezone

import pytest

from eoffice_common.errors import BadRequest
from eoffice_common.events import Envelope
from files import domain, events
from files.exceptions import (
    AddresseeRefused,
    CorrespondenceNotFound,
    DraftAlreadyIssued,
    DraftNotApproved,
    DraftNotSigned,
    InvalidReferences,
    NotCustodian,
    NoteConfirmed,
    NotOfficer,
    PhysicalFile,
    UnlinkableEvent,
    VersionConflict,
)
from files.usecases import correspondence, dispatches, drafts, movement, notes
from files.usecases.correspondence import AttachDocuments, GetDocument, ReceiptDestination
from files.usecases.drafts import DraftCommand, IssueDraft, SignableDocument
from files.usecases.movement import FileCommand, SendFile
from files.usecases.notes import NoteCommand, WriteNote


def test_a_yellow_note_is_written_edited_and_confirmed_green_by_its_author(uow, new_file, caller):
    file = new_file("so.jhs")
    _, note = notes.add_note(WriteNote(caller("so.jhs"), file.id, text="प्रस्ताव अनुमोदन हेतु प्रस्तुत"), uow)
    assert note["status"] == "yellow" and uow.events_of(events.NoteAdded)[-1].note_id == note["id"]
    edited = notes.edit_note(WriteNote(caller("so.jhs"), file.id, text="प्रस्ताव\n\nसंशोधित", note_id=note["id"]), uow)
    assert edited["text"] == "प्रस्ताव\n\nसंशोधित"
    confirmed = notes.confirm_note(NoteCommand(caller("so.jhs"), file.id, note["id"]), uow)
    assert (confirmed["status"], confirmed["first_paragraph"], confirmed["last_paragraph"]) == ("green", 1, 2)
    with pytest.raises(NoteConfirmed):
        notes.discard_note(NoteCommand(caller("so.jhs"), file.id, note["id"]), uow)
    assert [e.action for e in file.audit_entries][1:] == ["note_added", "note_edited", "note_confirmed"]
    assert uow.events_of(events.NoteConfirmed)[-1].confirmed_on == "confirm"


def test_a_yellow_note_is_seen_and_discarded_by_its_author_only(uow, new_file, caller):
    file = new_file("so.jhs")
    _, note = notes.add_note(WriteNote(caller("so.jhs"), file.id, text="कच्चा मसौदा"), uow)
    assert notes.list_notes(FileCommand(caller("clerk.jhs"), file.id), uow)["notes"] == []
    assert [n["id"] for n in notes.list_notes(FileCommand(caller("so.jhs"), file.id), uow)["notes"]] == [note["id"]]
    assert notes.discard_note(NoteCommand(caller("so.jhs"), file.id, note["id"]), uow) == {"discarded": note["id"]}
    assert notes.list_notes(FileCommand(caller("so.jhs"), file.id), uow)["notes"] == []


def test_notes_are_written_by_the_custodian_on_an_electronic_file_with_known_references(uow, new_file, caller):
    file = new_file("so.jhs")
    with pytest.raises(NotCustodian):
        notes.add_note(WriteNote(caller("clerk.jhs"), file.id, text="x"), uow)
    with pytest.raises(InvalidReferences):
        notes.add_note(WriteNote(caller("so.jhs"), file.id, text="x", references=["nowhere"]), uow)
    paper = new_file("so.jhs", kind="physical")
    with pytest.raises(PhysicalFile):
        notes.add_note(WriteNote(caller("so.jhs"), paper.id, text="x"), uow)
    _, note = notes.add_note(WriteNote(caller("so.jhs"), file.id, text="x"), uow)
    movement.send_file(SendFile(caller("so.jhs"), file.id, to="adm.jhs"), uow)
    with pytest.raises(NotCustodian):
        notes.edit_note(WriteNote(caller("so.jhs"), file.id, text="y", note_id=note["id"]), uow)
    assert uow.notes.find(note["id"]).status == domain.GREEN


def test_a_draft_is_versioned_commented_approved_and_issued(uow, new_file, caller):
    file = new_file("so.jhs")
    _, draft = drafts.create_draft(DraftCommand(caller("so.jhs"), file.id, subject="आदेश", content="प्रथम प्रारूप"), uow)
    _, draft = drafts.revise_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"], content="द्वितीय प्रारूप"), uow)
    _, draft = drafts.comment_on_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"], text="ठीक है"), uow)
    assert ([v["version"] for v in draft["versions"]], draft["content"], draft["comments"][0]["text"]) == ([1, 2], "द्वितीय प्रारूप", "ठीक है")
    assert [e.version for e in uow.events_of(events.DraftVersioned)] == [1, 2]
    with pytest.raises(DraftNotApproved):
        drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"]), uow)
    with pytest.raises(VersionConflict):
        drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"], version=1), uow)
    approved = drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"]), uow)
    assert (approved["status"], approved["approval"]["version"]) == ("approved", 2)
    assert uow.events_of(events.DraftApproved)[-1].content == "द्वितीय प्रारूप"
    recipients = [{"name": "तहसीलदार", "address": "तहसील झाँसी", "email": None}]
    issued = drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"], dispatch_mode="post", recipients=recipients), uow)
    assert issued["issue"]["issue_number"] == f"I-1/{domain.year_of(datetime.now(timezone.utc))}/COLL-JHS"
    assert uow.events_of(events.DraftIssued)[-1].recipients == recipients
    version = drafts.get_draft_version(DraftCommand(caller("clerk.jhs"), file.id, draft["id"], version=1), uow)
    assert version["content"] == "प्रथम प्रारूप"
    assert drafts.get_draft(DraftCommand(caller("clerk.jhs"), file.id, draft["id"]), uow)["status"] == "issued"
    assert [(d["mode"], d["name"], d["status"]) for d in issued["issue"]["dispatches"]] == [("post", "तहसीलदार", "posted")]
    query = type("Query", (), {"page": 1, "per_page": 50})()
    register = dispatches.dispatch_register(dispatches.DispatchRegister(caller("dm.jhs"), query), uow)
    assert [(e["issue_number"], e["file_number"], e["address"]) for e in register["entries"]] == [
        (issued["issue"]["issue_number"], file.file_number, "तहसील झाँसी")]


def test_a_letter_to_an_office_and_an_officer_waits_for_the_signed_pdf_then_goes_to_both(uow, new_file, caller):
    file = new_file("so.jhs")
    _, draft = drafts.create_draft(DraftCommand(caller("so.jhs"), file.id, subject="बैठक सूचना", content="बैठक दिनांक"), uow)
    drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"]), uow)
    recipients = [{"office": "COLL-JHS"}, {"user": "cm.jhs", "for_information": True}]
    with pytest.raises(DraftNotSigned):
        drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"], dispatch_mode="post", recipients=recipients), uow)
    uow.drafts.find(draft["id"]).signed_pdf_key = "signing/signed/letter.pdf"
    with pytest.raises(AddresseeRefused) as refused:
        drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"], recipients=[{"office": "NOWHERE"}]), uow)
    assert refused.value.fields == {"recipients.0.office": "unknown"}
    issued = drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"], dispatch_mode="post", recipients=recipients), uow)
    announced = uow.events_of(events.DraftIssued)[-1]
    assert [(a["mode"], a["office"], a["copy"]) for a in announced.addressees] == [("intra", "COLL-JHS", False), ("intra", "COLL-JHS", True)]
    assert announced.pdf_key == "signing/signed/letter.pdf"
    assert [d["status"] for d in issued["issue"]["dispatches"]] == ["sent", "sent"]
    with pytest.raises(DraftAlreadyIssued):
        drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"], recipients=recipients), uow)


def test_each_dispatch_advances_with_the_news_dak_and_notify_bring(uow, new_file, caller):
    file = new_file("so.jhs")
    _, draft = drafts.create_draft(DraftCommand(caller("so.jhs"), file.id, subject="सूचना", content="पाठ"), uow)
    drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"]), uow)
    uow.drafts.find(draft["id"]).signed_pdf_key = "signing/signed/letter.pdf"
    recipients = [{"office": "COLL-JHS"}, {"mode": "email", "name": "श्री राम", "email": "ram@example.in"}]
    issued = drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"], dispatch_mode="email", recipients=recipients), uow)
    to_office, by_email = (d["id"] for d in issued["issue"]["dispatches"])
    now = datetime.now(timezone.utc).isoformat()
    dispatches.record_dispatch_news(envelope("letter_received", "receipt", "dak", {
        "dispatch_id": to_office, "receipt_id": "r-9", "receipt_number": "9/2026/COLL-JHS", "received_at": now}), uow)
    dispatches.record_dispatch_news(envelope("letter_opened", "receipt", "dak", {"dispatch_id": to_office, "opened_at": now}), uow)
    dispatches.record_dispatch_news(envelope("letter_emailed", "dispatch", "notify", {
        "dispatch_id": by_email, "outcome": "bounced", "reason": "550 no such user"}), uow)
    office, email = uow.dispatches.get(to_office), uow.dispatches.get(by_email)
    assert (office.status, office.receipt_number, email.status, email.failure) == ("opened", "9/2026/COLL-JHS", "bounced", "550 no such user")
    with pytest.raises(UnlinkableEvent):
        dispatches.record_dispatch_news(envelope("letter_opened", "receipt", "dak", {"dispatch_id": "nowhere", "opened_at": now}), uow)


def test_each_draft_version_announces_its_text(uow, new_file, caller):
    file = new_file("so.jhs")
    _, draft = drafts.create_draft(DraftCommand(caller("so.jhs"), file.id, subject="भूमि आवंटन", content="पहला पाठ"), uow)
    drafts.revise_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"], content="दूसरा पाठ"), uow)
    assert [(e.version, e.subject, e.content) for e in uow.events_of(events.DraftVersioned)] == [
        (1, "भूमि आवंटन", "पहला पाठ"), (2, "भूमि आवंटन", "दूसरा पाठ")]


def test_only_an_officer_approves_a_draft(uow, new_file, caller):
    file = new_file("clerk.jhs")
    _, draft = drafts.create_draft(DraftCommand(caller("clerk.jhs"), file.id, subject="पत्र", content="पाठ"), uow)
    with pytest.raises(NotOfficer):
        drafts.approve_draft(DraftCommand(caller("clerk.jhs"), file.id, draft["id"]), uow)
    assert [d["status"] for d in drafts.list_drafts(FileCommand(caller("clerk.jhs"), file.id), uow)["drafts"]] == ["draft"]


def test_documents_are_stored_then_attached_to_the_correspondence(uow, new_file, caller, store):
    file = new_file("so.jhs")
    command = AttachDocuments(caller("so.jhs"), file.id, {"title": "भूमि अभिलेख"}, [("खसरा.pdf", b"%PDF-1.4 khasra")])
    status, item = correspondence.attach_documents(command, lambda: uow, store)
    assert (status, item["title"], item["documents"][0]["filename"]) == (201, "भूमि अभिलेख", "खसरा.pdf")
    assert item["documents"][0]["url"].endswith("/documents/1")
    (attached,) = uow.events_of(events.DocumentsAttached)
    assert (attached.correspondence_id, attached.title, attached.added_by, attached.classification) == (item["id"], "भूमि अभिलेख", "so.jhs", "normal")
    assert [(d["position"], d["filename"], d["content_type"]) for d in attached.documents] == [(1, "खसरा.pdf", "application/pdf")]
    document = correspondence.get_document(GetDocument(caller("clerk.jhs"), file.id, item["id"], 1), uow)
    assert store.objects[document.key] == b"%PDF-1.4 khasra"
    with pytest.raises(NotCustodian):
        correspondence.attach_documents(AttachDocuments(caller("clerk.jhs"), file.id, {"title": "x"}, [("a.pdf", b"%PDF-1.4 a")]),
                                        lambda: uow, store)
    assert len(store.objects) == 1  # refused before anything reached the store
    store.objects["files/documents/orphan.pdf"] = b"%PDF-1.4 never attached"
    assert correspondence.sweep_orphan_documents(uow, store, None) == 1
    assert list(store.objects) == [document.key]


def envelope(event_type, aggregate_type, actor, data):
    return Envelope.parse({
        "id": f"{event_type}-{len(str(data))}", "type": event_type, "schema_version": 1, "aggregate_type": aggregate_type,
        "aggregate_id": "a-1", "office": "COLL-JHS", "district": "JHS", "actor": actor, "correlation_id": None,
        "occurred_at": datetime.now(timezone.utc).isoformat(), "data": data,
    })


def receipt_event(file, put_by, classification="secret", scans=()):
    return envelope("receipt_put_in_file", "receipt", put_by, {
        "file_id": file.id, "put_by": put_by, "receipt_id": "rcpt-1", "receipt_number": "17/2026/COLL-JHS",
        "subject": "गोपनीय शिकायत", "classification": classification, "kind": "electronic", "office": "COLL-JHS",
        "cleared": ["clerk.jhs"], "scans": list(scans),
    })


def test_a_receipt_dak_puts_in_enters_the_correspondence_with_its_scans(uow, new_file, caller, store):
    file = new_file("so.jhs")
    sha = "ab" * 32
    store.objects[f"dak/receipts/{sha}.pdf"] = b"%PDF scan"
    scan = {"position": 1, "key": f"dak/receipts/{sha}.pdf", "sha256": sha, "size": 9, "content_type": "application/pdf"}
    correspondence.link_receipt(receipt_event(file, "so.jhs", scans=[scan]), uow, store)
    (item,) = file.correspondence
    assert (item.receipt_number, item.cleared, item.documents[0].key) == ("17/2026/COLL-JHS", ["clerk.jhs", "so.jhs"], f"files/documents/{sha}.pdf")
    assert uow.events_of(events.ReceiptLinked)[-1].scans == [{"position": 1, "key": f"files/documents/{sha}.pdf", "sha256": sha}]
    assert file.audit_entries[-1].action == "receipt_linked"
    # Secret: the office does not see it, whoever receives the file afterwards does.
    listed = correspondence.list_correspondence(FileCommand(caller("dm.jhs"), file.id), uow)
    assert listed["correspondence"][0]["restricted"] is True
    with pytest.raises(CorrespondenceNotFound):
        correspondence.get_document(GetDocument(caller("dm.jhs"), file.id, item.id, 1), uow)
    movement.send_file(SendFile(caller("so.jhs"), file.id, to="dm.jhs"), uow)
    assert correspondence.list_correspondence(FileCommand(caller("dm.jhs"), file.id), uow)["correspondence"][0]["restricted"] is False
    audit = correspondence.audit_log(FileCommand(caller("cm.jhs"), file.id), uow)
    assert audit["entries"][1]["details"] == {"correspondence_id": item.id, "restricted": True}


def test_a_secret_receipt_in_a_normal_file_stays_hidden_from_whoever_receives_the_file_without_clearance(uow, new_file, caller, store):
    file = new_file("so.jhs")
    sha = "cd" * 32
    store.objects[f"dak/receipts/{sha}.pdf"] = b"%PDF scan"
    scan = {"position": 1, "key": f"dak/receipts/{sha}.pdf", "sha256": sha, "size": 9, "content_type": "application/pdf"}
    correspondence.link_receipt(receipt_event(file, "so.jhs", scans=[scan]), uow, store)
    (item,) = file.correspondence
    movement.send_file(SendFile(caller("so.jhs"), file.id, to="cm.jhs"), uow)
    uow.directory.users["cm.jhs"].clearance = "confidential"  # received the (Normal) file, not cleared for the receipt
    assert correspondence.list_correspondence(FileCommand(caller("cm.jhs"), file.id), uow)["correspondence"][0]["restricted"] is True
    with pytest.raises(CorrespondenceNotFound):
        correspondence.get_document(GetDocument(caller("cm.jhs"), file.id, item.id, 1), uow)
    uow.directory.users["cm.jhs"].clearance = "secret"
    assert correspondence.list_correspondence(FileCommand(caller("cm.jhs"), file.id), uow)["correspondence"][0]["restricted"] is False


def test_a_receipt_put_in_by_someone_who_did_not_hold_the_file_is_unlinkable(uow, new_file, caller, store):
    file = new_file("so.jhs")
    with pytest.raises(UnlinkableEvent):
        correspondence.link_receipt(receipt_event(file, "clerk.jhs"), uow, store)
    with pytest.raises(UnlinkableEvent):
        correspondence.link_receipt(receipt_event(file, "so.jhs", scans=[{"position": 1, "key": "dak/x.pdf", "sha256": "cd" * 32,
                                                                          "size": 1, "content_type": "application/pdf"}]), uow, store)
    assert file.correspondence == [] and uow.events_of(events.ReceiptLinked) == []


def test_dak_asks_whether_a_receipt_may_go_in(uow, new_file, caller):
    file = new_file("so.jhs")
    assert correspondence.receipt_destination(ReceiptDestination(caller("so.jhs"), file.id), uow)["refusal"] is None
    refusal = correspondence.receipt_destination(ReceiptDestination(caller("clerk.jhs"), file.id), uow)["refusal"]
    assert refusal["reason"] == "not_custodian"
    assert correspondence.receipt_destination(ReceiptDestination(caller("so.jhs"), "nowhere"), uow)["refusal"]["reason"] == "file_not_found"


def signed_event(file, kind, document_id):
    return envelope("document_signed", "signature", "so.jhs", {
        "file_id": file.id, "document_kind": kind, "document_id": document_id, "signature_id": "sig-1", "signer": "so.jhs",
        "signed_at": datetime.now(timezone.utc).isoformat(), "content_sha256": "ef" * 32, "method": "dsc",
    })


def test_a_green_note_is_signed_and_offered_for_signing(uow, new_file, caller):
    file = new_file("so.jhs")
    _, note = notes.add_note(WriteNote(caller("so.jhs"), file.id, text="हस्ताक्षर हेतु"), uow)
    with pytest.raises(BadRequest):
        drafts.document_for_signing(SignableDocument(caller("so.jhs"), "note", note["id"]), uow)
    with pytest.raises(UnlinkableEvent):
        drafts.record_signature(signed_event(file, "note", note["id"]), uow)
    notes.confirm_note(NoteCommand(caller("so.jhs"), file.id, note["id"]), uow)
    offered = drafts.document_for_signing(SignableDocument(caller("so.jhs"), "note", note["id"]), uow)
    assert (offered["content"], offered["title"]) == ("हस्ताक्षर हेतु", "Note (paragraphs 1-1)")
    drafts.record_signature(signed_event(file, "note", note["id"]), uow)
    signed = uow.notes.find(note["id"])
    assert (signed.signature_id, signed.signed_by, signed.signature_method) == ("sig-1", "so.jhs", "dsc")
    assert file.audit_entries[-1].action == "note_signed"


def test_the_issue_number_is_reserved_at_approval_so_the_signed_letter_carries_it(uow, new_file, caller):
    """docs/decisions/0003: approval takes the office's next issue serial; issue uses that number."""
    year = domain.year_of(datetime.now(timezone.utc))
    file = new_file("so.jhs")
    first = drafts.create_draft(DraftCommand(caller("so.jhs"), file.id, subject="पहला पत्र", content="क"), uow)[1]
    second = drafts.create_draft(DraftCommand(caller("so.jhs"), file.id, subject="दूसरा पत्र", content="ख"), uow)[1]
    with pytest.raises(VersionConflict):  # a refused approval takes no number
        drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, first["id"], version=99), uow)
    approved = drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, first["id"]), uow)
    assert approved["approval"]["issue_number"] == f"I-1/{year}/COLL-JHS"
    assert uow.events_of(events.DraftApproved)[-1].issue_number == f"I-1/{year}/COLL-JHS"
    drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, second["id"]), uow)
    post = {"dispatch_mode": "post", "recipients": [{"name": "तहसीलदार", "address": "तहसील झाँसी"}]}
    issued_second = drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, second["id"], **post), uow)
    issued_first = drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, first["id"], **post), uow)
    assert (issued_first["issue"]["issue_number"], issued_second["issue"]["issue_number"]) == (
        f"I-1/{year}/COLL-JHS", f"I-2/{year}/COLL-JHS")  # each as reserved, whatever order they are issued in
    assert uow.events_of(events.DraftIssued)[-1].issue_number == f"I-1/{year}/COLL-JHS"


def test_a_draft_approved_before_numbers_were_reserved_takes_the_next_one_at_issue(uow, new_file, caller):
    year = domain.year_of(datetime.now(timezone.utc))
    file = new_file("so.jhs")
    draft = drafts.create_draft(DraftCommand(caller("so.jhs"), file.id, subject="पुराना पत्र", content="ग"), uow)[1]
    drafts.approve_draft(DraftCommand(caller("so.jhs"), file.id, draft["id"]), uow)
    uow.drafts.find(draft["id"]).reserved_issue_number = None  # as the migration leaves an earlier approval
    issued = drafts.issue_draft(IssueDraft(caller("so.jhs"), file.id, draft["id"], dispatch_mode="post",
                                           recipients=[{"name": "तहसीलदार", "address": "तहसील झाँसी"}]), uow)
    assert issued["issue"]["issue_number"] == f"I-2/{year}/COLL-JHS"  # I-1 went to its approval, then was lost
