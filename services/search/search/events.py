"""The events search consumes (services/EVENTS.md), and the fields it reads of each; it publishes none."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONSUMED = {
    "dak": ("receipt_diarised", "receipt_sent"),
    "files": ("file_created", "file_sent", "file_pulled_back", "file_transferred", "receipt_linked",
              "note_confirmed", "draft_versioned", "draft_approved", "documents_attached", "part_file_merged"),
}


Classification = Literal["normal", "confidential", "secret", "top_secret"]


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")


class StoredDocument(EventData):
    """A scan of a diarised letter, or a document attached to a file: where the document store keeps it."""

    position: int
    key: str = Field(min_length=1, max_length=255)
    content_type: str | None = None
    filename: str | None = None


class ReceiptDiarised(EventData):
    receipt_id: str = Field(min_length=1, max_length=64)
    receipt_number: str | None = None
    office: str = Field(min_length=1, max_length=32)
    district: str | None = None
    classification: Classification
    subject: str = ""
    sender_name: str | None = None
    sender_organisation: str | None = None
    letter_number: str | None = None
    received_date: date | None = None
    diarised_by: str = Field(min_length=1)
    holder: str | None = None
    scans: list[StoredDocument] = []


class ReceiptSent(EventData):
    receipt_id: str = Field(min_length=1, max_length=64)
    to_user: str = Field(min_length=1)
    copies_to: list[str] = []
    classification: Classification | None = None


class FileCreated(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    file_number: str | None = None
    office: str = Field(min_length=1, max_length=32)
    district: str | None = None
    subject: str = ""
    classification: Classification
    created_by: str = Field(min_length=1)


class FileSent(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    to_user: str = Field(min_length=1)
    classification: Classification | None = None
    sent_at: datetime | None = None


class FilePulledBack(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    by_user: str = Field(min_length=1)


class FileTransferred(EventData):
    to_user: str = Field(min_length=1)
    file_ids: list[str]


class ReceiptLinked(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    receipt_id: str = Field(min_length=1, max_length=64)
    linked_by: str = Field(min_length=1)
    correspondence_id: str | None = Field(None, max_length=64)


class NoteConfirmed(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    note_id: str | int
    text: str = ""
    confirmed_at: datetime | None = None


class DraftVersioned(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    draft_id: str | int
    version: int = Field(1, ge=1)
    subject: str | None = None
    content: str = ""


class DraftApproved(DraftVersioned):
    pass


class DocumentsAttached(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    correspondence_id: str = Field(min_length=1, max_length=64)
    title: str = ""
    sender_name: str | None = None
    sender_organisation: str | None = None
    letter_number: str | None = None
    documents: list[StoredDocument] = []


class PartFileMerged(EventData):
    file_id: str = Field(min_length=1, max_length=64)
    part_file_id: str = Field(min_length=1, max_length=64)
    merged_by: str = Field(min_length=1)
    note_ids: list[str | int] = []
    correspondence_ids: list[str] = []
    receipt_ids: list[str] = []


DATA_OF = {
    "receipt_diarised": ReceiptDiarised, "receipt_sent": ReceiptSent, "file_created": FileCreated,
    "file_sent": FileSent, "file_pulled_back": FilePulledBack, "file_transferred": FileTransferred,
    "receipt_linked": ReceiptLinked, "note_confirmed": NoteConfirmed, "draft_versioned": DraftVersioned,
    "draft_approved": DraftApproved, "documents_attached": DocumentsAttached, "part_file_merged": PartFileMerged,
}
