"""Files joined to files, on the fake unit of work: a part file merged into its main file, a reference
link, a file attached into another that travels with it until detached."""
import pytest

from files import domain, events
from files.exceptions import (
    AttachedFile,
    FileClosed,
    FileNotFound,
    InvalidRelation,
    NotAPart,
    NotCustodian,
    RelationNotFound,
)
from files.usecases import correspondence, drafts, files, movement, notes, relations
from files.usecases.correspondence import AttachDocuments, GetDocument
from files.usecases.files import OpenPart
from files.usecases.movement import FileAction, FileCommand, SendFile
from files.usecases.notes import NoteCommand, WriteNote
from files.usecases.relations import RelateFiles

from .test_writing_usecases import receipt_event, signed_event


def note(uow, caller, file, text, confirm=True):
    _, written = notes.add_note(WriteNote(caller(file.custodian_id), file.id, text=text), uow)
    if confirm:
        notes.confirm_note(NoteCommand(caller(file.custodian_id), file.id, written["id"]), uow)
    return written["id"]


def part_of(uow, caller, main, by="clerk.jhs"):
    _, part = files.open_part(OpenPart(caller(by), main.id, subject="भाग: हैंडपंप मरम्मत"), uow)
    return uow.files.rows[part["id"]]


def test_a_merged_part_brings_its_notes_and_correspondence_into_the_main_file(uow, new_file, caller, store):
    main = new_file("clerk.jhs")
    note(uow, caller, main, "मुख्य पत्रावली का प्रथम अनुच्छेद।")
    part = part_of(uow, caller, main)
    green = note(uow, caller, part, "भाग पत्रावली: पहला अनुच्छेद।\n\nदूसरा अनुच्छेद।")
    yellow = note(uow, caller, part, "अभी पीली टिप्पणी।", confirm=False)
    _, item = correspondence.attach_documents(AttachDocuments(caller("clerk.jhs"), part.id, {"title": "निरीक्षण आख्या"},
                                                              [("aakhya.pdf", b"%PDF-1.4 aakhya")]), lambda: uow, store)

    answer = relations.merge_part(FileCommand(caller("clerk.jhs"), part.id), uow)

    assert answer["id"] == main.id and answer["last_paragraph"] == 4
    listed = notes.list_notes(FileCommand(caller("clerk.jhs"), main.id), uow)["notes"]
    assert [(n["id"], n["first_paragraph"], n["last_paragraph"], n["status"], n["merged_from_file_id"]) for n in listed][1:] == [
        (green, 2, 3, "green", part.id), (yellow, 4, 4, "green", part.id)]
    (moved,) = correspondence.list_correspondence(FileCommand(caller("clerk.jhs"), main.id), uow)["correspondence"]
    assert (moved["id"], moved["position"], moved["merged_from_file_id"]) == (item["id"], 1, part.id)
    assert correspondence.get_document(GetDocument(caller("clerk.jhs"), main.id, item["id"], 1), uow).filename == "aakhya.pdf"
    assert (part.status, part.merged_at is not None, part.closed_by) == (domain.CLOSED, True, "clerk.jhs")
    assert notes.list_notes(FileCommand(caller("clerk.jhs"), part.id), uow)["notes"] == []
    assert main.audit_entries[-1].action == "part_merged" and part.audit_entries[-1].action == "merged_into"
    (merged,) = uow.events_of(events.PartFileMerged)
    assert (merged.file_id, merged.part_file_id, merged.part, merged.note_ids, merged.correspondence_ids) == (
        main.id, part.id, 1, [green, yellow], [item["id"]])
    assert uow.events_of(events.FileClosed)[-1].file_id == part.id
    assert correspondence.verify_audit(FileCommand(caller("clerk.jhs"), main.id), uow)["valid"] is True
    with pytest.raises(FileClosed):
        movement.reopen_file(FileAction(caller("clerk.jhs"), part.id), uow)


def test_only_the_custodian_of_both_merges_a_part_and_only_a_part(uow, new_file, caller):
    main = new_file("clerk.jhs")
    part = part_of(uow, caller, main, by="so.jhs")  # the part is with so.jhs, the main file with clerk.jhs
    with pytest.raises(NotCustodian):
        relations.merge_part(FileCommand(caller("so.jhs"), part.id), uow)
    with pytest.raises(NotCustodian):
        relations.merge_part(FileCommand(caller("clerk.jhs"), part.id), uow)
    with pytest.raises(NotAPart):
        relations.merge_part(FileCommand(caller("clerk.jhs"), main.id), uow)
    movement.send_file(SendFile(caller("clerk.jhs"), main.id, to="so.jhs"), uow)
    relations.merge_part(FileCommand(caller("so.jhs"), part.id), uow)
    with pytest.raises(FileClosed):
        relations.merge_part(FileCommand(caller("so.jhs"), part.id), uow)
    assert len(uow.events_of(events.PartFileMerged)) == 1


def test_a_secret_receipt_of_a_part_stays_with_who_could_read_it_and_whoever_receives_the_main_file(uow, new_file, caller, store):
    main = new_file("so.jhs")
    part = part_of(uow, caller, main, by="so.jhs")
    correspondence.link_receipt(receipt_event(part, "so.jhs"), uow, store)
    movement.send_file(SendFile(caller("so.jhs"), main.id, to="adm.jhs"), uow)  # adm.jhs held the main file before the merge
    movement.return_file(FileAction(caller("adm.jhs"), main.id), uow)
    relations.merge_part(FileCommand(caller("so.jhs"), part.id), uow)

    def restricted(user):
        return correspondence.list_correspondence(FileCommand(caller(user), main.id), uow)["correspondence"][0]["restricted"]

    assert (restricted("so.jhs"), restricted("clerk.jhs"), restricted("adm.jhs"), restricted("dm.jhs")) == (False, False, True, True)
    movement.send_file(SendFile(caller("so.jhs"), main.id, to="dm.jhs"), uow)
    assert restricted("dm.jhs") is False


def test_a_link_is_shown_on_both_files_and_removed_by_either_custodian(uow, new_file, caller):
    first, second = new_file("clerk.jhs"), new_file("so.jhs", subject="बड़ागाँव हैंडपंप")
    status, answer = relations.link_file(RelateFiles(caller("clerk.jhs"), first.id, second.id), uow)
    assert status == 201 and [f["id"] for f in answer["links"]] == [second.id]
    assert [f["file_number"] for f in files.get_file(FileCommand(caller("so.jhs"), second.id), uow)["links"]] == [first.file_number]
    with pytest.raises(InvalidRelation):
        relations.link_file(RelateFiles(caller("so.jhs"), second.id, first.id), uow)
    with pytest.raises(InvalidRelation):
        relations.link_file(RelateFiles(caller("so.jhs"), second.id, second.id), uow)
    with pytest.raises(NotCustodian):
        relations.unlink_file(RelateFiles(caller("adm.jhs"), first.id, second.id), uow)
    _, answer = relations.unlink_file(RelateFiles(caller("so.jhs"), second.id, first.id), uow)
    assert answer["links"] == [] and files.get_file(FileCommand(caller("clerk.jhs"), first.id), uow)["links"] == []
    with pytest.raises(RelationNotFound):
        relations.unlink_file(RelateFiles(caller("so.jhs"), second.id, first.id), uow)
    assert (len(uow.events_of(events.FileLinked)), len(uow.events_of(events.FileUnlinked))) == (1, 1)
    assert first.audit_entries[-1].action == "file_linked" and second.audit_entries[-1].action == "file_unlinked"


def test_a_secret_file_is_linked_only_by_those_who_may_open_it_and_shown_only_to_them(uow, new_file, caller):
    secret, mine = new_file("so.jhs", classification="secret"), new_file("clerk.jhs")
    with pytest.raises(FileNotFound):
        relations.link_file(RelateFiles(caller("clerk.jhs"), mine.id, secret.id), uow)
    movement.send_file(SendFile(caller("clerk.jhs"), mine.id, to="so.jhs"), uow)
    relations.link_file(RelateFiles(caller("so.jhs"), secret.id, mine.id), uow)
    shown = files.get_file(FileCommand(caller("clerk.jhs"), mine.id), uow)["links"]
    assert shown == [{"id": None, "restricted": True, "file_number": None, "subject": None, "status": None, "classification": "secret"}]


def test_an_attached_file_travels_with_its_main_file_until_detached(uow, new_file, caller):
    main, attached = new_file("clerk.jhs"), new_file("clerk.jhs", subject="संलग्न पत्रावली")
    status, answer = relations.attach_file(RelateFiles(caller("clerk.jhs"), main.id, attached.id), uow)
    assert status == 201 and [f["id"] for f in answer["attachments"]] == [attached.id]
    assert files.get_file(FileCommand(caller("clerk.jhs"), attached.id), uow)["attached_to"]["id"] == main.id
    with pytest.raises(AttachedFile):
        movement.send_file(SendFile(caller("clerk.jhs"), attached.id, to="adm.jhs"), uow)

    movement.send_file(SendFile(caller("clerk.jhs"), main.id, to="so.jhs", remarks="कृपया देखें"), uow)
    assert (attached.custodian_id, attached.current.from_user, attached.current.remarks) == ("so.jhs", "clerk.jhs", "कृपया देखें")
    movement.pull_back(FileCommand(caller("clerk.jhs"), main.id), uow)
    assert (attached.custodian_id, attached.current.action) == ("clerk.jhs", domain.PULL_BACK)
    movement.send_file(SendFile(caller("clerk.jhs"), main.id, to="so.jhs"), uow)
    movement.return_file(FileAction(caller("so.jhs"), main.id), uow)
    assert attached.custodian_id == "clerk.jhs"
    sent = [e.file_id for e in uow.events_of(events.FileSent)]
    assert sent.count(attached.id) == sent.count(main.id) == 3
    assert [e.file_id for e in uow.events_of(events.FilePulledBack)] == [main.id, attached.id]

    with pytest.raises(NotCustodian):
        relations.detach_file(RelateFiles(caller("so.jhs"), main.id, attached.id), uow)
    _, answer = relations.detach_file(RelateFiles(caller("clerk.jhs"), main.id, attached.id), uow)
    assert answer["attachments"] == [] and attached.attached_to_file_id is None
    movement.send_file(SendFile(caller("clerk.jhs"), main.id, to="so.jhs"), uow)
    assert attached.custodian_id == "clerk.jhs"
    assert [e.action for e in attached.audit_entries].count("send") == 2
    assert correspondence.verify_audit(FileCommand(caller("clerk.jhs"), attached.id), uow)["valid"] is True


def test_files_are_attached_by_the_custodian_of_both_one_level_deep(uow, new_file, caller):
    main, other, third = new_file("clerk.jhs"), new_file("so.jhs"), new_file("clerk.jhs")
    with pytest.raises(NotCustodian):
        relations.attach_file(RelateFiles(caller("clerk.jhs"), main.id, other.id), uow)
    relations.attach_file(RelateFiles(caller("clerk.jhs"), main.id, third.id), uow)
    with pytest.raises(InvalidRelation):
        relations.attach_file(RelateFiles(caller("clerk.jhs"), third.id, main.id), uow)
    movement.send_file(SendFile(caller("so.jhs"), other.id, to="clerk.jhs"), uow)
    with pytest.raises(InvalidRelation):
        relations.attach_file(RelateFiles(caller("clerk.jhs"), other.id, main.id), uow)  # main holds a file itself
    with pytest.raises(InvalidRelation):
        relations.attach_file(RelateFiles(caller("clerk.jhs"), other.id, third.id), uow)  # third is in main already
    assert len(uow.events_of(events.FileAttached)) == 1


def test_a_signature_of_a_note_made_in_the_part_reaches_it_in_the_main_file(uow, new_file, caller):
    main = new_file("so.jhs")
    part = part_of(uow, caller, main, by="so.jhs")
    signed = note(uow, caller, part, "हस्ताक्षर हेतु, भाग में लिखी गई।")
    relations.merge_part(FileCommand(caller("so.jhs"), part.id), uow)
    drafts.record_signature(signed_event(part, "note", signed), uow)  # signing knew the note in the part
    assert (uow.notes.find(signed).signature_id, main.audit_entries[-1].action) == ("sig-1", "note_signed")
