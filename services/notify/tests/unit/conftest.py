"""notify's use cases run on an in-memory unit of work: repositories over dicts that keep what the
SQL repositories keep, with the same rules (a notice told once, a claim that must still stand).
No broker, no database."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from eoffice_common.events import Envelope
from eoffice_common.fakes import FakeUnitOfWork
from notify import domain, intake
from notify.exceptions import DeadLetterNotFound, NotificationNotFound

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)  # 11:30 India Standard Time
SETTINGS = domain.Settings(default_language="hi", desk_url="https://eoffice.example.in",
                           available_channels=frozenset({domain.EMAIL, domain.SMS}),
                           retry_base_seconds=30, retry_max_seconds=3600, max_attempts=3)

PEOPLE = {
    "dm.jhs": domain.Person("dm.jhs", "Ravi Kumar", "रवि कुमार", "District Magistrate", "ज़िलाधिकारी",
                            email="dm@up.example.in", mobile="9876500001", language="hi",
                            reporting_officer="commr.jhs", office="COLL-JHS", district="JHS"),
    "adm.jhs": domain.Person("adm.jhs", "Anita Verma", "अनीता वर्मा", "Additional District Magistrate",
                             "अपर ज़िलाधिकारी", email="adm@up.example.in", mobile="+91 98765-00002", language="en",
                             reporting_officer="dm.jhs", office="COLL-JHS", district="JHS"),
    "clerk.jhs": domain.Person("clerk.jhs", "Pooja Yadav", "पूजा यादव", "Clerk", "लिपिक", email=None, mobile=None,
                               office="COLL-JHS", district="JHS"),
    "commr.jhs": domain.Person("commr.jhs", "S. N. Mishra", "एस. एन. मिश्र", "Divisional Commissioner", "मंडलायुक्त",
                               email="commr@up.example.in", office="COMMR-JHS", district="JHS"),
    "gone.jhs": domain.Person("gone.jhs", "Ex Officer", "पूर्व अधिकारी", email="gone@up.example.in",
                              office="COLL-JHS", active=False),
}


class FakeDirectory:
    def __init__(self):
        self.records: dict[str, domain.Person] = dict(PEOPLE)
        self.preferences_by_user: dict[str, domain.Preferences] = {}
        self.chosen: dict[str, dict] = {}
        self.charges: dict[str, tuple] = {}

    def record_user(self, data, recorded_at, now):
        values = data.model_dump()
        values.pop("roles", None)
        self.records[data.user_id] = domain.Person(**values)

    def people(self, user_ids):
        return {u: self.records[u] for u in user_ids if u in self.records}

    def people_and_preferences(self, user_ids):
        return {u: (person, self.preferences(u)) for u, person in self.people(user_ids).items()}

    def preferences(self, user_id):
        return self.preferences_by_user.get(user_id, domain.DEFAULT_PREFERENCES)

    def save_preferences(self, user_id, chosen, preferences, now):
        self.chosen[user_id] = chosen
        self.preferences_by_user[user_id] = preferences

    def record_acting_charge(self, charge_id, absent_user, acting_user, from_date, to_date, ended):
        was_ended = charge_id in self.charges and self.charges[charge_id][4]  # as the repository keeps them
        self.charges[charge_id] = (absent_user, acting_user, from_date, to_date, was_ended or ended)

    def acting_for(self, user_ids, day):
        return {absent: acting for absent, acting, start, end, ended in self.charges.values()
                if absent in user_ids and not ended and start <= day <= end}


class FakeInbox:
    def __init__(self):
        self.rows: dict[str, domain.InboxNotification] = {}
        self._seq = itertools.count(1)

    def add(self, notifications):
        written = set()
        for notification in notifications:
            if any((n.source_event_id, n.user_id) == (notification.source_event_id, notification.user_id)
                   for n in self.rows.values()):
                continue
            self.rows[notification.id] = replace(notification, seq=next(self._seq))
            written.add(notification.id)
        return written

    def of(self, user_id):
        return sorted((n for n in self.rows.values() if n.user_id == user_id), key=lambda n: n.seq)

    def page(self, user_id, unread_only, page, per_page):
        mine = [n for n in reversed(self.of(user_id)) if not unread_only or n.read_at is None]
        return [replace(n) for n in mine[(page - 1) * per_page:page * per_page]], len(mine)

    def unread_count(self, user_id):
        return sum(1 for n in self.of(user_id) if n.read_at is None)

    def after(self, user_id, seq, limit):
        return [replace(n) for n in self.of(user_id) if n.seq > seq][:limit]

    def last_seq(self, user_id):
        return max((n.seq for n in self.of(user_id)), default=0)

    def own(self, user_id, notification_id):
        found = self.rows.get(notification_id)
        if found is None or found.user_id != user_id:
            raise NotificationNotFound(f"notification {notification_id} was not found")
        return replace(found)

    def save_read(self, notification):
        self.rows[notification.id].read_at = notification.read_at

    def mark_all_read(self, user_id, now):
        unread = [n for n in self.of(user_id) if n.read_at is None]
        for notification in unread:
            notification.read_at = now
        return len(unread)


class FakeDeliveries:
    def __init__(self, inbox: FakeInbox, directory: FakeDirectory):
        self.rows: dict[str, domain.Delivery] = {}
        self.dead_letters: list[domain.DeadLetter] = []
        self._inbox = inbox
        self._directory = directory
        self._letter_ids = itertools.count(1)

    def add(self, deliveries):
        for delivery in deliveries:
            self.add_one(delivery)

    def add_one(self, delivery):
        key = (delivery.source_event_id, delivery.recipient, delivery.channel)
        if any((d.source_event_id, d.recipient, d.channel) == key for d in self.rows.values()):
            return False
        self.rows[delivery.id] = replace(delivery)
        return True

    def of(self, user_id, channel=None):
        return [d for d in self.rows.values() if d.recipient == user_id and channel in (None, d.channel)]

    def claim_due(self, now, limit, claimed_by):
        due = sorted((d for d in self.rows.values() if d.status == domain.PENDING and d.next_attempt_at <= now),
                     key=lambda d: d.next_attempt_at)[:limit]
        for delivery in due:
            delivery.status, delivery.claimed_at, delivery.claimed_by = "sending", now, claimed_by
            delivery.attempts += 1
        return [replace(d) for d in due]

    def save_outcomes(self, deliveries, claimed_by, now):
        for delivery in deliveries:
            stored = self.rows[delivery.id]
            if delivery.status == "sent":
                if stored.claimed_by == claimed_by:
                    stored.status, stored.sent_at, stored.last_error = "sent", delivery.sent_at, None
            else:
                self._save_failure(delivery, now, stored.claimed_by == claimed_by)

    def _save_failure(self, delivery, now, claim_stands=True, expected_status="sending"):
        stored = self.rows[delivery.id]
        if stored.status != expected_status or not claim_stands:
            delivery.collect_events()
            return
        stored.status, stored.next_attempt_at, stored.last_error = delivery.status, delivery.next_attempt_at, delivery.last_error
        if delivery.status == "dead":
            self.dead_letters.append(domain.DeadLetter(next(self._letter_ids), stored, delivery.last_error, now))

    def interrupted(self, now, lease_seconds, limit=100):
        return [replace(d) for d in self.rows.values()
                if d.status == "sending" and d.claimed_at < now - timedelta(seconds=lease_seconds)][:limit]

    def save_interrupted(self, deliveries, now):
        for delivery in deliveries:
            self._save_failure(delivery, now)

    def digest_recipients(self, now, limit=200):
        return sorted({d.recipient for d in self.rows.values() if d.status == domain.DIGEST and d.next_attempt_at <= now})

    def lock_digest(self, user_id):
        return True

    def held_for_digest(self, user_id, now):
        held = [d for d in self.rows.values()
                if d.recipient == user_id and d.status == domain.DIGEST and d.next_attempt_at <= now]
        found = []
        for delivery in held:
            notification = self._inbox.rows.get(delivery.notification_id)
            found.append((replace(delivery), notification.title if notification else None,
                          notification.occurred_at if notification else None))
        return sorted(found, key=lambda item: (item[2] or item[0].created_at, item[0].created_at))

    def save_given_up(self, deliveries, now):
        for delivery in deliveries:
            self._save_failure(delivery, now, expected_status=domain.DIGEST)

    def fold_into_digest(self, delivery_ids, digest_id):
        for delivery_id in delivery_ids:
            self.rows[delivery_id].status, self.rows[delivery_id].digest_id = "digested", digest_id


class FakeDeadLetters:
    def __init__(self, deliveries: FakeDeliveries, directory: FakeDirectory):
        self._deliveries = deliveries
        self._directory = directory

    def _of_office(self, office):
        return [letter for letter in self._deliveries.dead_letters
                if self._directory.records.get(letter.delivery.recipient, domain.Person("")).office == office]

    def page(self, office, include_retried, page, per_page):
        letters = [letter for letter in reversed(self._of_office(office)) if include_retried or letter.retried_at is None]
        return letters[(page - 1) * per_page:page * per_page], len(letters)

    def get(self, letter_id, office):
        for letter in self._of_office(office):
            if letter.id == letter_id:
                return replace(letter, delivery=replace(letter.delivery))
        raise DeadLetterNotFound(f"dead letter {letter_id} was not found in office {office}")

    def save_retry(self, letter):
        stored = next(s for s in self._deliveries.dead_letters if s.id == letter.id)
        stored.retried_at, stored.retried_by = letter.retried_at, letter.retried_by
        delivery = self._deliveries.rows[letter.delivery.id]
        delivery.status, delivery.attempts = letter.delivery.status, letter.delivery.attempts
        delivery.next_attempt_at, delivery.due_at = letter.delivery.next_attempt_at, letter.delivery.due_at
        delivery.claimed_at = delivery.claimed_by = None


class FakeReminders:
    def __init__(self):
        self.rows: dict[str, domain.Reminder] = {}
        self.moved_at: dict[str, datetime] = {}

    def schedule(self, planned, now):
        for notice, plans in planned:
            for kind, fire_at in plans:
                reminder = domain.Reminder(
                    str(uuid.uuid4()), kind, notice.item_type, notice.item_id, notice.number, notice.user_id,
                    notice.due_date, subject=notice.subject, classification=notice.classification,
                    priority=notice.priority, fire_at=fire_at)
                self.rows[reminder.id] = reminder
                self.moved_at[reminder.id] = notice.occurred_at

    def of(self, item_id, status="scheduled"):
        return sorted((r.kind for r in self.rows.values() if r.item_id == item_id and r.status == status))

    def cancel_earlier(self, item, moved_at):
        for reminder in self.rows.values():
            if ((reminder.item_type, reminder.item_id) == item and reminder.status == "scheduled"
                    and self.moved_at[reminder.id] < moved_at):
                reminder.status = "cancelled"

    def transfer(self, file_ids, from_user, to_user, transferred_at):
        moved = [r for r in self.rows.values() if r.item_type == "file" and r.item_id in file_ids
                 and r.user_id == from_user and r.status == "scheduled" and self.moved_at[r.id] <= transferred_at]
        for reminder in moved:
            reminder.user_id = to_user
        return len(moved)

    def due(self, now, limit):
        due = sorted((r for r in self.rows.values() if r.status == "scheduled" and r.fire_at <= now),
                     key=lambda r: r.fire_at)[:limit]
        return [replace(r) for r in due]

    def save_fired(self, reminders):
        for reminder in reminders:
            stored = self.rows[reminder.id]
            stored.occurrence, stored.last_fired_at = reminder.occurrence, reminder.last_fired_at
            stored.status, stored.fire_at = reminder.status, reminder.fire_at


class FakeMovements:
    def __init__(self, reminders: FakeReminders):
        self.latest: dict[tuple[str, str], datetime] = {}
        self._reminders = reminders

    def record(self, movements):
        moved = set()
        for movement in movements:
            item = (movement["item_type"], movement["item_id"])
            if item in self.latest and self.latest[item] >= movement["moved_at"]:
                continue
            self.latest[item] = movement["moved_at"]
            self._reminders.cancel_earlier(item, movement["moved_at"])
            moved.add(item)
        return moved


class FakeDrafts:
    def __init__(self):
        self.authors: dict[str, str] = {}
        self.waiting: list[SimpleNamespace] = []

    def lock(self, draft_id):
        """Nothing runs at the same time in memory."""

    def author(self, draft_id):
        return self.authors.get(draft_id)

    def record(self, draft_id, file_id, author, version):
        self.authors[draft_id] = author

    def wait_for_author(self, event_id, event_type, draft_id, occurred_at, data):
        self.waiting.append(SimpleNamespace(event_id=event_id, event_type=event_type, draft_id=draft_id,
                                            occurred_at=occurred_at, data=data))

    def take_waiting(self, draft_id):
        taken = [w for w in self.waiting if w.draft_id == draft_id]
        self.waiting = [w for w in self.waiting if w.draft_id != draft_id]
        return taken


class FakeNotifyUnitOfWork(FakeUnitOfWork):
    def __init__(self):
        super().__init__(actor="system")
        self.directory = FakeDirectory()
        self.inbox = FakeInbox()
        self.deliveries = FakeDeliveries(self.inbox, self.directory)
        self.dead_letters = FakeDeadLetters(self.deliveries, self.directory)
        self.reminders = FakeReminders()
        self.movements = FakeMovements(self.reminders)
        self.drafts = FakeDrafts()
        self.causes: list = []

    def emit_all(self, events, cause_of=None):
        self.causes += [cause_of(event) if cause_of else None for event in events]
        return super().emit_all(events)


@pytest.fixture
def uow():
    return FakeNotifyUnitOfWork()


def consumed(event_type, data, occurred_at=NOW, event_id=None):
    """(envelope, validated data) of a consumed event, as the event pipeline gives them."""
    envelope = Envelope.parse({
        "id": event_id or str(uuid.uuid4()), "type": event_type, "schema_version": 1,
        "occurred_at": occurred_at.isoformat(), "actor": data.get("from_user", "system"), "office": "COLL-JHS",
        "district": "JHS", "correlation_id": uuid.uuid4().hex, "aggregate_type": "file",
        "aggregate_id": data.get("file_id", "x"), "data": data,
    })
    return envelope, intake.validate(envelope)


def file_sent(to_user="dm.jhs", from_user="adm.jhs", **fields):
    return {"file_id": fields.pop("file_id", str(uuid.uuid4())), "file_number": "N-11016/6/2026-COLL-JHS",
            "action": "send", "from_user": from_user, "to_user": to_user, "remarks": "कृपया अवलोकन करें",
            "due_date": None, "priority": "normal", "subject": "भूमि अभिलेख में नाम संशोधन",
            "classification": "normal", **fields}
