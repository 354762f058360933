"""dak's domain model: a receipt owns its state changes and records the events they imply.
The rules it applies (who may see, act, send to whom) are in domain.py."""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, Protocol

from eoffice_common.model import Aggregate

from . import acting, domain, letters
from .events import (
    LetterOpened,
    LetterReceived,
    ReceiptClosed,
    ReceiptDiarised,
    ReceiptPulledBack,
    ReceiptPutInFile,
    ReceiptReceived,
    ReceiptSent,
)


@dataclass(kw_only=True)
class Letter:
    """What the diarist reads off a letter (or an email): a receipt's diary fields."""

    kind: str
    sender_name: str
    delivery_mode: str
    subject: str
    received_date: date
    language: str
    classification: str = "normal"
    sender_designation: str | None = None
    sender_organisation: str | None = None
    sender_address: str | None = None
    sender_state: str | None = None
    sender_pincode: str | None = None
    sender_email: str | None = None
    sender_mobile: str | None = None
    letter_number: str | None = None
    letter_date: date | None = None
    main_category: str | None = None
    sub_category: str | None = None
    enclosures: str | None = None
    remarks: str | None = None
    vip: bool = False
    body_text: str | None = None


LETTER_FIELDS = tuple(f.name for f in fields(Letter))


@dataclass(frozen=True)
class Diarist:
    """An active user of the directory, as diarisation needs them."""

    id: str
    office_code: str
    district_code: str


@dataclass(frozen=True)
class Dispatch:
    """Where a receipt goes: the first recipient holds it, the others get copies for information."""

    to: Sequence[str]
    remarks: str | None = None
    due_date: date | None = None
    priority: str = "normal"


@dataclass(frozen=True)
class IssuedLetter:
    """Which dispatch of which issued letter a receipt is (files' draft_issued)."""

    issue_number: str
    source_file_id: str
    dispatch_id: str
    for_information: bool = False


class StoredDocument(Protocol):
    key: str
    sha256: str
    size: int
    content_type: str


@dataclass(eq=False, kw_only=True)
class Scan:
    receipt_id: str
    position: int
    key: str
    sha256: str
    size: int
    content_type: str
    filename: str | None = None
    id: int | None = None

    def ref(self) -> dict[str, Any]:
        """The scan as events carry it: enough for another service to fetch and verify it."""
        return {"position": self.position, "key": self.key, "sha256": self.sha256, "size": self.size,
                "content_type": self.content_type, "filename": self.filename}


@dataclass(eq=False, kw_only=True)
class Movement:
    """One hand-over of a receipt; `copy` marks a recipient who gets it for information only."""

    receipt_id: str
    action: str
    from_user: str
    to_user: str
    copy: bool
    sent_at: datetime
    remarks: str | None = None
    due_date: date | None = None
    priority: str = "normal"
    opened_at: datetime | None = None
    for_user: str | None = None  # the officer away for whom to_user holds charge
    on_behalf_of: str | None = None  # made by the acting officer for this absent officer
    id: int | None = None  # None until stored


def number_placeholder(receipt_id: str) -> str:
    """What stands for a receipt's number until the repository numbers it."""
    return f"@receipt-number:{receipt_id}@"


@dataclass(eq=False, kw_only=True)
class Receipt(Aggregate, Letter):
    """A diarised letter: who holds it, where it went, and its end (in a file, or closed)."""

    id: str
    office_code: str
    district: str | None  # of its office: events carry it
    year: int
    status: str
    holder_id: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    receipt_number: str = ""
    serial: int | None = None
    received_at: datetime | None = None
    copied_from_id: str | None = None
    file_id: str | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    closing_remarks: str | None = None
    subject_search: str = ""  # subject and sender in eoffice_common.search.search_form, for searching
    sender_search: str = ""
    # A letter issued inside this deployment (channel intra): its issue number, the issuing file and
    # the dispatch it answers (one receipt per dispatch), and whether it came for information.
    issue_number: str | None = None
    source_file_id: str | None = None
    source_dispatch_id: str | None = None
    for_information: bool | None = None
    opened_at: datetime | None = None  # when its first holder first opened it
    scans: list[Scan] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    opened_now: list[Movement] = field(default_factory=list, repr=False)  # opened since loaded, not yet stored

    # --- a new receipt -------------------------------------------------------------------------------

    @classmethod
    def diarise(cls, diarist: Diarist, letter: Letter, scans: Sequence[tuple[str | None, StoredDocument]],
                channel: str, now: datetime, copied_from: str | None = None,
                acknowledge_to: dict[str, str | None] | None = None) -> Receipt:
        """A new receipt held by its diarist. Its number is given by the repository that stores it
        (gap-free per office and year); until then its events carry number_placeholder(id).
        `acknowledge_to`: where its sender is told the number (address_book.acknowledgement), if at all."""
        domain.check_new_receipt(letter.kind, len(scans), bool(letter.body_text))
        receipt_id = str(uuid.uuid4())
        receipt = cls(
            id=receipt_id, receipt_number=number_placeholder(receipt_id), office_code=diarist.office_code,
            district=diarist.district_code, year=domain.diary_year(now), status=domain.OPEN, holder_id=diarist.id,
            created_by=diarist.id, created_at=now, updated_at=now, copied_from_id=copied_from, **asdict(letter),
        )
        receipt.subject_search, receipt.sender_search = domain.receipt_search_texts(receipt)
        receipt.scans = [
            Scan(receipt_id=receipt_id, position=position, key=doc.key, sha256=doc.sha256, size=doc.size,
                 content_type=doc.content_type, filename=(filename or "")[:255] or None)
            for position, (filename, doc) in enumerate(scans, start=1)
        ]
        receipt.record(ReceiptDiarised(
            **receipt._event_base(), kind=receipt.kind, classification=receipt.classification, subject=receipt.subject,
            language=receipt.language, sender_name=receipt.sender_name, sender_organisation=receipt.sender_organisation,
            main_category=receipt.main_category, sub_category=receipt.sub_category, delivery_mode=receipt.delivery_mode,
            vip=receipt.vip, letter_number=receipt.letter_number, letter_date=domain.as_iso(receipt.letter_date),
            received_date=domain.as_iso(receipt.received_date), diarised_by=diarist.id, holder=diarist.id,
            channel=channel, copied_from=copied_from, scans=[scan.ref() for scan in receipt.scans],
            acknowledge_to=acknowledge_to,
        ))
        return receipt

    @classmethod
    def from_issued_letter(cls, holder: Diarist, letter: Letter, scans: Sequence[tuple[str | None, StoredDocument]],
                           issued: IssuedLetter, now: datetime) -> Receipt:
        """A letter another office of the deployment issued, received in the holder's office."""
        receipt = cls.diarise(holder, letter, scans, letters.INTRA, now)
        receipt.issue_number, receipt.source_file_id = issued.issue_number, issued.source_file_id
        receipt.source_dispatch_id, receipt.for_information = issued.dispatch_id, issued.for_information
        receipt.record(LetterReceived(
            **receipt._event_base(), dispatch_id=issued.dispatch_id, issue_number=issued.issue_number,
            source_file_id=issued.source_file_id, holder=holder.id, for_information=issued.for_information,
            received_at=now.isoformat(),
        ))
        return receipt

    def number(self, serial: int) -> None:
        """Give the receipt its office's next serial; the events it recorded before carry its number."""
        placeholder = self.receipt_number
        self.serial = serial
        self.receipt_number = domain.receipt_number(serial, self.year, self.office_code)
        for event in self.collect_events():
            self.record(replace(event, receipt_number=self.receipt_number) if event.receipt_number == placeholder else event)

    def letter(self) -> Letter:
        return Letter(**{name: getattr(self, name) for name in LETTER_FIELDS})

    # --- what the rules see ----------------------------------------------------------------------

    def view(self) -> domain.ReceiptView:
        return domain.ReceiptView(
            id=self.id, office=self.office_code, created_by=self.created_by, holder=self.holder_id, status=self.status,
            kind=self.kind, classification=self.classification, received=self.received_at is not None,
            movements=[domain.Move(m.from_user, m.to_user, m.copy, m.for_user) for m in self.movements],
        )

    def ensure_visible_to(self, user_id: str, office: str | None) -> None:
        domain.ensure_visible(self.view(), user_id, office)

    def ensure_can_act(self, user_id: str) -> None:
        domain.ensure_can_act(self.view(), user_id)

    def reply_target(self, by: str) -> str:
        return domain.reply_target(self.view(), by)

    # --- what its holder does ----------------------------------------------------------------------

    def open_by(self, user_id: str, now: datetime) -> bool:
        """Whether `user_id` holds it or was sent it: then what was sent to them counts as opened. Its
        holder's first opening is kept, and for a letter from another office told to the issuing file."""
        if user_id != self.holder_id and all(m.to_user != user_id for m in self.movements):
            return False
        for movement in self.movements:
            if movement.to_user == user_id and movement.opened_at is None:
                movement.opened_at = now
                self.opened_now.append(movement)
        if user_id == self.holder_id and self.opened_at is None:
            self.opened_at = now
            if self.source_dispatch_id:
                self.record(LetterOpened(**self._event_base(), dispatch_id=self.source_dispatch_id, opened_by=user_id,
                                         opened_at=now.isoformat()))
        return True

    def send(self, by: str, dispatch: Dispatch, clearances: Mapping[str, str], now: datetime, action: str = "send",
             acting_for: dict[str, str] | None = None) -> None:
        """Send (or, with action "reply", send back): checks who may send to whom, each recipient cleared for
        the receipt (`clearances`: {id: clearance} of the active users among them and their acting officers).
        What goes to an officer away today goes to whoever acts for them (`acting_for`: {absent: acting}), marked for them."""
        view = self.view()
        moves = acting.redirected_moves(domain.plan_send(view, by, list(dispatch.to), clearances), acting_for or {}, by)
        domain.ensure_cleared(view, moves, clearances)
        self._move(moves, dispatch, now, action, on_behalf_of=self._held_for(by))

    def pull_back(self, by: str, clearances: Mapping[str, str], now: datetime) -> None:
        """Its sender takes it back from the holder, until the holder opens it (eOffice's pull back), if still
        cleared for it (`clearances`: {id: clearance}, the sender's among them)."""
        handover = next((m for m in reversed(self.movements) if not m.copy), None)
        move = domain.plan_pull_back(self.view(), by, handover is not None and handover.opened_at is not None, clearances)
        # Taking back what one sent on an absent officer's behalf is done on their behalf, and held for them again.
        on_behalf_of = handover.on_behalf_of if handover is not None and handover.from_user == by else None
        self.movements.append(Movement(receipt_id=self.id, action="pull_back", from_user=move.from_user, to_user=move.to_user,
                                       copy=False, sent_at=now, opened_at=now, for_user=on_behalf_of, on_behalf_of=on_behalf_of))
        self.holder_id, self.updated_at = move.to_user, now
        self.record(ReceiptPulledBack(**self._event_base(), by_user=by, from_user=move.from_user))

    def hand_over(self, leaving: str, successor: str, by_user: str, now: datetime) -> None:
        """An admin handed the leaving officer's work to a successor (files' file_transferred); the use case
        hands over only what the successor is cleared for (domain.is_cleared_for)."""
        self._move([domain.Move(leaving, successor)], Dispatch(to=[successor], remarks=f"transferred by {by_user}"), now, "transfer")

    def hand_over_on_leave(self, absent: str, acting_user: str, now: datetime) -> None:
        """An officer going on leave chose to hand what they hold to the officer acting for them: held for them
        meanwhile, due when it was due to them (reminders follow it)."""
        received = next((m for m in reversed(self.movements) if not m.copy and m.to_user == absent), None)
        dispatch = Dispatch(to=[acting_user], remarks=acting.HANDED_OVER_ON_LEAVE, due_date=received.due_date if received else None,
                            priority=received.priority if received else "normal")
        self._move([domain.Move(absent, acting_user, False, absent)], dispatch, now, "hand_over")

    def receive(self, by: str, now: datetime) -> None:
        """The physical letter reached its holder's desk."""
        domain.check_receive(self.view(), by)
        self.received_at = self.updated_at = now
        self.record(ReceiptReceived(**self._event_base(), received_by=by, received_at=now.isoformat()))

    def put_in_file(self, by: str, file_id: str, now: datetime) -> None:
        view = self.view()
        domain.ensure_can_act(view, by)
        self.status, self.file_id, self.updated_at = domain.IN_FILE, file_id, now
        self.record(ReceiptPutInFile(
            **self._event_base(), file_id=file_id, put_by=by, subject=self.subject, classification=self.classification,
            kind=self.kind, sender_name=self.sender_name, sender_organisation=self.sender_organisation,
            letter_number=self.letter_number, letter_date=domain.as_iso(self.letter_date),
            received_date=domain.as_iso(self.received_date), scans=[scan.ref() for scan in self.scans],
            cleared=sorted(domain.cleared_for(view)), on_behalf_of=self._held_for(by),
        ))

    def follow_merge(self, main_file_id: str) -> None:
        """Its part file was merged into the main file (files' part_file_merged): the receipt lives there now.
        Files published the move; the receipt records none of its own."""
        self.file_id = main_file_id

    def close(self, by: str, remarks: str, now: datetime) -> None:
        domain.ensure_can_act(self.view(), by)
        self.status, self.closed_by, self.closed_at = domain.CLOSED, by, now
        self.closing_remarks, self.updated_at = remarks, now
        self.record(ReceiptClosed(**self._event_base(), closed_by=by, remarks=remarks, on_behalf_of=self._held_for(by)))

    def _held_for(self, by: str) -> str | None:
        """The absent officer `by` holds this receipt for, as their acting officer (they act on their behalf)."""
        held = next((m for m in reversed(self.movements) if not m.copy), None)
        if held is None or held.for_user is None or held.to_user != by or self.holder_id != by:
            return None
        return held.for_user

    def _move(self, moves: list[domain.Move], dispatch: Dispatch, now: datetime, action: str,
              on_behalf_of: str | None = None) -> None:
        self.movements += [
            Movement(receipt_id=self.id, action=action, from_user=move.from_user, to_user=move.to_user, copy=move.copy,
                     for_user=move.for_user, remarks=dispatch.remarks, due_date=dispatch.due_date, priority=dispatch.priority,
                     sent_at=now, on_behalf_of=on_behalf_of)
            for move in moves
        ]
        self.holder_id, self.updated_at = moves[0].to_user, now
        self.record(ReceiptSent(
            **self._event_base(), action=action, from_user=moves[0].from_user, to_user=moves[0].to_user,
            copies_to=[move.to_user for move in moves[1:]], for_user=moves[0].for_user, on_behalf_of=on_behalf_of, remarks=dispatch.remarks,
            due_date=domain.as_iso(dispatch.due_date), priority=dispatch.priority,
            classification=self.classification, subject=self.subject,
        ))

    def _event_base(self) -> dict[str, Any]:
        return {"receipt_id": self.id, "receipt_number": self.receipt_number, "office": self.office_code, "district": self.district}
