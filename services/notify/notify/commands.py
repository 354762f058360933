"""The input of each of notify's use cases: small dataclasses, built by the entrypoints and the courier."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from eoffice_common.events import Envelope

from .domain import Settings
from .intake import Consumed


@dataclass(frozen=True)
class MarkRead:
    user_id: str
    notification_id: str
    now: datetime


@dataclass(frozen=True)
class MarkAllRead:
    user_id: str
    now: datetime


@dataclass(frozen=True)
class SavePreferences:
    """Email and SMS per kind of notification (kinds left out keep their defaults); quiet hours and
    the digest time in India Standard Time."""

    user_id: str
    channels: dict[str, list[str]]
    quiet_start: time | None
    quiet_end: time | None
    digest: bool
    digest_time: time
    now: datetime


@dataclass(frozen=True)
class RetryDeadLetter:
    letter_id: int
    office: str  # the admin's: only their office's dead letters
    by: str
    now: datetime


@dataclass(frozen=True)
class ApplyEvents:
    """A batch of consumed events, each with its validated data (intake.validate), in batch order."""

    events: list[tuple[Envelope, Consumed]]
    settings: Settings
    now: datetime


@dataclass(frozen=True)
class ClaimDue:
    now: datetime
    limit: int
    claimer: str  # this process


@dataclass(frozen=True)
class SendOutcome:
    """What happened to one claimed message: sent at `sent_at`, or failed (`failure`, `error`)."""

    delivery_id: str
    sent_at: datetime | None = None
    failure: str | None = None  # domain.TRANSIENT, PERMANENT or UNKNOWN
    error: str = ""


@dataclass(frozen=True)
class RecordOutcomes:
    claimed: list  # the domain.Delivery objects ClaimDue gave
    outcomes: list[SendOutcome]
    claimer: str
    settings: Settings
    now: datetime


@dataclass(frozen=True)
class RecoverInterrupted:
    now: datetime
    lease_seconds: float


@dataclass(frozen=True)
class FireReminders:
    now: datetime
    limit: int
    settings: Settings


@dataclass(frozen=True)
class MakeDigest:
    user_id: str
    now: datetime
    settings: Settings


@dataclass(frozen=True)
class InboxQuery:
    user_id: str
    unread_only: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class DeadLetterQuery:
    office: str
    include_retried: bool = False
    page: int = 1
    per_page: int = 50
