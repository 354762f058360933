"""Use cases of leave and acting charge in files: dak's charges kept, a file sent to an officer
who is away going to whoever holds charge for them, marked for them, and the files an officer
going on leave chose to hand over passing to the acting officer."""
from __future__ import annotations

from datetime import date

from eoffice_common.events import Envelope

from .. import domain
from . import utcnow


def record_acting_charge(envelope: Envelope, uow) -> list[str]:
    """dak's acting_charge_set or acting_charge_ended. A charge set with `hand_over` hands the absent
    officer's files to the acting officer; returns the ids of the files handed over."""
    data = envelope.data
    ended = envelope.type == "acting_charge_ended"
    uow.directory.record_acting_charge(data["charge_id"], data["absent_user"], data["acting_user"],
                                       date.fromisoformat(data["from_date"]), date.fromisoformat(data["to_date"]), ended)
    if ended or not data.get("hand_over"):
        return []
    return hand_over_files(data["absent_user"], data["acting_user"], data.get("set_by") or data["absent_user"], uow)


def hand_over_files(absent: str, acting: str, by: str, uow) -> list[str]:
    """Every file the absent officer holds, not closed, goes to the acting officer, "handed over on leave",
    but for one classified above the acting officer's clearance: it stays with the absent officer, and so
    does the file it is attached to or that is attached to it (they travel together)."""
    now, held = utcnow(), uow.files.held_by(absent)
    acting_officer = uow.directory.find_user(acting)
    kept = {file.id for file in held if not domain.is_cleared_for(acting_officer, file.classification)}
    kept |= {file.attached_to_file_id for file in held if file.id in kept and file.attached_to_file_id}
    kept |= {file.id for file in held if file.attached_to_file_id in kept}
    handed = [file for file in held if file.id not in kept]
    for file in handed:
        file.hand_over_on_leave(absent, acting, by, uow.files.next_movement_id(), now)
    uow.flush()
    return [file.id for file in handed]


def redirected(addressee: str | None, acting: str | None, sender: str) -> tuple[str | None, str | None]:
    """(who receives, for whom): `acting`, holding charge for the addressee who is away, for them;
    the sender never redirects to themself."""
    if acting is None or acting == sender:
        return addressee, None
    return acting, addressee
