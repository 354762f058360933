"""The rules of files, in plain Python, over any object with the names they read (model.File, models.User,
model.Note ...): file numbers, who may open a file, the one custodian and how
a file moves, noting and paragraph numbers, drafts for approval, and the audit log's hash chain."""
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from eoffice_common.directory import CLEARANCES, DEFAULT_CLEARANCE
from eoffice_common.search import search_form

from .exceptions import (
    AlreadyOpened,
    AlreadyReceived,
    AttachedFile,
    DraftAlreadyIssued,
    DraftNotApproved,
    DraftNotEditable,
    FileClosed,
    FileNotClosed,
    FileNotFound,
    FileNotParked,
    FileParked,
    InvalidRecipient,
    InvalidReferences,
    InvalidRelation,
    InvalidTransfer,
    NotAdmin,
    NotAPart,
    NotAuthor,
    NotCustodian,
    NoteConfirmed,
    NothingToPullBack,
    NothingToReturn,
    NotOfficer,
    NotOwner,
    NotPhysical,
    NotSender,
    PartFile,
    PhysicalFile,
    ReceiptInBoth,
    RecipientNotCleared,
    RelationNotFound,
    UnlinkableEvent,
    VersionConflict,
)

IST = timezone(timedelta(hours=5, minutes=30))
RESTRICTED = frozenset({"secret", "top_secret"})
OPEN, PARKED, CLOSED = "open", "parked", "closed"
YELLOW, GREEN = "yellow", "green"
DRAFT, APPROVED, ISSUED = "draft", "approved", "issued"
SEND, RETURN, PULL_BACK, TRANSFER, HAND_OVER = "send", "return", "pull_back", "transfer", "hand_over"
# The moves that count as a transaction level of a file (a pull back undoes one; a transfer, or a hand-over
# to the officer acting for one on leave, is office work).
COUNTED_MOVES = (SEND, RETURN)
# The moves announced as file_sent: whoever receives the file is told, and its holder follows it everywhere.
ANNOUNCED_MOVES = (SEND, RETURN, HAND_OVER)
HANDED_OVER_ON_LEAVE = "handed over on leave"


# --- numbers -------------------------------------------------------------------------------------

def head_code(main_code, sub_code):
    """The printed head: main head and sub head run together, `N-11` + `016` = `N-11016`."""
    return f"{main_code}{sub_code}"


def sfs_number(code, serial, year, section_label, department_label):
    """A Standard File System number: `N-11016/6/2016-ARC-DARPG`."""
    return f"{code}/{serial}/{year}-{section_label}-{department_label}"


def volume_number(base_number, volume):
    """Volume 1 carries the plain number; later volumes are suffixed: `.../Vol.2`."""
    return base_number if volume == 1 else f"{base_number}/Vol.{volume}"


def part_number(parent_number, part):
    return f"{parent_number}/Part.{part}"


def issue_number(serial, year, office_code):
    """The number a draft is issued under, `I-7/2026/COLL-JHS`: serial per office and year."""
    return f"I-{serial}/{year}/{office_code}"


def clean_number(number):
    return " ".join(number.split())


def number_key(number):
    """Two file numbers are the same if they differ only in case or spacing."""
    return clean_number(number).casefold()


def year_of(moment):
    """File serials restart each calendar year in India Standard Time."""
    return moment.astimezone(IST).year


def today_ist():
    return datetime.now(IST).date()


def is_due_date_valid(due, today=None):
    return due is None or due >= (today or today_ist())


def normalise_for_search(text):
    """Case, width, spacing, Unicode form and Hindi spelling variants folded (eoffice_common.search),
    so that हैंडपम्प finds हैंडपंप and 'Pension' finds 'pension'."""
    return search_form(text)


def search_words(query):
    return search_form(query).split()


# --- who may open a file, and who may act on it --------------------------------------------------

@dataclass(frozen=True)
class Move:
    from_user: str
    to_user: str
    action: str = SEND


def can_open(file, user_id, user_office, was_sent_it):
    """Secret and Top Secret: only its creator, owner, custodian and those it was sent to.
    Otherwise also anyone in the file's office."""
    if user_id in (file.created_by, file.owner, file.custodian) or was_sent_it:
        return True
    if file.classification in RESTRICTED:
        return False
    return user_office == file.office


def can_read_item(item, user_id, user_office, last_movement_to_user, reader=None):
    """A receipt keeps its classification in a file, and dak's rule for who may read it
    (Normal and Confidential: its office; Secret and Top Secret: not its office) with those dak cleared
    (its creator and everyone it was sent to), the officer who put it in the file, and whoever received
    the file after it went in (`last_movement_to_user`: the id of the latest movement of the file to the
    user, or None) if cleared for the receipt's classification (`reader`: their directory row). A Normal
    receipt and an attached document are read by whoever may open the file."""
    if item.kind != "receipt" or item.classification == "normal":
        return True
    if user_id in item.cleared:
        return True
    received_after = last_movement_to_user is not None and last_movement_to_user > (item.linked_after_movement or 0)
    if received_after and is_cleared_for(reader, item.classification):
        return True
    return item.classification not in RESTRICTED and user_office == item.receipt_office


def is_cleared_for(person, classification):
    """Whether `person` (a directory row, or None: not in the copy, so cleared for Normal only) may receive an
    item of `classification`: the levels normal < confidential < secret < top_secret."""
    clearance = getattr(person, "clearance", None) or DEFAULT_CLEARANCE
    return CLEARANCES.index(clearance) >= CLEARANCES.index(classification)


def ensure_cleared(file, recipient_id, people, acting_for=None, field="to"):
    """The file goes (to hold or to own) only to an officer cleared for its classification; to the officer
    holding charge for `acting_for`, who is away, likewise. `people`: directory rows by id."""
    recipient = people.get(recipient_id)
    if is_cleared_for(recipient, file.classification):
        return
    clearance = getattr(recipient, "clearance", None) or DEFAULT_CLEARANCE
    holding = f" (holding charge for {acting_for}, who is away)" if acting_for else ""
    raise RecipientNotCleared(
        f"{recipient_id}{holding} is cleared for {clearance} and cannot receive file {file.file_number}, which is {file.classification}",
        recipient=recipient_id, classification=file.classification, clearance=clearance, acting_for=acting_for, field=field,
    )


def ensure_can_open(file, user_id, user_office, was_sent_it):
    if not can_open(file, user_id, user_office, was_sent_it):
        raise FileNotFound(f"file {file.id} was not found")


def check_version(file, expected_version):
    if expected_version is not None and expected_version != file.version:
        raise VersionConflict(
            f"the file changed since you read it (version {expected_version}, now {file.version}); reload it"
        )


def ensure_custodian(file, user_id):
    if file.custodian != user_id:
        raise NotCustodian("only the custodian of the file can do this")


def ensure_open(file):
    if file.status == PARKED:
        raise FileParked("the file is parked; unpark it first")
    if file.status == CLOSED:
        raise FileClosed("the file is closed")


def ensure_can_write(file, user_id, expected_version=None):
    """Only the custodian writes on or moves a file, and only while it is open."""
    check_version(file, expected_version)
    ensure_custodian(file, user_id)
    ensure_open(file)


def ensure_electronic(file, what):
    if file.kind != "electronic":
        raise PhysicalFile(f"a physical file has no electronic {what}; it is kept on paper")


def check_receive(file, movement, by):
    """A physical file is received, once, by the custodian it was sent to, when it reaches their desk."""
    if file.kind != "physical":
        raise NotPhysical("only a physical file is received at the desk; an electronic one arrives when sent")
    ensure_custodian(file, by)
    if movement is None or movement.to_user != by:
        raise AlreadyReceived("the file was not sent to you; nothing is on its way")
    if movement.received_at is not None:
        raise AlreadyReceived("the physical file was already received")


# --- movement -------------------------------------------------------------------------------------

def plan_send(file, by, to, people, expected_version=None, for_user=None):
    """Sending hands the file to `to` (an active user of `people`, the directory rows by id, cleared for the
    file), who becomes its one custodian: holding charge for `for_user`, who is away, if given."""
    ensure_can_write(file, by, expected_version)
    if not to:
        raise InvalidRecipient("choose whom to send the file to (you have no reporting officer)", fields={"to": "required"})
    if to == by:
        raise InvalidRecipient("you already hold this file", fields={"to": "cannot send to yourself"})
    if to not in people or not people[to].active:
        raise InvalidRecipient(f"unknown user: {to}", fields={"to": f"unknown: {to}"})
    ensure_cleared(file, to, people, acting_for=for_user)
    return Move(by, to, SEND)


def plan_return(file, current, by, people, expected_version=None):
    """A return goes back to whoever sent the file to its custodian, if they are (still) cleared for it."""
    ensure_can_write(file, by, expected_version)
    if current is None or current.action not in COUNTED_MOVES or current.to_user != by or current.from_user == by:
        raise NothingToReturn("nobody sent you this file; use send instead")
    ensure_cleared(file, current.from_user, people)
    return Move(by, current.from_user, RETURN)


def plan_pull_back(file, current, by, people):
    """The sender takes the file back, but only while the recipient has not opened it, and only while
    cleared for it."""
    if current is None or current.action not in COUNTED_MOVES or current.to_user != file.custodian:
        raise NothingToPullBack("the file is not on its way to anyone")
    if current.from_user != by:
        raise NotSender("only the officer who sent the file can pull it back")
    if current.opened:
        raise AlreadyOpened("the recipient has already opened the file")
    ensure_cleared(file, by, people)
    return Move(file.custodian, by, PULL_BACK)


def check_park(file, by, expected_version=None):
    ensure_can_write(file, by, expected_version)


def check_new_volume(file, by):
    """The custodian of a file (or of any of its volumes) opens the next volume; part files have none."""
    if file.relation == "part":
        raise PartFile("a part file has no volumes; open the volume on the main file")
    ensure_can_write(file, by)


def check_new_part(file):
    """Anyone who may open a file can open a part of it to work on while the file is elsewhere."""
    if file.status == CLOSED:
        raise FileClosed("the file is closed")


def check_unpark(file, by, expected_version=None):
    check_version(file, expected_version)
    ensure_custodian(file, by)
    if file.status != PARKED:
        raise FileNotParked("the file is not parked")


def check_close(file, by, expected_version=None):
    """Only the owner closes a file (CSMOP: its creator, or whoever it was transferred to), while holding it."""
    check_version(file, expected_version)
    if file.owner != by:
        raise NotOwner("only the owner of the file can close it")
    ensure_custodian(file, by)
    if file.status == CLOSED:
        raise FileClosed("the file is already closed")


def check_reopen(file, by, expected_version=None):
    check_version(file, expected_version)
    if getattr(file, "merged_at", None) is not None:
        raise FileClosed("the part file was merged into its main file; it stays closed")
    if file.owner != by:
        raise NotOwner("only the owner of the file can reopen it")
    if file.status != CLOSED:
        raise FileNotClosed("the file is not closed")


# --- parts merged, files linked and attached ------------------------------------------------------

def ensure_not_attached(file, what):
    """An attached file moves only with the file it is attached to, until it is detached."""
    if file.attached_to_file_id is not None:
        raise AttachedFile(f"the file is attached to another file and travels with it; detach it before it is {what}")


def check_merge(main, part, by, part_receipts, main_receipts):
    """A part file joins its main file by the hand of the custodian of both (eFile: the part's noting
    and correspondence are merged into the main file, which must be with the officer merging)."""
    if part.relation != "part" or part.parent_file_id != main.id:
        raise NotAPart(f"file {part.id} is not a part file of {main.id}")
    ensure_can_write(part, by)
    ensure_can_write(main, by)
    both = set(part_receipts) & set(main_receipts)
    if both:
        raise ReceiptInBoth(f"receipts already in the main file: {', '.join(sorted(both))}")


def check_link(file, other, by, already_linked):
    """The custodian of a file links it to any other file they may open: a reference, both stay independent."""
    ensure_can_write(file, by)
    if other.id == file.id:
        raise InvalidRelation("a file cannot be linked to itself")
    if already_linked:
        raise InvalidRelation("the files are already linked")


def check_unlink(file, by, link):
    ensure_custodian(file, by)
    if link is None:
        raise RelationNotFound("the files are not linked")


def check_attach(main, other, by, other_has_attachments):
    """The custodian of both attaches one file into the other; one level only, so that a file travels
    with exactly one main file."""
    ensure_can_write(main, by)
    ensure_can_write(other, by)
    if other.id == main.id:
        raise InvalidRelation("a file cannot be attached to itself")
    if other.attached_to_file_id is not None:
        raise InvalidRelation("the file is already attached to a file; detach it first")
    if main.attached_to_file_id is not None:
        raise InvalidRelation("this file is itself attached to another file; files are attached one level deep")
    if other_has_attachments:
        raise InvalidRelation("the file has files attached to it; detach them first")


def check_detach(main, attached, by):
    ensure_custodian(main, by)
    if attached.attached_to_file_id != main.id:
        raise RelationNotFound("the file is not attached to this file")


def ensure_admin(user, what="do this"):
    if "admin" not in user.roles:
        raise NotAdmin(f"only an administrator can {what}")


def check_transfer(admin, leaving, successor):
    """An admin of the leaving officer's office hands all their files to a successor in that office."""
    ensure_admin(admin, "transfer files")
    if leaving is None:
        raise InvalidTransfer("the officer leaving the post is not in the directory", fields={"from_user": "unknown user"})
    if admin.office != leaving.office:
        raise NotAdmin("you administer another office")
    if successor is None or not successor.active:
        raise InvalidTransfer("the successor is not an active user", fields={"to_user": "unknown or inactive user"})
    if successor.id == leaving.id:
        raise InvalidTransfer("the successor is the officer leaving", fields={"to_user": "same as from_user"})
    if successor.office != leaving.office:
        raise InvalidTransfer("the successor works in another office", fields={"to_user": "another office"})


def check_transfer_cleared(files, successor):
    """The successor takes over (holds or owns) every file of the officer leaving, so must be cleared for the
    highest classified of them: otherwise none moves, and the refusal names each file above their clearance."""
    refused = [file for file in files if not is_cleared_for(successor, file.classification)]
    if not refused:
        return
    highest = max((file.classification for file in refused), key=CLEARANCES.index)
    raise RecipientNotCleared(
        f"{successor.id} is cleared for {successor.clearance} and cannot take over "
        f"{', '.join(file.file_number for file in refused)} ({highest} at most)",
        recipient=successor.id, classification=highest, clearance=successor.clearance, field="to_user",
    )


def receipt_link_refusal(file, put_by):
    """Why `put_by` may not put a receipt in the file, as (reason code, message), or None: the file must be
    known here and not closed, and `put_by` must be its custodian."""
    if file is None:
        return "file_not_found", "the file is not known to the files service"
    if file.status == CLOSED:
        return "file_closed", f"file {file.id} is closed"
    if file.custodian != put_by:
        return "not_custodian", f"{put_by} put the receipt in file {file.id} but is not its custodian ({file.custodian})"
    return None


def check_receipt_link(file, put_by, custodian_then):
    """dak's `receipt_put_in_file` takes effect if `put_by` held the file when the receipt went in
    (`custodian_then`); otherwise the event is dead-lettered. dak asked `receipt_link_refusal` before it
    committed, so the file may have moved on or closed by the time the event arrives: the receipt went in
    all the same."""
    if file is None:
        raise UnlinkableEvent("the file is not known to the files service")
    if custodian_then != put_by:
        raise UnlinkableEvent(f"{put_by} put the receipt in file {file.id} but did not hold it then ({custodian_then})")


def check_signable(document_kind, status):
    """signing's document_signed applies to a green note or an approved (or issued) draft;
    anything else is dead-lettered."""
    allowed = {"note": (GREEN,), "draft": (APPROVED, ISSUED)}
    if document_kind not in allowed:
        raise UnlinkableEvent(f"unknown document kind {document_kind!r}")
    if status is None:
        raise UnlinkableEvent(f"the {document_kind} is not in this file")
    if status not in allowed[document_kind]:
        raise UnlinkableEvent(f"a {status} {document_kind} cannot be signed")


# --- noting ---------------------------------------------------------------------------------------

def split_paragraphs(text):
    """Paragraphs are separated by a blank line."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def number_paragraphs(last_paragraph, text):
    """Paragraph numbers continue across the green notes of a file: (first, last) of this note."""
    count = max(len(split_paragraphs(text)), 1)
    return last_paragraph + 1, last_paragraph + count


def check_note_change(note, by):
    """A yellow note is edited, discarded or confirmed only by its author."""
    if note.author != by:
        raise NotAuthor("only the author of a note can change it")
    if note.status != YELLOW:
        raise NoteConfirmed("a green note is permanent")


def check_references(references, correspondence_ids):
    if len(set(references)) != len(references):
        raise InvalidReferences("a correspondence item is referenced twice", fields={"references": "duplicate"})
    unknown = [r for r in references if r not in correspondence_ids]
    if unknown:
        raise InvalidReferences(
            f"not in this file's correspondence: {', '.join(unknown)}", fields={"references": f"unknown: {', '.join(unknown)}"}
        )


def content_sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- drafts for approval --------------------------------------------------------------------------

def check_draft_editable(draft):
    if draft.status != DRAFT:
        raise DraftNotEditable(f"the draft is {draft.status}; it can no longer change")


def check_approve(draft, approver_roles, version=None):
    check_draft_editable(draft)
    if "officer" not in approver_roles:
        raise NotOfficer("only an officer can approve a draft")
    if version is not None and version != draft.current_version:
        raise VersionConflict(f"version {version} is not the latest ({draft.current_version})")


def check_issue(draft):
    if draft.status == ISSUED:
        raise DraftAlreadyIssued("the draft was already issued")
    if draft.status != APPROVED:
        raise DraftNotApproved("only an approved draft can be issued")


def signature_state(signed_sha256, current_sha256):
    """Signed, and whether what was signed is still the content on record."""
    if not signed_sha256:
        return {"signed": False, "content_matches": None}
    return {"signed": True, "content_matches": signed_sha256 == current_sha256}


def as_iso(value):
    """A date or time as ISO 8601 text; anything else (None included) as it is."""
    return value.isoformat() if isinstance(value, (date, datetime)) else value


# --- the audit log's hash chain ---------------------------------------------------------------------

def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso)


def _iso(value):
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def iso_utc(moment):
    if moment.tzinfo is None:  # SQLite gives back naive datetimes; they were written in UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class AuditRecord:
    """One entry of a file's audit log, as stored."""

    seq: int
    action: str
    actor: str
    at: datetime
    details: dict
    prev_hash: str | None
    hash: str


def audit_hash(prev_hash, file_id, seq, action, actor, at, details):
    """sha256 of the previous entry's hash followed by this entry as canonical JSON."""
    entry = {"file_id": file_id, "seq": seq, "action": action, "actor": actor, "at": iso_utc(at), "details": details}
    return hashlib.sha256(((prev_hash or "") + canonical_json(entry)).encode("utf-8")).hexdigest()


def verify_chain(file_id, records, head_seq, head_hash):
    """Walk the chain from the first entry; report the first entry that does not hold.
    The file row keeps the last sequence number and hash, so a removed last entry is caught too."""
    previous = None
    for expected_seq, record in enumerate(records, start=1):
        reason = None
        if record.seq != expected_seq:
            reason = f"entry {expected_seq} is missing"
        elif record.prev_hash != previous:
            reason = "it does not carry the previous entry's hash"
        elif audit_hash(record.prev_hash, file_id, record.seq, record.action, record.actor, record.at, record.details) != record.hash:
            reason = "its content does not match its hash"
        if reason:
            return {"valid": False, "entries": len(records), "first_broken": {"seq": expected_seq, "reason": reason}}
        previous = record.hash
    if len(records) != head_seq or previous != head_hash:
        return {
            "valid": False,
            "entries": len(records),
            "first_broken": {"seq": len(records) + 1, "reason": f"the file records {head_seq} entries ending in another hash"},
        }
    return {"valid": True, "entries": len(records), "first_broken": None}
