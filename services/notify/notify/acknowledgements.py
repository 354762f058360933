"""Use cases of acknowledgements: the sender of a diarised letter (dak's receipt_diarised with
acknowledge_to) is told its receipt number by email and SMS, so they can quote it. Each is
`(event or command, uow) -> result`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from eoffice_common.events import Envelope

from . import domain
from .channels import DeliveryError
from .letter_usecases import DEVANAGARI
from .models import SenderAcknowledgement

PENDING, SENDING, SENT, FAILED, UNKNOWN = "pending", "sending", "sent", "failed", "unknown"


def acknowledgement_text(receipt_number: str, subject: str, name: str, office: str) -> tuple[str, str]:
    """(subject, body): Hindi when the letter's subject is in Hindi, else English. The SMS is the body's first line."""
    if DEVANAGARI.search(subject or ""):
        return (f"पावती: आपका पत्र प्राप्ति संख्या {receipt_number} पर दर्ज",
                f"आपका पत्र \"{subject}\" {office} में प्राप्ति संख्या {receipt_number} पर दर्ज किया गया है। कृपया आगे के पत्राचार में यह संख्या लिखें।\n\n{name}")
    return (f"Acknowledgement: your letter is receipt {receipt_number}",
            f"Your letter \"{subject}\" was received at {office} as receipt {receipt_number}. Please quote this number when you write again.\n\n{name}")


def record_acknowledgements(envelope: Envelope, uow, now: datetime) -> int:
    """An acknowledgement per channel the sender can be reached on; once per receipt and channel."""
    data = envelope.data
    to = data.get("acknowledge_to")
    if not to:
        return 0
    subject, body = acknowledgement_text(data["receipt_number"], to.get("subject") or data.get("subject") or "", to.get("name") or "", envelope.office)
    wanted = [(channel, address) for channel, address in ((domain.EMAIL, to.get("email")), (domain.SMS, to.get("mobile"))) if address]
    known = set(uow.session.execute(select(SenderAcknowledgement.channel).where(SenderAcknowledgement.receipt_id == data["receipt_id"])).scalars())
    for channel, address in wanted:
        if channel not in known:
            uow.session.add(SenderAcknowledgement(
                receipt_id=data["receipt_id"], channel=channel, receipt_number=data["receipt_number"], office=envelope.office,
                address=address, subject=subject, body=body if channel == domain.EMAIL else body.split("\n", 1)[0],
                status=PENDING, attempts=0, due_at=now,
            ))
    return len(wanted)


def claim_due(uow, now: datetime, limit: int = 50) -> list[SenderAcknowledgement]:
    claimed = uow.session.execute(
        select(SenderAcknowledgement).where(SenderAcknowledgement.status == PENDING, SenderAcknowledgement.due_at <= now)
        .order_by(SenderAcknowledgement.due_at).limit(limit).with_for_update(skip_locked=True)
    ).scalars().all()
    for acknowledgement in claimed:
        acknowledgement.status, acknowledgement.attempts = SENDING, acknowledgement.attempts + 1
    return claimed


@dataclass(frozen=True)
class Outcome:
    receipt_id: str
    channel: str
    error: DeliveryError | None
    at: datetime


def record_outcomes(outcomes: list[Outcome], uow, max_attempts: int, retry_base: float, retry_max: float) -> None:
    for outcome in outcomes:
        acknowledgement = uow.session.get(SenderAcknowledgement, (outcome.receipt_id, outcome.channel), with_for_update=True)
        error = outcome.error
        if error is None:
            acknowledgement.status, acknowledgement.sent_at, acknowledgement.failure = SENT, outcome.at, None
        elif domain.after_failure(error.failure, acknowledgement.attempts, max_attempts) == "retry":
            acknowledgement.status, acknowledgement.failure = PENDING, str(error)
            acknowledgement.due_at = outcome.at + domain.retry_delay(acknowledgement.attempts, retry_base, retry_max)
        else:
            acknowledgement.status = UNKNOWN if error.failure == domain.UNKNOWN else FAILED
            acknowledgement.failure = str(error)
