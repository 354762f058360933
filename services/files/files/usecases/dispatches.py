"""Issued letters on their way: the dispatch register, and each addressee's dispatch advanced as dak (the
receipt made in the addressee's office, then opened) and notify (the email delivered or bounced) report."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eoffice_common.auth import Principal
from eoffice_common.events import Envelope

from .. import letters
from ..exceptions import UnlinkableEvent
from ..model import Dispatch
from ..schemas import dispatch_out, person


@dataclass(frozen=True)
class DispatchRegister:
    caller: Principal
    query: object  # schemas.RegisterQuery


def dispatch_register(command: DispatchRegister, uow) -> dict:
    """Every addressee of the letters issued in the caller's office: issue number, date, mode, addressee,
    status (received, opened, delivered, bounced, posted), receipt or article number, file."""
    caller, query = command.caller, command.query
    with uow:
        rows, total = uow.dispatches.register(caller.office, query)
        visible = [(d, draft, f) for d, draft, f in rows if f.visible_to(caller.user_id, caller.office, uow.files.was_sent_to)]
        users = uow.directory.people({draft.issued_by for _, draft, _ in visible})
        return {
            "office": caller.office, "page": query.page, "per_page": query.per_page, "total": total,
            "entries": [
                {**dispatch_out(d), "issued_at": d.issued_at, "subject": draft.subject, "issued_by": person(draft.issued_by, users),
                 "draft_id": draft.id, "version": draft.approved_version, "file_id": f.id, "file_number": f.file_number}
                for d, draft, f in visible
            ],
        }


def _dispatch_of(envelope: Envelope, uow) -> Dispatch:
    dispatch = uow.dispatches.get(envelope.data["dispatch_id"])
    if dispatch is None:
        raise UnlinkableEvent(f"dispatch {envelope.data['dispatch_id']} is not known to the files service")
    return dispatch


def record_letter_received(envelope: Envelope, uow) -> None:
    """dak's letter_received: the addressee office diarised the letter; its receipt number goes on the file."""
    data = envelope.data
    with uow:
        letters.receipt_arrived(_dispatch_of(envelope, uow), data["receipt_id"], data["receipt_number"],
                                datetime.fromisoformat(data["received_at"]))
        uow.commit()


def record_letter_opened(envelope: Envelope, uow) -> None:
    """dak's letter_opened: the receipt's holder first opened it."""
    with uow:
        letters.receipt_opened(_dispatch_of(envelope, uow), datetime.fromisoformat(envelope.data["opened_at"]))
        uow.commit()


def record_letter_emailed(envelope: Envelope, uow) -> None:
    """notify's letter_emailed: the mail server accepted the email, or refused the address (bounced)."""
    data = envelope.data
    with uow:
        dispatch = _dispatch_of(envelope, uow)
        if data["outcome"] == "bounced":
            letters.email_bounced(dispatch, data.get("reason") or "refused by the mail server")
        elif data["outcome"] == "delivered":
            letters.email_delivered(dispatch, datetime.fromisoformat(data["at"]))
        else:
            letters.email_fate_unknown(dispatch, data.get("reason") or "the mail server's answer was lost")
        uow.commit()
