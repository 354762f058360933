"""Files joined to files: a part file merged back into its main file, a reference link between two files,
and a file attached into another (it travels with it until detached). The officer acts on files they hold;
a file they may not open is not found."""
from __future__ import annotations

from dataclasses import dataclass

from eoffice_common.auth import Principal

from ..model import File
from ..schemas import file_out
from . import FILE_ACTIONS, utcnow
from .files import relations_of, visible_file
from .movement import FileCommand


@dataclass(frozen=True)
class RelateFiles(FileCommand):
    other_file_id: str = ""


def merge_part(command: FileCommand, uow) -> dict:
    """The part file `file_id` joins its main file: its notes and correspondence move in, marked as from the
    part, and the part closes as merged. The custodian of both merges; the answer is the main file."""
    me = command.caller.user_id
    with uow:
        part = visible_file(uow, command.caller, command.file_id)
        main = visible_file(uow, command.caller, part.parent_file_id or part.id, for_update=True)
        part = uow.files.get(part.id, for_update=True)
        main.merge_part(
            part, uow.notes.of_file(part.id), uow.correspondence.items_of(part.id),
            [i.receipt_id for i in uow.correspondence.receipts_in(main.id)], uow.files.movements_of(part.id),
            uow.correspondence.next_position(main.id), me, utcnow(),
        )
        current = main.current
        people = {main.custodian_id, main.owner_id} | ({current.from_user, current.to_user} if current else set())
        answer = file_out(main, current, uow.directory.people(people), uow.files.related(main), relations_of(uow, command.caller, main))
        uow.commit(answer)
        FILE_ACTIONS.labels("part_merged").inc()
        return answer


def link_file(command: RelateFiles, uow) -> tuple[int, dict]:
    """The custodian of a file links it to another file they may open."""
    with uow:
        file, other = _pair(uow, command)
        file.link_to(other, command.caller.user_id, uow.files.link_between(file.id, other.id) is not None, utcnow())
        return _related(uow, command.caller, file, "file_linked", 201)


def unlink_file(command: RelateFiles, uow) -> tuple[int, dict]:
    """The custodian of either file removes a link."""
    with uow:
        file, other = _pair(uow, command)
        link = uow.files.link_between(file.id, other.id)
        file.unlink(other, link, command.caller.user_id, utcnow())
        uow.files.remove_link(link)
        return _related(uow, command.caller, file, "file_unlinked")


def attach_file(command: RelateFiles, uow) -> tuple[int, dict]:
    """The custodian of both files attaches the other file into this one."""
    with uow:
        file, other = _pair(uow, command)
        file.attach_file(other, command.caller.user_id, uow.files.has_attachments(other.id), utcnow())
        return _related(uow, command.caller, file, "file_attached", 201)


def detach_file(command: RelateFiles, uow) -> tuple[int, dict]:
    with uow:
        file, other = _pair(uow, command)
        file.detach_file(other, command.caller.user_id, utcnow())
        return _related(uow, command.caller, file, "file_detached")


def _pair(uow, command: RelateFiles) -> tuple[File, File]:
    """Both files, locked (this one first, as a move locks a file before the files attached to it), if the
    caller may open both."""
    file = visible_file(uow, command.caller, command.file_id, for_update=True)
    other = visible_file(uow, command.caller, command.other_file_id, for_update=True)
    return file, other


def _related(uow, caller: Principal, file: File, action: str, status: int = 200) -> tuple[int, dict]:
    answer = status, {"file_id": file.id, "file_number": file.file_number, "version": file.version, **relations_of(uow, caller, file)}
    uow.commit(answer)
    FILE_ACTIONS.labels(action).inc()
    return answer
