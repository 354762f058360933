"""Moving a file: send, return, pull back; park, unpark, close, reopen; and an officer's files transferred
to a successor. Only the custodian moves a file; its row is locked for the transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eoffice_common.auth import Principal

from .. import domain, events
from ..domain import today_ist
from ..model import File, Movement
from ..schemas import file_summary
from . import FILE_ACTIONS, FILE_MOVEMENTS, utcnow
from . import acting as acting_usecases


@dataclass(frozen=True)
class FileCommand:
    caller: Principal
    file_id: str


@dataclass(frozen=True)
class SendFile(FileCommand):
    to: str | None = None  # by default the sender's reporting officer
    remarks: str | None = None
    due_date: date | None = None
    priority: str = "normal"
    version: int | None = None  # the version the sender read: 409 if the file changed since


@dataclass(frozen=True)
class FileAction(FileCommand):
    """Return, park, unpark, close or reopen: remarks for the audit log, and the version read (409 if it changed)."""

    remarks: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class TransferFiles:
    caller: Principal
    from_user: str
    to_user: str
    remarks: str | None = None


def _held_file(command: FileCommand, uow, to_move: bool = False) -> File:
    """The file, locked, if the caller may open it (`to_move`: about to move)."""
    file = uow.files.get_to_move(command.file_id) if to_move else uow.files.get(command.file_id, for_update=True)
    file.ensure_visible_to(command.caller.user_id, command.caller.office, uow.files.was_sent_to)
    return file


def _attached_travel(uow, file: File, movement: Movement, actor: str, people, now) -> None:
    """The files attached into `file` make the same move (locked after it, in a fixed order)."""
    if not file.has_attached_files:
        return
    for attached in uow.files.attached_to(file.id, for_update=True):
        attached.travel_with(movement, actor, people, uow.files.next_movement_id(), now)


def _party_to_move(uow, file: File, caller: str) -> dict:
    """The directory rows of whoever a return or pull back involves: the caller, the custodian and
    whoever sent the file to them (read before the move, for its clearance, and used for the answer)."""
    return uow.directory.people({caller, file.custodian_id, file.current.from_user if file.current else None})


def _moved(uow, file: File, movement: Movement, people: dict) -> dict:
    answer = file_summary(file, movement, people)
    uow.commit(answer)
    FILE_MOVEMENTS.labels(movement.action).inc()
    return answer


def send_file(command: SendFile, uow) -> dict:
    """Send the file to an officer, who becomes its custodian."""
    me = command.caller.user_id
    with uow:
        file = _held_file(command, uow, to_move=True)
        addressee = command.to or uow.directory.reporting_officer_of(me)
        people, acting = uow.directory.people_and_acting({me, addressee}, addressee, today_ist())
        to, for_user = acting_usecases.redirected(addressee, acting, me)
        now = utcnow()
        movement = file.send(me, to, people, uow.files.next_movement_id(), now,
                             remarks=command.remarks, due_date=command.due_date, priority=command.priority,
                             expected_version=command.version, for_user=for_user)
        _attached_travel(uow, file, movement, me, people, now)
        answer = file_summary(file, movement, people)
        uow.commit(answer)
        FILE_MOVEMENTS.labels(movement.action).inc()
        return answer


def return_file(command: FileAction, uow) -> dict:
    """Send the file back to whoever sent it to its custodian."""
    with uow:
        file = _held_file(command, uow, to_move=True)
        people = _party_to_move(uow, file, command.caller.user_id)
        now = utcnow()
        movement = file.return_to_sender(command.caller.user_id, people, uow.files.next_movement_id(), now, command.remarks, command.version)
        _attached_travel(uow, file, movement, command.caller.user_id, people, now)
        return _moved(uow, file, movement, people)


def pull_back(command: FileCommand, uow) -> dict:
    """The sender takes the file back while its recipient has not opened it (409 once they have)."""
    with uow:
        file = _held_file(command, uow, to_move=True)
        people = _party_to_move(uow, file, command.caller.user_id)
        now = utcnow()
        movement = file.pull_back(command.caller.user_id, people, uow.files.next_movement_id(), now)
        _attached_travel(uow, file, movement, command.caller.user_id, people, now)
        return _moved(uow, file, movement, people)


def park_file(command: FileAction, uow) -> dict:
    """Temporarily close the file; it waits in the custodian's parked list."""
    return _change_status(command, uow, File.park, "parked")


def unpark_file(command: FileAction, uow) -> dict:
    return _change_status(command, uow, File.unpark, "unparked")


def reopen_file(command: FileAction, uow) -> dict:
    """The owner reopens a closed file."""
    return _change_status(command, uow, File.reopen, "reopened")


def receive_file(command: FileCommand, uow) -> dict:
    """The custodian marks a physical file as arrived at their desk."""
    with uow:
        file = _held_file(command, uow)
        file.receive(command.caller.user_id, utcnow())
        return _acted(uow, file, "received")


def _change_status(command: FileAction, uow, change, action: str) -> dict:
    with uow:
        file = _held_file(command, uow)
        change(file, command.caller.user_id, utcnow(), command.remarks, command.version)
        return _acted(uow, file, action)


def close_file(command: FileAction, uow) -> dict:
    """Only the owner closes a file, while holding it; yellow notes turn green."""
    with uow:
        file = _held_file(command, uow)
        file.close(command.caller.user_id, uow.files.counted_movements(file.id), utcnow(), command.remarks, command.version)
        return _acted(uow, file, "closed")


def _acted(uow, file: File, action: str) -> dict:
    answer = file_summary(file, file.current, uow.directory.people({file.custodian_id}))
    uow.commit(answer)
    FILE_ACTIONS.labels(action).inc()
    return answer


def transfer_files(command: TransferFiles, uow) -> dict:
    """An admin hands every file an officer leaving a post holds or owns to the successor."""
    with uow:
        admin = uow.directory.user(command.caller.user_id)
        leaving = uow.directory.find_user(command.from_user)
        successor = uow.directory.find_user(command.to_user)
        domain.check_transfer(admin, leaving, successor if successor is not None and successor.active else None)
        now = utcnow()
        moved = uow.files.held_or_owned_by(leaving.id)
        domain.check_transfer_cleared(moved, successor)
        for file in moved:
            file.transfer(leaving.id, successor.id, admin.id, command.remarks, uow.files.next_movement_id, now)
        uow.emit(events.FilesTransferred(
            from_user=leaving.id, to_user=successor.id, file_ids=[f.id for f in moved], by_user=admin.id,
            office=leaving.office_code, district=leaving.district_code,
        ))
        answer = {"from_user": leaving.id, "to_user": successor.id, "files": [{"id": f.id, "file_number": f.file_number} for f in moved]}
        uow.commit(answer)
        return answer
