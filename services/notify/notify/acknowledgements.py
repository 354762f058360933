"""Use cases of acknowledgements: the sender of a diarised letter (dak's receipt_diarised with
acknowledge_to) is told its receipt number by email and SMS, so they can quote it. Each is
`(event or command, uow) -> result`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eoffice_common.events import Envelope

from . import domain, outside
from .letter_usecases import DEVANAGARI
from .models import SenderAcknowledgement


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
                status=outside.PENDING, attempts=0, due_at=now,
            ))
    return len(wanted)


def claim_due(uow, now: datetime, limit: int = 50) -> list[SenderAcknowledgement]:
    return outside.claim_due(uow.session, SenderAcknowledgement, now, limit)


def record_outcomes(outcomes: list[outside.Outcome], uow, settings) -> None:
    for outcome in outcomes:
        outside.settle(uow.session.get(SenderAcknowledgement, outcome.key, with_for_update=True), outcome.error, outcome.at, settings)
