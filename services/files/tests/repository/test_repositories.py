"""The files repositories on both databases they run on: PostgreSQL (tests and production) and SQLite
(`make run`). Where the two need different SQL, the difference is inside one repository method; this
suite holds both sides to the same behaviour."""
import os
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from eoffice_common.db import UnitOfWork
from eoffice_common.testing import repository_database
from files import domain
from files.exceptions import DuplicateFileNumber, FileNotFound, NoteNotFound, VersionConflict
from files.model import File
from files.models import ActingCharge, User
from files.repository import FilesUnitOfWork

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OFFICE = "COLL-JHS"


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def migrated(request, tmp_path_factory):
    with repository_database(request.param, SERVICE_DIR, "files", tmp_path_factory) as (engine, _tables):
        yield engine


@pytest.fixture
def new_uow(migrated):
    def make():
        return FilesUnitOfWork(UnitOfWork(migrated, actor="tester", correlation_id=None))

    return make


def created(new_uow, number, creator="clerk.jhs", subject="भूमि नामांतरण प्रकरण", classification="normal"):
    """A non-SFS file, committed; returns its id."""
    with new_uow() as uow:
        file = File.create(creator, uow.files.next_computer_number(), datetime.now(timezone.utc), office_code=OFFICE,
                           district_code="JHS", numbering="non_sfs", base_number=number, file_number=number, subject=subject,
                           kind="electronic", classification=classification)
        uow.files.add(file)
        uow.commit()
        return file.id


def recipient(user_id):
    """The directory row of an active officer cleared for a normal file, by id (File.send's `people`)."""
    return {user_id: User(id=user_id, active=True, clearance="normal")}


def sent(new_uow, file_id, by, to):
    with new_uow() as uow:
        file = uow.files.get(file_id, for_update=True)
        movement = file.send(by, to, recipient(to), uow.files.next_movement_id(), datetime.now(timezone.utc))
        uow.commit()
        return movement.id


def test_a_file_is_written_and_read_back_with_its_current_movement_and_audit_chain(new_uow):
    file_id = created(new_uow, "REPO/1")
    first, second = sent(new_uow, file_id, "clerk.jhs", "so.jhs"), sent(new_uow, file_id, "so.jhs", "adm.jhs")
    assert second > first
    with new_uow() as uow:
        file = uow.files.get(file_id)
        assert (file.custodian_id, file.current.id, file.current.from_user, file.version) == ("adm.jhs", second, "so.jhs", 3)
        assert [m.is_current for m in uow.files.movements_of(file_id)] == [False, True]
        records = uow.files.audit_records(file_id)
        assert [r.action for r in records] == ["created", "send", "opened", "send"]
        assert domain.verify_chain(file_id, records, file.audit_seq, file.audit_head)["valid"]
        assert (uow.files.was_sent_to(file_id, "so.jhs"), uow.files.was_sent_to(file_id, "dm.jhs")) == (True, False)
        assert uow.files.last_movement_to(file_id, "adm.jhs") == second
        assert uow.files.counted_movements(file_id) == 2
    with new_uow() as uow, pytest.raises(FileNotFound):
        uow.files.get("no-such-file")


def test_movement_ids_are_handed_out_before_the_rows_are_written(new_uow):
    """Two movements in one transaction (a transfer) get two ids on either database."""
    ids = [created(new_uow, f"REPO/T{i}", creator="so.jhs") for i in range(2)]
    with new_uow() as uow:
        files = uow.files.held_or_owned_by("so.jhs")
        assert {f.id for f in files} >= set(ids)
        for file in files:
            file.transfer("so.jhs", "cm.jhs", "admin.jhs", "स्थानांतरण", uow.files.next_movement_id, datetime.now(timezone.utc))
        uow.commit()
    with new_uow() as uow:
        moved = [uow.files.get(file_id) for file_id in ids]
        assert [f.custodian_id for f in moved] == ["cm.jhs", "cm.jhs"]
        assert moved[0].current.id != moved[1].current.id


def test_a_change_to_a_file_changed_since_it_was_read_is_a_conflict(new_uow):
    file_id = created(new_uow, "REPO/2")
    with new_uow() as uow:
        file = uow.files.get(file_id, for_update=True)
        set_committed_value(file, "version", file.version + 5)  # as if read before five other changes
        file.park("clerk.jhs", datetime.now(timezone.utc))
        with pytest.raises(VersionConflict):
            uow.commit()
    with new_uow() as uow:
        assert uow.files.get(file_id).status == domain.OPEN


def test_a_second_current_movement_is_a_conflict_and_any_other_refusal_a_fault(new_uow):
    file_id = created(new_uow, "REPO/3")
    sent(new_uow, file_id, "clerk.jhs", "so.jhs")
    with new_uow() as uow:
        file = uow.files.get(file_id, for_update=True)
        file.current = None  # as a writer that did not see the movement made meanwhile
        file.send("so.jhs", "dm.jhs", recipient("dm.jhs"), uow.files.next_movement_id(), datetime.now(timezone.utc))
        with pytest.raises(VersionConflict):
            uow.commit()
    with new_uow() as uow:
        file = uow.files.get(file_id, for_update=True)
        file.audit_seq -= 1  # the next entry's number is taken: a broken chain, not a conflict
        file.park("so.jhs", datetime.now(timezone.utc))
        with pytest.raises(IntegrityError):
            uow.commit()


def test_a_move_is_written_with_its_events_in_the_order_they_were_recorded(new_uow, migrated):
    """On PostgreSQL one statement writes what a move changed with its events (docs/decisions/0005);
    on either database the rows, the audit chain and the outbox's order come out the same."""
    file_id = created(new_uow, "REPO/ONE")
    now = datetime.now(timezone.utc)
    with new_uow() as uow:
        uow.files.get(file_id, for_update=True).add_note("clerk.jhs", "प्रस्ताव अनुमोदन हेतु प्रस्तुत", [], set(), now)
        uow.commit()
    sent(new_uow, file_id, "clerk.jhs", "so.jhs")  # the clerk's yellow note turns green
    writes = []

    def count_writes(_connection, _cursor, statement, *_):
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE", "WITH"}:
            writes.append(statement)

    event.listen(migrated.engine, "before_cursor_execute", count_writes)
    try:
        with new_uow() as uow:
            file = uow.files.get_to_move(file_id)
            file.send("so.jhs", "adm.jhs", recipient("adm.jhs"), uow.files.next_movement_id(), now)  # opens it, then moves it
            uow.commit()
    finally:
        event.remove(migrated.engine, "before_cursor_execute", count_writes)
    if migrated.engine.dialect.name == "postgresql":
        assert len(writes) == 1
    with new_uow() as uow:
        file = uow.files.get(file_id)
        movements = uow.files.movements_of(file_id)
        assert [(m.to_user, m.is_current, m.opened_at is not None) for m in movements] == [("so.jhs", False, True), ("adm.jhs", True, False)]
        assert file.current.id == movements[-1].id and file.custodian_id == "adm.jhs"
        assert [(n.status, n.first_paragraph) for n in uow.notes.of_file(file_id)] == [(domain.GREEN, 1)]
        records = uow.files.audit_records(file_id)
        assert [r.action for r in records] == ["created", "note_added", "note_confirmed", "send", "opened", "send"]
        assert domain.verify_chain(file_id, records, file.audit_seq, file.audit_head)["valid"]
    with migrated.engine.connect() as connection:
        events = connection.execute(text("SELECT event_type FROM outbox ORDER BY seq")).scalars().all()
    assert events[-4:] == ["note_confirmed", "file_sent", "file_opened", "file_sent"]


def test_an_acting_charge_once_ended_stays_ended_when_its_setting_arrives_late(new_uow):
    day = datetime.now(timezone.utc).date()
    for ended in (False, True, False):  # set, ended, then the set redelivered
        with new_uow() as uow:
            uow.directory.record_acting_charge("charge-1", "so.jhs", "adm.jhs", day, day + timedelta(days=3), ended)
            uow.commit()
    with new_uow() as uow:
        assert uow.directory.session.get(ActingCharge, "charge-1").ended is True


def test_a_free_form_number_is_taken_once_per_office(new_uow):
    created(new_uow, "Misc/12/2026")
    with new_uow() as uow:
        assert uow.files.number_taken(OFFICE, " misc/12/2026 ") and not uow.files.number_taken("COLL-JLN", "Misc/12/2026")
    with pytest.raises(DuplicateFileNumber):
        created(new_uow, "MISC/12/2026")  # the database refuses it even past the check


def test_serials_are_gap_free_and_roll_back_with_their_transaction(new_uow):
    with new_uow() as uow:
        first = uow.files.next_issue_serial("COLL-JHS-SERIALS", 2026)
        uow.commit()
    with new_uow() as uow:
        assert uow.files.next_issue_serial("COLL-JHS-SERIALS", 2026) == first + 1  # not committed
    with new_uow() as uow:
        assert uow.files.next_issue_serial("COLL-JHS-SERIALS", 2026) == first + 1
        assert uow.files.next_computer_number() < uow.files.next_computer_number()


def test_volumes_and_parts_are_numbered_from_their_file(new_uow):
    file_id = created(new_uow, "REPO/4")
    with new_uow() as uow:
        root = uow.files.get(file_id, for_update=True)
        now = datetime.now(timezone.utc)
        volume = root.open_volume(root, uow.files.next_volume(root.id), "clerk.jhs", None, uow.files.next_computer_number(), now)
        uow.files.add(volume)
        part = root.open_part(uow.files.next_part(root.id), "clerk.jhs", None, uow.files.next_computer_number(), now)
        uow.files.add(part)
        uow.commit()
    with new_uow() as uow:
        root = uow.files.get(file_id)
        assert {(f.relation, f.file_number) for f in uow.files.related(root)} == {("volume", "REPO/4/Vol.2"), ("part", "REPO/4/Part.1")}
        assert (uow.files.next_volume(root.id), uow.files.next_part(root.id)) == (3, 2)


def test_the_inbox_and_search_find_hindi_subjects_among_visible_files(new_uow):
    pension = created(new_uow, "REPO/5", creator="so.jhs", subject="पेंशन प्रकरण श्री राम")
    created(new_uow, "REPO/6", creator="so.jhs", subject="गोपनीय पेंशन जाँच", classification="secret")
    inbox = type("Query", (), dict(box="inbox", classification=None, category=None, priority=None, unread=None, q="पेंशन",
                                   date_from=None, date_to=None, page=1, per_page=50))()
    search = type("Query", (), dict(scope="office", number=None, computer_number=None, q="पेंशन", category=None, year=None,
                                    date_from=None, date_to=None, holder=None, classification=None, status=None, page=1, per_page=50))()
    with new_uow() as uow:
        rows, total = uow.files.inbox("so.jhs", inbox)
        assert total == 2 and all(current is None for _, current in rows)
        rows, total = uow.files.search("dm.jhs", OFFICE, search)
        assert [file.id for file, _ in rows] == [pension]  # the secret file is not the magistrate's to see


def test_notes_correspondence_and_drafts_of_a_file(new_uow):
    file_id = created(new_uow, "REPO/7", creator="so.jhs")
    now = datetime.now(timezone.utc)
    with new_uow() as uow:
        file = uow.files.get(file_id, for_update=True)
        green = file.add_note("so.jhs", "पहली टिप्पणी", [], set(), now)
        file.confirm_note(green, "so.jhs", now)
        yellow = file.add_note("so.jhs", "दूसरी टिप्पणी", [], set(), now + timedelta(seconds=1))
        item = file.attach_documents("so.jhs", uow.correspondence.next_position(file_id), {"title": "खसरा"},
                                     [{"key": "files/documents/ab.pdf", "sha256": "ab" * 32, "size": 3, "content_type": "application/pdf"}], now)
        draft = file.start_draft("so.jhs", "आदेश", "प्रारूप", now)
        file.comment_on_draft(draft, "so.jhs", "ठीक", uow.drafts.next_comment_id(), now)
        uow.commit()
    with new_uow() as uow:
        assert uow.files.get(file_id).yellow_notes[0].id == yellow.id
        assert [n.id for n in uow.notes.readable_by(file_id, "so.jhs")] == [green.id, yellow.id]
        assert [n.id for n in uow.notes.readable_by(file_id, "dm.jhs")] == [green.id]
        with pytest.raises(NoteNotFound):
            uow.notes.get("another-file", green.id)
        ((found, documents),) = uow.correspondence.of_file(file_id)
        assert (found.id, [d.position for d in documents], uow.correspondence.next_position(file_id)) == (item.id, [1], 2)
        assert "files/documents/ab.pdf" in uow.correspondence.referenced_keys()
        assert [v.content for v in uow.drafts.versions(draft.id)] == ["प्रारूप"]
        assert [c.text for c in uow.drafts.comments(draft.id)] == ["ठीक"]
        uow.notes.remove(uow.notes.get(file_id, yellow.id))
        uow.commit()
    with new_uow() as uow:
        assert uow.notes.find(yellow.id) is None
        assert len(uow.files.audit_records(file_id)) == 7


def test_links_either_way_and_attached_files_are_found_from_each_file(new_uow):
    first, second, third = created(new_uow, "REPO/L1"), created(new_uow, "REPO/L2"), created(new_uow, "REPO/L3")
    now = datetime.now(timezone.utc)
    with new_uow() as uow:
        file, other = uow.files.get(first, for_update=True), uow.files.get(second, for_update=True)
        file.link_to(other, "clerk.jhs", uow.files.link_between(first, second) is not None, now)
        file.attach_file(uow.files.get(third, for_update=True), "clerk.jhs", uow.files.has_attachments(third), now)
        uow.commit()
    with new_uow() as uow:
        assert [f.id for f in uow.files.linked_with(first)] == [second] and [f.id for f in uow.files.linked_with(second)] == [first]
        assert uow.files.link_between(second, first) is not None and uow.files.link_between(first, third) is None
        assert [f.id for f in uow.files.attached_to(first, for_update=True)] == [third]
        assert (uow.files.has_attachments(first), uow.files.has_attachments(third)) == (True, False)
        uow.files.remove_link(uow.files.link_between(second, first))
        uow.commit()
    with new_uow() as uow:
        assert uow.files.linked_with(first) == [] and uow.files.link_between(first, second) is None


def test_a_merged_part_hands_its_notes_and_correspondence_rows_to_the_main_file(new_uow):
    main_id = created(new_uow, "REPO/M1", creator="so.jhs")
    now = datetime.now(timezone.utc)
    with new_uow() as uow:
        main = uow.files.get(main_id, for_update=True)
        part = main.open_part(1, "so.jhs", None, uow.files.next_computer_number(), now)
        uow.files.add(part)
        part.add_note("so.jhs", "भाग की टिप्पणी।", [], set(), now)
        part.attach_documents("so.jhs", 1, {"title": "आख्या"}, [{"key": "files/documents/a.pdf", "sha256": "ab" * 32, "size": 3,
                                                                   "content_type": "application/pdf"}], now)
        uow.commit()
        part_id = part.id
    with new_uow() as uow:
        main, part = uow.files.get(main_id, for_update=True), uow.files.get(part_id, for_update=True)
        assert [n.status for n in uow.notes.of_file(part_id)] == ["yellow"] and len(uow.correspondence.items_of(part_id)) == 1
        main.merge_part(part, uow.notes.of_file(part_id), uow.correspondence.items_of(part_id), [], uow.files.movements_of(part_id),
                        uow.correspondence.next_position(main_id), "so.jhs", now)
        uow.commit()
    with new_uow() as uow:
        (note,) = uow.notes.readable_by(main_id, "so.jhs")
        assert (note.status, note.first_paragraph, note.merged_from_file_id) == ("green", 1, part_id)
        ((item, documents),) = uow.correspondence.of_file(main_id)
        assert (item.merged_from_file_id, item.position, documents[0].key) == (part_id, 1, "files/documents/a.pdf")
        assert uow.notes.of_file(part_id) == [] and uow.files.get(part_id).merged_at is not None
        assert domain.verify_chain(main_id, uow.files.audit_records(main_id), uow.files.get(main_id).audit_seq,
                                   uow.files.get(main_id).audit_head)["valid"]
