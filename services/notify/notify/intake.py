"""The events notify consumes, and how each is read: a malformed one is dead-lettered with the
reason. usecases.apply_events applies them, a batch at a time."""
from dataclasses import dataclass
from datetime import datetime, timezone

from eoffice_common.events import MalformedEvent

from . import domain, schemas

CONSUMED = {
    "dak": ("user_recorded", "receipt_sent", "receipt_closed", "receipt_put_in_file"),
    "files": ("file_sent", "file_pulled_back", "file_closed", "file_transferred", "draft_versioned",
              "draft_approved", "draft_issued"),
    "signing": ("signature_failed",),
}
# A batch with a directory event is applied alone, after every earlier batch and before every later
# one: the events after a user_recorded find the user (their language, address, preferences).
DIRECTORY_EVENTS = frozenset({"user_recorded"})

SCHEMAS = {
    "user_recorded": schemas.UserRecorded,
    "receipt_sent": schemas.ReceiptSent,
    "receipt_closed": schemas.ReceiptDone,
    "receipt_put_in_file": schemas.ReceiptDone,
    "file_sent": schemas.FileSent,
    "file_pulled_back": schemas.FilePulledBack,
    "file_closed": schemas.FileClosed,
    "file_transferred": schemas.FileTransferred,
    "draft_versioned": schemas.DraftVersioned,
    "draft_approved": schemas.DraftApproved,
    "draft_issued": schemas.DraftIssued,
    "signature_failed": schemas.SignatureFailed,
}
DRAFT_DECISIONS = {
    "draft_approved": domain.draft_approved_notices,
    "draft_issued": domain.draft_issued_notices,
}
# Events that move a file or receipt: (item type, field naming the item).
MOVEMENTS = {
    "receipt_sent": ("receipt", "receipt_id"),
    "receipt_closed": ("receipt", "receipt_id"),
    "receipt_put_in_file": ("receipt", "receipt_id"),
    "file_sent": ("file", "file_id"),
    "file_pulled_back": ("file", "file_id"),
    "file_closed": ("file", "file_id"),
}


@dataclass(frozen=True)
class Consumed:
    """A consumed event's validated data and when it happened."""

    at: datetime
    data: schemas.EventData


def occurred_at(envelope):
    moment = datetime.fromisoformat(envelope.occurred_at)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def validate(envelope):
    """An event's data as notify reads it; raises (and so dead-letters the event) if it is malformed."""
    model = SCHEMAS.get(envelope.type)
    if model is None:
        raise MalformedEvent(f"notify does not consume {envelope.type} events")
    return Consumed(occurred_at(envelope), model.model_validate(envelope.data))
