"""The rules of notify, in plain Python: who is told what, in which words, on which channel and
when; reminders of due dates; what happens when a message fails."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

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
        number=data.receipt_number, by=data.from_user, subject=data.subject, remarks=data.remarks,
        priority=data.priority, classification=data.classification,
    )
    notices = [Notice("receipt_sent", data.to_user, due_date=data.due_date, **base)]
    notices += [Notice("receipt_copied", user, **base) for user in dict.fromkeys(data.copies_to) if user != data.to_user]
    return [n for n in notices if n.user_id != data.from_user]


def file_sent_notices(source_id, occurred_at, data):
    kind = "file_returned" if data.action == "return" else "file_sent"
    if data.to_user == data.from_user:
        return []
    return [Notice(
        kind, data.to_user, source_id, occurred_at, "file", data.file_id, number=data.file_number, by=data.from_user,
        subject=data.subject, remarks=data.remarks, due_date=data.due_date, priority=data.priority,
        classification=data.classification,
    )]


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
        "version": extra.get("version", ""),
        "issue_number": extra.get("issue_number", ""),
        "document": labels.get(extra.get("document"), extra.get("document", "")),
        "reason": extra.get("reason", ""),
    }


def title_of(notice, language, people):
    return TITLES[notice.kind][language].format(**_facts(notice, language, people))


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


@dataclass(frozen=True)
class ReminderView:
    id: str
    kind: str
    item_type: str
    item_id: str
    item_number: str
    user_id: str
    due_date: date
    occurrence: int = 0
    subject: str = ""
    classification: str = "normal"
    priority: str = "normal"


def fire_reminder(reminder, now, holder, settings):
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
