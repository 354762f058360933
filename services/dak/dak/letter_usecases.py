"""Use cases of letters issued inside the deployment: files' draft_issued becomes a receipt in each
addressee office (its receiving point's inbox, or the named officer's), and the first opening of such
a receipt is told back to the issuing file. Each is `(event or command, uow) -> result`."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from eoffice_common.events import Envelope
from eoffice_common.storage import Documents

from . import domain, letters, repository
from .events import LetterOpened, LetterReceived, ReceiptDiarised
from .models import Office, Receipt, ReceiptScan, User
from .schemas import scan_ref


class NoReceivingPoint(ValueError):
    """An addressee office with no active user: the event is set aside (dead-lettered) with this reason."""


def utcnow():
    return datetime.now(timezone.utc)


def receive_issued_letter(envelope: Envelope, uow, documents: Documents) -> list[str]:
    """One receipt per addressee inside the deployment, with the signed PDF as its scan, the issuing
    office as its sender and the issue number as its letter number. A dispatch already received is
    skipped (a receipt names its dispatch, uniquely). Returns the new receipts' ids."""
    data = envelope.data
    addressees = [a for a in data.get("addressees") or () if a.get("mode") == letters.INTRA]
    session = uow.session
    pending = [a for a in addressees if repository.receipt_for_dispatch(session, a["dispatch_id"]) is None]
    if not pending:
        return []
    # get() verifies the bytes against the sha256 in the key: the scan is the PDF that was signed.
    pdf = documents.get(data["pdf_key"])
    scan = documents.put(pdf, letters.safe_filename(data["issue_number"]))
    issuer, issuing_office = session.get(User, data["issued_by"]), session.get(Office, envelope.office)
    language = domain.detect_language(data.get("subject") or "")
    hindi = language == "hi"
    now = utcnow()
    issued_on = datetime.fromisoformat(data["issued_at"]).astimezone(domain.IST).date() if data.get("issued_at") else None
    created = []
    for addressee in pending:
        holder = _holder_for(session, addressee)
        office = session.get(Office, addressee["office"])
        receipt = repository.new_row(
            Receipt, id=str(uuid.uuid4()), office_code=office.code, year=domain.diary_year(now), status=domain.OPEN,
            holder_id=holder, created_by=holder, created_at=now, updated_at=now, kind="electronic",
            sender_name=(issuer.name_hi if hindi else issuer.name_en) if issuer else data["issued_by"],
            sender_designation=(issuer.designation_hi if hindi else issuer.designation_en) if issuer else None,
            sender_organisation=(issuing_office.name_hi if hindi else issuing_office.name_en) if issuing_office else envelope.office,
            sender_email=issuer.email if issuer else None, letter_number=data["issue_number"], letter_date=issued_on,
            received_date=domain.today_ist(), delivery_mode="portal", subject=data.get("subject") or data["issue_number"],
            language=language, classification=data.get("classification") or "normal", vip=False,
            remarks="प्रतिलिपि सूचनार्थ / copy for information" if addressee.get("copy") else None,
            issue_number=data["issue_number"], source_file_id=data["file_id"], source_dispatch_id=addressee["dispatch_id"],
            for_information=bool(addressee.get("copy")),
        )
        receipt.receipt_number = repository.number_placeholder(receipt.id)
        scans = [repository.new_row(ReceiptScan, receipt_id=receipt.id, position=1, key=scan.key, sha256=scan.sha256,
                                    size=scan.size, content_type=scan.content_type, filename=letters.safe_filename(data["issue_number"]))]
        base = {"receipt_id": receipt.id, "receipt_number": receipt.receipt_number, "office": office.code, "district": office.district_code}
        _, rows = uow.outbox_rows([
            ReceiptDiarised(
                **base, kind="electronic", classification=receipt.classification, subject=receipt.subject, language=language,
                sender_name=receipt.sender_name, sender_organisation=receipt.sender_organisation, delivery_mode="portal",
                letter_number=receipt.letter_number, letter_date=domain.as_iso(issued_on), received_date=receipt.received_date.isoformat(),
                diarised_by=holder, holder=holder, channel=letters.INTRA, scans=[scan_ref(s) for s in scans],
            ),
            LetterReceived(
                **base, dispatch_id=addressee["dispatch_id"], issue_number=data["issue_number"], source_file_id=data["file_id"],
                holder=holder, for_information=bool(addressee.get("copy")), received_at=now.isoformat(),
            ),
        ])
        repository.insert_numbered_receipt(session, receipt, rows)
        repository.insert_new(session, ReceiptScan, scans)
        created.append(receipt.id)
    return created


def _holder_for(session, addressee: dict) -> str:
    """The named officer while active in the addressee office; otherwise the office's receiving point."""
    named = session.get(User, addressee["user"]) if addressee.get("user") else None
    if named is not None and named.active and named.office_code == addressee["office"]:
        return named.id
    holder = letters.receiving_point(repository.colleagues_in(session, addressee["office"]))
    if holder is None:
        raise NoReceivingPoint(f"office {addressee['office']} has no active user to receive letter {addressee['dispatch_id']}")
    return holder


def acknowledgement_to(session, office_code: str, fields: dict, wanted: bool | None) -> dict | None:
    """Where the sender of a diarised letter is told its receipt number: their email and mobile, when
    given and the diarist (or by default the office) wants it."""
    email, mobile = fields.get("sender_email"), fields.get("sender_mobile")
    if not (email or mobile):
        return None
    if not (wanted if wanted is not None else repository.acknowledges_senders(session, office_code)):
        return None
    return {"email": email, "mobile": mobile, "name": fields.get("sender_name"), "subject": fields.get("subject")}


@dataclass(frozen=True)
class OpenReceipt:
    receipt: Receipt
    user_id: str
    district: str


def open_receipt(command: OpenReceipt, uow) -> bool:
    """The holder opening a receipt for the first time records when; for a letter from another office
    the issuing file is told (letter_opened). Returns whether this was the first opening."""
    receipt = command.receipt
    if receipt.opened_at is not None or receipt.holder_id != command.user_id:
        return False
    receipt.opened_at = utcnow()
    if receipt.source_dispatch_id:
        uow.emit(LetterOpened(
            receipt_id=receipt.id, receipt_number=receipt.receipt_number, office=receipt.office_code, district=command.district,
            dispatch_id=receipt.source_dispatch_id, opened_by=command.user_id, opened_at=receipt.opened_at.isoformat(),
        ))
    return True
