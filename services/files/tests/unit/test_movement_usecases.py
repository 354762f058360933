"""Moving a file, on the fake unit of work: one custodian, one current movement, every move audited and announced."""
import json
from datetime import date, datetime, timedelta

import pytest

from eoffice_common.events import Envelope
from files import domain, events
from files.exceptions import (
    AlreadyOpened,
    AlreadyReceived,
    FileClosed,
    NotCustodian,
    NothingToReturn,
    NotOwner,
    NotPhysical,
    NotSender,
    RecipientNotCleared,
    VersionConflict,
)
from files.usecases import acting, correspondence, files, movement, notes, relations
from files.usecases.movement import FileAction, FileCommand, SendFile, TransferFiles
from files.usecases.relations import RelateFiles


def current_of(file):
    return [m for m in file.movements if m.is_current]


def test_a_send_hands_the_file_to_one_custodian_and_announces_it(uow, new_file, caller):
    file = new_file("clerk.jhs")
    answer = movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs", remarks="कृपया अवलोकन करें",
                                         due_date=date(2099, 1, 31), priority="urgent", version=file.version), uow)
    assert answer["custodian"]["id"] == "so.jhs" and answer["custodian"]["name_hi"] == "सीता देवी"
    assert file.custodian_id == "so.jhs" and [m.to_user for m in current_of(file)] == ["so.jhs"]
    sent = uow.events_of(events.FileSent)[-1]
    assert (sent.from_user, sent.to_user, sent.due_date, sent.remarks, sent.priority) == ("clerk.jhs", "so.jhs", "2099-01-31", "कृपया अवलोकन करें", "urgent")
    assert sent.movement_id == answer["current_movement"]["id"]
    assert [e.action for e in file.audit_entries][-1] == "send"
    assert uow.answers[-1] == answer  # kept under the Idempotency-Key in the same transaction


def test_a_file_sent_to_an_officer_away_reaches_the_acting_officer_marked_for_them(uow, new_file, caller):
    today = datetime.now(domain.IST).date()
    uow.directory.charges = [("so.jhs", "dm.jhs", today, today), ("adm.jhs", "dm.jhs", today - timedelta(days=3), today - timedelta(days=1))]
    file = new_file("clerk.jhs")
    answer = movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    assert answer["custodian"]["id"] == "dm.jhs"
    assert (current_of(file)[0].to_user, current_of(file)[0].for_user) == ("dm.jhs", "so.jhs")
    sent = uow.events_of(events.FileSent)[-1]
    assert (sent.to_user, sent.for_user) == ("dm.jhs", "so.jhs")
    assert json.loads(file.audit_entries[-1].details)["for_user"] == "so.jhs"
    # adm.jhs's leave ended yesterday: the file is theirs.
    assert movement.send_file(SendFile(caller("dm.jhs"), file.id, to="adm.jhs"), uow)["custodian"]["id"] == "adm.jhs"


def test_the_acting_officer_acts_on_behalf_of_the_absent_officer_and_the_chain_holds(uow, new_file, caller):
    today = datetime.now(domain.IST).date()
    uow.directory.charges = [("so.jhs", "dm.jhs", today, today)]
    file = new_file("clerk.jhs")
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    notes.add_note(notes.WriteNote(caller("dm.jhs"), file.id, text="अवलोकित"), uow)
    movement.send_file(SendFile(caller("dm.jhs"), file.id, to="clerk.jhs"), uow)
    movement.park_file(FileAction(caller("clerk.jhs"), file.id), uow)
    acted = [(r.action, r.actor, r.details.get("on_behalf_of")) for r in uow.files.audit_records(file.id)]
    assert acted == [("created", "clerk.jhs", None), ("send", "clerk.jhs", None), ("opened", "dm.jhs", "so.jhs"),
                     ("note_added", "dm.jhs", "so.jhs"), ("note_confirmed", "dm.jhs", "so.jhs"), ("send", "dm.jhs", "so.jhs"),
                     ("opened", "clerk.jhs", None), ("parked", "clerk.jhs", None)]
    assert [(m.from_user, m.on_behalf_of) for m in file.movements] == [("clerk.jhs", None), ("dm.jhs", "so.jhs")]
    assert [e.on_behalf_of for e in uow.events_of(events.FileSent)][-2:] == [None, "so.jhs"]
    assert correspondence.verify_audit(FileCommand(caller("clerk.jhs"), file.id), uow)["valid"] is True


def charge_event(absent, acting, from_date, to_date, hand_over, event_type="acting_charge_set"):
    return Envelope.parse({
        "id": f"{event_type}-1", "type": event_type, "schema_version": 1, "aggregate_type": "acting_charge",
        "aggregate_id": "c-1", "office": "COLL-JHS", "district": "JHS", "actor": absent, "correlation_id": None,
        "occurred_at": datetime.now(domain.IST).isoformat(),
        "data": {"charge_id": "c-1", "absent_user": absent, "acting_user": acting, "from_date": from_date.isoformat(),
                 "to_date": to_date.isoformat(), "set_by": absent, "hand_over": hand_over, "office": "COLL-JHS", "district": "JHS"},
    })


def test_an_officer_going_on_leave_who_chose_to_hands_the_files_they_hold_to_the_acting_officer(uow, new_file, caller):
    today = datetime.now(domain.IST).date()
    held, parked, elsewhere, closed = (new_file("so.jhs", subject=f"प्रकरण {n}") for n in range(4))
    movement.send_file(SendFile(caller("so.jhs"), elsewhere.id, to="clerk.jhs"), uow)
    movement.send_file(SendFile(caller("so.jhs"), held.id, to="clerk.jhs"), uow)
    movement.send_file(SendFile(caller("clerk.jhs"), held.id, to="so.jhs", due_date=date(2099, 1, 31), priority="urgent"), uow)
    movement.park_file(FileAction(caller("so.jhs"), parked.id), uow)
    movement.close_file(FileAction(caller("so.jhs"), closed.id), uow)
    uow.commit()
    sent_before = len(uow.events_of(events.FileSent))
    handed = acting.record_acting_charge(charge_event("so.jhs", "dm.jhs", today, today + timedelta(days=2), True), uow)
    uow.commit()
    assert sorted(handed) == sorted([held.id, parked.id])
    assert (held.custodian_id, parked.custodian_id, elsewhere.custodian_id, closed.custodian_id) == ("dm.jhs", "dm.jhs", "clerk.jhs", "so.jhs")
    [move] = current_of(held)
    assert (move.action, move.from_user, move.to_user, move.for_user, move.remarks) == (
        "hand_over", "so.jhs", "dm.jhs", "so.jhs", "handed over on leave")
    told = uow.events_of(events.FileSent)[sent_before:]
    assert sorted((e.file_id, e.action, e.to_user, e.for_user) for e in told) == sorted(
        (f.id, "hand_over", "dm.jhs", "so.jhs") for f in (held, parked))
    assert (move.due_date, move.priority) == (date(2099, 1, 31), "urgent")  # due as it was: reminders follow it
    assert uow.directory.acting_for("so.jhs", today) == "dm.jhs"
    # A hand-over is office work, not a transaction level, and nobody can pull it back or return it.
    assert uow.files.counted_movements(held.id) == 2
    with pytest.raises(NothingToReturn):
        movement.return_file(FileAction(caller("dm.jhs"), held.id), uow)


def test_an_officer_going_on_leave_keeps_their_files_unless_they_chose_to_hand_them_over(uow, new_file, caller):
    today = datetime.now(domain.IST).date()
    file = new_file("so.jhs")
    assert acting.record_acting_charge(charge_event("so.jhs", "dm.jhs", today, today, False), uow) == []
    assert acting.record_acting_charge(charge_event("so.jhs", "dm.jhs", today, today, True, "acting_charge_ended"), uow) == []
    assert file.custodian_id == "so.jhs" and uow.directory.acting_for("so.jhs", today) is None


def test_a_classified_file_is_not_sent_to_an_officer_not_cleared_for_it_and_nothing_changes(uow, new_file, caller):
    file = new_file("so.jhs", classification="secret")
    version, events_before = file.version, len(uow.committed_events)
    with pytest.raises(RecipientNotCleared) as refused:
        movement.send_file(SendFile(caller("so.jhs"), file.id, to="clerk.jhs"), uow)
    assert refused.value.to_dict()["error"] == "recipient_not_cleared" and refused.value.fields == {"to": "not cleared for secret"}
    assert (file.custodian_id, file.version, file.movements, len(uow.committed_events)) == ("so.jhs", version, [], events_before)
    assert movement.send_file(SendFile(caller("so.jhs"), file.id, to="adm.jhs"), uow)["custodian"]["id"] == "adm.jhs"


def test_a_file_sent_to_an_officer_away_is_refused_when_the_acting_officer_is_not_cleared_for_it(uow, new_file, caller):
    today = datetime.now(domain.IST).date()
    uow.directory.charges = [("adm.jhs", "clerk.jhs", today, today)]
    file = new_file("so.jhs", classification="confidential")
    with pytest.raises(RecipientNotCleared) as refused:
        movement.send_file(SendFile(caller("so.jhs"), file.id, to="adm.jhs"), uow)
    assert (refused.value.recipient, refused.value.acting_for) == ("clerk.jhs", "adm.jhs")
    assert file.custodian_id == "so.jhs" and file.movements == []


def test_a_file_is_not_returned_or_pulled_back_to_an_officer_whose_clearance_was_lowered(uow, new_file, caller):
    file = new_file("so.jhs", classification="secret")
    movement.send_file(SendFile(caller("so.jhs"), file.id, to="adm.jhs"), uow)
    uow.directory.users["so.jhs"].clearance = "confidential"
    with pytest.raises(RecipientNotCleared):
        movement.pull_back(FileCommand(caller("so.jhs"), file.id), uow)
    files.get_file(FileCommand(caller("adm.jhs"), file.id), uow)
    with pytest.raises(RecipientNotCleared):
        movement.return_file(FileAction(caller("adm.jhs"), file.id), uow)
    assert file.custodian_id == "adm.jhs"


def test_an_attached_file_classified_above_the_recipients_clearance_stops_the_move(uow, new_file, caller):
    main, attached = new_file("so.jhs"), new_file("so.jhs", classification="secret")
    relations.attach_file(RelateFiles(caller("so.jhs"), main.id, attached.id), uow)
    events_before = len(uow.committed_events)
    with pytest.raises(RecipientNotCleared):
        movement.send_file(SendFile(caller("so.jhs"), main.id, to="clerk.jhs"), uow)
    assert len(uow.committed_events) == events_before  # the unit of work did not commit: nothing is written
    cleared_main, cleared_attached = new_file("so.jhs"), new_file("so.jhs", classification="secret")
    relations.attach_file(RelateFiles(caller("so.jhs"), cleared_main.id, cleared_attached.id), uow)
    movement.send_file(SendFile(caller("so.jhs"), cleared_main.id, to="cm.jhs"), uow)
    assert (cleared_main.custodian_id, cleared_attached.custodian_id) == ("cm.jhs", "cm.jhs")


def test_files_above_the_acting_officers_clearance_stay_with_the_officer_going_on_leave(uow, new_file, caller):
    today = datetime.now(domain.IST).date()
    normal, secret, main, attached = (new_file("so.jhs", classification=c) for c in ("normal", "secret", "normal", "confidential"))
    relations.attach_file(RelateFiles(caller("so.jhs"), main.id, attached.id), uow)
    handed = acting.record_acting_charge(charge_event("so.jhs", "clerk.jhs", today, today, True), uow)
    assert handed == [normal.id]
    assert [f.custodian_id for f in (normal, secret, main, attached)] == ["clerk.jhs", "so.jhs", "so.jhs", "so.jhs"]
    assert uow.directory.charges == [("so.jhs", "clerk.jhs", today, today)]  # the charge itself is kept


def test_a_transfer_to_a_successor_not_cleared_for_every_file_is_refused_and_nothing_moves(uow, new_file, caller):
    held, owned_elsewhere = new_file("so.jhs", classification="confidential"), new_file("so.jhs", classification="secret")
    movement.send_file(SendFile(caller("so.jhs"), owned_elsewhere.id, to="adm.jhs"), uow)
    uow.directory.users["cm.jhs"].clearance = "confidential"
    with pytest.raises(RecipientNotCleared) as refused:
        movement.transfer_files(TransferFiles(caller("admin.jhs"), "so.jhs", "cm.jhs"), uow)
    assert refused.value.fields == {"to_user": "not cleared for secret"} and owned_elsewhere.file_number in refused.value.message
    assert held.file_number not in refused.value.message
    assert (held.custodian_id, held.owner_id, owned_elsewhere.owner_id) == ("so.jhs", "so.jhs", "so.jhs")


def test_a_send_without_a_recipient_goes_to_the_reporting_officer(uow, new_file, caller):
    file = new_file("clerk.jhs")
    assert movement.send_file(SendFile(caller("clerk.jhs"), file.id), uow)["custodian"]["id"] == "so.jhs"


def test_only_the_custodian_sends_and_a_stale_version_is_a_conflict(uow, new_file, caller):
    file = new_file("clerk.jhs")
    read = file.version
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    with pytest.raises(NotCustodian):
        movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="dm.jhs"), uow)
    with pytest.raises(VersionConflict):
        movement.send_file(SendFile(caller("so.jhs"), file.id, to="dm.jhs", version=read), uow)
    assert file.custodian_id == "so.jhs" and len(file.movements) == 1 and len(uow.events_of(events.FileSent)) == 1


def test_moving_on_turns_the_custodians_yellow_notes_green(uow, new_file, caller):
    file = new_file("clerk.jhs")
    notes.add_note(notes.WriteNote(caller("clerk.jhs"), file.id, text="पहला अनुच्छेद\n\nदूसरा अनुच्छेद"), uow)
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    (note,) = file.notes
    assert (note.status, note.first_paragraph, note.last_paragraph, file.last_paragraph) == (domain.GREEN, 1, 2, 2)
    confirmed = uow.events_of(events.NoteConfirmed)[-1]
    assert (confirmed.confirmed_on, confirmed.first_paragraph, confirmed.last_paragraph) == ("send", 1, 2)
    assert [type(e).__name__ for e in uow.committed_events[-2:]] == ["NoteConfirmed", "FileSent"]


def test_a_return_goes_back_to_the_sender_and_opens_the_file(uow, new_file, caller):
    file = new_file("clerk.jhs")
    with pytest.raises(NothingToReturn):
        movement.return_file(FileAction(caller("clerk.jhs"), file.id), uow)
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    answer = movement.return_file(FileAction(caller("so.jhs"), file.id, remarks="अनुमोदित"), uow)
    assert answer["custodian"]["id"] == "clerk.jhs" and answer["current_movement"]["action"] == "return"
    assert [type(e).__name__ for e in uow.committed_events[-2:]] == ["FileOpened", "FileSent"]
    assert [m.opened_at is not None for m in file.movements] == [True, False]


def test_the_sender_pulls_back_an_unopened_file_only(uow, new_file, caller):
    file = new_file("clerk.jhs")
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    with pytest.raises(NotSender):
        movement.pull_back(FileCommand(caller("dm.jhs"), file.id), uow)
    answer = movement.pull_back(FileCommand(caller("clerk.jhs"), file.id), uow)
    assert (answer["custodian"]["id"], answer["current_movement"]["action"]) == ("clerk.jhs", "pull_back")
    pulled = uow.events_of(events.FilePulledBack)[-1]
    assert (pulled.by_user, pulled.from_user, pulled.movement_id) == ("clerk.jhs", "so.jhs", file.movements[0].id)
    assert file.movements[0].pulled_back_at is not None

    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    files.get_file(FileCommand(caller("so.jhs"), file.id), uow)
    with pytest.raises(AlreadyOpened):
        movement.pull_back(FileCommand(caller("clerk.jhs"), file.id), uow)


def test_park_unpark_close_and_reopen(uow, new_file, caller):
    file = new_file("so.jhs")
    assert movement.park_file(FileAction(caller("so.jhs"), file.id, remarks="प्रतीक्षा"), uow)["status"] == "parked"
    assert movement.unpark_file(FileAction(caller("so.jhs"), file.id), uow)["status"] == "open"
    movement.send_file(SendFile(caller("so.jhs"), file.id, to="adm.jhs"), uow)
    with pytest.raises(NotOwner):
        movement.close_file(FileAction(caller("adm.jhs"), file.id), uow)
    movement.return_file(FileAction(caller("adm.jhs"), file.id), uow)
    closed = movement.close_file(FileAction(caller("so.jhs"), file.id, remarks="निस्तारित"), uow)
    assert (closed["status"], file.closed_by) == ("closed", "so.jhs")
    assert uow.events_of(events.FileClosed)[-1].movement_count == 2
    with pytest.raises(FileClosed):
        movement.send_file(SendFile(caller("so.jhs"), file.id, to="adm.jhs"), uow)
    assert movement.reopen_file(FileAction(caller("so.jhs"), file.id), uow)["status"] == "open"
    assert [type(e).__name__ for e in uow.committed_events if type(e).__name__ in
            ("FileParked", "FileUnparked", "FileClosed", "FileReopened")] == ["FileParked", "FileUnparked", "FileClosed", "FileReopened"]


def test_a_transfer_hands_what_the_officer_holds_and_owns_to_the_successor(uow, new_file, caller):
    held = new_file("so.jhs", subject="पेंशन प्रकरण")
    owned_elsewhere = new_file("so.jhs")
    movement.send_file(SendFile(caller("so.jhs"), owned_elsewhere.id, to="adm.jhs"), uow)
    untouched = new_file("clerk.jhs")
    notes.add_note(notes.WriteNote(caller("so.jhs"), held.id, text="मसौदा टिप्पणी"), uow)

    answer = movement.transfer_files(TransferFiles(caller("admin.jhs"), "so.jhs", "cm.jhs", remarks="स्थानांतरण"), uow)
    assert {f["id"] for f in answer["files"]} == {held.id, owned_elsewhere.id}
    assert (held.custodian_id, held.owner_id, held.current.action) == ("cm.jhs", "cm.jhs", "transfer")
    assert (owned_elsewhere.custodian_id, owned_elsewhere.owner_id) == ("adm.jhs", "cm.jhs")
    assert untouched.custodian_id == "clerk.jhs"
    assert held.notes[0].status == domain.GREEN
    transferred = uow.events_of(events.FilesTransferred)[-1]
    assert set(transferred.file_ids) == {held.id, owned_elsewhere.id} and transferred.by_user == "admin.jhs"


def test_every_change_extends_a_valid_audit_chain(uow, new_file, caller):
    file = new_file("clerk.jhs")
    movement.send_file(SendFile(caller("clerk.jhs"), file.id, to="so.jhs"), uow)
    movement.park_file(FileAction(caller("so.jhs"), file.id), uow)
    records = uow.files.audit_records(file.id)
    assert [r.action for r in records] == ["created", "send", "opened", "parked"]
    assert correspondence.verify_audit(FileCommand(caller("clerk.jhs"), file.id), uow)["valid"] is True
    file.audit_entries[1].details = file.audit_entries[1].details.replace("so.jhs", "dm.jhs")  # altered afterwards
    assert correspondence.verify_audit(FileCommand(caller("clerk.jhs"), file.id), uow)["first_broken"]["seq"] == 2
    assert file.version == 3  # one more per change after creation


def test_a_physical_file_is_received_once_by_the_custodian_it_was_sent_to(uow, new_file, caller):
    electronic = new_file("clerk.jhs")
    movement.send_file(SendFile(caller("clerk.jhs"), electronic.id, to="so.jhs"), uow)
    with pytest.raises(NotPhysical):
        movement.receive_file(FileCommand(caller("so.jhs"), electronic.id), uow)
    paper = new_file("clerk.jhs", kind="physical")
    with pytest.raises(AlreadyReceived):  # nothing was sent to its creator
        movement.receive_file(FileCommand(caller("clerk.jhs"), paper.id), uow)
    movement.send_file(SendFile(caller("clerk.jhs"), paper.id, to="so.jhs"), uow)
    with pytest.raises(NotCustodian):
        movement.receive_file(FileCommand(caller("clerk.jhs"), paper.id), uow)
    movement.receive_file(FileCommand(caller("so.jhs"), paper.id), uow)
    received = uow.events_of(events.FileReceived)[-1]
    assert (received.received_by, received.movement_id) == ("so.jhs", current_of(paper)[0].id)
    assert current_of(paper)[0].received_at is not None
    with pytest.raises(AlreadyReceived):
        movement.receive_file(FileCommand(caller("so.jhs"), paper.id), uow)
