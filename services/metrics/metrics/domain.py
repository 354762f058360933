"""The rules of the metrics service, in plain Python: weeks in IST, how a fact moves the counts and
the state of a file or receipt, and the scoreboard formula (components, normalisation, weights,
pooling, ranking)."""
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from functools import cached_property

IST = timezone(timedelta(hours=5, minutes=30))
DAY_SECONDS = 86400
WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")

LEVELS = ("office", "department", "district")


# Daily counters per office (IST day). `disposal_seconds` and `levels` are sums over files closed.
COUNTERS = (
    "files_created", "e_files_created", "receipts_diarised", "e_receipts_diarised",
    "physical_receipts_received", "files_forwarded", "receipts_forwarded", "files_received",
    "receipts_received", "files_closed", "disposal_seconds", "levels", "receipts_closed",
    "receipts_put_in_file", "notes_confirmed", "notes_signed", "drafts_approved", "drafts_signed",
    "drafts_issued", "signatures_failed", "notifications_delivered", "notifications_failed",
    "files_pulled_back", "files_parked",
)

# Events that create, close or reopen a file or receipt: they change the pendency of weeks from
# the earliest of their own, the item's creation and its last closing, to the current one.
LIFECYCLE_EVENTS = frozenset({
    "receipt_diarised", "receipt_put_in_file", "receipt_closed", "file_created", "file_closed", "file_reopened",
})
# Events that give a file or receipt a holder: from then on its pendency is charged to the office of
# that holder, so a late one changes the pendency of every week from its own to the current one.
HOLDING_EVENTS = frozenset({
    "receipt_diarised", "file_created", "receipt_sent", "file_sent", "file_pulled_back", "receipt_pulled_back",
    "file_transferred",
})
# Events that do not show a person at work (the system's: a notification, a letter arriving from
# another office, a mail server's answer).
NOT_ACTIVITY = frozenset({"notification_delivered", "notification_failed", "letter_received", "letter_emailed"})

# The action of a file_sent or receipt_sent whose officer went on leave and handed the item to the officer acting
# for them: the holder changes, but nothing moved on (files leaves it out of a file's movement_count too).
HAND_OVER = "hand_over"

# Pendency age buckets in whole days since the file was opened or the receipt diarised.
AGE_BUCKETS = ((0, 7, "0-7"), (8, 15, "8-15"), (16, 30, "16-30"), (31, None, "31+"))


# --- weeks and days in India Standard Time ------------------------------------------------------

def as_utc(moment):
    """Aware datetimes everywhere; a naive one (read back from SQLite) is UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def week_of(moment):
    """The ISO week (in IST) of a moment, as the number yyyyww: 202647."""
    year, week, _ = as_utc(moment).astimezone(IST).isocalendar()
    return year * 100 + week


def day_of(moment):
    return as_utc(moment).astimezone(IST).date()


def week_label(week):
    return f"{week // 100}-W{week % 100:02d}"


def parse_week(label):
    """'2026-W47' as 202647; ValueError if it is not an ISO week."""
    match = WEEK_LABEL.match(label or "")
    if not match:
        raise ValueError("a week is written like 2026-W47")
    year, number = int(match.group(1)), int(match.group(2))
    date.fromisocalendar(year, number, 1)  # raises ValueError for week 53 of a 52-week year
    return year * 100 + number


def week_start(week):
    """Monday 00:00 IST of the week."""
    monday = date.fromisocalendar(week // 100, week % 100, 1)
    return datetime(monday.year, monday.month, monday.day, tzinfo=IST)


def week_end(week):
    return week_start(week) + timedelta(days=7)


def week_days(week):
    monday = week_start(week).date()
    return [monday + timedelta(days=i) for i in range(7)]


def shift_week(week, weeks):
    return week_of(week_start(week) + timedelta(days=7 * weeks))


def weeks_from(first, last):
    """Every week from `first` to `last`, both included."""
    weeks, week = [], first
    while week <= last:
        weeks.append(week)
        week = shift_week(week, 1)
    return weeks


# --- facts ----------------------------------------------------------------------------------------

@dataclass
class Fact:
    """One applied event, reduced to what the counts, reports and scores need."""

    event_id: str
    event_type: str
    occurred_at: datetime
    actor: str
    office: str | None = None
    subject_user: str | None = None
    item_type: str | None = None
    item_id: str | None = None
    kind: str | None = None
    to_user: str | None = None  # who holds the file or receipt after this event, if it says
    to_office: str | None = None
    section: str | None = None
    number: str | None = None  # what the register shows of a file or receipt, from its creation
    subject: str | None = None
    category: str | None = None
    classification: str | None = None
    vip: bool | None = None
    due_date: date | None = None
    duration_seconds: int | None = None
    levels: int | None = None
    file_ids: list | None = None
    dispatch_id: str | None = None  # the dispatch of an issued letter that a letter event reports on
    dispatches: list | None = None  # draft_issued: [{dispatch_id, mode, copy, office}], one per addressee

    @cached_property
    def week(self):
        return week_of(self.occurred_at)

    @cached_property
    def day(self):
        return day_of(self.occurred_at)


def attribute(fact, office_of_user):
    """Fill in the fact's office (from its subject user when the event named none) and the office
    of the user it was sent to. `office_of_user` maps user id to office code."""
    subject = fact.subject_user or fact.actor
    fact.office = fact.office or office_of_user.get(subject)
    if fact.to_user and not fact.to_office:
        fact.to_office = office_of_user.get(fact.to_user)
    # A fact nobody can place yet keeps the user it waits for; user_recorded places it later.
    if not fact.office:
        fact.subject_user = subject
    return fact


@dataclass
class Stale:
    """Weeks a batch made stale: to score again, and to rebuild from their facts first.
    `every_week`: the directory changed, and past weeks are scored with the directory as it is now."""

    rescore: set = field(default_factory=set)
    rebuild: set = field(default_factory=set)
    every_week: bool = False


# --- what a fact adds to the daily counts ---------------------------------------------------------

def count_increments(facts):
    """Daily counter increments {(office, day): Counter} and active users {(week, office, user)}
    of attributed facts. Used both when events arrive and when a week is rebuilt from its facts."""
    counts = defaultdict(Counter)
    active = set()
    for f in facts:
        if not f.office:
            continue
        key = (f.office, f.day)
        add = counts[key]
        t = f.event_type
        if t == "receipt_diarised":
            add["receipts_diarised"] += 1
            add["e_receipts_diarised"] += f.kind == "electronic"
        elif t == "file_created":
            add["files_created"] += 1
            add["e_files_created"] += f.kind == "electronic"
        elif t in ("receipt_sent", "file_sent") and f.kind != HAND_OVER:
            noun = "receipts" if t == "receipt_sent" else "files"
            add[f"{noun}_forwarded"] += 1
            if f.to_office:
                counts[(f.to_office, f.day)][f"{noun}_received"] += 1
        elif t == "receipt_received":
            add["physical_receipts_received"] += 1
        elif t == "file_closed":
            add["files_closed"] += 1
            add["disposal_seconds"] += f.duration_seconds or 0
            add["levels"] += f.levels or 0
        elif t == "document_signed":
            add["notes_signed" if f.kind == "note" else "drafts_signed"] += 1
        elif t in _SIMPLE_COUNTERS:
            add[_SIMPLE_COUNTERS[t]] += 1
        if f.actor and f.actor != "system" and t not in NOT_ACTIVITY:
            active.add((f.week, f.office, f.actor))
    return {key: +c for key, c in counts.items() if +c}, active


_SIMPLE_COUNTERS = {
    "receipt_put_in_file": "receipts_put_in_file", "receipt_closed": "receipts_closed",
    "note_confirmed": "notes_confirmed", "draft_approved": "drafts_approved", "draft_issued": "drafts_issued",
    "signature_failed": "signatures_failed", "notification_delivered": "notifications_delivered",
    "notification_failed": "notifications_failed", "file_pulled_back": "files_pulled_back",
    "file_parked": "files_parked",
}


# --- the state of a file or receipt ---------------------------------------------------------------

@dataclass
class ItemChange:
    """What facts say about one file or receipt. Merging is order-independent (except for two
    movements at the very same instant), so late and redelivered events give the same state."""

    item_type: str
    item_id: str
    office: str | None = None
    kind: str | None = None
    section: str | None = None
    number: str | None = None
    subject: str | None = None
    category: str | None = None
    classification: str | None = None
    vip: bool | None = None
    created_at: datetime | None = None
    last_closed_at: datetime | None = None
    reopened_at: datetime | None = None
    holder: str | None = None
    held_since: datetime | None = None
    due_date: date | None = None
    last_sent_at: datetime | None = None  # the last send: it set (or cleared) the due date
    last_sent_by: str | None = None
    movements: int = 0

    @property
    def key(self):
        return (self.item_type, self.item_id)

    @property
    def closed_at(self):
        """When it was disposed of; None while pending (never closed, or reopened since)."""
        if self.last_closed_at and (self.reopened_at is None or self.last_closed_at > self.reopened_at):
            return self.last_closed_at
        return None

    def merge(self, other):
        # The office, kind, section and register entries come from the event that created the item.
        creator = self
        if other.created_at and (self.created_at is None or other.created_at < self.created_at):
            creator = other
        later = other if other.held_since and (self.held_since is None or other.held_since >= self.held_since) else self
        # A pull back or transfer changes the holder but not the due date of the last send.
        sent_later = other if other.last_sent_at and (self.last_sent_at is None or other.last_sent_at >= self.last_sent_at) else self
        return ItemChange(
            self.item_type, self.item_id,
            **{name: getattr(creator, name) if creator.created_at else (getattr(self, name) or getattr(other, name))
               for name in FROM_CREATION},
            created_at=_earliest(self.created_at, other.created_at),
            last_closed_at=_latest(self.last_closed_at, other.last_closed_at),
            reopened_at=_latest(self.reopened_at, other.reopened_at),
            holder=later.holder, held_since=later.held_since,
            due_date=sent_later.due_date, last_sent_at=sent_later.last_sent_at, last_sent_by=sent_later.last_sent_by,
            movements=self.movements + other.movements,
        )


FROM_CREATION = ("office", "kind", "section", "number", "subject", "category", "classification", "vip")


def _earliest(a, b):
    return b if a is None else a if b is None else min(a, b)


def _latest(a, b):
    return b if a is None else a if b is None else max(a, b)


def item_changes(fact):
    """The changes a fact makes to files and receipts."""
    t, at = fact.event_type, fact.occurred_at
    if t in ("receipt_diarised", "file_created"):
        return [ItemChange(fact.item_type, fact.item_id, **{name: getattr(fact, name) for name in FROM_CREATION},
                           created_at=at, holder=fact.to_user or fact.actor, held_since=at)]
    if t in ("receipt_sent", "file_sent") and fact.kind == HAND_OVER:
        return [ItemChange(fact.item_type, fact.item_id, office=fact.office, holder=fact.to_user, held_since=at)]
    if t in ("receipt_sent", "file_sent"):
        return [ItemChange(fact.item_type, fact.item_id, office=fact.office, holder=fact.to_user, held_since=at,
                           due_date=fact.due_date, last_sent_at=at, last_sent_by=fact.actor, movements=1)]
    if t in ("file_pulled_back", "receipt_pulled_back"):
        return [ItemChange(fact.item_type, fact.item_id, office=fact.office, holder=fact.to_user or fact.actor, held_since=at)]
    if t == "file_transferred":
        return [ItemChange("file", file_id, office=fact.office, holder=fact.to_user, held_since=at) for file_id in fact.file_ids or ()]
    if t in ("receipt_put_in_file", "receipt_closed", "file_closed"):
        return [ItemChange(fact.item_type, fact.item_id, office=fact.office, last_closed_at=at)]
    if t == "file_reopened":
        return [ItemChange("file", fact.item_id, office=fact.office, reopened_at=at)]
    return []


def holdings(facts):
    """{(item type, item id, held from): holder} of the facts: who held what from when."""
    return {
        (change.item_type, change.item_id, change.held_since): change.holder
        for f in facts if f.event_type in HOLDING_EVENTS
        for change in item_changes(f) if change.holder and change.held_since
    }


def merged_item_changes(facts):
    merged = {}
    for f in facts:
        for change in item_changes(f):
            merged[change.key] = merged[change.key].merge(change) if change.key in merged else change
    return merged


# --- the dispatches of issued letters --------------------------------------------------------------

INTRA, EMAIL, POST = "intra", "email", "post"


@dataclass
class DispatchChange:
    """What facts say about one addressee's dispatch of an issued letter. The issuing office, file,
    mode and addressee come from draft_issued; the moments from dak's letter_received and letter_opened
    and notify's letter_emailed, whichever arrives first. Merging is order-independent."""

    dispatch_id: str
    office: str | None = None  # the issuing office
    file_id: str | None = None
    issued_at: datetime | None = None
    mode: str | None = None
    for_information: bool | None = None  # a copy
    addressee_office: str | None = None
    reached_at: datetime | None = None  # a receipt made in the addressee office, or the email delivered
    opened_at: datetime | None = None
    bounced_at: datetime | None = None

    def merge(self, other: "DispatchChange") -> "DispatchChange":
        issue = other if other.issued_at and (self.issued_at is None or other.issued_at < self.issued_at) else self
        return DispatchChange(
            self.dispatch_id, **{name: getattr(issue, name) for name in FROM_ISSUE},
            reached_at=_earliest(self.reached_at, other.reached_at), opened_at=_earliest(self.opened_at, other.opened_at),
            bounced_at=_earliest(self.bounced_at, other.bounced_at),
        )


FROM_ISSUE = ("office", "file_id", "issued_at", "mode", "for_information", "addressee_office")


def dispatch_changes(fact: Fact) -> list[DispatchChange]:
    t, at = fact.event_type, fact.occurred_at
    if t == "draft_issued":
        return [DispatchChange(d["dispatch_id"], office=fact.office, file_id=fact.item_id, issued_at=at, mode=d["mode"],
                               for_information=d["copy"], addressee_office=d["office"]) for d in fact.dispatches or ()]
    if not fact.dispatch_id:
        return []
    if t == "letter_received" or (t == "letter_emailed" and fact.kind == "delivered"):
        return [DispatchChange(fact.dispatch_id, reached_at=at)]
    if t == "letter_opened":
        return [DispatchChange(fact.dispatch_id, opened_at=at)]
    if t == "letter_emailed" and fact.kind == "bounced":
        return [DispatchChange(fact.dispatch_id, bounced_at=at)]
    return []  # an email whose fate is unknown is still on its way, as far as anyone can tell


def merged_dispatch_changes(facts: list[Fact]) -> dict[str, DispatchChange]:
    merged: dict[str, DispatchChange] = {}
    for f in facts:
        for change in dispatch_changes(f):
            key = change.dispatch_id
            merged[key] = merged[key].merge(change) if key in merged else change
    return merged


def opened_at_least(whole_days, now):
    """The latest opening moment of an item that is `whole_days` or more whole days old at `now`.
    Ages are counted in whole days (an item opened 7 days and 23 hours ago is 7 days old), the same
    for the MIS age buckets and the scoreboard's old pendency."""
    return now - timedelta(days=whole_days)


def age_bucket_bounds(now):
    """(label, opened after, opened at or before) of each pendency age bucket at `now`."""
    bounds = []
    for low, high, label in AGE_BUCKETS:
        after = opened_at_least(high + 1, now) if high is not None else None
        not_after = opened_at_least(low, now) if low else None
        bounds.append((label, after, not_after))
    return bounds


def percentile(values, q):
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont, a spreadsheet's
    PERCENTILE.INC): position (n - 1) × q in the sorted values; None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- the scoreboard ---------------------------------------------------------------------------------

@dataclass
class UnitInputs:
    """The raw numbers of one unit in one week. Departments and districts pool their offices'
    numbers (sums, and all disposal times together) rather than averaging the offices' scores."""

    files_created: int = 0
    e_files_created: int = 0
    receipts_diarised: int = 0
    e_receipts_diarised: int = 0
    movements: int = 0
    dispatches_reached: int = 0  # letters issued that reached an addressee this week
    active_people: set = field(default_factory=set)  # user ids: a person active in two offices is one person
    users: int = 0
    disposal_days: list = field(default_factory=list)
    pending: int = 0
    pending_old: int = 0
    notes_confirmed: int = 0
    notes_signed: int = 0

    @property
    def active_users(self):
        return len(self.active_people)

    @property
    def has_activity(self):
        return bool(self.active_people)

    @classmethod
    def pooled(cls, many):
        total = cls()
        for one in many:
            for f in fields(cls):
                mine, theirs = getattr(total, f.name), getattr(one, f.name)
                setattr(total, f.name, mine | theirs if isinstance(mine, set) else mine + theirs)
        return total


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    label_en: str
    label_hi: str
    unit: str
    better: str  # "higher" or "lower"


COMPONENTS = (
    ComponentSpec("e_file_share", "Share of new files that are e-files", "नई फ़ाइलों में ई-फ़ाइलों का अंश", "share", "higher"),
    ComponentSpec("e_receipt_share", "Share of receipts diarised electronically", "इलेक्ट्रॉनिक रूप से डायरी की गई प्राप्तियों का अंश", "share", "higher"),
    ComponentSpec("movements_per_active_user", "Movements (files and receipts sent, letters that reached their addressees) per active user",
                  "प्रति सक्रिय उपयोगकर्ता संचलन (भेजी गई फ़ाइलें व प्राप्तियाँ, प्राप्तकर्ता तक पहुँचे पत्र)", "movements", "higher"),
    ComponentSpec("median_disposal_days", "Median days to dispose of a file", "फ़ाइल निस्तारण के माध्य दिन", "days", "lower"),
    ComponentSpec("old_pendency_share", "Share of pending items older than the limit", "सीमा से पुराने लंबित मामलों का अंश", "share", "lower"),
    ComponentSpec("digital_signing_share", "Share of notes signed digitally", "डिजिटल हस्ताक्षरित टिप्पणियों का अंश", "share", "higher"),
    ComponentSpec("active_user_share", "Share of users active", "सक्रिय उपयोगकर्ताओं का अंश", "share", "higher"),
)
COMPONENT_NAMES = tuple(c.name for c in COMPONENTS)


# Goes up whenever the formula's rules change (not its weights, which are stored beside it).
# 2: old pendency in whole days as the MIS buckets; contributions rounded to add up to the score;
#    a unit without activity earns nothing and ranks last; active people counted once in a pool.
# 3: pendency charged to the office of the user holding the item, not the office that created it.
# 4: letters issued that reached their addressees (a receipt in an office of the deployment, or an email
#    delivered) count as movements of the issuing office in the week they reached.
FORMULA_VERSION = 4


@dataclass(frozen=True)
class ScoreSettings:
    weights: dict
    pendency_days: int = 15
    movements_target: float = 10.0
    disposal_best_days: float = 1.0
    disposal_worst_days: float = 30.0

    @classmethod
    def from_config(cls, config):
        config = config or {}
        weights = {name: float(w) for name, w in (config.get("weights") or {}).items()}
        unknown = set(weights) - set(COMPONENT_NAMES)
        if unknown:
            raise ValueError(f"unknown scoreboard components in weights: {', '.join(sorted(unknown))}")
        weights = {name: weights.get(name, DEFAULT_WEIGHTS[name]) for name in COMPONENT_NAMES}
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("scoreboard weights must be non-negative and not all zero")
        settings = cls(
            weights=weights,
            pendency_days=int(config.get("pendency_days", 15)),
            movements_target=float(config.get("movements_target", 10)),
            disposal_best_days=float(config.get("disposal_best_days", 1)),
            disposal_worst_days=float(config.get("disposal_worst_days", 30)),
        )
        if settings.movements_target <= 0 or settings.disposal_worst_days <= settings.disposal_best_days:
            raise ValueError("movements_target must be positive and disposal_worst_days above disposal_best_days")
        return settings

    def as_dict(self):
        """What a week's scores were computed with, stored beside them."""
        return {
            "weights": dict(self.weights), "pendency_days": self.pendency_days, "movements_target": self.movements_target,
            "disposal_best_days": self.disposal_best_days, "disposal_worst_days": self.disposal_worst_days,
        }


DEFAULT_WEIGHTS = {
    "e_file_share": 2.0, "e_receipt_share": 2.0, "movements_per_active_user": 1.0, "median_disposal_days": 1.5,
    "old_pendency_share": 1.5, "digital_signing_share": 1.0, "active_user_share": 1.0,
}


def _ratio(numerator, denominator, cap=None):
    if not denominator:
        return None
    value = numerator / denominator
    return min(value, cap) if cap is not None else value


def raw_values(inputs, settings):
    """Each component's raw value with the numbers it comes from; None where there is no data."""
    median = percentile([d for d in inputs.disposal_days], 0.5)
    moved = inputs.movements + inputs.dispatches_reached
    return {
        "e_file_share": (_ratio(inputs.e_files_created, inputs.files_created), inputs.e_files_created, inputs.files_created),
        "e_receipt_share": (_ratio(inputs.e_receipts_diarised, inputs.receipts_diarised), inputs.e_receipts_diarised, inputs.receipts_diarised),
        "movements_per_active_user": (_ratio(moved, inputs.active_users), moved, inputs.active_users),
        "median_disposal_days": (median, None, len(inputs.disposal_days)),
        # Nothing pending means no old pendency: the best value, not missing data.
        "old_pendency_share": (_ratio(inputs.pending_old, inputs.pending) or 0.0, inputs.pending_old, inputs.pending),
        "digital_signing_share": (_ratio(inputs.notes_signed, inputs.notes_confirmed, cap=1.0), inputs.notes_signed, inputs.notes_confirmed),
        "active_user_share": (_ratio(inputs.active_users, inputs.users, cap=1.0), inputs.active_users, inputs.users),
    }


def normalise(name, raw, settings):
    """A raw value on the 0-10 scale; a component without data earns 0."""
    if raw is None:
        return 0.0
    if name == "movements_per_active_user":
        return 10.0 * min(1.0, raw / settings.movements_target)
    if name == "median_disposal_days":
        best, worst = settings.disposal_best_days, settings.disposal_worst_days
        return 10.0 * min(1.0, max(0.0, (worst - raw) / (worst - best)))
    if name == "old_pendency_share":
        return 10.0 * (1.0 - raw)
    return 10.0 * raw


def explain(inputs, settings):
    """Every component: raw value, its numerator and denominator, normalised value (0-10), weight
    and contribution, in hundredths that add up to the score exactly. Without activity in the week
    nothing is earned (fairness rules, README)."""
    total_weight = sum(settings.weights.values())
    raws = raw_values(inputs, settings)
    rows = []
    for spec in COMPONENTS:
        raw, numerator, denominator = raws[spec.name]
        normalised = normalise(spec.name, raw, settings) if inputs.has_activity else 0.0
        weight = settings.weights[spec.name]
        rows.append({
            "component": spec.name, "label_en": spec.label_en, "label_hi": spec.label_hi, "unit": spec.unit,
            "better": spec.better, "raw": raw, "numerator": numerator, "denominator": denominator,
            "normalised": normalised, "weight": weight, "contribution": weight * normalised / total_weight,
        })
    for row, rounded in zip(rows, hundredths_adding_up([row["contribution"] for row in rows]), strict=True):
        row["contribution"] = rounded
    return rows


def hundredths_adding_up(values):
    """Each value rounded to hundredths so that they add up to their sum rounded to hundredths: the
    hundredths the rounding down left over go to the values that lost the most (largest remainder)."""
    exact = [v * 100 for v in values]
    cents = [math.floor(v) for v in exact]
    left_over = round(sum(exact)) - sum(cents)
    for i in sorted(range(len(exact)), key=lambda i: cents[i] - exact[i])[:left_over]:
        cents[i] += 1
    return [c / 100 for c in cents]


def score_of(components):
    return round(sum(c["contribution"] for c in components), 2)


def competition_ranks(scores):
    """{unit: score} to {unit: rank}: highest first, equal scores share a rank (1, 2, 2, 4). A
    score may be a tuple compared in order, such as (has activity, score)."""
    ordered = sorted(scores.items(), key=lambda item: item[0])
    ordered.sort(key=lambda item: item[1], reverse=True)
    ranks, previous_score, previous_rank = {}, None, 0
    for position, (unit, score) in enumerate(ordered, start=1):
        rank = previous_rank if score == previous_score else position
        ranks[unit] = rank
        previous_score, previous_rank = score, rank
    return ranks


@dataclass(frozen=True)
class OfficeInfo:
    code: str
    name_en: str
    name_hi: str
    district: str
    district_name_en: str
    district_name_hi: str
    department: str
    department_name_en: str
    department_name_hi: str


@dataclass
class ScoredUnit:
    level: str
    unit: str
    name_en: str
    name_hi: str
    district: str | None
    department: str | None
    score: float
    rank: int
    active: bool
    pending: int
    pending_old: int
    components: list


def score_units(offices, inputs_by_office, settings):
    """Scores and ranks of every office, department and district of the directory for one week."""
    groups = {"office": {}, "department": {}, "district": {}}
    for office in offices:
        inputs = inputs_by_office.get(office.code) or UnitInputs()
        groups["office"].setdefault(office.code, (office.name_en, office.name_hi, office.district, office.department, []))[4].append(inputs)
        groups["department"].setdefault(office.department, (office.department_name_en, office.department_name_hi, None, office.department, []))[4].append(inputs)
        groups["district"].setdefault(office.district, (office.district_name_en, office.district_name_hi, office.district, None, []))[4].append(inputs)
    scored = []
    for level in LEVELS:
        units = {}
        for unit, (name_en, name_hi, district, department, many) in groups[level].items():
            inputs = UnitInputs.pooled(many)
            components = explain(inputs, settings)
            units[unit] = ScoredUnit(level, unit, name_en, name_hi, district, department, score_of(components), 0,
                                     inputs.has_activity, inputs.pending, inputs.pending_old, components)
        # Every unit with activity ranks above every unit without (fairness rules, README).
        ranks = competition_ranks({unit: (s.active, s.score) for unit, s in units.items()})
        for unit, s in units.items():
            s.rank = ranks[unit]
            scored.append(s)
    return scored


def rank_change(rank, previous_rank):
    """Places moved up since last week (negative: down); None if not ranked last week."""
    return None if previous_rank is None else previous_rank - rank
