"""dak's use cases: one function per use case, over a command and a unit of work that carries the
repositories (`uow.receipts`, `uow.directory`, `uow.acting_charges`, `uow.address_book`; DakUnitOfWork
here, an in-memory fake in unit tests).

A write use case commits with what it returns: the entrypoint answers from that, never re-reading.
A consumed event's use case does not commit: the event pipeline commits its effect together with
the event's tracking row (eoffice_common.db.Store.apply_once)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Protocol

from eoffice_common.events import Envelope

from . import address_book, commands, domain, letters
from .exceptions import CorrespondentExists, NotAllowed
from .model import Diarist, Dispatch, IssuedLetter, Letter, Receipt, StoredDocument


@dataclass(frozen=True)
class Diarisation:
    """A diarised receipt and the numbers of earlier receipts of what looks like the same letter."""

    receipt: Receipt
    duplicates: list[str] = field(default_factory=list)


class FileDestinations(Protocol):
    def ensure_takes_receipt(self, file_id: str) -> None:
        """Raise if the caller may not put a receipt in the file now."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- diarisation ---------------------------------------------------------------------------------

def diarise(command: commands.Diarise, uow) -> Diarisation:
    diarisation = _diarise(command, uow)
    uow.commit(diarisation)
    return diarisation


def diarise_batch(command: commands.DiariseBatch, uow) -> list[Diarisation]:
    """Every letter numbered in one transaction: all of them, or none."""
    acknowledge = list(command.acknowledge) + [None] * (len(command.letters) - len(command.acknowledge))
    diarisations = [_diarise(commands.Diarise(command.user_id, letter, channel="batch", acknowledge=wanted), uow)
                    for letter, wanted in zip(command.letters, acknowledge, strict=True)]
    uow.commit(diarisations)
    return diarisations


def copy_receipt(command: commands.OnReceipt, uow) -> Diarisation:
    """A new receipt (new number) of the same letter and scans, held by its holder, who copies it."""
    original = _actionable(command, uow)
    original.ensure_can_act(command.user_id)
    letter_scans = [(scan.filename, scan) for scan in original.scans]
    receipt = Receipt.diarise(uow.directory.diarist(command.user_id), original.letter(), letter_scans, "copy", utcnow(),
                              copied_from=original.id)
    uow.receipts.add(receipt)
    copied = Diarisation(uow.track(receipt))
    uow.commit(copied)
    return copied


def _diarise(command: commands.Diarise, uow) -> Diarisation:
    """Everything that can be read or refused comes before the receipt is numbered, so the
    office's serial stays locked as briefly as possible. The sender goes into the office's address book."""
    diarist = uow.directory.diarist(command.user_id)
    letter = command.letter
    fields = asdict(letter)
    receipt = Receipt.diarise(diarist, letter, command.scans, command.channel, utcnow(),
                              acknowledge_to=_acknowledgement_to(fields, diarist.office_code, command.acknowledge, uow))
    duplicates = uow.receipts.duplicates_of(letter.sender_organisation, letter.letter_number, letter.letter_date)
    if command.send:
        clearances, acting_for = _recipients(command.send.to, uow)
        receipt.send(diarist.id, command.send, clearances, receipt.created_at, acting_for=acting_for)
    uow.address_book.remember(diarist.office_code, address_book.sender_block(fields), receipt.created_at)
    uow.receipts.add(receipt)
    return Diarisation(uow.track(receipt), duplicates)


def _acknowledgement_to(fields: dict[str, Any], office_code: str, wanted: bool | None, uow) -> dict[str, str | None] | None:
    """Where the sender is told the receipt number: when the letter gives their email or mobile and
    the diarist (or, by default, the office's setting) wants it."""
    acknowledgement = address_book.acknowledgement(fields)
    if acknowledgement is None:
        return None
    return acknowledgement if (wanted if wanted is not None else uow.address_book.acknowledges_senders(office_code)) else None


def _recipients(recipients, uow) -> tuple[dict[str, str], dict[str, str]]:
    """The clearances ({id: clearance}) of the active users among `recipients` and among whoever holds
    charge today for those of them away, and who that is ({absent: acting})."""
    acting_for = uow.acting_charges.acting_for(set(recipients), domain.today_ist())
    return uow.directory.active_clearances([*recipients, *acting_for.values()]), acting_for


# --- actions of the holder -----------------------------------------------------------------------

def open_receipt(command: commands.OnReceipt, uow) -> Receipt:
    """A receipt as its reader sees it; what was sent to them counts as opened from now. The opening is
    written on the receipt read again under lock: saving the unlocked read would undo a change committed
    meanwhile (a transfer, its part file merged)."""
    receipt, now = _visible(command, uow), utcnow()
    if receipt.open_by(command.user_id, now):
        receipt = uow.receipts.get(command.receipt_id, for_update=True)
        receipt.open_by(command.user_id, now)
        uow.receipts.save(receipt)
        uow.track(receipt)
        uow.commit(receipt)
    return receipt


def receive(command: commands.OnReceipt, uow) -> Receipt:
    return _act(command, uow, lambda receipt, now: receipt.receive(command.user_id, now))


def send(command: commands.SendReceipt, uow) -> Receipt:
    clearances, acting_for = _recipients(command.dispatch.to, uow)
    return _act(command, uow, lambda receipt, now: receipt.send(command.user_id, command.dispatch, clearances, now, acting_for=acting_for))


def reply(command: commands.ReplyToReceipt, uow) -> Receipt:
    """Send the receipt back to whoever sent it to its holder."""
    def send_back(receipt: Receipt, now: datetime) -> None:
        target = receipt.reply_target(command.user_id)
        dispatch = Dispatch(to=[target], remarks=command.remarks)
        clearances, acting_for = _recipients([target], uow)
        receipt.send(command.user_id, dispatch, clearances, now, action="reply", acting_for=acting_for)

    return _act(command, uow, send_back)


def pull_back(command: commands.PullBack, uow) -> Receipt:
    """Its sender takes the receipt back, until the holder opens it, if still cleared for it."""
    clearances = uow.directory.active_clearances([command.user_id])
    return _act(command, uow, lambda receipt, now: receipt.pull_back(command.user_id, clearances, now))


def put_in_file(command: commands.PutReceiptInFile, uow, files: FileDestinations) -> Receipt:
    """Files is asked whether the receipt may go in the file before anything is locked or
    committed: a refusal leaves the receipt with its holder, open."""
    _visible(command, uow).ensure_can_act(command.user_id)
    uow.rollback()  # no transaction stays open while files answers
    files.ensure_takes_receipt(command.file_id)
    return _act(command, uow, lambda receipt, now: receipt.put_in_file(command.user_id, command.file_id, now))


def close(command: commands.CloseReceipt, uow) -> Receipt:
    return _act(command, uow, lambda receipt, now: receipt.close(command.user_id, command.remarks, now))


def _act(command: commands.OnReceipt, uow, action: Callable[[Receipt, datetime], None]) -> Receipt:
    receipt = _actionable(command, uow)
    action(receipt, utcnow())
    uow.receipts.save(receipt)
    uow.track(receipt)
    uow.commit(receipt)
    return receipt


def _visible(command: commands.OnReceipt, uow, for_update: bool = False) -> Receipt:
    receipt = uow.receipts.get(command.receipt_id, for_update=for_update)
    receipt.ensure_visible_to(command.user_id, command.office)
    return receipt


def _actionable(command: commands.OnReceipt, uow) -> Receipt:
    return _visible(command, uow, for_update=True)


# --- consumed events -----------------------------------------------------------------------------

def transfer_receipts(command: commands.TransferReceipts, uow) -> int:
    """The receipts the leaving officer holds follow their successor, but for those classified above the
    successor's clearance, which stay with the leaving officer (for an admin to hand to someone cleared);
    returns how many moved."""
    clearance = uow.directory.active_clearances([command.to_user]).get(command.to_user)
    if clearance is None:
        raise ValueError(f"the successor {command.to_user} is not an active user")
    now = utcnow()
    held = [receipt for receipt in uow.receipts.held_by(command.from_user) if domain.is_cleared_for(clearance, receipt.classification)]
    for receipt in held:
        receipt.hand_over(command.from_user, command.to_user, command.by_user, now)
        uow.receipts.save(receipt)
        uow.track(receipt)
    return len(held)


def follow_merged_file(command: commands.FollowMergedFile, uow) -> int:
    """The receipts in a merged part file point at its main file, where files moved them; returns how many."""
    moved = uow.receipts.in_file(command.part_file_id)
    for receipt in moved:
        receipt.follow_merge(command.main_file_id)
        uow.receipts.save(receipt)
    return len(moved)


class NoReceivingPoint(ValueError):
    """An addressee office with no active user: the event is set aside (dead-lettered) with this reason."""


class Documents(Protocol):
    def get(self, key: str) -> bytes: ...

    def put(self, data: bytes, filename: str) -> StoredDocument: ...


def receive_issued_letter(envelope: Envelope, uow, documents: Documents) -> list[str]:
    """files' draft_issued: one receipt per addressee office inside the deployment, with the signed
    PDF as its scan, the issuing office as its sender and the issue number as its letter number,
    held by the named officer or the office's receiving point. A dispatch already received is
    skipped (a receipt names its dispatch, uniquely). Returns the new receipts' ids."""
    data = envelope.data
    addressees = [a for a in data.get("addressees") or () if a.get("mode") == letters.INTRA]
    pending = [a for a in addressees if uow.receipts.for_dispatch(a["dispatch_id"]) is None]
    if not pending:
        return []
    filename = letters.safe_filename(data["issue_number"])
    # get() verifies the bytes against the sha256 in the key: the scan is the PDF that was signed.
    scan = documents.put(documents.get(data["pdf_key"]), filename)
    issuer, issuing_office = uow.directory.person(data["issued_by"]), uow.directory.office(envelope.office)
    language = domain.detect_language(data.get("subject") or "")
    hindi = language == "hi"
    letter = Letter(
        kind="electronic", delivery_mode="portal", subject=data.get("subject") or data["issue_number"], language=language,
        sender_name=(issuer.name_hi if hindi else issuer.name_en) if issuer else data["issued_by"],
        sender_designation=(issuer.designation_hi if hindi else issuer.designation_en) if issuer else None,
        sender_organisation=(issuing_office.name_hi if hindi else issuing_office.name_en) if issuing_office else envelope.office,
        sender_email=issuer.email if issuer else None, letter_number=data["issue_number"],
        letter_date=datetime.fromisoformat(data["issued_at"]).astimezone(domain.IST).date() if data.get("issued_at") else None,
        received_date=domain.today_ist(), classification=data.get("classification") or "normal",
    )
    now, created = utcnow(), []
    for addressee in pending:
        office = uow.directory.office(addressee["office"])
        holder = Diarist(_holder_for(addressee, uow), office.code, office.district_code)
        copy = bool(addressee.get("copy"))
        issued = IssuedLetter(data["issue_number"], data["file_id"], addressee["dispatch_id"], for_information=copy)
        letter_here = replace(letter, remarks="प्रतिलिपि सूचनार्थ / copy for information") if copy else letter
        receipt = Receipt.from_issued_letter(holder, letter_here, [(filename, scan)], issued, now)
        uow.receipts.add(receipt)
        created.append(uow.track(receipt).id)
    return created


def _holder_for(addressee: dict, uow) -> str:
    """The named officer while active in the addressee office; otherwise the office's receiving point."""
    named = uow.directory.person(addressee["user"]) if addressee.get("user") else None
    if named is not None and named.active and named.office_code == addressee["office"]:
        return named.id
    holder = letters.receiving_point(uow.directory.colleagues_in(addressee["office"]))
    if holder is None:
        raise NoReceivingPoint(f"office {addressee['office']} has no active user to receive letter {addressee['dispatch_id']}")
    return holder


# --- the address book and acknowledgements --------------------------------------------------------

def set_acknowledgements(command: commands.SetAcknowledgements, uow) -> dict[str, Any]:
    uow.address_book.set_acknowledgements(command.office, command.enabled)
    setting = {"office": command.office, "enabled": command.enabled}
    uow.commit(setting)
    return setting


def acknowledgement_setting(office: str, uow) -> dict[str, Any]:
    return {"office": office, "enabled": uow.address_book.acknowledges_senders(office)}


def correspondents_of(office: str, text: str | None, limit: int, uow) -> list[Any]:
    """The office's outside correspondents, most written-from first."""
    return uow.address_book.find(office, text, limit)


def add_correspondent(command: commands.AddCorrespondent, uow) -> Any:
    """A correspondent written into the book by hand, before any letter of theirs: none written from yet."""
    office = _book_keepers_office(command.by, uow)
    _ensure_not_in_book(office, command.entry, None, uow)
    entry = uow.address_book.add(office, command.entry)
    uow.commit(entry)
    return entry


def edit_correspondent(command: commands.EditCorrespondent, uow) -> Any:
    """An entry of the caller's office corrected; its count of letters stays. Renamed into another entry's
    name and organisation, it is refused: the two are one correspondent."""
    office = _book_keepers_office(command.by, uow)
    entry = uow.address_book.get(office, command.correspondent_id, for_update=True)
    _ensure_not_in_book(office, command.entry, command.correspondent_id, uow)
    entry = uow.address_book.change(entry, command.entry)
    uow.commit(entry)
    return entry


def _book_keepers_office(user_id: str, uow) -> str:
    """The office of an active clerk or officer, whose address book they keep."""
    keeper = uow.directory.officer(user_id)
    if keeper is None or not keeper.active or not address_book.keeps_the_book(keeper.roles):
        raise NotAllowed("only a clerk or officer of the office keeps its address book")
    return keeper.office


def _ensure_not_in_book(office: str, entry: address_book.Entry, correspondent_id: int | None, uow) -> None:
    holder = uow.address_book.holder_of(office, entry.key)
    if holder is not None and holder != correspondent_id:
        raise CorrespondentExists(f"{entry.name} is in the address book already (entry {holder})", holder)


# --- reads ---------------------------------------------------------------------------------------

def users_found(text: str | None, office: str | None, limit: int, uow) -> tuple[list[Any], dict[str, str]]:
    """Active users by name or designation, and {absent: acting} for those away today."""
    users = uow.directory.search(text, office, limit)
    return users, uow.acting_charges.acting_for({u.id for u in users}, domain.today_ist())


def user_of(user_id: str, uow) -> tuple[Any, str | None]:
    """An active user, and who acts for them today (or None)."""
    user = uow.directory.user(user_id)
    return user, uow.acting_charges.acting_for({user_id}, domain.today_ist()).get(user_id)


def receipt_for(command: commands.OnReceipt, uow) -> Receipt:
    """A receipt its reader may see (nothing is marked opened)."""
    return _visible(command, uow)


def receipts_of(user_id: str, office: str | None, query, uow) -> tuple[list[Any], int]:
    return uow.receipts.listed_for(user_id, office, query)


def referenced_scan_keys(uow) -> set[str]:
    return uow.receipts.referenced_scan_keys()
