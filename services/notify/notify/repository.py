"""Reading and writing notify's tables: one repository per aggregate, the only place SQL lives."""
from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from eoffice_common.directory import USER_FIELDS, CopyTable, DirectoryCopy, record_acting_charge
from eoffice_common.repository import Repository, RepositoryUnitOfWork

from . import domain
from .exceptions import DeadLetterNotFound, NotificationNotFound
from .models import (
    ActingCharge,
    Delivery,
    DeliveryDeadLetter,
    Draft,
    DraftNoticeWaiting,
    ItemMovement,
    Notification,
    Preference,
    Recipient,
    Reminder,
)

INBOX_LOCK_CLASS = zlib.crc32(b"notify:inbox") & 0x7FFFFFFF
DIGEST_LOCK_CLASS = zlib.crc32(b"notify:digest") & 0x7FFFFFFF
DRAFT_LOCK_CLASS = zlib.crc32(b"notify:draft") & 0x7FFFFFFF
INBOX_CHANNEL = "notify_inbox"


def _is_postgres(session):
    return session.bind.dialect.name == "postgresql"


def _insert(session, model):
    return (postgresql.insert if _is_postgres(session) else sqlite.insert)(model)


# The statements run for every batch of events and every sending pass are built once: SQLAlchemy then
# finds their compiled form in its cache without building them and their cache keys again. Never
# measured on its own (docs/decisions/0007).
_BUILT = {}


def _run(session, name, build, params):
    """Execute the statement `build(dialect_name)` (built once per dialect) with `params`."""
    dialect = session.bind.dialect.name
    statement = _BUILT.get((name, dialect))
    if statement is None:
        statement = _BUILT[(name, dialect)] = build(dialect)
    return session.connection().execute(statement, params)


def _dialect_insert(dialect, model):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def _lock_key(user_id):
    return zlib.crc32(user_id.encode()) & 0x7FFFFFFF


# --- the directory copy -----------------------------------------------------------------------


# notify's copy of the directory (users only), kept by the shared rules: the newer record wins.
DIRECTORY = DirectoryCopy(users=CopyTable.of(Recipient.__table__, USER_FIELDS, key="user_id"))


def record_user(session, data, recorded_at, now):
    """Keep a user_recorded record (schemas.UserRecorded) unless the copy holds a newer one."""
    DIRECTORY.record_user(session, data.model_dump(), recorded_at, updated_at=now)


def person_of(row):
    return domain.Person(
        user_id=row.user_id, name_en=row.name_en, name_hi=row.name_hi, designation_en=row.designation_en,
        designation_hi=row.designation_hi, email=row.email, mobile=row.mobile, language=row.language,
        reporting_officer=row.reporting_officer, office=row.office, district=row.district, active=row.active,
    )


def people(session, user_ids):
    return {user_id: person for user_id, (person, _) in people_and_preferences(session, user_ids).items()}


def preferences_of(row):
    if row is None or row.channels is None:
        return domain.DEFAULT_PREFERENCES
    return domain.Preferences(
        channels={**domain.DEFAULT_CHANNELS, **{k: frozenset(v) for k, v in row.channels.items()}},
        quiet_start=row.quiet_start, quiet_end=row.quiet_end, digest=row.digest, digest_time=row.digest_time,
    )


def _people_and_preferences(dialect):
    recipients, preferences = Recipient.__table__, Preference.__table__
    return (
        select(recipients, preferences.c.channels, preferences.c.quiet_start, preferences.c.quiet_end,
               preferences.c.digest, preferences.c.digest_time)
        .select_from(recipients.outerjoin(preferences, preferences.c.user_id == recipients.c.user_id))
        .where(recipients.c.user_id.in_(bindparam("ids", expanding=True)))
    )


def people_and_preferences(session, user_ids):
    """{user_id: (Person, Preferences)} of the users notify knows, in one query."""
    ids = sorted({u for u in user_ids if u})
    if not ids:
        return {}
    rows = _run(session, "people_and_preferences", _people_and_preferences, {"ids": ids})
    return {row.user_id: (person_of(row), preferences_of(row)) for row in rows}


# --- the repositories ---------------------------------------------------------------------------


class DirectoryRepository(Repository):
    """notify's copy of the directory and each user's preferences."""

    def record_user(self, data, recorded_at: datetime, now: datetime) -> None:
        record_user(self.session, data, recorded_at, now)

    def people(self, user_ids) -> dict[str, domain.Person]:
        return people(self.session, user_ids)

    def people_and_preferences(self, user_ids) -> dict[str, tuple[domain.Person, domain.Preferences]]:
        return people_and_preferences(self.session, user_ids)

    def preferences(self, user_id: str) -> domain.Preferences:
        row = self.session.execute(select(Preference).where(Preference.user_id == user_id)).scalar_one_or_none()
        return preferences_of(row)

    def record_acting_charge(self, charge_id: str, absent_user: str, acting_user: str, from_date, to_date, ended: bool) -> None:
        record_acting_charge(self.session, ActingCharge, charge_id, absent_user, acting_user, from_date, to_date, ended)

    def acting_for(self, user_ids, day) -> dict[str, str]:
        """{absent officer: acting officer} of the charges in force on `day` among `user_ids`."""
        ids = sorted({u for u in user_ids if u})
        if not ids:
            return {}
        return dict(self.session.execute(select(ActingCharge.absent_user, ActingCharge.acting_user).where(
            ActingCharge.absent_user.in_(ids), ActingCharge.ended.is_(False),
            ActingCharge.from_date <= day, ActingCharge.to_date >= day,
        )).all())

    def save_preferences(self, user_id: str, chosen: dict[str, list[str]], preferences: domain.Preferences,
                         now: datetime) -> None:
        """`chosen`: the channels the user chose, by kind; kinds left out keep the defaults."""
        values = dict(
            channels=chosen, quiet_start=preferences.quiet_start, quiet_end=preferences.quiet_end,
            digest=preferences.digest, digest_time=preferences.digest_time, updated_at=now,
        )
        statement = _insert(self.session, Preference).values(user_id=user_id, **values)
        self.session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))


NOTIFICATION_FIELDS = [f.name for f in fields(domain.InboxNotification)]


def _notification(row) -> domain.InboxNotification:
    return domain.InboxNotification(**{name: getattr(row, name) for name in NOTIFICATION_FIELDS})


def _add_notifications(dialect):
    table = Notification.__table__
    return (_dialect_insert(dialect, Notification).on_conflict_do_nothing(index_elements=["source_event_id", "user_id"])
            .returning(table.c.id))


def _take_inboxes(dialect):
    # In the order of the arrays (unnest keeps it): every writer takes inbox locks by user id.
    return text(
        "SELECT pg_advisory_xact_lock(:lock_class, inbox.lock_key), pg_notify(:channel, inbox.user_id)"
        " FROM unnest(CAST(:lock_keys AS integer[]), CAST(:user_ids AS text[])) AS inbox(lock_key, user_id)"
    )


class InboxRepository(Repository):
    """The in-app notifications."""

    def add(self, notifications: list[domain.InboxNotification]) -> set[str]:
        """Write `notifications` in one statement; returns the ids of those written (a (source,
        user) already written is skipped).

        On PostgreSQL the users' inbox locks are taken first, in user id order: `seq` (a default,
        evaluated at the insert, after the lock) then follows commit order per user, so a stream
        reading `seq > last` never skips a row committed late; pg_notify wakes those users' streams in
        every replica at commit."""
        if not notifications:
            return set()
        rows = sorted(({name: getattr(n, name) for name in NOTIFICATION_FIELDS if name != "seq"} for n in notifications),
                      key=lambda row: (row["user_id"], row["source_event_id"]))
        if _is_postgres(self.session):
            user_ids = sorted({row["user_id"] for row in rows})
            _run(self.session, "take_inboxes", _take_inboxes, {
                "lock_class": INBOX_LOCK_CLASS, "channel": INBOX_CHANNEL,
                "lock_keys": [_lock_key(user_id) for user_id in user_ids], "user_ids": user_ids,
            }).all()
        return set(_run(self.session, "add_notifications", _add_notifications, rows).scalars())

    def page(self, user_id: str, unread_only: bool, page: int, per_page: int) -> tuple[list[domain.InboxNotification], int]:
        filters = [Notification.user_id == user_id]
        if unread_only:
            filters.append(Notification.read_at.is_(None))
        total = self.session.execute(select(func.count()).select_from(Notification).where(*filters)).scalar_one()
        rows = self.session.execute(
            select(Notification).where(*filters).order_by(Notification.seq.desc())
            .offset((page - 1) * per_page).limit(per_page)
        ).scalars()
        return [_notification(row) for row in rows], total

    def unread_count(self, user_id: str) -> int:
        return self.session.execute(
            select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        ).scalar_one()

    def after(self, user_id: str, seq: int, limit: int) -> list[domain.InboxNotification]:
        rows = self.session.execute(
            select(Notification).where(Notification.user_id == user_id, Notification.seq > seq)
            .order_by(Notification.seq).limit(limit)
        ).scalars()
        return [_notification(row) for row in rows]

    def last_seq(self, user_id: str) -> int:
        return self.session.execute(
            select(func.max(Notification.seq)).where(Notification.user_id == user_id)
        ).scalar() or 0

    def own(self, user_id: str, notification_id: str) -> domain.InboxNotification:
        """The user's notification; someone else's is not found either, so its existence is not revealed."""
        row = self.session.execute(
            select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
        ).scalar_one_or_none()
        if row is None:
            raise NotificationNotFound(f"notification {notification_id} was not found")
        return _notification(row)

    def save_read(self, notification: domain.InboxNotification) -> None:
        self.session.execute(update(Notification).where(Notification.id == notification.id)
                             .values(read_at=notification.read_at))

    def mark_all_read(self, user_id: str, now: datetime) -> int:
        return self.session.execute(
            update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=now)
        ).rowcount


DELIVERY_FIELDS = [f.name for f in fields(domain.Delivery)]


def _delivery(row) -> domain.Delivery:
    return domain.Delivery(**{name: getattr(row, name) for name in DELIVERY_FIELDS})


def _delivery_row(delivery: domain.Delivery) -> dict:
    return {name: getattr(delivery, name) for name in DELIVERY_FIELDS}


def _add_deliveries(dialect):
    return _dialect_insert(dialect, Delivery).on_conflict_do_nothing(
        index_elements=["source_event_id", "recipient", "channel"])


def _claim_due(dialect):
    deliveries = Delivery.__table__
    due = (
        select(deliveries.c.id)
        .where(deliveries.c.status == domain.PENDING, deliveries.c.next_attempt_at <= bindparam("now"))
        .order_by(deliveries.c.next_attempt_at)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return (
        update(deliveries).where(deliveries.c.id.in_(due.scalar_subquery()))
        .values(status="sending", claimed_at=bindparam("now"), claimed_by=bindparam("claimer"),
                attempts=deliveries.c.attempts + 1)
        .returning(*deliveries.c)
    )


def _mark_sent(dialect):
    if dialect == "postgresql":
        # One statement for the whole batch (an executemany UPDATE is a round trip per row).
        return text(
            "UPDATE deliveries SET status = 'sent', sent_at = sent.at, last_error = NULL"
            " FROM unnest(CAST(:delivery_ids AS text[]), CAST(:sent_at AS timestamptz[])) AS sent(id, at)"
            " WHERE deliveries.id = sent.id AND deliveries.claimed_by = :claimer"
        )
    deliveries = Delivery.__table__
    return (
        update(deliveries)
        .where(deliveries.c.id == bindparam("delivery_id"), deliveries.c.claimed_by == bindparam("claimer"))
        .values(status="sent", sent_at=bindparam("delivered_at"), last_error=None)
    )


class DeliveryRepository(Repository):
    """Emails and SMS, from written to sent or dead-lettered."""

    def add(self, deliveries: list[domain.Delivery]) -> None:
        """Write `deliveries` in one statement; a (source, recipient, channel) that exists already is skipped."""
        if deliveries:
            rows = sorted((_delivery_row(d) for d in deliveries),
                          key=lambda row: (row["source_event_id"], row["recipient"], row["channel"]))
            _run(self.session, "add_deliveries", _add_deliveries, rows)

    def add_one(self, delivery: domain.Delivery) -> bool:
        """Write `delivery`; False if its (source, recipient, channel) exists already."""
        return bool(_run(self.session, "add_deliveries", _add_deliveries, _delivery_row(delivery)).rowcount)

    def claim_due(self, now: datetime, limit: int, claimed_by: str) -> list[domain.Delivery]:
        """Mark up to `limit` due messages 'sending' (an attempt is counted) and return them.
        Committed before anything is sent: a row left 'sending' by a crash is never sent again on its own."""
        rows = _run(self.session, "claim_due", _claim_due, {"now": now, "limit": limit, "claimer": claimed_by})
        return [_delivery(row) for row in rows]

    def save_outcomes(self, deliveries: list[domain.Delivery], claimed_by: str, now: datetime) -> None:
        """Record what became of messages `claimed_by` sent. Only its claims: an admin's retry in
        between has cleared the claim, and a failure then records nothing. A row the lease sweep
        dead-lettered meanwhile is still marked sent, because it was."""
        sent = [d for d in deliveries if d.status == "sent"]
        if sent:
            if _is_postgres(self.session):
                params = {"delivery_ids": [d.id for d in sent], "sent_at": [d.sent_at for d in sent],
                          "claimer": claimed_by}
            else:
                params = [{"delivery_id": d.id, "claimer": claimed_by, "delivered_at": d.sent_at} for d in sent]
            _run(self.session, "mark_sent", _mark_sent, params)
        for delivery in deliveries:
            if delivery.status != "sent":
                self._save_failure(delivery, now, Delivery.claimed_by == claimed_by)

    def interrupted(self, now: datetime, lease_seconds: float, limit: int = 100) -> list[domain.Delivery]:
        """Messages left 'sending' longer than the lease, locked (another replica skips them)."""
        rows = self.session.execute(
            select(Delivery)
            .where(Delivery.status == "sending", Delivery.claimed_at < now - timedelta(seconds=lease_seconds))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
        return [_delivery(row) for row in rows]

    def save_interrupted(self, deliveries: list[domain.Delivery], now: datetime) -> None:
        for delivery in deliveries:
            self._save_failure(delivery, now)

    def _save_failure(self, delivery: domain.Delivery, now: datetime, *conditions, expected_status: str = "sending") -> None:
        """A failed message pending again, or dead with its dead letter. If the row is no longer as
        this process left it, nothing is written and the events it recorded are dropped."""
        changed = self.session.execute(
            update(Delivery).where(Delivery.id == delivery.id, Delivery.status == expected_status, *conditions)
            .values(status=delivery.status, next_attempt_at=delivery.next_attempt_at, last_error=delivery.last_error)
        ).rowcount
        if not changed:
            delivery.collect_events()
        elif delivery.status == "dead":
            self.session.add(DeliveryDeadLetter(delivery_id=delivery.id, reason=delivery.last_error, created_at=now))

    # --- the daily digest ------------------------------------------------------------------------

    def digest_recipients(self, now: datetime, limit: int = 200) -> list[str]:
        return self.session.execute(
            select(Delivery.recipient).where(Delivery.status == domain.DIGEST, Delivery.next_attempt_at <= now)
            .group_by(Delivery.recipient).limit(limit)
        ).scalars().all()

    def lock_digest(self, user_id: str) -> bool:
        """False if another replica is making this user's digest."""
        if not _is_postgres(self.session):
            return True
        return self.session.execute(
            text("SELECT pg_try_advisory_xact_lock(:cls, :key)"), {"cls": DIGEST_LOCK_CLASS, "key": _lock_key(user_id)}
        ).scalar()

    def held_for_digest(self, user_id: str, now: datetime) -> list[tuple[domain.Delivery, str | None, datetime | None]]:
        """(delivery, its notification's title, when it happened) of the messages held for the
        user's digest, oldest first, locked."""
        rows = self.session.execute(
            select(Delivery, Notification.title, Notification.occurred_at)
            .outerjoin(Notification, Notification.id == Delivery.notification_id)
            .where(Delivery.recipient == user_id, Delivery.status == domain.DIGEST, Delivery.next_attempt_at <= now)
            # Oldest first: a batch writes many at one created_at, each with when it happened.
            .order_by(func.coalesce(Notification.occurred_at, Delivery.created_at), Delivery.created_at)
            .with_for_update(of=Delivery, skip_locked=True)
        ).all()
        return [(_delivery(row.Delivery), row.title, row.occurred_at) for row in rows]

    def save_given_up(self, deliveries: list[domain.Delivery], now: datetime) -> None:
        for delivery in deliveries:
            self._save_failure(delivery, now, expected_status=domain.DIGEST)

    def fold_into_digest(self, delivery_ids: list[str], digest_id: str) -> None:
        self.session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids))
                             .values(status="digested", digest_id=digest_id))


class DeadLetterRepository(Repository):
    """Emails and SMS given up on, as an admin of the recipient's office sees them."""

    def _of_office(self, office: str):
        return (
            select(DeliveryDeadLetter, Delivery)
            .join(Delivery, Delivery.id == DeliveryDeadLetter.delivery_id)
            .join(Recipient, Recipient.user_id == Delivery.recipient)
            .where(Recipient.office == office)
        )

    @staticmethod
    def _dead_letter(letter, delivery) -> domain.DeadLetter:
        return domain.DeadLetter(letter.id, _delivery(delivery), letter.reason, letter.created_at, letter.retried_at,
                                 letter.retried_by)

    def page(self, office: str, include_retried: bool, page: int, per_page: int) -> tuple[list[domain.DeadLetter], int]:
        joined = self._of_office(office)
        if not include_retried:
            joined = joined.where(DeliveryDeadLetter.retried_at.is_(None))
        total = self.session.execute(select(func.count()).select_from(joined.subquery())).scalar_one()
        rows = self.session.execute(
            joined.order_by(DeliveryDeadLetter.id.desc()).offset((page - 1) * per_page).limit(per_page)
        ).all()
        return [self._dead_letter(letter, delivery) for letter, delivery in rows], total

    def get(self, letter_id: int, office: str) -> domain.DeadLetter:
        """The dead letter and its delivery, locked, if the delivery's recipient is in `office`."""
        found = self.session.execute(
            self._of_office(office).where(DeliveryDeadLetter.id == letter_id)
            .with_for_update(of=[DeliveryDeadLetter, Delivery])
        ).first()
        if found is None:
            raise DeadLetterNotFound(f"dead letter {letter_id} was not found in office {office}")
        return self._dead_letter(*found)

    def save_retry(self, letter: domain.DeadLetter) -> None:
        delivery = letter.delivery
        self.session.execute(update(DeliveryDeadLetter).where(DeliveryDeadLetter.id == letter.id)
                             .values(retried_at=letter.retried_at, retried_by=letter.retried_by))
        self.session.execute(update(Delivery).where(Delivery.id == delivery.id).values(
            status=delivery.status, attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at,
            due_at=delivery.due_at, claimed_at=None, claimed_by=None))


def _record_movements(dialect):
    table = ItemMovement.__table__
    statement = _dialect_insert(dialect, ItemMovement)
    return statement.on_conflict_do_update(
        index_elements=["item_type", "item_id"],
        set_={"moved_at": statement.excluded.moved_at,
              "due_date": func.coalesce(statement.excluded.due_date, table.c.due_date)},
        where=table.c.moved_at < statement.excluded.moved_at,
    ).returning(table.c.item_type, table.c.item_id, table.c.due_date)


def _cancel_earlier_reminders(dialect):
    reminders, movements = Reminder.__table__, ItemMovement.__table__
    latest = select(movements.c.moved_at).where(
        movements.c.item_type == reminders.c.item_type, movements.c.item_id == reminders.c.item_id,
    ).scalar_subquery()
    return update(reminders).where(
        tuple_(reminders.c.item_type, reminders.c.item_id).in_(bindparam("items", expanding=True)),
        reminders.c.status == "scheduled", reminders.c.moved_at < latest,
    ).values(status="cancelled")


class MovementRepository(Repository):
    """The latest movement notify has seen of each file and receipt."""

    def record(self, movements: list[dict]) -> set[tuple[str, str]]:
        """Note that items moved: `movements` are dicts of item_type, item_id, moved_at and due_date,
        one per item. Returns the (item_type, item_id) of those that are the item's latest movement
        (an item whose later movement was seen already is left alone). The scheduled reminders of
        those items set by earlier movements are cancelled."""
        if not movements:
            return set()
        # In key order: upserting takes each item's row lock, so concurrent batches wait, never deadlock.
        movements = sorted(movements, key=lambda m: (m["item_type"], m["item_id"]))
        rows = _run(self.session, "record_movements", _record_movements, movements).all()
        # An item no movement gave a due date has no reminders to cancel.
        with_reminders = [(row.item_type, row.item_id) for row in rows if row.due_date is not None]
        if with_reminders:
            _run(self.session, "cancel_earlier_reminders", _cancel_earlier_reminders, {"items": with_reminders})
        return {(row.item_type, row.item_id) for row in rows}


REMINDER_FIELDS = [f.name for f in fields(domain.Reminder)]


class ReminderRepository(Repository):
    def schedule(self, planned: list[tuple[domain.Notice, list[tuple[str, datetime]]]], now: datetime) -> None:
        """Reminders of the items `planned` notices sent (each their item's latest movement: see
        MovementRepository.record): [(notice, [(kind, fire_at)])]."""
        rows = [{
            "id": str(uuid.uuid4()), "kind": kind, "item_type": notice.item_type, "item_id": notice.item_id,
            "item_number": notice.number, "user_id": notice.user_id, "subject": notice.subject,
            "classification": notice.classification, "priority": notice.priority, "due_date": notice.due_date,
            "fire_at": fire_at, "occurrence": 0, "status": "scheduled", "source_event_id": notice.source_id,
            "moved_at": notice.occurred_at, "created_at": now,
        } for notice, plans in planned for kind, fire_at in plans]
        if rows:
            self.session.connection().execute(insert(Reminder.__table__), rows)

    def transfer(self, file_ids: list[str], from_user: str, to_user: str, transferred_at: datetime) -> int:
        """Hand the scheduled reminders of files sent to `from_user` up to the transfer to `to_user`
        (a file sent to them afterwards is theirs again)."""
        return self.session.execute(
            update(Reminder)
            .where(Reminder.item_type == "file", Reminder.item_id.in_(file_ids), Reminder.user_id == from_user,
                   Reminder.status == "scheduled", Reminder.moved_at <= transferred_at)
            .values(user_id=to_user)
        ).rowcount

    def due(self, now: datetime, limit: int) -> list[domain.Reminder]:
        """Reminders due now, locked; another replica skips them (FOR UPDATE SKIP LOCKED)."""
        rows = self.session.execute(
            select(Reminder).where(Reminder.status == "scheduled", Reminder.fire_at <= now)
            .order_by(Reminder.fire_at).limit(limit).with_for_update(skip_locked=True)
        ).scalars()
        return [domain.Reminder(**{name: getattr(row, name) for name in REMINDER_FIELDS}) for row in rows]

    def save_fired(self, reminders: list[domain.Reminder]) -> None:
        for reminder in reminders:
            self.session.execute(update(Reminder).where(Reminder.id == reminder.id).values(
                occurrence=reminder.occurrence, last_fired_at=reminder.last_fired_at, status=reminder.status,
                fire_at=reminder.fire_at))


class DraftRepository(Repository):
    """Who wrote each draft, and the approvals and issues waiting to learn it."""

    def lock(self, draft_id: str) -> None:
        """Serialise, until commit, the consumers of one draft's events: an approval that finds no
        author waits for the draft_versioned being applied at the same moment."""
        if _is_postgres(self.session):
            _run(self.session, "lock_draft", lambda _: text("SELECT pg_advisory_xact_lock(:cls, :key)"),
                 {"cls": DRAFT_LOCK_CLASS, "key": _lock_key(draft_id)})

    def author(self, draft_id: str) -> str | None:
        return self.session.execute(select(Draft.author).where(Draft.draft_id == draft_id)).scalar()

    def record(self, draft_id: str, file_id: str, author: str, version: int) -> None:
        values = dict(file_id=file_id, author=author, version=version)
        statement = _insert(self.session, Draft).values(draft_id=draft_id, **values)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=["draft_id"], set_=values, where=Draft.version <= version,
        ))

    def wait_for_author(self, event_id: str, event_type: str, draft_id: str, occurred_at: datetime, data: dict) -> None:
        self.session.add(DraftNoticeWaiting(event_id=event_id, draft_id=draft_id, event_type=event_type,
                                            occurred_at=occurred_at, data=data))

    def take_waiting(self, draft_id: str) -> list[DraftNoticeWaiting]:
        rows = self.session.execute(
            select(DraftNoticeWaiting).where(DraftNoticeWaiting.draft_id == draft_id)
        ).scalars().all()
        for row in rows:
            self.session.delete(row)
        return rows


class NotifyUnitOfWork(RepositoryUnitOfWork):
    """notify's repositories over a unit of work (eoffice_common.repository.RepositoryUnitOfWork)."""

    def __init__(self, uow, present: Callable[[Any], Any] | None = None):
        super().__init__(uow, present)
        self.directory = DirectoryRepository(uow)
        self.inbox = InboxRepository(uow)
        self.deliveries = DeliveryRepository(uow)
        self.dead_letters = DeadLetterRepository(uow)
        self.movements = MovementRepository(uow)
        self.reminders = ReminderRepository(uow)
        self.drafts = DraftRepository(uow)


# --- backlog (for metrics) --------------------------------------------------------------------


def backlog(connection, now):
    """{(channel, state): count} of messages not sent yet: due (waiting for the sender), held
    (retry back-off or quiet hours), digest (waiting for the digest time), sending, dead."""
    rows = connection.execute(
        select(Delivery.channel, Delivery.status, (Delivery.next_attempt_at <= now).label("due"), func.count())
        .where(Delivery.status.in_([domain.PENDING, domain.DIGEST, "sending", "dead"]))
        .group_by(Delivery.channel, Delivery.status, text("due"))
    ).all()
    counts = {}
    for channel, status, due, count in rows:
        state = ("due" if due else "held") if status == domain.PENDING else status
        counts[(channel, state)] = counts.get((channel, state), 0) + count
    return counts


def reminders_due(connection, now):
    return connection.execute(
        select(func.count()).select_from(Reminder).where(Reminder.status == "scheduled", Reminder.fire_at <= now)
    ).scalar_one()
