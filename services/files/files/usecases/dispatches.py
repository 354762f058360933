"""Issued letters on their way: the dispatch register, and each addressee's dispatch advanced as dak (the
receipt made in the addressee's office, then opened) and notify (the email delivered or bounced) report."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eoffice_common.auth import Principal
from eoffice_common.events import Envelope

from .. import letters
from ..exceptions import DispatchNotFound, UnlinkableEvent
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


@dataclass(frozen=True)
class RecordPosting:
    caller: Principal
    dispatch_id: str
    postal_mode: str | None
    article_number: str | None


def record_posting(command: RecordPosting, uow) -> dict:
    """The office's dispatch section records a letter by post as it leaves: postal mode and article number."""
    with uow:
        dispatch = uow.dispatches.get(command.dispatch_id)
        if dispatch is None or dispatch.office_code != command.caller.office:
            raise DispatchNotFound(f"dispatch {command.dispatch_id} was not found")
        letters.posted(dispatch, dispatch.mode, command.postal_mode, command.article_number)
        answer = dispatch_out(dispatch)
        uow.commit(answer)
        return answer


def _dispatch_of(envelope: Envelope, uow) -> Dispatch:
    dispatch = uow.dispatches.get(envelope.data["dispatch_id"])
    if dispatch is None:
        raise UnlinkableEvent(f"dispatch {envelope.data['dispatch_id']} is not known to the files service")
    return dispatch


def record_dispatch_news(envelope: Envelope, uow) -> None:
    """News of a dispatch: dak's letter_received (the addressee office diarised the letter; its receipt number
    goes on the file) and letter_opened (the receipt's holder first opened it), notify's letter_emailed (the
    mail server accepted the email, refused the address, or its answer was lost)."""
    data = envelope.data
    with uow:
        dispatch = _dispatch_of(envelope, uow)
        if envelope.type == "letter_received":
            letters.receipt_arrived(dispatch, data["receipt_id"], data["receipt_number"], datetime.fromisoformat(data["received_at"]))
        elif envelope.type == "letter_opened":
            letters.receipt_opened(dispatch, datetime.fromisoformat(data["opened_at"]))
        elif data["outcome"] == "bounced":
            letters.email_bounced(dispatch, data.get("reason") or "refused by the mail server")
        elif data["outcome"] == "delivered":
            letters.email_delivered(dispatch, datetime.fromisoformat(data["at"]))
        else:
            letters.email_fate_unknown(dispatch, data.get("reason") or "the mail server's answer was lost")
        uow.commit()
