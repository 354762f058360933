"""The rules of dak, in plain Python: numbering, who may see and act on a receipt, movements."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from eoffice_common.directory import CLEARANCES, DEFAULT_CLEARANCE
from eoffice_common.search import search_form

from .exceptions import (
    AlreadyReceived,
    InvalidRecipients,
    NothingToReplyTo,
    NotHolder,
    NotPhysical,
    NotSender,
    ReceiptAlreadyOpened,
    ReceiptNotFound,
    ReceiptNotOpen,
    RecipientNotCleared,
    ScansRequired,
)

IST = timezone(timedelta(hours=5, minutes=30))
RESTRICTED = frozenset({"secret", "top_secret"})
OPEN, IN_FILE, CLOSED = "open", "in_file", "closed"
MAX_RECIPIENTS = 20
DEVANAGARI = re.compile("[\u0900-\u097F]")


def receipt_number(serial, year, office_code):
    """`81829/2023/ARC-DARPG`: serial / year / office code, as printed on letters."""
    return f"{serial}/{year}/{office_code}"


def diary_year(moment):
    """Receipt serials restart each calendar year in India Standard Time."""
    return moment.astimezone(IST).year


def today_ist():
    return datetime.now(IST).date()


def detect_language(text):
    return "hi" if DEVANAGARI.search(text or "") else "en"


@dataclass
class ReceiptView:
    """What the rules need to know about a receipt."""

    id: str
    office: str
    created_by: str
    holder: str
    status: str
    kind: str
    classification: str
    received: bool
    # everyone it was ever sent to (as holder or copy), in order, with who sent it
    movements: list = field(default_factory=list)

    @property
    def people_sent_to(self):
        return {m.to_user for m in self.movements}


@dataclass(frozen=True)
class Move:
    from_user: str
    to_user: str
    copy: bool = False
    for_user: str | None = None  # the officer away for whom to_user holds charge


def cleared_for(receipt):
    """Who may see the receipt wherever it is, whatever its classification: its creator and the
    people it was sent to."""
    return {receipt.created_by} | receipt.people_sent_to


def can_view(receipt, user_id, user_office):
    """Secret and Top Secret: only its creator and the people it was sent to.
    Otherwise also anyone in the receipt's office."""
    if user_id in cleared_for(receipt):
        return True
    if receipt.classification in RESTRICTED:
        return False
    return user_office == receipt.office


def ensure_visible(receipt, user_id, user_office):
    if not can_view(receipt, user_id, user_office):
        raise ReceiptNotFound(f"receipt {receipt.id} was not found")


def ensure_can_act(receipt, user_id):
    """Only the current holder acts, and only on an open receipt."""
    if receipt.holder != user_id:
        raise NotHolder("only the current holder of the receipt can do this")
    if receipt.status != OPEN:
        raise ReceiptNotOpen(f"the receipt is {receipt.status.replace('_', ' ')}")


def check_new_receipt(kind, scan_count, has_body_text=False):
    if kind == "electronic" and scan_count == 0 and not has_body_text:
        raise ScansRequired("an electronic receipt needs at least one scan", fields={"scans": "at least one scan is required"})
    if kind == "physical" and scan_count:
        raise ScansRequired("a physical receipt carries no scans", fields={"scans": "not allowed for a physical receipt"})


def plan_send(receipt, by, recipients, known_users):
    """The moves for sending to `recipients`: the first becomes the holder, the rest get copies."""
    ensure_can_act(receipt, by)
    if not recipients:
        raise InvalidRecipients("choose at least one recipient", fields={"to": "at least one recipient"})
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidRecipients(f"at most {MAX_RECIPIENTS} recipients", fields={"to": "too many recipients"})
    if len(set(recipients)) != len(recipients):
        raise InvalidRecipients("a recipient is listed twice", fields={"to": "duplicate recipient"})
    if by in recipients:
        raise InvalidRecipients("you already hold this receipt", fields={"to": "cannot send to yourself"})
    unknown = [r for r in recipients if r not in known_users]
    if unknown:
        raise InvalidRecipients(f"unknown users: {', '.join(unknown)}", fields={"to": f"unknown: {', '.join(unknown)}"})
    return [Move(by, recipients[0])] + [Move(by, r, copy=True) for r in recipients[1:]]


def is_cleared_for(clearance, classification):
    """Whether an officer of `clearance` (None: not an active user, so Normal only) may receive an item of
    `classification`: the levels normal < confidential < secret < top_secret."""
    return CLEARANCES.index(clearance or DEFAULT_CLEARANCE) >= CLEARANCES.index(classification)


def ensure_cleared(receipt, moves, clearances):
    """Everyone the receipt goes to, holder or copy (marked), is cleared for its classification: the officer
    holding charge for one who is away too. `clearances`: {user id: clearance} of the active users."""
    refused = [{"recipient": move.to_user, "clearance": clearances.get(move.to_user) or DEFAULT_CLEARANCE, "acting_for": move.for_user}
               for move in moves if not is_cleared_for(clearances.get(move.to_user), receipt.classification)]
    if refused:
        names = ", ".join(r["recipient"] + (f" (holding charge for {r['acting_for']})" if r["acting_for"] else "") for r in refused)
        raise RecipientNotCleared(f"not cleared for this {receipt.classification} receipt: {names}",
                                  classification=receipt.classification, refused=refused)


def reply_target(receipt, by):
    """A reply goes back to whoever last handed the receipt to its holder."""
    ensure_can_act(receipt, by)
    for move in reversed(receipt.movements):
        if move.to_user == by and not move.copy:
            return move.from_user
    raise NothingToReplyTo("nobody sent you this receipt; use send instead")


def check_receive(receipt, by):
    ensure_can_act(receipt, by)
    if receipt.kind != "physical":
        raise NotPhysical("only a physical receipt is received at the desk")
    if receipt.received:
        raise AlreadyReceived("the physical receipt was already received")


def possible_duplicate(sender_organisation, letter_number, letter_date):
    """Whether a duplicate check applies: all three identifying fields are known."""
    return bool(sender_organisation and letter_number and letter_date)


def is_due_date_valid(due, today=None):
    return due is None or due >= (today or today_ist())


def as_iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def receipt_search_texts(receipt):
    """(subject, sender) of a receipt in search form: what a search by subject words or by sender
    compares with, Hindi spelling variants folded."""
    sender = " ".join(filter(None, (receipt.sender_name, receipt.sender_designation, receipt.sender_organisation)))
    return search_form(receipt.subject), search_form(sender)


def user_search_text(user):
    """A user's id, names and designations in search form (the directory's search)."""
    return search_form(" ".join(filter(None, (user["id"], user["name_en"], user["name_hi"], user["designation_en"], user["designation_hi"]))))


def plan_pull_back(receipt, by, last_handover_opened, clearances):
    """The sender takes the receipt back from its holder, until the holder opens it (eOffice's pull back),
    if still cleared for it (`clearances`: {user id: clearance}, the sender's among them)."""
    if receipt.status != OPEN:
        raise ReceiptNotOpen(f"the receipt is {receipt.status.replace('_', ' ')}")
    handover = next((m for m in reversed(receipt.movements) if not m.copy), None)
    if handover is None or handover.from_user != by or receipt.holder == by:
        raise NotSender("only whoever sent the receipt to its holder pulls it back")
    if last_handover_opened:
        raise ReceiptAlreadyOpened("the recipient has opened the receipt; it can no longer be pulled back")
    move = Move(receipt.holder, by)
    ensure_cleared(receipt, [move], clearances)
    return move
