"""The input of each dak use case: small dataclasses the entrypoints build from a request."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .address_book import Entry
from .model import Dispatch, Letter, StoredDocument


@dataclass(frozen=True)
class Diarise:
    """Diarise a letter (Generate & Send when `send` says where it goes next)."""

    user_id: str
    letter: Letter
    scans: Sequence[tuple[str | None, StoredDocument]] = ()
    channel: str = "form"
    send: Dispatch | None = None
    # Tell the sender its receipt number (by their email / mobile): None follows the office's setting.
    acknowledge: bool | None = None


@dataclass(frozen=True)
class DiariseBatch:
    """Generate & Copy: several letters numbered in one transaction."""

    user_id: str
    letters: Sequence[Letter]
    acknowledge: Sequence[bool | None] = ()  # per letter, as Diarise.acknowledge; missing ones None


@dataclass(frozen=True)
class OnReceipt:
    """An action of a user on one receipt; `office` is the user's, for who may see it."""

    receipt_id: str
    user_id: str
    office: str | None


@dataclass(frozen=True)
class SendReceipt(OnReceipt):
    dispatch: Dispatch = field(default_factory=lambda: Dispatch(to=()))


@dataclass(frozen=True)
class ReplyToReceipt(OnReceipt):
    remarks: str | None = None


@dataclass(frozen=True)
class PutReceiptInFile(OnReceipt):
    file_id: str = ""


@dataclass(frozen=True)
class CloseReceipt(OnReceipt):
    remarks: str = ""


@dataclass(frozen=True)
class PullBack(OnReceipt):
    """Its sender takes the receipt back from the holder, who has not opened it yet."""


@dataclass(frozen=True)
class SetAcknowledgements:
    """An office's admin turns the acknowledgement of diarised letters to their senders on or off."""

    office: str
    enabled: bool


@dataclass(frozen=True)
class AddCorrespondent:
    """A clerk or officer writes a correspondent into their office's address book by hand."""

    by: str
    entry: Entry


@dataclass(frozen=True)
class EditCorrespondent:
    """A clerk or officer corrects an entry of their office's address book (every field, as given)."""

    by: str
    correspondent_id: int
    entry: Entry


@dataclass(frozen=True)
class TransferReceipts:
    """files' file_transferred: an officer's work goes to a successor."""

    from_user: str
    to_user: str
    by_user: str


@dataclass(frozen=True)
class FollowMergedFile:
    """files' part_file_merged: the receipts in the part file now live in its main file."""

    part_file_id: str
    main_file_id: str


@dataclass(frozen=True)
class RecordOffice:
    """An admin adds an office, or changes its names, district or department."""

    by: str
    code: str
    name_en: str
    name_hi: str
    district: str
    department: str


@dataclass(frozen=True)
class RecordSection:
    """An admin adds a section to an office, or renames it."""

    by: str
    code: str
    office: str
    name_en: str
    name_hi: str


@dataclass(frozen=True)
class RecordUser:
    """An admin adds a user, or changes their record (a deactivated user stays deactivated)."""

    by: str
    user_id: str
    name_en: str
    name_hi: str
    designation_en: str
    designation_hi: str
    office: str
    section: str | None = None
    reporting_officer: str | None = None
    roles: Sequence[str] = ()
    clearance: str = "normal"
    language: str = "hi"
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True)
class DeactivateUser:
    """An admin deactivates a user who has left: kept, never deleted, and no longer sent anything."""

    by: str
    user_id: str
