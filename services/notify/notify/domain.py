"""The rules of notify, in plain Python: who is told what, in which words, on which channel and
when; reminders of due dates; what happens when a message fails."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from eoffice_common.model import Aggregate

from .events import NotificationDelivered, NotificationEvent, NotificationFailed
from .exceptions import AlreadyRetried
from .templates import LABELS, TITLES

IST = timezone(timedelta(hours=5, minutes=30))
INAPP, EMAIL, SMS = "inapp", "email", "sms"
EXTERNAL_CHANNELS = (EMAIL, SMS)
KINDS = (
    "receipt_sent", "receipt_copied", "file_sent", "file_returned", "file_pulled_back",
    "due_soon", "overdue", "escalation", "draft_approved", "draft_issued", "signature_failed",
)
# Only a Normal item's subject may leave the system by email or SMS.
SUBJECT_LEAVES_THE_SYSTEM = frozenset({"normal"})
MOST_IMMEDIATE = "most_immediate"
# In-app is always on; these are the extra channels a user gets until they choose otherwise.
DEFAULT_CHANNELS = {
    **{kind: frozenset({EMAIL}) for kind in KINDS},
    "receipt_copied": frozenset(),
    "overdue": frozenset({EMAIL, SMS}),
    "escalation": frozenset({EMAIL, SMS}),
}
PENDING, DIGEST = "pending", "digest"
HAND_OVER = "hand_over"
TRANSIENT, PERMANENT, UNKNOWN = "transient", "permanent", "unknown"
INTERRUPTED = (
    "interrupted while sending (claimed by {by} at {at}): it may or may not have reached the recipient, "
    "so it is not sent again on its own; retry it after checking"
)


def ist_date(moment):
    return moment.astimezone(IST).date()


def as_display_date(value):
    """Dates as Indian offices write them: 25-11-2026."""
    return value.strftime("%d-%m-%Y") if value else ""


@dataclass(frozen=True)
class Person:
    """A directory user as notify knows them (its copy of dak's user_recorded)."""

    user_id: str
    name_en: str = ""
    name_hi: str = ""
    designation_en: str = ""
    designation_hi: str = ""
    email: str | None = None
    mobile: str | None = None
    language: str = "hi"
    reporting_officer: str | None = None
    office: str = ""
    district: str | None = None
    active: bool = True

    def called(self, language):
        """How a message names this person: name, then designation in brackets."""
        name = (self.name_hi if language == "hi" else self.name_en) or self.name_en or self.user_id
        designation = self.designation_hi if language == "hi" else self.designation_en
        return f"{name} ({designation})" if designation else name


@dataclass(frozen=True)
class Preferences:
    channels: dict = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    quiet_start: time | None = None  # India Standard Time; may wrap midnight (21:00-07:00)
    quiet_end: time | None = None
    digest: bool = False
    digest_time: time = time(9, 0)

    def channels_for(self, kind):
        return frozenset(self.channels.get(kind, DEFAULT_CHANNELS.get(kind, ())))


DEFAULT_PREFERENCES = Preferences()


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person, before it is put into words."""

    kind: str
    user_id: str
    source_id: str  # the event (or reminder firing) it comes from; with user and channel, sent once
    occurred_at: datetime
    item_type: str
    item_id: str
    number: str = ""
    by: str | None = None  # user id of whoever did it
    subject: str = ""
    remarks: str | None = None
    due_date: date | None = None
    priority: str = "normal"
    classification: str = "normal"
    extra: dict = field(default_factory=dict, hash=False)  # version, issue_number, days, holder, document, reason


# --- who is told ------------------------------------------------------------------------------


def receipt_sent_notices(source_id, occurred_at, data):
    """The new holder is told; those given a copy are told it is for information."""
    base = dict(
        source_id=source_id, occurred_at=occurred_at, item_type="receipt", item_id=data.receipt_id,
        number=data.receipt_number, by=data.from_user, subject=data.subject, remarks=_remarks(data),
        priority=data.priority, classification=data.classification,
    )
    notices = [Notice("receipt_sent", data.to_user, due_date=data.due_date, extra=_held_for(data), **base)]
    notices += [Notice("receipt_copied", user, **base) for user in dict.fromkeys(data.copies_to) if user != data.to_user]
    return [n for n in notices if n.user_id != data.from_user]


def file_sent_notices(source_id, occurred_at, data):
    kind = "file_returned" if data.action == "return" else "file_sent"
    if data.to_user == data.from_user:
        return []
    return [Notice(
        kind, data.to_user, source_id, occurred_at, "file", data.file_id, number=data.file_number, by=data.from_user,
        subject=data.subject, remarks=_remarks(data), due_date=data.due_date, priority=data.priority,
        classification=data.classification, extra=_held_for(data),
    )]


def _remarks(data):
    """A hand-over's remarks are its fixed marking ("handed over on leave"), which its title says in the reader's language."""
    return None if data.action == HAND_OVER else data.remarks


def _held_for(data):
    """A sent item that reached the officer holding charge for someone away names them (titles say "for <them>");
    one the absent officer handed over on leave says so."""
    held = {"for_user": data.for_user} if data.for_user and data.for_user != data.to_user else {}
    return {**held, "handed_over": True} if data.action == HAND_OVER else held


def file_pulled_back_notices(source_id, occurred_at, data):
    """Whoever the file was pulled back from is told, unless they did it themselves."""
    if data.from_user == data.by_user:
        return []
    return [Notice("file_pulled_back", data.from_user, source_id, occurred_at, "file", data.file_id,
                   number=data.file_number, by=data.by_user)]


def draft_approved_notices(source_id, occurred_at, data, author):
    """The draft's author is told (not the approver approving their own draft)."""
    if not author or author == data.approver:
        return []
    return [Notice("draft_approved", author, source_id, occurred_at, "file", data.file_id, number=data.file_number,
                   by=data.approver, subject=data.subject, classification=data.classification,
                   extra={"version": data.version})]


def draft_issued_notices(source_id, occurred_at, data, author):
    if not author or author == data.issued_by:
        return []
    return [Notice("draft_issued", author, source_id, occurred_at, "file", data.file_id, number=data.file_number,
                   by=data.issued_by, extra={"version": data.version, "issue_number": data.issue_number})]


def signature_failed_notices(source_id, occurred_at, data):
    return [Notice("signature_failed", data.signer, source_id, occurred_at, "file", data.file_id,
                   extra={"document": data.document_kind, "reason": data.reason})]


# --- in which words ---------------------------------------------------------------------------


def _facts(notice, language, people):
    labels = LABELS[language]

    def called(user_id):
        if user_id in (None, "", "system"):
            return labels["system"]
        person = people.get(user_id)
        return person.called(language) if person else user_id

    extra = notice.extra
    return {
        "number": notice.number,
        "by": called(notice.by),
        "item": labels.get(notice.item_type, notice.item_type),
        "due": as_display_date(notice.due_date),
        "days": extra.get("days", ""),
        "holder": called(extra.get("holder")),
        "for_user": called(extra.get("for_user")),
        "version": extra.get("version", ""),
        "issue_number": extra.get("issue_number", ""),
        "document": labels.get(extra.get("document"), extra.get("document", "")),
        "reason": extra.get("reason", ""),
    }


def title_of(notice, language, people):
    """The title; an item held for an officer away says for whom (unless they sent it themselves)."""
    facts = _facts(notice, language, people)
    wording = f"{notice.item_type}_handed_over" if notice.extra.get("handed_over") else notice.kind
    title = TITLES[wording][language].format(**facts)
    for_user = notice.extra.get("for_user")
    if for_user and for_user != notice.by:
        title += LABELS[language]["held_for"].format(name=facts["for_user"])
    return title


def detail_lines(notice, language, leaving_the_system):
    """Labelled lines under the title. The subject of a classified item never leaves the system."""
    labels = LABELS[language]
    lines = []
    if notice.priority in ("urgent", MOST_IMMEDIATE):
        lines.append(f"{labels['priority']}: {labels[notice.priority]}")
    if notice.subject:
        withheld = leaving_the_system and notice.classification not in SUBJECT_LEAVES_THE_SYSTEM
        lines.append(f"{labels['subject']}: {labels['withheld'] if withheld else notice.subject}")
    if notice.due_date and notice.kind not in ("due_soon", "overdue", "escalation"):
        lines.append(f"{labels['due']}: {as_display_date(notice.due_date)}")
    if notice.remarks:
        lines.append(f"{labels['remarks']}: {notice.remarks}")
    return lines


def language_of(person, default_language):
    return person.language if person and person.language in LABELS else default_language


def render_inapp(notice, language, people):
    """(title, body) of the in-app notification."""
    return title_of(notice, language, people), "\n".join(detail_lines(notice, language, leaving_the_system=False))


def link_to(notice, desk_url):
    if notice.item_type in ("file", "receipt") and notice.item_id:
        return f"{desk_url.rstrip('/')}/{notice.item_type}s/{notice.item_id}"
    return desk_url


def render_email(notice, recipient, people, desk_url):
    """(subject, body) of an email to `recipient`."""
    language = recipient.language if recipient.language in LABELS else "hi"
    labels = LABELS[language]
    title = title_of(notice, language, people)
    marker = f"[{labels[notice.priority]}] " if notice.priority in ("urgent", MOST_IMMEDIATE) else ""
    body = [
        labels["greeting"].format(name=recipient.called(language)), "", title, "",
        *detail_lines(notice, language, leaving_the_system=True),
        f"{labels['open']}: {link_to(notice, desk_url)}", "", "--", labels["footer"],
    ]
    return f"{marker}{labels['app']}: {title}", "\n".join(body) + "\n"


def render_sms(notice, recipient, people):
    language = recipient.language if recipient.language in LABELS else "hi"
    return f"{LABELS[language]['app']}: {title_of(notice, language, people)}"


def render_digest(recipient, items, desk_url):
    """(subject, body) of one email standing for the day's notifications: `items` are
    (occurred_at, title) pairs, oldest first."""
    language = recipient.language if recipient.language in LABELS else "hi"
    labels = LABELS[language]
    title = TITLES["digest"][language].format(count=len(items))
    lines = [labels["greeting"].format(name=recipient.called(language)), "", title, ""]
    lines += [f"- {moment.astimezone(IST).strftime('%d-%m-%Y %H:%M')}  {text}" for moment, text in items]
    lines += ["", f"{labels['open']}: {desk_url}", "", "--", labels["footer"]]
    return f"{labels['app']}: {title}", "\n".join(lines) + "\n"


# --- on which channel, and when ----------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """An email or SMS to write down for sending."""

    channel: str
    address: str
    status: str  # pending, or digest (held for the daily digest email)
    not_before: datetime


def sms_number(mobile):
    """An Indian mobile number as +91XXXXXXXXXX, or None if it is not one."""
    digits = "".join(ch for ch in (mobile or "") if ch.isdigit() or ch == "+")
    if digits.startswith("+91"):
        digits = digits[3:]
    elif len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    if len(digits) == 10 and digits[0] in "6789" and digits.isdigit():
        return f"+91{digits}"
    return None


def in_quiet_hours(moment, start, end):
    if start is None or end is None or start == end:
        return False
    now = moment.astimezone(IST).time()
    return start <= now < end if start < end else (now >= start or now < end)


def next_time_of_day(moment, at):
    """The first moment strictly after `moment` at the time of day `at` (IST)."""
    local = moment.astimezone(IST)
    candidate = datetime.combine(local.date(), at, IST)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def plan_outgoing(notice, recipient, preferences, now, available_channels):
    """Which emails and SMS a notice becomes, and from when they may go. In-app is not here: it
    is always written. Most Immediate items ignore quiet hours and the digest."""
    if recipient is None or not recipient.active:
        return []
    urgent = notice.priority == MOST_IMMEDIATE
    outgoing = []
    for channel in sorted(preferences.channels_for(notice.kind) & set(available_channels)):
        address = recipient.email if channel == EMAIL else sms_number(recipient.mobile)
        if not address:
            continue
        if channel == EMAIL and preferences.digest and not urgent:
            outgoing.append(Outgoing(channel, address, DIGEST, next_time_of_day(now, preferences.digest_time)))
        elif not urgent and in_quiet_hours(now, preferences.quiet_start, preferences.quiet_end):
            outgoing.append(Outgoing(channel, address, PENDING, next_time_of_day(now, preferences.quiet_end)))
        else:
            outgoing.append(Outgoing(channel, address, PENDING, now))
    return outgoing


# --- when a message fails ----------------------------------------------------------------------


def retry_delay(attempts, base_seconds, max_seconds):
    """Exponential back-off: base, 2 x base, 4 x base ... capped."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(attempts - 1, 0)))


def after_failure(failure, attempts, max_attempts):
    """'retry' or 'dead'. A message whose fate is unknown (the server may have taken it) is never
    retried on its own: at most once matters more than at least once."""
    if failure == TRANSIENT and attempts < max_attempts:
        return "retry"
    return "dead"


# --- reminders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderSettings:
    due_soon_days: int = 2
    escalate_after_days: int = 3
    hour: int = 10  # reminders go out at this hour, India Standard Time


def at_reminder_hour(day, settings):
    return datetime.combine(day, time(settings.hour), IST)


def plan_reminders(due_date, now, settings):
    """(kind, fire_at) of the reminders of an item due on `due_date`: due soon (unless that moment
    has passed: the sending notice already named the date), overdue from the next day (repeating
    daily), and escalation to the reporting officer after `escalate_after_days`."""
    plans = []
    due_soon_at = at_reminder_hour(due_date - timedelta(days=settings.due_soon_days), settings)
    if settings.due_soon_days > 0 and due_soon_at > now:
        plans.append(("due_soon", due_soon_at))
    plans.append(("overdue", at_reminder_hour(due_date + timedelta(days=1), settings)))
    if settings.escalate_after_days > 0:
        plans.append(("escalation", at_reminder_hour(due_date + timedelta(days=settings.escalate_after_days), settings)))
    return plans


@dataclass
class Reminder(Aggregate):
    """A reminder of an item's due date, fired at `fire_at` until it is done."""

    id: str
    kind: str  # due_soon | overdue | escalation
    item_type: str
    item_id: str
    item_number: str
    user_id: str  # who holds the item and must act
    due_date: date
    occurrence: int = 0  # times fired
    subject: str = ""
    classification: str = "normal"
    priority: str = "normal"
    fire_at: datetime | None = None
    status: str = "scheduled"  # scheduled | done | cancelled
    last_fired_at: datetime | None = None

    def fire(self, now: datetime, holder: Person | None, settings: ReminderSettings) -> list[Notice]:
        """The notices this firing gives; the reminder then waits for its next time, or is done."""
        notices, next_at = fire_reminder(self, now, holder, settings)
        self.occurrence += 1
        self.last_fired_at = now
        if next_at is None:
            self.status = "done"
        else:
            self.fire_at = next_at
        return notices


def fire_reminder(reminder: Reminder, now: datetime, holder: Person | None,
                  settings: ReminderSettings) -> tuple[list[Notice], datetime | None]:
    """(notices, next fire_at or None when the reminder is done)."""
    days = (ist_date(now) - reminder.due_date).days
    base = dict(
        source_id=f"reminder:{reminder.id}:{reminder.occurrence + 1}", occurred_at=now,
        item_type=reminder.item_type, item_id=reminder.item_id, number=reminder.item_number,
        subject=reminder.subject, due_date=reminder.due_date, priority=reminder.priority,
        classification=reminder.classification,
    )
    if reminder.kind == "due_soon":
        # Past the due date (the service was down): the overdue reminder speaks instead.
        return ([] if days > 0 else [Notice("due_soon", reminder.user_id, **base)]), None
    if reminder.kind == "overdue":
        next_at = next_time_of_day(now, time(settings.hour))
        return [Notice("overdue", reminder.user_id, extra={"days": days}, **base)], next_at
    officer = holder.reporting_officer if holder else None
    if not officer or officer == reminder.user_id:
        return [], None
    return [Notice("escalation", officer, extra={"days": days, "holder": reminder.user_id}, **base)], None


# --- the inbox, the outgoing messages and their dead letters -------------------------------------


@dataclass(frozen=True)
class Settings:
    """How this notify process tells people: from its configuration."""

    default_language: str = "hi"  # for users notify has no directory record of yet
    desk_url: str = "http://127.0.0.1:8000"
    available_channels: frozenset[str] = frozenset()  # the external channels configured
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    max_attempts: int = 6
    retry_base_seconds: float = 30
    retry_max_seconds: float = 3600


@dataclass
class InboxNotification:
    """An in-app notification. `seq` numbers a user's notifications in commit order (0 until written)."""

    id: str
    user_id: str
    kind: str
    source_event_id: str
    title: str
    body: str
    item_type: str | None
    item_id: str | None
    priority: str
    occurred_at: datetime
    created_at: datetime
    read_at: datetime | None = None
    seq: int = 0

    @classmethod
    def of(cls, notice: Notice, recipient: Person | None, people: dict[str, Person], settings: Settings,
           now: datetime) -> InboxNotification:
        title, body = render_inapp(notice, language_of(recipient, settings.default_language), people)
        return cls(str(uuid.uuid4()), notice.user_id, notice.kind, notice.source_id, title, body, notice.item_type,
                   notice.item_id, notice.priority, notice.occurred_at, now)

    def mark_read(self, now: datetime) -> None:
        if self.read_at is None:
            self.read_at = now


def announcement(event_class: type[NotificationEvent], delivery_id: str, user_id: str, channel: str, kind: str,
                 source_id: str, person: Person | None, **fields) -> NotificationEvent:
    """A notification event, placed in the recipient's office and district."""
    return event_class(
        notification_id=delivery_id, user=user_id, channel=channel, kind=kind, source_event_id=source_id,
        office=person.office if person else "", district=person.district if person else None, **fields,
    )


@dataclass
class Delivery(Aggregate):
    """An email or SMS: written pending (or held for the digest), claimed ('sending') and committed
    before it leaves, then sent, retried later or dead-lettered. Never sent twice on its own."""

    id: str
    source_event_id: str
    recipient: str
    channel: str
    kind: str
    address: str
    subject: str
    body: str
    status: str  # pending -> sending -> sent | pending (retry) | dead;  digest -> digested
    due_at: datetime  # when it was meant to go: latency counts from here
    next_attempt_at: datetime
    created_at: datetime
    notification_id: str | None = None
    attempts: int = 0
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    digest_id: str | None = None

    @classmethod
    def planned(cls, notice: Notice, outgoing: Outgoing, notification_id: str | None, subject: str, body: str,
                now: datetime) -> Delivery:
        return cls(
            id=str(uuid.uuid4()), source_event_id=notice.source_id, recipient=notice.user_id,
            channel=outgoing.channel, kind=notice.kind, notification_id=notification_id, address=outgoing.address,
            subject=subject, body=body, status=outgoing.status, due_at=max(outgoing.not_before, notice.occurred_at),
            next_attempt_at=outgoing.not_before, created_at=now,
        )

    def delivered(self, at: datetime, person: Person | None) -> None:
        self.status, self.sent_at, self.last_error = "sent", at, None
        self.record(announcement(NotificationDelivered, self.id, self.recipient, self.channel, self.kind,
                                 self.source_event_id, person, delivered_at=at.isoformat()))

    def failed(self, failure: str, error: str, now: datetime, settings: Settings, person: Person | None) -> str:
        """After a failed attempt: 'retry' (pending again, later) or 'dead'."""
        if after_failure(failure, self.attempts, settings.max_attempts) == "retry":
            delay = retry_delay(self.attempts, settings.retry_base_seconds, settings.retry_max_seconds)
            self.status, self.next_attempt_at, self.last_error = PENDING, now + delay, error
            return "retry"
        self.dead_letter(f"{failure} after {self.attempts} attempt(s): {error}", person)
        return "dead"

    def interrupted(self, person: Person | None) -> None:
        """Left 'sending' past its lease by a process that died: it may or may not have gone."""
        self.dead_letter(INTERRUPTED.format(by=self.claimed_by, at=self.claimed_at.isoformat()), person)

    def dead_letter(self, reason: str, person: Person | None) -> None:
        self.status, self.last_error = "dead", reason
        self.record(announcement(NotificationFailed, self.id, self.recipient, self.channel, self.kind,
                                 self.source_event_id, person, reason=reason))

    def give_up_held(self, reason: str) -> None:
        """A message held for the digest whose recipient can no longer get email: nothing was tried."""
        self.status, self.last_error = "dead", reason

    def requeue(self, now: datetime) -> None:
        self.status, self.attempts, self.next_attempt_at, self.due_at = PENDING, 0, now, now
        self.claimed_at = self.claimed_by = None


@dataclass
class DeadLetter:
    """An email or SMS given up on, with the reason, until an admin retries it."""

    id: int
    delivery: Delivery
    reason: str
    created_at: datetime
    retried_at: datetime | None = None
    retried_by: str | None = None

    def retry(self, by: str, now: datetime) -> None:
        """Send the message again: the admin has decided it did not arrive."""
        if self.retried_at is not None or self.delivery.status != "dead":
            raise AlreadyRetried(f"dead letter {self.id} was already retried")
        self.retried_at, self.retried_by = now, by
        self.delivery.requeue(now)


def for_acting_officers(notices: list[Notice], acting_for: dict[str, str]) -> list[Notice]:
    """Each notice for an officer away (in `acting_for`) goes to the officer acting for them, saying for whom."""
    return [replace(n, user_id=acting_for[n.user_id], extra={**n.extra, "for_user": n.user_id}) if n.user_id in acting_for else n
            for n in notices]
