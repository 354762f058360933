"""The events notify consumes and what each means to it, applied a batch at a time: each step
below is one or a few statements for the whole batch, not one per event.

A batch takes its locks in one order of steps, and in key order within a step (drafts, items,
inboxes by user id), so the two batches applied at once by a process, or by two replicas, wait for
each other at most: tracking rows, the directory, drafts, item movements and their reminders,
inboxes, deliveries, the outbox.
"""
from dataclasses import dataclass
from datetime import datetime, timezone

from eoffice_common.events import MalformedEvent

from . import domain, repository, schemas

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


def apply(uow, courier, events):
    """Apply [(envelope, Consumed)] in `uow`; returns the (notice, written_at) pairs told."""
    session = uow.session
    of_type = {}
    for envelope, event in events:
        of_type.setdefault(envelope.type, []).append((envelope, event))
    for envelope, _ in of_type.get("user_recorded", ()):
        repository.record_user(session, envelope, courier.now())

    notices = _draft_notices(session, events)
    latest = _record_movements(session, events)
    to_remind = []
    for envelope, event in events:
        if envelope.type == "file_sent":
            found = domain.file_sent_notices(envelope.id, event.at, event.data)
            if envelope.id in latest:
                to_remind += found
        elif envelope.type == "receipt_sent":
            found = domain.receipt_sent_notices(envelope.id, event.at, event.data)
            if envelope.id in latest:
                to_remind += [notice for notice in found if notice.kind == "receipt_sent"]
        elif envelope.type == "file_pulled_back":
            found = domain.file_pulled_back_notices(envelope.id, event.at, event.data)
        elif envelope.type == "signature_failed":
            found = domain.signature_failed_notices(envelope.id, event.at, event.data)
        else:
            continue
        notices += found
    courier.schedule_reminders(uow, to_remind)
    # After the reminders of this batch's movements exist: those a transfer covers move with it.
    for _, event in of_type.get("file_transferred", ()):
        data = event.data
        repository.transfer_reminders(session, data.file_ids, data.from_user, data.to_user, event.at)
    return courier.tell(uow, notices, causes={envelope.id: envelope for envelope, _ in events})


def _draft_notices(session, events):
    """Drafts' events one by one, in draft order (each holds its draft's lock until commit): an
    approval or issue tells the draft's author, or waits for the draft_versioned naming them."""
    drafts = [(envelope, event) for envelope, event in events if envelope.type in ("draft_versioned", *DRAFT_DECISIONS)]
    notices = []
    for envelope, event in sorted(drafts, key=lambda pair: pair[1].data.draft_id):
        data = event.data
        repository.lock_draft(session, data.draft_id)
        if envelope.type == "draft_versioned":
            repository.record_draft(session, data)
            for waiting in repository.take_waiting_draft_notices(session, data.draft_id):
                waited = SCHEMAS[waiting.event_type].model_validate(waiting.data)
                notices += DRAFT_DECISIONS[waiting.event_type](waiting.event_id, waiting.occurred_at, waited, data.author)
            continue
        author = repository.draft_author(session, data.draft_id)
        if author is None:
            repository.wait_for_author(session, envelope, event.at)
        else:
            notices += DRAFT_DECISIONS[envelope.type](envelope.id, event.at, data, author)
    return notices


def _record_movements(session, events):
    """Record the batch's movements of files and receipts; returns the ids of the events that are
    their item's latest movement (only those schedule reminders). Of one item's movements in a
    batch, the latest counts (the first of equals): the earlier ones are stale already."""
    latest = {}  # (item type, item id) -> (envelope, event)
    for envelope, event in events:
        if envelope.type not in MOVEMENTS:
            continue
        item_type, id_field = MOVEMENTS[envelope.type]
        item = (item_type, getattr(event.data, id_field))
        if item not in latest or latest[item][1].at < event.at:
            latest[item] = (envelope, event)
    moved = repository.record_movements(session, [
        {"item_type": item_type, "item_id": item_id, "moved_at": event.at,
         "due_date": getattr(event.data, "due_date", None)}
        for (item_type, item_id), (_, event) in latest.items()
    ])
    return {envelope.id for item, (envelope, _) in latest.items() if item in moved}
