"""Reading and writing notify's tables: the SQL side of each use case."""
import uuid
import zlib
from datetime import timedelta

from sqlalchemy import bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from eoffice_common.directory import USER_FIELDS, CopyTable, DirectoryCopy

from . import domain
from .models import (
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


# The statements run for every event and every message are built once: SQLAlchemy then finds their
# compiled form in its cache instead of building and compiling them again (a third of the CPU).
_PREPARED = {}


def _run(session, name, build, params):
    """Execute the statement `build(dialect_name)` (built once per dialect) with `params`."""
    dialect = session.bind.dialect.name
    statement = _PREPARED.get((name, dialect))
    if statement is None:
        statement = _PREPARED[(name, dialect)] = build(dialect)
    return session.connection().execute(statement, params)


def _dialect_insert(dialect, model):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def _lock_key(user_id):
    return zlib.crc32(user_id.encode()) & 0x7FFFFFFF


# --- the directory copy -----------------------------------------------------------------------


# notify's copy of the directory (users only), kept by the shared rules: the newer record wins.
DIRECTORY = DirectoryCopy(users=CopyTable.of(Recipient.__table__, USER_FIELDS, key="user_id"))


def record_user(session, envelope, now):
    DIRECTORY.record_event(session, envelope, updated_at=now)


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


def preferences(session, user_id):
    row = session.execute(select(Preference).where(Preference.user_id == user_id)).scalar_one_or_none()
    return preferences_of(row)


def save_preferences(session, user_id, prefs_in, now):
    quiet = prefs_in.quiet_hours
    values = dict(
        channels=prefs_in.channels, quiet_start=quiet.start if quiet else None, quiet_end=quiet.end if quiet else None,
        digest=prefs_in.digest, digest_time=prefs_in.digest_time, updated_at=now,
    )
    statement = _insert(session, Preference).values(user_id=user_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))


def draft_author(session, draft_id):
    return session.execute(select(Draft.author).where(Draft.draft_id == draft_id)).scalar()


def record_draft(session, data):
    values = dict(file_id=data.file_id, author=data.author, version=data.version)
    statement = _insert(session, Draft).values(draft_id=data.draft_id, **values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["draft_id"], set_=values, where=Draft.version <= data.version,
    ))


def wait_for_author(session, envelope, occurred_at):
    session.add(DraftNoticeWaiting(event_id=envelope.id, draft_id=envelope.data["draft_id"], event_type=envelope.type,
                                   occurred_at=occurred_at, data=envelope.data))


def take_waiting_draft_notices(session, draft_id):
    rows = session.execute(select(DraftNoticeWaiting).where(DraftNoticeWaiting.draft_id == draft_id)).scalars().all()
    for row in rows:
        session.delete(row)
    return rows


# --- the inbox --------------------------------------------------------------------------------


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


def add_notifications(session, rows):
    """The in-app notifications `rows` (dicts of Notification's columns but seq), in one statement;
    returns the ids of those written (a (source, user) already written is skipped).

    On PostgreSQL the users' inbox locks are taken first, in user id order: `seq` (a default,
    evaluated at the insert, after the lock) then follows commit order per user, so a stream
    reading `seq > last` never skips a row committed late; pg_notify wakes those users' streams in
    every replica at commit."""
    if not rows:
        return set()
    rows = sorted(rows, key=lambda row: (row["user_id"], row["source_event_id"]))
    if _is_postgres(session):
        user_ids = sorted({row["user_id"] for row in rows})
        _run(session, "take_inboxes", _take_inboxes, {
            "lock_class": INBOX_LOCK_CLASS, "channel": INBOX_CHANNEL,
            "lock_keys": [_lock_key(user_id) for user_id in user_ids], "user_ids": user_ids,
        }).all()
    return set(_run(session, "add_notifications", _add_notifications, rows).scalars())


def _add_deliveries(dialect):
    return _dialect_insert(dialect, Delivery).on_conflict_do_nothing(
        index_elements=["source_event_id", "recipient", "channel"])


def add_deliveries(session, rows):
    """Emails and SMS to send (dicts of Delivery's columns), in one statement; a (source,
    recipient, channel) that exists already is skipped."""
    if rows:
        rows = sorted(rows, key=lambda row: (row["source_event_id"], row["recipient"], row["channel"]))
        _run(session, "add_deliveries", _add_deliveries, rows)


def delivery_row(notice, outgoing, notification_id, subject, body, now):
    return {
        "id": str(uuid.uuid4()), "source_event_id": notice.source_id, "recipient": notice.user_id,
        "channel": outgoing.channel, "kind": notice.kind, "notification_id": notification_id,
        "address": outgoing.address, "subject": subject, "body": body, "status": outgoing.status, "attempts": 0,
        "due_at": max(outgoing.not_before, notice.occurred_at), "next_attempt_at": outgoing.not_before,
        "created_at": now,
    }


def add_delivery(session, notice, outgoing, notification_id, subject, body, now):
    """An email or SMS to send; None if this (source, recipient, channel) already exists."""
    row = delivery_row(notice, outgoing, notification_id, subject, body, now)
    written = _run(session, "add_delivery", _add_deliveries, row).rowcount
    return row["id"] if written else None


def list_notifications(session, user_id, query):
    filters = [Notification.user_id == user_id]
    if query.unread:
        filters.append(Notification.read_at.is_(None))
    total = session.execute(select(func.count()).select_from(Notification).where(*filters)).scalar_one()
    rows = session.execute(
        select(Notification).where(*filters).order_by(Notification.seq.desc())
        .offset((query.page - 1) * query.per_page).limit(query.per_page)
    ).scalars().all()
    return rows, total


def unread_count(session, user_id):
    return session.execute(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


def notifications_after(session, user_id, seq, limit):
    return session.execute(
        select(Notification).where(Notification.user_id == user_id, Notification.seq > seq)
        .order_by(Notification.seq).limit(limit)
    ).scalars().all()


def last_seq(session, user_id):
    return session.execute(select(func.max(Notification.seq)).where(Notification.user_id == user_id)).scalar() or 0


def own_notification(session, user_id, notification_id):
    return session.execute(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    ).scalar_one_or_none()


def mark_all_read(session, user_id, now):
    return session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now)
    ).rowcount


# --- sending email and SMS --------------------------------------------------------------------


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


def claim_due(session, now, limit, claimed_by):
    """Mark up to `limit` due messages 'sending' (an attempt is counted) and return them. Committed
    before anything is sent: a row left 'sending' by a crash is never sent again on its own."""
    return _run(session, "claim_due", _claim_due, {"now": now, "limit": limit, "claimer": claimed_by}).all()


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


def mark_sent(session, sent, claimed_by):
    """Record [(delivery id, sent_at)] as sent. Only `claimed_by`'s claims: an admin's retry in
    between has cleared the claim. A row the lease sweep dead-lettered meanwhile is still marked
    sent, because it was."""
    if not sent:
        return
    if _is_postgres(session):
        params = {"delivery_ids": [delivery_id for delivery_id, _ in sent], "sent_at": [at for _, at in sent],
                  "claimer": claimed_by}
    else:
        params = [{"delivery_id": delivery_id, "claimer": claimed_by, "delivered_at": at} for delivery_id, at in sent]
    _run(session, "mark_sent", _mark_sent, params)


def mark_for_retry(session, delivery_id, claimed_by, next_attempt_at, error):
    return session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "sending", Delivery.claimed_by == claimed_by)
        .values(status=domain.PENDING, next_attempt_at=next_attempt_at, last_error=error)
    ).rowcount


def mark_dead(session, delivery_id, reason, now, expected_status="sending", claimed_by=None):
    conditions = [Delivery.id == delivery_id, Delivery.status == expected_status]
    if claimed_by is not None:
        conditions.append(Delivery.claimed_by == claimed_by)
    if not session.execute(update(Delivery).where(*conditions).values(status="dead", last_error=reason)).rowcount:
        return False
    session.add(DeliveryDeadLetter(delivery_id=delivery_id, reason=reason, created_at=now))
    return True


def interrupted_sends(session, now, lease_seconds, limit=100):
    return session.execute(
        select(Delivery)
        .where(Delivery.status == "sending", Delivery.claimed_at < now - timedelta(seconds=lease_seconds))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()


def dead_letters(session, office, query):
    filters = [Recipient.office == office]
    if not query.include_retried:
        filters.append(DeliveryDeadLetter.retried_at.is_(None))
    joined = (
        select(DeliveryDeadLetter, Delivery)
        .join(Delivery, Delivery.id == DeliveryDeadLetter.delivery_id)
        .join(Recipient, Recipient.user_id == Delivery.recipient)
        .where(*filters)
    )
    total = session.execute(select(func.count()).select_from(joined.subquery())).scalar_one()
    rows = session.execute(
        joined.order_by(DeliveryDeadLetter.id.desc()).offset((query.page - 1) * query.per_page).limit(query.per_page)
    ).all()
    return rows, total


def dead_letter_for_update(session, letter_id, office):
    """The dead letter and its delivery, if the delivery's recipient is in `office`."""
    return session.execute(
        select(DeliveryDeadLetter, Delivery)
        .join(Delivery, Delivery.id == DeliveryDeadLetter.delivery_id)
        .join(Recipient, Recipient.user_id == Delivery.recipient)
        .where(DeliveryDeadLetter.id == letter_id, Recipient.office == office)
        .with_for_update(of=[DeliveryDeadLetter, Delivery])
    ).first()


# --- the daily digest -------------------------------------------------------------------------


def digest_recipients(session, now, limit=200):
    return session.execute(
        select(Delivery.recipient).where(Delivery.status == domain.DIGEST, Delivery.next_attempt_at <= now)
        .group_by(Delivery.recipient).limit(limit)
    ).scalars().all()


def try_lock_digest(session, user_id):
    if not _is_postgres(session):
        return True
    return session.execute(
        text("SELECT pg_try_advisory_xact_lock(:cls, :key)"), {"cls": DIGEST_LOCK_CLASS, "key": _lock_key(user_id)}
    ).scalar()


def digest_items(session, user_id, now):
    return session.execute(
        select(Delivery, Notification.title, Notification.occurred_at)
        .outerjoin(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.recipient == user_id, Delivery.status == domain.DIGEST, Delivery.next_attempt_at <= now)
        # Oldest first: a batch writes many at one created_at, each with when it happened.
        .order_by(func.coalesce(Notification.occurred_at, Delivery.created_at), Delivery.created_at)
        .with_for_update(of=Delivery, skip_locked=True)
    ).all()


def fold_into_digest(session, delivery_ids, digest_id):
    session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids)).values(status="digested", digest_id=digest_id))


# --- reminders --------------------------------------------------------------------------------


def lock_draft(session, draft_id):
    """Serialise, until commit, the consumers of one draft's events: an approval that finds no
    author waits for the draft_versioned being applied at the same moment."""
    if _is_postgres(session):
        _run(session, "lock_draft", lambda _: text("SELECT pg_advisory_xact_lock(:cls, :key)"),
             {"cls": DRAFT_LOCK_CLASS, "key": _lock_key(draft_id)})


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


def record_movements(session, movements):
    """Note that items moved: `movements` are dicts of item_type, item_id, moved_at and due_date,
    one per item. Returns the (item_type, item_id) of those that are the item's latest movement
    (an item whose later movement was seen already is left alone). The scheduled reminders of
    those items set by earlier movements are cancelled."""
    if not movements:
        return set()
    # In key order: upserting takes each item's row lock, so concurrent batches wait, never deadlock.
    movements = sorted(movements, key=lambda m: (m["item_type"], m["item_id"]))
    rows = _run(session, "record_movements", _record_movements, movements).all()
    # An item no movement gave a due date has no reminders to cancel.
    with_reminders = [(row.item_type, row.item_id) for row in rows if row.due_date is not None]
    if with_reminders:
        _run(session, "cancel_earlier_reminders", _cancel_earlier_reminders, {"items": with_reminders})
    return {(row.item_type, row.item_id) for row in rows}


def schedule_reminders(session, planned, now):
    """Reminders of the items `planned` notices sent (each their item's latest movement: see
    record_movements): [(notice, [(kind, fire_at)])]."""
    rows = [{
        "id": str(uuid.uuid4()), "kind": kind, "item_type": notice.item_type, "item_id": notice.item_id,
        "item_number": notice.number, "user_id": notice.user_id, "subject": notice.subject,
        "classification": notice.classification, "priority": notice.priority, "due_date": notice.due_date,
        "fire_at": fire_at, "occurrence": 0, "status": "scheduled", "source_event_id": notice.source_id,
        "moved_at": notice.occurred_at, "created_at": now,
    } for notice, plans in planned for kind, fire_at in plans]
    if rows:
        session.connection().execute(insert(Reminder.__table__), rows)


def transfer_reminders(session, file_ids, from_user, to_user, transferred_at):
    """Hand the scheduled reminders of files sent to `from_user` up to the transfer to `to_user`
    (a file sent to them afterwards is theirs again)."""
    return session.execute(
        update(Reminder)
        .where(Reminder.item_type == "file", Reminder.item_id.in_(file_ids), Reminder.user_id == from_user,
               Reminder.status == "scheduled", Reminder.moved_at <= transferred_at)
        .values(user_id=to_user)
    ).rowcount


def due_reminders(session, now, limit):
    """Reminders due now, locked; another replica skips them (FOR UPDATE SKIP LOCKED)."""
    return session.execute(
        select(Reminder).where(Reminder.status == "scheduled", Reminder.fire_at <= now)
        .order_by(Reminder.fire_at).limit(limit).with_for_update(skip_locked=True)
    ).scalars().all()


def reminder_view(row):
    return domain.ReminderView(
        id=row.id, kind=row.kind, item_type=row.item_type, item_id=row.item_id, item_number=row.item_number,
        user_id=row.user_id, due_date=row.due_date, occurrence=row.occurrence, subject=row.subject,
        classification=row.classification, priority=row.priority,
    )


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
