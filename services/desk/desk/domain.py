"""The desk's rules in plain Python: sessions, languages, what the forms send to the services and
how the services' answers come back to the page (errors beside their fields), the inbox's order."""
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

from eoffice_common.search import search_form

IST = timezone(timedelta(hours=5, minutes=30))
LANGUAGES = ("hi", "en")
PRIORITY_RANK = {"most_immediate": 0, "urgent": 1, "normal": 2}
# How often a session's last-seen time is written: not on every request.
TOUCH_EVERY = timedelta(minutes=1)


DATE_FORMAT = "%d-%m-%Y"  # as Indian offices write a date: 08-12-2026


def _moment(value):
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def iso_week(day):
    """`2026-W49`: the ISO week of a day, as the scoreboard names weeks."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def ist_time(value):
    """A moment (a datetime or ISO text, UTC if it names no zone) as `DD-MM-YYYY HH:MM` in India
    Standard Time; nothing for None, and text that is no moment as it is."""
    if value in (None, ""):
        return ""
    moment = _moment(value)
    if moment is None:
        return str(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(IST).strftime(f"{DATE_FORMAT} %H:%M")


def indian_date(value):
    """A date (a date, ISO text, or a moment: its day in IST) as `DD-MM-YYYY`."""
    if value in (None, ""):
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime(DATE_FORMAT)
    text = str(value)
    if len(text) == 10:
        try:
            return date.fromisoformat(text).strftime(DATE_FORMAT)
        except ValueError:
            return text
    return ist_time(value)[:10]


def today_ist(now=None):
    return (now or datetime.now(timezone.utc)).astimezone(IST).date()


# --- sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionTimes:
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def new_session_times(now, ttl_seconds):
    return SessionTimes(now, now, now + timedelta(seconds=ttl_seconds))


def session_is_live(times, now, idle_seconds):
    """A session ends at its expiry, or after `idle_seconds` without a request."""
    return now < times.expires_at and now - times.last_seen_at < timedelta(seconds=idle_seconds)


def should_touch(times, now):
    return now - times.last_seen_at >= TOUCH_EVERY


def safe_next(target):
    r"""Where to go after signing in or choosing a language: a path of this site, else `/`.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so `/\t/evil.example`
    and `/\\evil.example` lead to another origin; a control character in a Location header is also
    not a header at all. So a target is refused if it, or it percent-decoded, holds a control character
    or a backslash, starts with `//`, or has a scheme or a host."""
    if not target:
        return "/"
    for form in (target, unquote(target)):
        split = urlsplit(form)
        if (not form.startswith("/") or form.startswith("//") or "\\" in form or split.scheme or split.netloc
                or any(unicodedata.category(character) == "Cc" for character in form)):
            return "/"
    return target


# --- sign-in throttling -------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptLimit:
    """At most `attempts` password sign-ins failed or under way per key of `scope` (`account`: the
    user id typed, known or not, so that the answer tells nothing of who exists; `address`: the
    client's) within `window`."""

    scope: str
    attempts: int
    window: timedelta


def sign_in_limits(config):
    window = timedelta(seconds=int(config.get("SIGN_IN_WINDOW_SECONDS", 900)))
    return (AttemptLimit("account", int(config.get("SIGN_IN_ACCOUNT_ATTEMPTS", 5)), window),
            AttemptLimit("address", int(config.get("SIGN_IN_ADDRESS_ATTEMPTS", 20)), window))


def seconds_to_wait(others, limit, now):
    """Seconds before one more attempt may be made, given when the other attempts of its key (failed
    or under way) were made; 0 if it may be made now."""
    recent = sorted(moment for moment in others if moment > now - limit.window)
    if len(recent) < limit.attempts:
        return 0
    # Allowed again once enough of the oldest have left the window to leave room for one.
    frees_a_place = recent[len(recent) - limit.attempts] + limit.window
    return max(1, math.ceil((frees_a_place - now).total_seconds()))


def client_address(remote_addr, forwarded_for, trusted_proxies):
    """The client's address: the peer's, or behind `trusted_proxies` proxies (an ingress) the one the
    first of them saw. Entries further left in X-Forwarded-For are the client's own words, not trusted."""
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    if trusted_proxies and len(hops) >= trusted_proxies:
        return hops[-trusted_proxies]
    return remote_addr or ""


# --- languages and the directory copy ------------------------------------------------------------


def page_language(chosen, directory_language):
    """The user's own choice, else the directory's language, else Hindi."""
    for language in (chosen, directory_language):
        if language in LANGUAGES:
            return language
    return "hi"


def is_newer(recorded_at, occurred_at):
    """Whether an announcement made at `occurred_at` is newer than what we recorded at `recorded_at`."""
    return recorded_at is None or occurred_at >= recorded_at


def person_name(person, language):
    """`name (designation)` in the page's language, falling back to the other one."""
    if not person:
        return ""
    other = "en" if language == "hi" else "hi"
    name = person.get(f"name_{language}") or person.get(f"name_{other}") or person.get("id", "")
    designation = person.get(f"designation_{language}") or person.get(f"designation_{other}")
    return f"{name} ({designation})" if designation else name


def user_search_text(user):
    """What the Send dialog's search looks in for a user: id, names and designations, folded."""
    return search_form(" ".join(user[k] or "" for k in ("id", "name_en", "name_hi", "designation_en", "designation_hi")))


def office_search_text(office):
    """An office's and its district's names, folded, for the Send dialog's search."""
    return search_form(" ".join(office[k] or "" for k in ("code", "name_en", "name_hi", "district_name_en", "district_name_hi")))


def _user_label(user, language):
    return person_name({"id": user.id, "name_en": user.name_en, "name_hi": user.name_hi,
                        "designation_en": user.designation_en, "designation_hi": user.designation_hi}, language)


def person_found(user, office, language, own_office, own_district, away=None):
    """A user as the Send dialog lists them: `name (designation)`, and `office, district` beneath; when
    they are on leave (`away`: their acting charge and the acting officer), till when and who holds charge."""
    other = "en" if language == "hi" else "hi"
    def said(thing, name):
        return getattr(thing, f"{name}_{language}") or getattr(thing, f"{name}_{other}") or ""
    office_name, district_name = said(office, "name"), said(office, "district_name")
    place = office_name if district_name in office_name else f"{office_name}, {district_name}"
    charge, acting = away or (None, None)
    return {
        "id": user.id, "label": _user_label(user, language),
        "office": user.office, "place": place, "own_office": user.office == own_office,
        "own_district": office.district == own_district, "district": district_name or office.district,
        "away": {"until": indian_date(charge.to_date), "acting": _user_label(acting, language)} if charge else None,
    }


def unconfirmed_elsewhere(chosen, confirmed):
    """The officers chosen (as person_found lists them) who sit in another district than the sender's
    and whom the sender has not confirmed yet (`confirmed`: the ids the confirmation step named)."""
    return [person for person in chosen if not person["own_district"] and person["id"] not in confirmed]


# --- service answers back to the page ------------------------------------------------------------

# Model-level reasons (no field path) that belong to one field of the form.
MESSAGE_FIELDS = {
    "received_date is in the future": "received_date",
    "letter_date is after received_date": "letter_date",
}

# Reasons the services give, as the desk's message keys (the page shows them in its language).
REASON_PATTERNS = (
    (re.compile(r"^Field required"), "required"),
    (re.compile(r"^String should have at least 1 character"), "required"),
    (re.compile(r"^List should have at least 1 item"), "required"),
    (re.compile(r"^String should have at most (\d+)"), "too_long"),
    (re.compile(r"^String should match pattern"), "format"),
    (re.compile(r"^(Input should be a valid date|Input should be a valid datetime)"), "date"),
    (re.compile(r"^Input should be "), "choice"),
    (re.compile(r"due date is in the past"), "due_past"),
    (re.compile(r"received_date is in the future"), "future_date"),
    (re.compile(r"letter_date is after received_date"), "letter_after_received"),
    (re.compile(r"at least one scan"), "scan_required"),
    (re.compile(r"not allowed for a physical receipt"), "no_scans_physical"),
    (re.compile(r"cannot send to yourself"), "not_to_yourself"),
    (re.compile(r"^unknown"), "unknown_user"),
    (re.compile(r"duplicate recipient"), "duplicate_recipient"),
    (re.compile(r"at least one recipient"), "recipient_required"),
    (re.compile(r"too many recipients"), "too_many_recipients"),
    (re.compile(r"the leave has not begun"), "leave_not_begun"),
    (re.compile(r"^not cleared for"), "not_cleared"),
)


@dataclass(frozen=True)
class FieldError:
    key: str  # a message key of the desk's catalogue
    detail: str  # the service's own words, for a reason the desk has no key for

    @property
    def named(self):
        """Whom the service's reason names after its colon (`not cleared for secret: clerk.jhs`), else ""."""
        return self.detail.partition(": ")[2]


# The directory's field reasons (dak's codes), each a message key of its own.
DIRECTORY_REASONS = {"correspondent_exists", "outside_jurisdiction", "unknown_office", "unknown_district", "unknown_department", "not_a_section_of_the_office",
                     "reports_to_self", "section_of_another_office", "unknown_clearance", "unknown_role"}


def reason_key(reason):
    if reason in DIRECTORY_REASONS:
        return reason
    for pattern, key in REASON_PATTERNS:
        if pattern.search(reason or ""):
            return key
    return "invalid"


def field_errors(service_fields, message="", aliases=None):
    """A service's 422 `fields` ({"sender.name": reason}) as {form field: FieldError}.

    Paths are dotted (`sender.name`, `send.to.0`); the form names fields with underscores and no
    index (`sender_name`, `to`). `aliases` renames what differs; a reason with no field (`body`)
    goes to the field its message names, else to the form as a whole (key "")."""
    aliases = aliases or {}
    errors = {}
    for path, reason in (service_fields or {}).items():
        parts = [p for p in str(path).split(".") if not p.isdigit()]
        name = "_".join(parts)
        name = aliases.get(name, name)
        if name in ("body", ""):
            name = next((f for text, f in MESSAGE_FIELDS.items() if text in reason), "")
        errors.setdefault(name, FieldError(reason_key(reason), reason))
    if not errors and message:
        field_name = next((f for text, f in MESSAGE_FIELDS.items() if text in message), "")
        errors[field_name] = FieldError(reason_key(message), message)
    return errors


# --- the inbox -----------------------------------------------------------------------------------


@dataclass
class InboxItem:
    """One receipt or file waiting with the user, as the inbox shows it."""

    kind: str  # receipt | file
    id: str
    number: str
    subject: str
    classification: str
    priority: str = "normal"
    due_date: date | None = None
    sent_at: str | None = None
    sent_by: dict | None = None
    unread: bool = False
    vip: bool = False
    extra: dict = field(default_factory=dict)

    def overdue(self, today):
        return self.due_date is not None and self.due_date < today


def as_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def inbox_order(items, today):
    """Overdue first, then most immediate, urgent, normal; VIP before others; newest first."""
    def key(item):
        return (
            0 if item.overdue(today) else 1,
            PRIORITY_RANK.get(item.priority, 2),
            0 if item.vip else 1,
            _reverse(item.sent_at or ""),
        )

    return sorted(items, key=key)


def _reverse(text):
    # Newest first inside a stable ascending sort: invert each character of the ISO timestamp.
    return tuple(-ord(c) for c in text)


def receipt_item(receipt, deadline=None):
    deadline = deadline or {}
    return InboxItem(
        kind="receipt", id=receipt["id"], number=receipt["receipt_number"], subject=receipt["subject"],
        classification=receipt["classification"], priority=deadline.get("priority") or "normal",
        due_date=as_date(deadline.get("due_date")), sent_at=deadline.get("sent_at") or receipt.get("created_at"),
        sent_by=deadline.get("from_user"), vip=bool(receipt.get("vip")),
        extra={"sender": receipt.get("sender") or {}, "kind": receipt.get("kind"), "status": receipt.get("status")},
    )


def file_item(summary):
    movement = summary.get("current_movement") or {}
    return InboxItem(
        kind="file", id=summary["id"], number=summary["file_number"], subject=summary["subject"],
        classification=summary["classification"], priority=movement.get("priority") or "normal",
        due_date=as_date(movement.get("due_date")), sent_at=movement.get("sent_at") or summary.get("created_at"),
        sent_by=movement.get("from"), unread=bool(movement) and not movement.get("opened_at"),
        extra={"status": summary.get("status"), "kind": summary.get("kind")},
    )


def inbox_counts(items, today):
    return {
        "total": len(items),
        "overdue": sum(1 for i in items if i.overdue(today)),
        "urgent": sum(1 for i in items if i.priority in ("urgent", "most_immediate")),
        "unread": sum(1 for i in items if i.unread),
    }


# --- what a user may do --------------------------------------------------------------------------


def receipt_actions(receipt, user_id):
    """The actions a receipt offers its viewer: only the holder of an open receipt acts; whoever sent
    it pulls it back while its recipient has not opened it."""
    if receipt.get("status") == "open" and receipt.get("holder") != user_id:
        handovers = [m for m in receipt.get("movements") or [] if not m.get("copy")]
        last = handovers[-1] if handovers else None
        return ["pull_back"] if last and last.get("from") == user_id and not last.get("opened_at") else []
    if receipt.get("holder") != user_id or receipt.get("status") != "open":
        return []
    actions = ["send", "put_in_file", "close", "copy"]
    movements = receipt.get("movements") or []
    if any(m.get("to") == user_id and not m.get("copy") for m in movements):
        actions.insert(1, "reply")
    if receipt.get("kind") == "physical" and not receipt.get("received_at"):
        actions.insert(0, "receive")
    return actions


def file_actions(file, user_id, officer):
    """What the file's viewer may do: the custodian notes, drafts, moves; the owner closes and reopens;
    an officer approves drafts. (The files service decides; this only chooses which buttons to show.)"""
    custodian = (file.get("custodian") or {}).get("id")
    owner = (file.get("owner") or {}).get("id") or file.get("created_by")
    status = file.get("status")
    actions = set()
    if custodian == user_id and status == "open":
        actions |= {"note", "draft", "send", "park", "attach"}
        if file.get("current_movement"):
            actions.add("return")
        if officer:
            actions.add("approve")
    if custodian == user_id and status == "parked":
        actions.add("unpark")
    if owner == user_id and custodian == user_id and status in ("open", "parked"):
        actions.add("close")  # the owner closes, while holding the file
    if owner == user_id and status == "closed":
        actions.add("reopen")
    if custodian == user_id and status == "open" and file.get("relation") != "part":
        actions.add("volume")  # the next volume, for the custodian; a part file has none
    if status != "closed":
        actions.add("part")  # anyone who may open the file works on a part while it is elsewhere
    movement = file.get("current_movement") or {}
    if (movement.get("from") or {}).get("id") == user_id and not movement.get("opened_at") and custodian != user_id:
        actions.add("pull_back")
    if custodian == user_id and status == "open":
        actions.add("link")
        if not file.get("attached_to"):
            actions.add("attach_file")
        main = next((r for r in file.get("related") or () if r.get("id") == file.get("parent_file_id")), {})
        if file.get("relation") == "part" and main.get("custodian") == user_id and main.get("status") == "open":
            actions.add("merge")  # the custodian of both merges a part into its main file
    if custodian == user_id and file.get("links"):
        actions.add("unlink")
    if custodian == user_id and file.get("attachments"):
        actions.add("detach_file")  # also from a closed file, so that what it holds can move again
    if file.get("attached_to"):
        actions -= {"send", "return", "pull_back", "close"}  # it moves only with the file it is attached to
    return actions


def attachable(candidate, file):
    """A file of the viewer's inbox that may go into `file`: another open file, not already in it."""
    taken = {a.get("id") for a in file.get("attachments") or ()}
    return candidate["id"] != file["id"] and candidate["id"] not in taken and candidate.get("status") == "open"


def same_file_number(number, typed):
    """A file number as typed (any case, spaces around the parts) is the file's number."""
    def key(value):
        return re.sub(r"\s*([/-])\s*", r"\1", value.strip()).casefold()

    return key(number) == key(typed)


# --- the office's address book ---------------------------------------------------------------------

CORRESPONDENT_FIELDS = ("name", "designation", "organisation", "address", "state", "pincode", "email", "mobile")
# Who writes correspondents into the book (dak's address_book.KEEPERS): only they are offered its forms.
BOOK_KEEPERS = ("clerk", "officer")


def correspondent_entry(form):
    """The add / edit form as dak's entry: each field trimmed, an empty one left out (null)."""
    entry = {name: (form.get(name) or "").strip() or None for name in CORRESPONDENT_FIELDS}
    return {**entry, "name": entry["name"] or ""}


def keeps_the_book(user):
    return any(user.has_role(role) for role in BOOK_KEEPERS)


# --- signatures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningState:
    """What a green note's or an approved draft's signing looks like to its viewer."""

    signed: list  # [(signer id, signed at, signature id)], in signing order
    order: list  # every signer's id, in order
    next_signer: str | None
    can_sign: bool  # the viewer signs next and holds a usable certificate
    needs_certificate: bool  # the viewer signs next but has no usable certificate
    can_set_order: bool  # the owner, before anyone has signed
    method: str | None = None  # how the viewer signs: dsc if they hold one, else esign


def signing_state(document, user_id, certificate_methods, first_signer):
    """From signing's view of the document and the methods (dsc, esign) of the viewer's active
    certificates; a document signing has not heard of yet (files' event still on its way) is signed
    first by `first_signer`, the note's author or the draft's approver. The signing service decides;
    this chooses what to show."""
    if not document:
        mine = first_signer == user_id
        return SigningState([], [first_signer], first_signer, mine and bool(certificate_methods),
                            mine and not certificate_methods, False, _preferred(certificate_methods))
    signed = [(s["signer"], s.get("signed_at"), s["id"]) for s in sorted(document.get("signatures") or [], key=lambda s: s["position"])
              if s.get("status") == "signed"]
    next_signer = document.get("next_signer")
    mine_next = next_signer == user_id and not document.get("changed_after_signing")
    return SigningState(
        signed=signed, order=list(document.get("signers") or []), next_signer=next_signer,
        can_sign=mine_next and bool(certificate_methods), needs_certificate=mine_next and not certificate_methods,
        can_set_order=document.get("owner") == user_id and not signed, method=_preferred(certificate_methods),
    )


def _preferred(certificate_methods):
    return "dsc" if "dsc" in certificate_methods else next(iter(certificate_methods), None)


def usable_certificate_methods(certificates, today):
    """The signing methods (dsc, esign) the user holds an active, unexpired certificate for."""
    methods = set()
    for c in certificates or []:
        not_after = as_date(c.get("not_after"))
        if c.get("status") == "active" and (not_after is None or not_after >= today):
            methods.add("esign" if c.get("source") == "esign" else "dsc")
    return methods


# --- files ---------------------------------------------------------------------------------------


def numbered_paragraphs(note):
    """A green note's paragraphs (separated by a blank line) with their numbers in the file."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", note.get("text") or "") if p.strip()]
    first = note.get("first_paragraph")
    if first is None:
        return [(None, p) for p in paragraphs]
    return [(first + i, p) for i, p in enumerate(paragraphs)]


# --- charts (drawn on the server as SVG: no script needed) ----------------------------------------


@dataclass(frozen=True)
class LineChart:
    points: str  # the polyline's "x,y x,y ..."
    dots: list  # (x, y, label, value)
    width: int
    height: int


def line_chart(series, width=560, height=180, pad=28, top=10.0):
    """Scores (0-10) over weeks as a polyline in a width×height box; None for fewer than one point."""
    if not series:
        return None
    step = (width - 2 * pad) / max(1, len(series) - 1)
    dots = []
    for i, (label, value) in enumerate(series):
        x = pad + i * step
        y = height - pad - (max(0.0, min(top, float(value))) / top) * (height - 2 * pad)
        dots.append((round(x, 1), round(y, 1), label, value))
    return LineChart(" ".join(f"{x},{y}" for x, y, _, _ in dots), dots, width, height)


def rank_chart(series, width=560, height=180, pad=28):
    """Ranks over weeks as a polyline, the first rank at the top; None without points."""
    if not series:
        return None
    worst = max(rank for _, rank in series)
    step = (width - 2 * pad) / max(1, len(series) - 1)
    dots = []
    for i, (label, rank) in enumerate(series):
        x = pad + i * step
        y = pad + ((rank - 1) / (worst - 1) if worst > 1 else 0.0) * (height - 2 * pad)
        dots.append((round(x, 1), round(y, 1), label, rank))
    return LineChart(" ".join(f"{x},{y}" for x, y, _, _ in dots), dots, width, height)


@dataclass(frozen=True)
class Bar:
    key: str  # the figure's column in the report (its heading is the catalogue's column.<key>)
    value: float
    percent: float  # of the chart's longest bar


def _bars(pairs, top):
    top = top or 1
    return [Bar(key, value, round(100 * value / top, 1)) for key, value in pairs]


PENDENCY_BUCKETS = ("days_0-7", "days_8-15", "days_16-30", "days_31+")


def pendency_chart(report):
    """Items pending in each age bucket, over every row of a report that has the buckets; else None."""
    keys = [key for key in PENDENCY_BUCKETS if key in report.get("columns", ())]
    if not keys:
        return None
    totals = [(key, sum(row.get(key) or 0 for row in report["rows"])) for key in keys]
    return _bars(totals, max(value for _, value in totals))


DISPATCH_SERIES = ("issued", "reached", "emailed", "bounced", "posted", "awaiting")


def dispatch_chart(report):
    """The dispatch report's totals over its weeks (its ALL rows), one bar each, on one scale; else None."""
    columns = report.get("columns", ())
    if not set(DISPATCH_SERIES) <= set(columns):
        return None
    every = [row for row in report["rows"] if row.get(columns[1]) == "ALL"]
    totals = [(key, sum(row.get(key) or 0 for row in every)) for key in DISPATCH_SERIES]
    return _bars(totals, max(value for _, value in totals)) if every else None


DISPATCH_UNITS = ("office", "section", "department", "district")


MONTHLY_SERIES = ("files_created", "receipts_diarised", "files_received", "receipts_received", "files_forwarded",
                  "receipts_forwarded")


def monthly_chart(report):
    """[(month, bars)] of the month-wise report's totals (its ALL rows), every bar on one scale; else None."""
    if not set(MONTHLY_SERIES) <= set(report.get("columns", ())):
        return None
    months = [(row["month"], [(key, row.get(key) or 0) for key in MONTHLY_SERIES])
              for row in report["rows"] if row.get("office") == "ALL"]
    top = max((value for _, pairs in months for _, value in pairs), default=0)
    return [(month, _bars(pairs, top)) for month, pairs in months] or None


SCOPE_PARAMETERS = ("district", "department", "office")


def report_scope(chosen):
    """The metrics query parameter of a scope chosen on the page (`district:HR-JJR`); {} for the
    whole jurisdiction (`state:...`, nothing chosen). metrics refuses a scope beyond the caller's."""
    kind, _, code = (chosen or "").partition(":")
    return {kind: code} if kind in SCOPE_PARAMETERS and code else {}


# --- the directory, as an admin keeps it -----------------------------------------------------------

DIRECTORY_USER_FIELDS = ("name_en", "name_hi", "designation_en", "designation_hi", "office", "section", "reporting_officer",
                         "clearance", "language", "email", "mobile")


def directory_user_body(form):
    """The user form as dak's PUT /directory/users/<id> takes it: blanks as none, roles as ticked."""
    body = {name: (form.get(name) or "").strip() or None for name in DIRECTORY_USER_FIELDS}
    body.update(office=body["office"] or "", clearance=body["clearance"] or "normal", language=body["language"] or "hi",
                roles=form.getlist("roles"))
    return body


def directory_user_values(user):
    """A kept user's record as the user form's values (an empty form for a new user)."""
    return FormValues({**{name: (user or {}).get(name) or "" for name in DIRECTORY_USER_FIELDS},
                       "roles": list((user or {}).get("roles") or ())})


def choices(records, key, only=None):
    """The distinct values of `key` among records, sorted; just `only` when given (an admin's own district)."""
    return [only] if only else sorted({record[key] for record in records})


class FormValues(Mapping):
    """A form's fields as typed, a name holding one value or several (`getlist`), to show a form again:
    what werkzeug's MultiDict gives the entrypoints, for the pages' logic that knows no web framework.
    Made of another form (anything with `lists()`) or of a mapping, where a list is several values."""

    def __init__(self, fields=None):
        if fields is None:
            pairs = ()
        elif hasattr(fields, "lists"):
            pairs = fields.lists()
        else:
            pairs = ((k, list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in fields.items())
        self._lists = {name: list(values) for name, values in pairs if values}

    def __getitem__(self, name):
        return self._lists[name][0]

    def __iter__(self):
        return iter(self._lists)

    def __len__(self):
        return len(self._lists)

    def getlist(self, name):
        return list(self._lists.get(name, ()))

    def lists(self):
        return [(name, list(values)) for name, values in self._lists.items()]

    def to_dict(self):
        return {name: values[0] for name, values in self._lists.items()}


@dataclass(frozen=True)
class SignedIn:
    """The user of a live session, as pages and service calls need it."""

    session_hash: str
    user_id: str
    office: str
    roles: tuple
    name_en: str
    name_hi: str
    designation_en: str
    designation_hi: str
    language: str
    csrf_token: str

    def name(self, language):
        return self.name_hi if language == "hi" else self.name_en

    def designation(self, language):
        return self.designation_hi if language == "hi" else self.designation_en

    def has_role(self, role):
        return role in self.roles

    @property
    def is_officer(self):
        return "officer" in self.roles

    @classmethod
    def from_row(cls, row):
        return cls(
            session_hash=row.id_hash, user_id=row.id, office=row.office, roles=tuple(row.roles or ()),
            name_en=row.name_en, name_hi=row.name_hi, designation_en=row.designation_en,
            designation_hi=row.designation_hi, language=page_language(row.chosen_language, row.directory_language),
            csrf_token=row.csrf_token,
        )
