"""Validation of what notify reads: the data of consumed events (a bad one is dead-lettered with
pydantic's reason) and API requests (422 with one reason per field); and the API's answers."""
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .domain import EXTERNAL_CHANNELS, KINDS

Priority = Literal["normal", "urgent", "most_immediate"]
Classification = Literal["normal", "confidential", "secret", "top_secret"]


class EventData(BaseModel):
    """Consumers ignore fields they do not know (EVENTS.md)."""

    model_config = ConfigDict(extra="ignore")


# --- dak ---------------------------------------------------------------------------------------


class UserRecorded(EventData):
    user_id: str = Field(min_length=1)
    office: str
    district: str | None = None
    name_en: str
    name_hi: str
    designation_en: str = ""
    designation_hi: str = ""
    email: str | None = None
    mobile: str | None = None
    reporting_officer: str | None = None
    roles: list[str] = Field(default_factory=list)
    language: Literal["hi", "en"] = "hi"
    active: bool = True


class ReceiptSent(EventData):
    receipt_id: str = Field(min_length=1)
    receipt_number: str
    action: str = "send"
    from_user: str = Field(min_length=1)
    to_user: str = Field(min_length=1)
    copies_to: list[str] = Field(default_factory=list)
    for_user: str | None = None  # to_user holds charge for this officer, who is away
    remarks: str | None = None
    due_date: date | None = None
    priority: Priority = "normal"
    classification: Classification = "normal"
    subject: str = ""


class ReceiptDone(EventData):
    """receipt_closed and receipt_put_in_file: the receipt needs no more reminders."""

    receipt_id: str = Field(min_length=1)


# --- files -------------------------------------------------------------------------------------


class FileSent(EventData):
    file_id: str = Field(min_length=1)
    file_number: str
    action: Literal["send", "return", "hand_over"] = "send"
    from_user: str = Field(min_length=1)
    to_user: str = Field(min_length=1)
    for_user: str | None = None  # to_user holds charge for this officer, who is away
    remarks: str | None = None
    due_date: date | None = None
    priority: Priority = "normal"
    subject: str = ""
    classification: Classification = "normal"


class FilePulledBack(EventData):
    file_id: str = Field(min_length=1)
    file_number: str
    by_user: str = Field(min_length=1)
    from_user: str = Field(min_length=1)


class FileClosed(EventData):
    file_id: str = Field(min_length=1)


class FileTransferred(EventData):
    from_user: str = Field(min_length=1)
    to_user: str = Field(min_length=1)
    file_ids: list[str]


class DraftVersioned(EventData):
    file_id: str = Field(min_length=1)
    draft_id: str = Field(min_length=1)
    version: int
    author: str = Field(min_length=1)


class DraftApproved(EventData):
    file_id: str = Field(min_length=1)
    file_number: str
    draft_id: str = Field(min_length=1)
    version: int
    approver: str = Field(min_length=1)
    subject: str = ""
    classification: Classification = "normal"


class DraftIssued(EventData):
    file_id: str = Field(min_length=1)
    file_number: str
    draft_id: str = Field(min_length=1)
    version: int
    issue_number: str
    issued_by: str = Field(min_length=1)


# --- signing -----------------------------------------------------------------------------------


class SignatureFailed(EventData):
    signature_id: str = Field(min_length=1)
    document_kind: Literal["note", "draft"]
    document_id: str
    file_id: str = Field(min_length=1)
    signer: str = Field(min_length=1)
    reason: str


# --- API ---------------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Kind = Literal[KINDS]  # type: ignore[valid-type]
Channel = Literal[EXTERNAL_CHANNELS]  # type: ignore[valid-type]


class QuietHoursIn(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def not_empty(self):
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        return self


class PreferencesIn(Strict):
    """Email and SMS per kind of notification (the in-app inbox is always on); kinds left out keep
    their defaults. Quiet hours and the digest time are India Standard Time."""

    channels: dict[Kind, list[Channel]] = Field(default_factory=dict)
    quiet_hours: QuietHoursIn | None = None
    digest: bool = False
    digest_time: time = time(9, 0)

    @field_validator("channels")
    @classmethod
    def no_repeats(cls, value):
        return {kind: sorted(set(channels)) for kind, channels in value.items()}


class ListQuery(Strict):
    unread: bool = False
    page: int = Field(1, ge=1, le=100_000)  # beyond any list; keeps the row offset a PostgreSQL bigint
    per_page: int = Field(20, ge=1, le=100)


class StreamQuery(Strict):
    after: int | None = Field(None, ge=0)


class DeadLetterQuery(Strict):
    include_retried: bool = False
    page: int = Field(1, ge=1, le=100_000)  # beyond any list; keeps the row offset a PostgreSQL bigint
    per_page: int = Field(50, ge=1, le=200)


def notification_out(row):
    return {
        "id": row.id,
        "seq": row.seq,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "item": {"type": row.item_type, "id": row.item_id} if row.item_type else None,
        "priority": row.priority,
        "occurred_at": row.occurred_at,
        "created_at": row.created_at,
        "read_at": row.read_at,
    }


def preferences_out(user_id, preferences):
    return {
        "user_id": user_id,
        "channels": {kind: sorted(preferences.channels_for(kind)) for kind in KINDS},
        "quiet_hours": (
            {"start": preferences.quiet_start.strftime("%H:%M"), "end": preferences.quiet_end.strftime("%H:%M")}
            if preferences.quiet_start and preferences.quiet_end else None
        ),
        "digest": preferences.digest,
        "digest_time": preferences.digest_time.strftime("%H:%M"),
    }


def dead_letter_out(letter):
    delivery = letter.delivery
    return {
        "id": letter.id,
        "reason": letter.reason,
        "created_at": letter.created_at,
        "retried_at": letter.retried_at,
        "retried_by": letter.retried_by,
        "delivery": {
            "id": delivery.id,
            "recipient": delivery.recipient,
            "channel": delivery.channel,
            "kind": delivery.kind,
            "address": delivery.address,
            "subject": delivery.subject,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "source_event_id": delivery.source_event_id,
        },
    }
