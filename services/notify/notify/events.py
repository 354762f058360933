"""Events the notify service publishes (through its outbox). What it consumes is validated in schemas.py."""
from dataclasses import dataclass

from eoffice_common.events import DomainEvent


@dataclass(frozen=True)
class NotificationEvent(DomainEvent):
    aggregate_type = "notification"
    notification_id: str
    user: str
    channel: str
    kind: str
    source_event_id: str
    office: str
    district: str | None

    @property
    def aggregate_id(self):
        return self.notification_id


@dataclass(frozen=True)
class NotificationDelivered(NotificationEvent):
    event_type = "notification_delivered"
    delivered_at: str = ""


@dataclass(frozen=True)
class NotificationFailed(NotificationEvent):
    """An email or SMS dead-lettered after its retries (or whose fate is unknown)."""

    event_type = "notification_failed"
    reason: str = ""


@dataclass(frozen=True)
class LetterEmailed(DomainEvent):
    """An issued letter's email: taken by the mail server (delivered), refused for good (bounced), or
    lost on the way with its fate unknown (unknown: never sent again on its own)."""

    event_type = "letter_emailed"
    aggregate_type = "dispatch"
    dispatch_id: str
    file_id: str
    issue_number: str
    address: str
    outcome: str
    at: str
    reason: str | None
    office: str
    district: str | None

    @property
    def aggregate_id(self):
        return self.dispatch_id
