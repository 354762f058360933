"""notify's use cases: one function per use case, over a command (commands.py) and a unit of work
carrying the repositories (`uow.inbox`, `uow.deliveries` ...: repository.NotifyUnitOfWork, or an
in-memory fake in the unit tests). Each command, a small dataclass, stands above its use case.

A write use case commits with what it returns: the entrypoint answers from that. Consumed events'
use case (apply_events) does not commit: the event pipeline commits its effect together with the
events' tracking rows (eoffice_common.db.Store.apply_batch). Queries read and commit nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from eoffice_common.events import Envelope

from . import domain
from .events import NotificationDelivered
from .intake import DRAFT_DECISIONS, MOVEMENTS, SCHEMAS, Consumed

Told = list[tuple[domain.Notice, datetime]]  # notices written into inboxes, and when


# --- the inbox ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    number: int = 1  # from 1
    size: int = 20


@dataclass(frozen=True)
class InboxQuery:
    user_id: str
    unread_only: bool
    page: Page


def inbox(query: InboxQuery, uow) -> tuple[list[domain.InboxNotification], int, int]:
    """(a page of the user's notifications, newest first; how many match; how many are unread)."""
    notifications, total = uow.inbox.page(query.user_id, query.unread_only, query.page.number, query.page.size)
    return notifications, total, uow.inbox.unread_count(query.user_id)


def unread_count(user_id: str, uow) -> int:
    return uow.inbox.unread_count(user_id)


def last_seq(user_id: str, uow) -> int:
    """Where a stream that resumes from nothing starts: after the user's last notification."""
    return uow.inbox.last_seq(user_id)


def notifications_after(user_id: str, seq: int, limit: int, uow) -> list[domain.InboxNotification]:
    return uow.inbox.after(user_id, seq, limit)


@dataclass(frozen=True)
class MarkRead:
    user_id: str
    notification_id: str
    now: datetime


def mark_read(command: MarkRead, uow) -> domain.InboxNotification:
    notification = uow.inbox.own(command.user_id, command.notification_id)
    notification.mark_read(command.now)
    uow.inbox.save_read(notification)
    uow.commit()
    return notification


@dataclass(frozen=True)
class MarkAllRead:
    user_id: str
    now: datetime


def mark_all_read(command: MarkAllRead, uow) -> int:
    marked = uow.inbox.mark_all_read(command.user_id, command.now)
    uow.commit()
    return marked


# --- preferences ----------------------------------------------------------------------------------

def preferences_of(user_id: str, uow) -> domain.Preferences:
    return uow.directory.preferences(user_id)


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


def save_preferences(command: SavePreferences, uow) -> domain.Preferences:
    preferences = domain.Preferences(
        channels={**domain.DEFAULT_CHANNELS, **{kind: frozenset(chosen) for kind, chosen in command.channels.items()}},
        quiet_start=command.quiet_start, quiet_end=command.quiet_end, digest=command.digest,
        digest_time=command.digest_time,
    )
    uow.directory.save_preferences(command.user_id, command.channels, preferences, command.now)
    uow.commit()
    return preferences


# --- dead letters of email and SMS ----------------------------------------------------------------

@dataclass(frozen=True)
class DeadLetterQuery:
    office: str  # the admin's: only their office's dead letters
    include_retried: bool
    page: Page


def dead_letters(query: DeadLetterQuery, uow) -> tuple[list[domain.DeadLetter], int]:
    return uow.dead_letters.page(query.office, query.include_retried, query.page.number, query.page.size)


@dataclass(frozen=True)
class RetryDeadLetter:
    letter_id: int
    office: str  # the admin's: only their office's dead letters
    by: str
    now: datetime


def retry_dead_letter(command: RetryDeadLetter, uow) -> domain.DeadLetter:
    """Send the message again: the admin has decided it did not arrive."""
    letter = uow.dead_letters.get(command.letter_id, command.office)
    letter.retry(command.by, command.now)
    uow.dead_letters.save_retry(letter)
    uow.commit(letter)
    return letter


# --- consumed events ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ApplyEvents:
    """A batch of consumed events, each with its validated data (intake.validate), in batch order."""

    events: list[tuple[Envelope, Consumed]]
    settings: domain.Settings
    now: datetime


def apply_events(command: ApplyEvents, uow) -> Told:
    """Apply a batch of dak, files and signing events: the directory, drafts' authors, items'
    movements and reminders, then everyone told. A few statements for the whole batch.

    A batch takes its locks in one order of steps, and in key order within a step (drafts, items,
    inboxes by user id), so two batches applied at once wait for each other at most."""
    events, now = command.events, command.now
    for envelope, event in events:
        if envelope.type == "user_recorded":
            uow.directory.record_user(event.data, event.at, now)
    notices = _draft_notices(events, uow)
    latest = _record_movements(events, uow)
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
    uow.reminders.schedule([(notice, domain.plan_reminders(notice.due_date, now, command.settings.reminders))
                            for notice in to_remind if notice.due_date], now)
    # After the reminders of this batch's movements exist: those a transfer covers move with it.
    for envelope, event in events:
        if envelope.type == "file_transferred":
            data = event.data
            uow.reminders.transfer(data.file_ids, data.from_user, data.to_user, event.at)
    causes = {envelope.id: envelope for envelope, _ in events}
    return _tell(notices, command.settings, now, uow, cause_of=lambda event: causes.get(event.source_event_id))


def _draft_notices(events, uow) -> list[domain.Notice]:
    """Drafts' events one by one, in draft order (each holds its draft's lock until commit): an
    approval or issue tells the draft's author, or waits for the draft_versioned naming them."""
    drafts = [(envelope, event) for envelope, event in events if envelope.type in ("draft_versioned", *DRAFT_DECISIONS)]
    notices = []
    for envelope, event in sorted(drafts, key=lambda pair: pair[1].data.draft_id):
        data = event.data
        uow.drafts.lock(data.draft_id)
        if envelope.type == "draft_versioned":
            uow.drafts.record(data.draft_id, data.file_id, data.author, data.version)
            for waiting in uow.drafts.take_waiting(data.draft_id):
                waited = SCHEMAS[waiting.event_type].model_validate(waiting.data)
                notices += DRAFT_DECISIONS[waiting.event_type](waiting.event_id, waiting.occurred_at, waited, data.author)
            continue
        author = uow.drafts.author(data.draft_id)
        if author is None:
            uow.drafts.wait_for_author(envelope.id, envelope.type, data.draft_id, event.at, envelope.data)
        else:
            notices += DRAFT_DECISIONS[envelope.type](envelope.id, event.at, data, author)
    return notices


def _record_movements(events, uow) -> set[str]:
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
    moved = uow.movements.record([
        {"item_type": item_type, "item_id": item_id, "moved_at": event.at,
         "due_date": getattr(event.data, "due_date", None)}
        for (item_type, item_id), (_, event) in latest.items()
    ])
    return {envelope.id for item, (envelope, _) in latest.items() if item in moved}


def _tell(notices: list[domain.Notice], settings: domain.Settings, now: datetime, uow, cause_of=None) -> Told:
    """Write each notice into its recipient's inbox, and the emails and SMS it becomes, with an
    event announcing each notification written (`cause_of(event)` names the consumed event it
    answers). A notice already told (the same source and user) is skipped."""
    if not notices:
        return []
    involved = uow.directory.people_and_preferences(
        {n.user_id for n in notices} | {n.by for n in notices} | {n.extra.get(named) for n in notices for named in ("holder", "for_user")}
    )
    people = {user_id: person for user_id, (person, _) in involved.items()}
    entries = []
    for notice in notices:
        recipient = people.get(notice.user_id)
        if recipient is None or recipient.active:
            entries.append((notice, domain.InboxNotification.of(notice, recipient, people, settings, now)))
    written = uow.inbox.add([notification for _, notification in entries])
    told, announced, outgoing = [], [], []
    for notice, notification in entries:
        if notification.id not in written:
            continue
        recipient = people.get(notice.user_id)
        announced.append(domain.announcement(NotificationDelivered, notification.id, notice.user_id, domain.INAPP,
                                             notice.kind, notice.source_id, recipient, delivered_at=now.isoformat()))
        told.append((notice, now))
        preferences = involved[notice.user_id][1] if recipient else domain.DEFAULT_PREFERENCES
        for message in domain.plan_outgoing(notice, recipient, preferences, now, settings.available_channels):
            if message.channel == domain.EMAIL:
                subject, text = domain.render_email(notice, recipient, people, settings.desk_url)
            else:
                subject, text = "", domain.render_sms(notice, recipient, people)
            outgoing.append(domain.Delivery.planned(notice, message, notification.id, subject, text, now))
    uow.deliveries.add(outgoing)
    uow.emit_all(announced, cause_of=cause_of)
    return told


# --- sending email and SMS ------------------------------------------------------------------------

@dataclass(frozen=True)
class ClaimDue:
    now: datetime
    limit: int
    claimer: str  # this process


def claim_due(command: ClaimDue, uow) -> list[domain.Delivery]:
    """Claim a batch of due messages ('sending', an attempt counted), committed before any is sent."""
    claimed = uow.deliveries.claim_due(command.now, command.limit, command.claimer)
    uow.commit()
    return claimed


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
    settings: domain.Settings
    now: datetime


def record_outcomes(command: RecordOutcomes, uow) -> list[domain.Delivery]:
    """Record what became of the claimed messages: sent, to be retried later, or dead-lettered.
    Returns the deliveries as they now are."""
    outcomes = {outcome.delivery_id: outcome for outcome in command.outcomes}
    people = uow.directory.people({delivery.recipient for delivery in command.claimed})
    for delivery in command.claimed:
        outcome = outcomes[delivery.id]
        person = people.get(delivery.recipient)
        if outcome.failure is None:
            delivery.delivered(outcome.sent_at, person)
        else:
            delivery.failed(outcome.failure, outcome.error, command.now, command.settings, person)
        uow.track(delivery)
    uow.deliveries.save_outcomes(command.claimed, command.claimer, command.now)
    uow.commit()
    return command.claimed


@dataclass(frozen=True)
class RecoverInterrupted:
    now: datetime
    lease_seconds: float


def recover_interrupted(command: RecoverInterrupted, uow) -> list[domain.Delivery]:
    """Dead-letter the messages left 'sending' longer than the lease by a process that died: they
    may or may not have gone, so they are not sent again on their own."""
    stuck = uow.deliveries.interrupted(command.now, command.lease_seconds)
    people = uow.directory.people({delivery.recipient for delivery in stuck})
    for delivery in stuck:
        delivery.interrupted(people.get(delivery.recipient))
        uow.track(delivery)
    uow.deliveries.save_interrupted(stuck, command.now)
    uow.commit()
    return stuck


# --- reminders and the daily digest ---------------------------------------------------------------

@dataclass(frozen=True)
class FireReminders:
    now: datetime
    limit: int
    settings: domain.Settings


def fire_reminders(command: FireReminders, uow) -> tuple[list[domain.Reminder], Told]:
    """Fire up to `limit` reminders whose time has come; (those fired, the notices told)."""
    due = uow.reminders.due(command.now, command.limit)
    holders = uow.directory.people({reminder.user_id for reminder in due})
    notices = []
    for reminder in due:
        notices += reminder.fire(command.now, holders.get(reminder.user_id), command.settings.reminders)
    notices = domain.for_acting_officers(notices, uow.directory.acting_for({n.user_id for n in notices}, domain.ist_date(command.now)))
    uow.reminders.save_fired(due)
    told = _tell(notices, command.settings, command.now, uow)
    uow.commit()
    return due, told


def record_acting_charge(envelope, uow) -> None:
    """dak's acting_charge_set or acting_charge_ended: reminders follow the acting officer while it is in force."""
    data = envelope.data
    uow.directory.record_acting_charge(data["charge_id"], data["absent_user"], data["acting_user"], date.fromisoformat(data["from_date"]),
                                       date.fromisoformat(data["to_date"]), envelope.type == "acting_charge_ended")


def digest_recipients(now: datetime, uow) -> list[str]:
    return uow.deliveries.digest_recipients(now)


@dataclass(frozen=True)
class MakeDigest:
    user_id: str
    now: datetime
    settings: domain.Settings


def make_digest(command: MakeDigest, uow) -> bool:
    """One email standing for the user's held emails; False if there was none to make (or another
    replica is making it)."""
    if not uow.deliveries.lock_digest(command.user_id):
        return False
    held = uow.deliveries.held_for_digest(command.user_id, command.now)
    if not held:
        return False
    recipient = uow.directory.people([command.user_id]).get(command.user_id)
    if recipient is None or not recipient.active or not recipient.email:
        for delivery, _, _ in held:
            delivery.give_up_held("the recipient has no email address any more")
        uow.deliveries.save_given_up([delivery for delivery, _, _ in held], command.now)
        uow.commit()
        return False
    lines = [(occurred_at or delivery.created_at, title or delivery.subject) for delivery, title, occurred_at in held]
    subject, body = domain.render_digest(recipient, lines, command.settings.desk_url)
    notice = domain.Notice("digest", command.user_id, f"digest:{held[0][0].id}", command.now, "", "")
    message = domain.Outgoing(domain.EMAIL, recipient.email, domain.PENDING, command.now)
    digest = domain.Delivery.planned(notice, message, None, subject, body, command.now)
    if uow.deliveries.add_one(digest):
        uow.deliveries.fold_into_digest([delivery.id for delivery, _, _ in held], digest.id)
    uow.commit()
    return True
