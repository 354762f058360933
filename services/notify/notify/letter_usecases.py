"""Use cases of issued letters going out by email: files' draft_issued gives each email addressee a
letter email (its signed PDF attached), sent through the SMTP relay notify already uses; how each
went (delivered, bounced, unknown) is announced as letter_emailed for the issuing file and the
dispatch register. Each is `(event or command, uow) -> result`."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from eoffice_common.events import Envelope

from . import outside
from .events import LetterEmailed
from .models import LetterEmail

DELIVERED, BOUNCED = "delivered", "bounced"
DEVANAGARI = re.compile("[\u0900-\u097F]")


def letter_text(issue_number: str, subject: str, name: str, office: str) -> tuple[str, str]:
    """(subject, body) of a letter's email: Hindi when the letter's subject is in Hindi, else English."""
    if DEVANAGARI.search(subject):
        return (f"पत्र {issue_number}: {subject}",
                f"{name},\n\nकृपया संलग्न पत्र संख्या {issue_number} ({subject}) प्राप्त करें।\n"
                f"यह पत्र {office} द्वारा ई-ऑफिस से जारी किया गया है और डिजिटल रूप से हस्ताक्षरित है।\n")
    return (f"Letter {issue_number}: {subject}",
            f"{name},\n\nPlease find attached letter No. {issue_number} ({subject}).\n"
            f"It was issued by {office} through eOffice and is digitally signed.\n")


def pdf_filename(issue_number: str) -> str:
    """`I-7/2026/COLL-JHS` as the attachment's name."""
    return issue_number.replace("/", "-") + ".pdf"


def record_letter_emails(envelope: Envelope, uow, now: datetime) -> int:
    """A letter email per email addressee of the issued letter (once per dispatch); returns how many are new."""
    data = envelope.data
    addressees = [a for a in data.get("addressees") or () if a.get("mode") == "email"]
    if not addressees:
        return 0
    if not data.get("pdf_key"):
        raise ValueError(f"letter {data['issue_number']} goes by email but carries no signed PDF")
    session = uow.session
    known = set(session.execute(select(LetterEmail.dispatch_id).where(
        LetterEmail.dispatch_id.in_([a["dispatch_id"] for a in addressees]))).scalars())
    new = [a for a in addressees if a["dispatch_id"] not in known]
    for addressee in new:
        subject, body = letter_text(data["issue_number"], data.get("subject") or "", addressee.get("name") or "", envelope.office)
        session.add(LetterEmail(
            dispatch_id=addressee["dispatch_id"], source_event_id=envelope.id, file_id=data["file_id"],
            issue_number=data["issue_number"], office=envelope.office, district=envelope.district, address=addressee["email"],
            subject=subject, body=body, pdf_key=data["pdf_key"], status=outside.PENDING, attempts=0, due_at=now,
        ))
    return len(new)


def claim_due_letter_emails(uow, now: datetime, limit: int = 20) -> list[LetterEmail]:
    return outside.claim_due(uow.session, LetterEmail, now, limit)


def record_outcomes(outcomes: list[outside.Outcome], uow, settings) -> None:
    """Delivered, bounced (a permanent refusal, or retries used up), unknown (never resent on its own),
    or pending again after a transient failure; each settled one announced as letter_emailed."""
    for outcome in outcomes:
        letter = uow.session.get(LetterEmail, outcome.key, with_for_update=True)
        if outside.settle(letter, outcome.error, outcome.at, settings, sent=DELIVERED, failed=BOUNCED):
            uow.emit(LetterEmailed(
                dispatch_id=letter.dispatch_id, file_id=letter.file_id, issue_number=letter.issue_number, address=letter.address,
                outcome=letter.status, at=outcome.at.isoformat(), reason=letter.failure, office=letter.office, district=letter.district,
            ))
