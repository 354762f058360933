"""Use cases of issued letters: issuing a signed draft to its addressees, and following each dispatch
as dak (the receipt made in the addressee's office, opened) and notify (the email delivered or
bounced) report back. Each is `(command or event, uow) -> result`; the unit of work carries
`dispatches` and `directory` (see with_repositories)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from eoffice_common.events import Envelope

from . import domain, events, letters, repository
from .exceptions import UnlinkableEvent
from .models import Dispatch, Draft, File


def with_repositories(uow):
    """The unit of work with the repositories these use cases use."""
    uow.dispatches = repository.Dispatches(uow.session)
    uow.directory = repository.DirectoryCopy(uow.session)
    return uow


@dataclass(frozen=True)
class IssueLetter:
    file: File  # locked and checked writable by the caller
    draft_id: str
    issued_by: str
    dispatch_mode: str
    recipients: list[dict]
    now: datetime
    opened_actions: list = field(default_factory=list)  # audit entries of the issuer opening the file by this act


def issue_letter(command: IssueLetter, uow) -> tuple[Draft, list[Dispatch]]:
    """The approved draft gets the office's next issue number and a dispatch per addressee; draft_issued
    tells dak (receipts in the addressee offices) and notify (emails) in the same transaction."""
    session, file, now = uow.session, command.file, command.now
    draft = repository.load_draft(session, file.id, command.draft_id)
    domain.check_issue(repository.draft_view(draft))
    addressees = letters.plan_addressees(command.recipients, command.dispatch_mode, uow.directory)
    letters.check_signed_pdf(addressees, draft.signed_pdf_key)
    year = domain.year_of(now)
    number = domain.issue_number(repository.next_issue_serial(session, file.office_code, year), year, file.office_code)
    draft.status, draft.issue_number, draft.issued_by, draft.issued_at = domain.ISSUED, number, command.issued_by, now
    draft.dispatch_mode, draft.recipients, draft.updated_at = command.dispatch_mode, command.recipients, now
    dispatches = [
        Dispatch(
            id=str(uuid.uuid4()), draft_id=draft.id, file_id=file.id, office_code=file.office_code, issue_number=number,
            position=a.position, mode=a.mode, copy=a.copy, addressee_user=a.user, addressee_office=a.office, name=a.name,
            email=a.email, address=a.address, postal_mode=a.postal_mode, article_number=a.article_number,
            status=letters.first_status(a.mode), issued_at=now,
        )
        for a in addressees
    ]
    uow.dispatches.add_all(dispatches)
    repository.record_actions(session, file, command.issued_by, command.opened_actions + [
        ("draft_issued", {"draft_id": draft.id, "issue_number": number, "dispatch_mode": command.dispatch_mode,
                          "dispatches": [d.id for d in dispatches]}),
    ], now)
    uow.emit(events.DraftIssued(
        file_id=file.id, file_number=file.file_number, office=file.office_code, district=file.district_code,
        draft_id=draft.id, version=draft.approved_version, issue_number=number, dispatch_mode=command.dispatch_mode,
        issued_by=command.issued_by, recipients=command.recipients, subject=draft.subject, classification=file.classification,
        issued_at=now.isoformat(), pdf_key=draft.signed_pdf_key, pdf_sha256=draft.signed_pdf_sha256,
        addressees=[dispatch_data(d) for d in dispatches],
    ))
    return draft, dispatches


def dispatch_data(dispatch: Dispatch) -> dict:
    return {
        "dispatch_id": dispatch.id, "position": dispatch.position, "mode": dispatch.mode, "copy": dispatch.copy,
        "name": dispatch.name, "user": dispatch.addressee_user, "office": dispatch.addressee_office, "email": dispatch.email,
        "address": dispatch.address, "postal_mode": dispatch.postal_mode, "article_number": dispatch.article_number,
    }


def _dispatch_for(uow, envelope: Envelope) -> Dispatch:
    dispatch = uow.dispatches.get(envelope.data["dispatch_id"], for_update=True)
    if dispatch is None:
        raise UnlinkableEvent(f"dispatch {envelope.data['dispatch_id']} is not known to the files service")
    return dispatch


def record_letter_received(envelope: Envelope, uow) -> None:
    """dak's letter_received: the addressee office diarised the letter; its receipt number goes on the file."""
    data = envelope.data
    letters.receipt_arrived(_dispatch_for(uow, envelope), data["receipt_id"], data["receipt_number"],
                            datetime.fromisoformat(data["received_at"]))


def record_letter_opened(envelope: Envelope, uow) -> None:
    """dak's letter_opened: the receipt's holder first opened it."""
    letters.receipt_opened(_dispatch_for(uow, envelope), datetime.fromisoformat(envelope.data["opened_at"]))


def record_letter_emailed(envelope: Envelope, uow) -> None:
    """notify's letter_emailed: the mail server accepted the email, or refused the address (bounced)."""
    data = envelope.data
    dispatch = _dispatch_for(uow, envelope)
    if data["outcome"] == "bounced":
        letters.email_bounced(dispatch, data.get("reason") or "refused by the mail server")
    elif data["outcome"] == "delivered":
        letters.email_delivered(dispatch, datetime.fromisoformat(data["at"]))
    else:
        letters.email_fate_unknown(dispatch, data.get("reason") or "the mail server's answer was lost")
