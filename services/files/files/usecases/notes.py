"""Noting: yellow notes written, edited, discarded and confirmed green by the custodian."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..schemas import note_out
from . import FILE_ACTIONS, utcnow
from .files import opened_file, visible_file
from .movement import FileCommand


@dataclass(frozen=True)
class WriteNote(FileCommand):
    text: str = ""
    references: list[str] = field(default_factory=list)  # correspondence items of the file
    note_id: str | None = None  # the note edited


@dataclass(frozen=True)
class NoteCommand(FileCommand):
    note_id: str = ""


def list_notes(command: FileCommand, uow) -> dict:
    """Green notes in paragraph order, then the caller's own yellow notes."""
    with uow:
        file = opened_file(uow, command.caller, command.file_id)
        notes = uow.notes.readable_by(file.id, command.caller.user_id)
        users = uow.directory.people({n.author for n in notes})
        answer = {"file_id": file.id, "last_paragraph": file.last_paragraph, "notes": [note_out(n, users) for n in notes]}
        uow.commit()
        return answer


def add_note(command: WriteNote, uow) -> tuple[int, dict]:
    """A yellow note by the custodian, editable and discardable until confirmed or the file moves on."""
    me = command.caller.user_id
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        note = file.add_note(me, command.text, command.references, uow.correspondence.ids(file.id), utcnow())
        answer = 201, note_out(note, uow.directory.people({me}))
        uow.commit(answer)
        return answer


def edit_note(command: WriteNote, uow) -> dict:
    me = command.caller.user_id
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        note = uow.notes.get(file.id, command.note_id)
        file.edit_note(note, me, command.text, command.references, uow.correspondence.ids(file.id), utcnow())
        answer = note_out(note, uow.directory.people({me}))
        uow.commit()
        return answer


def discard_note(command: NoteCommand, uow) -> dict:
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        note = uow.notes.get(file.id, command.note_id)
        file.discard_note(note, command.caller.user_id, utcnow())
        uow.notes.remove(note)
        uow.commit()
        return {"discarded": note.id}


def confirm_note(command: NoteCommand, uow) -> dict:
    """The yellow note turns green: permanent, its paragraphs numbered after the file's last."""
    me = command.caller.user_id
    with uow:
        file = visible_file(uow, command.caller, command.file_id, for_update=True)
        note = uow.notes.get(file.id, command.note_id)
        file.confirm_note(note, me, utcnow())
        answer = note_out(note, uow.directory.people({me}))
        uow.commit(answer)
        FILE_ACTIONS.labels("note_confirmed").inc()
        return answer
