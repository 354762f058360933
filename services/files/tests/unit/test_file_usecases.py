"""Files made and read, on the fake unit of work: numbering, volumes and parts, who may open a file."""
import pytest

from files import events
from files.exceptions import DuplicateFileNumber, DuplicateHead, FileNotFound, NotAdmin, PartFile, UnknownSection
from files.usecases import files, movement
from files.usecases.files import AddHead, CreateFile, ListFiles, OpenPart, OpenVolume
from files.usecases.movement import FileCommand, SendFile


def test_sfs_files_are_numbered_from_the_head_without_gaps(uow, new_file):
    first, second = new_file("clerk.jhs"), new_file("so.jhs")
    year = first.year
    assert (first.file_number, second.file_number) == (f"N-11016/1/{year}-REV-JHS", f"N-11016/2/{year}-REV-JHS")
    assert first.computer_number != second.computer_number
    created = uow.events_of(events.FileCreated)[0]
    assert (created.file_id, created.subject, created.created_by, created.numbering) == (first.id, "भूमि नामांतरण प्रकरण", "clerk.jhs", "sfs")
    assert (first.custodian_id, first.owner_id, first.version, first.audit_seq) == ("clerk.jhs", "clerk.jhs", 1, 1)


def test_a_free_form_number_is_taken_once_per_office(uow, caller):
    command = CreateFile(caller("clerk.jhs"), subject="विविध पत्राचार", numbering="non_sfs", file_number="  Misc/12  /2026 ")
    status, body = files.create_file(command, uow)
    assert (status, body["file_number"]) == (201, "Misc/12 /2026")
    with pytest.raises(DuplicateFileNumber):
        files.create_file(CreateFile(caller("so.jhs"), subject="दूसरी", numbering="non_sfs", file_number="misc/12 /2026"), uow)
    assert len(uow.files.rows) == 1


def test_a_section_must_be_one_of_the_office(uow, caller):
    with pytest.raises(UnknownSection):
        files.create_file(CreateFile(caller("clerk.jhs"), subject="x", head_id=1, section="ACCOUNTS"), uow)


def test_volumes_and_parts_carry_the_number_on(uow, new_file, caller):
    file = new_file("clerk.jhs")
    _, volume = files.open_volume(OpenVolume(caller("clerk.jhs"), file.id, remarks="खंड भरा"), uow)
    assert (volume["file_number"], volume["volume"], volume["parent_file_id"]) == (f"{file.file_number}/Vol.2", 2, file.id)
    _, part = files.open_part(OpenPart(caller("so.jhs"), file.id, subject="भाग फ़ाइल"), uow)
    assert (part["file_number"], part["relation"], part["subject"]) == (f"{file.file_number}/Part.1", "part", "भाग फ़ाइल")
    with pytest.raises(PartFile):
        files.open_volume(OpenVolume(caller("so.jhs"), part["id"]), uow)
    assert [e.action for e in file.audit_entries] == ["created", "volume_opened", "part_opened"]
    assert [e.volume for e in uow.events_of(events.FileCreated)] == [1, 2, 1]


def test_only_an_admin_adds_a_head_and_only_once(uow, caller):
    head = {"main_code": "C-15", "main_name_en": "Establishment", "main_name_hi": "अधिष्ठान", "sub_code": "012",
            "sub_name_en": "Leave", "sub_name_hi": "अवकाश", "section_label": "EST", "department_label": "JHS"}
    with pytest.raises(NotAdmin):
        files.add_head(AddHead(caller("so.jhs"), head), uow)
    status, body = files.add_head(AddHead(caller("admin.jhs"), head), uow)
    assert (status, body["code"]) == (201, "C-15012")
    with pytest.raises(DuplicateHead):
        files.add_head(AddHead(caller("admin.jhs"), head), uow)
    assert [h["code"] for h in files.list_heads(caller("so.jhs"), uow)["heads"]] == ["N-11016", "C-15012"]


def test_a_secret_file_is_not_found_by_those_it_was_never_sent_to(uow, new_file, caller):
    file = new_file("clerk.jhs", classification="secret")
    with pytest.raises(FileNotFound):
        files.get_file(FileCommand(caller("dm.jhs"), file.id), uow)
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    movement.send_file(SendFile(caller("so.jhs"), file.id, to="adm.jhs"), uow)
    assert files.get_file(FileCommand(caller("so.jhs"), file.id), uow)["custodian"]["id"] == "adm.jhs"  # sent to them once


def test_the_recipient_reading_the_file_opens_it_once(uow, new_file, caller):
    file = new_file("clerk.jhs")
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    files.get_file(FileCommand(caller("clerk.jhs"), file.id), uow)  # the sender reading it opens nothing
    assert file.current.opened_at is None
    answer = files.get_file(FileCommand(caller("so.jhs"), file.id), uow)
    files.get_file(FileCommand(caller("so.jhs"), file.id), uow)
    assert answer["current_movement"]["opened_at"] is not None
    (opened,) = uow.events_of(events.FileOpened)
    assert (opened.user, opened.movement_id) == ("so.jhs", file.current.id)


def test_the_movements_of_a_file_in_order(uow, new_file, caller):
    file = new_file("clerk.jhs")
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    movement.send_file(SendFile(caller("so.jhs"), file.id, to="dm.jhs"), uow)
    listed = files.list_movements(FileCommand(caller("clerk.jhs"), file.id), uow)
    assert [(m["from"]["id"], m["to"]["id"]) for m in listed["movements"]] == [("clerk.jhs", "so.jhs"), ("so.jhs", "dm.jhs")]
    assert listed["custodian"]["name_hi"] == "प्रिया शर्मा"


def test_the_lists_answer_from_the_repository(uow, new_file, caller):
    file = new_file("clerk.jhs")
    uow.files.inbox = lambda user_id, query: ([(file, None)], 1)
    query = type("Query", (), {"box": "inbox", "page": 1, "per_page": 50})()
    listed = files.list_files(ListFiles(caller("clerk.jhs"), query), uow)
    assert (listed["box"], listed["total"], listed["files"][0]["custodian"]["id"]) == ("inbox", 1, "clerk.jhs")
    uow.files.search = lambda user_id, office, query: ([(file, None)], 1) if office == "COLL-JHS" else ([], 0)
    found = files.search_files(ListFiles(caller("dm.jhs"), query), uow)
    assert (found["total"], found["files"][0]["subject"]) == (1, "भूमि नामांतरण प्रकरण")
