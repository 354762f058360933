"""Events the files service publishes (through its outbox), as listed in services/EVENTS.md.
It consumes dak's receipt_put_in_file, user_recorded and office_recorded, and signing's document_signed."""
from dataclasses import dataclass, field

from eoffice_common.events import DomainEvent


@dataclass(frozen=True)
class FileEvent(DomainEvent):
    aggregate_type = "file"
    file_id: str
    file_number: str
    office: str
    district: str

    @property
    def aggregate_id(self):
        return self.file_id


@dataclass(frozen=True)
class FileCreated(FileEvent):
    event_type = "file_created"
    computer_number: int = 0
    section: str | None = None
    subject: str = ""
    category: str | None = None
    kind: str = "electronic"
    classification: str = "normal"
    created_by: str = ""
    numbering: str = "sfs"
    volume: int = 1
    part: int | None = None
    parent_file_id: str | None = None


@dataclass(frozen=True)
class NoteAdded(FileEvent):
    """A yellow note was written."""

    event_type = "note_added"
    note_id: str = ""
    author: str = ""


@dataclass(frozen=True)
class NoteConfirmed(FileEvent):
    """A note turned green: permanent, with its paragraph numbers; `confirmed_by` says why (the author
    confirmed it, or the file was sent on)."""

    event_type = "note_confirmed"
    note_id: str = ""
    author: str = ""
    text: str = ""
    first_paragraph: int = 0
    last_paragraph: int = 0
    content_sha256: str = ""
    confirmed_at: str = ""
    classification: str = "normal"
    confirmed_on: str = "confirm"
    subject: str = ""  # the file's, for the note's PDF


@dataclass(frozen=True)
class ReceiptLinked(FileEvent):
    event_type = "receipt_linked"
    receipt_id: str = ""
    receipt_number: str = ""
    linked_by: str = ""
    correspondence_id: str = ""
    scans: list = field(default_factory=list)


@dataclass(frozen=True)
class DocumentsAttached(FileEvent):
    """Documents attached to a file's correspondence (not a receipt: that is receipt_linked)."""

    event_type = "documents_attached"
    correspondence_id: str = ""
    title: str = ""
    sender_name: str | None = None
    sender_organisation: str | None = None
    letter_number: str | None = None
    letter_date: str | None = None
    added_by: str = ""
    classification: str = "normal"
    # {position, key, sha256, size, content_type, filename}: the documents in the shared store.
    documents: list = field(default_factory=list)


@dataclass(frozen=True)
class DraftVersioned(FileEvent):
    event_type = "draft_versioned"
    draft_id: str = ""
    version: int = 1
    author: str = ""
    # The version's text, for search to find a draft before it is approved.
    subject: str = ""
    content: str = ""


@dataclass(frozen=True)
class DraftApproved(FileEvent):
    event_type = "draft_approved"
    draft_id: str = ""
    version: int = 1
    approver: str = ""
    subject: str = ""
    content: str = ""
    content_sha256: str = ""
    classification: str = "normal"
    issue_number: str | None = None  # reserved at approval: the letter signed before issue carries it


@dataclass(frozen=True)
class DraftIssued(FileEvent):
    event_type = "draft_issued"
    draft_id: str = ""
    version: int = 1
    issue_number: str = ""
    dispatch_mode: str = "post"
    issued_by: str = ""
    recipients: list = field(default_factory=list)
    subject: str = ""
    classification: str = "normal"
    issued_at: str = ""
    # The signed PDF (signing's key in the shared store) and each addressee's dispatch: {dispatch_id,
    # position, mode (intra|email|post), copy, name, user, office, email, address, postal_mode, article_number}.
    pdf_key: str | None = None
    pdf_sha256: str | None = None
    addressees: list = field(default_factory=list)


@dataclass(frozen=True)
class FileSent(FileEvent):
    event_type = "file_sent"
    movement_id: int = 0
    action: str = "send"
    from_user: str = ""
    to_user: str = ""
    remarks: str | None = None
    due_date: str | None = None
    priority: str = "normal"
    subject: str = ""
    classification: str = "normal"
    sent_at: str = ""
    for_user: str | None = None  # to_user received it holding charge for this officer, who is away
    on_behalf_of: str | None = None  # from_user sent it as the acting officer of this absent officer


@dataclass(frozen=True)
class FileOpened(FileEvent):
    event_type = "file_opened"
    movement_id: int = 0
    user: str = ""
    opened_at: str = ""


@dataclass(frozen=True)
class FileReceived(FileEvent):
    """A physical file reached its custodian's desk."""

    event_type = "file_received"
    movement_id: int = 0
    received_by: str = ""
    received_at: str = ""


@dataclass(frozen=True)
class FilePulledBack(FileEvent):
    event_type = "file_pulled_back"
    movement_id: int = 0
    by_user: str = ""
    from_user: str = ""


@dataclass(frozen=True)
class FileParked(FileEvent):
    event_type = "file_parked"
    by_user: str = ""


@dataclass(frozen=True)
class FileUnparked(FileEvent):
    event_type = "file_unparked"
    by_user: str = ""


@dataclass(frozen=True)
class FileReopened(FileEvent):
    event_type = "file_reopened"
    by_user: str = ""


@dataclass(frozen=True)
class FileClosed(FileEvent):
    event_type = "file_closed"
    by_user: str = ""
    created_at: str = ""
    movement_count: int = 0
    kind: str = "electronic"


@dataclass(frozen=True)
class PartFileMerged(FileEvent):
    """A part file joined this (main) file: its notes and correspondence moved in; the part closed."""

    event_type = "part_file_merged"
    part_file_id: str = ""
    part_file_number: str = ""
    part: int = 0
    merged_by: str = ""
    note_ids: list = field(default_factory=list)
    correspondence_ids: list = field(default_factory=list)
    receipt_ids: list = field(default_factory=list)
    merged_at: str = ""


@dataclass(frozen=True)
class FileLinked(FileEvent):
    event_type = "file_linked"
    linked_file_id: str = ""
    linked_file_number: str = ""
    by_user: str = ""


@dataclass(frozen=True)
class FileUnlinked(FileEvent):
    event_type = "file_unlinked"
    linked_file_id: str = ""
    linked_file_number: str = ""
    by_user: str = ""


@dataclass(frozen=True)
class FileAttached(FileEvent):
    """A file was attached into this one: it travels with it until detached."""

    event_type = "file_attached"
    attached_file_id: str = ""
    attached_file_number: str = ""
    by_user: str = ""


@dataclass(frozen=True)
class FileDetached(FileEvent):
    event_type = "file_detached"
    attached_file_id: str = ""
    attached_file_number: str = ""
    by_user: str = ""


@dataclass(frozen=True)
class FilesTransferred(DomainEvent):
    """All files of an officer leaving a post handed to the successor. Aggregate: the officer leaving."""

    event_type = "file_transferred"
    aggregate_type = "user"
    from_user: str
    to_user: str
    file_ids: list
    by_user: str
    office: str
    district: str

    @property
    def aggregate_id(self):
        return self.from_user
