"""Reading and writing notify's tables: the SQL side of each use case."""
import uuid
import zlib
from datetime import timedelta

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from . import domain
from .models import (
    Delivery, DeliveryDeadLetter, Draft, DraftNoticeWaiting, ItemMovement, Notification, Preference, Recipient,
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


def record_user(session, data, now):
    values = data.model_dump()
    values["updated_at"] = now
    statement = _insert(session, Recipient).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["user_id"], set_={k: statement.excluded[k] for k in values if k != "user_id"},
    ))


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


NOTIFICATION_COLUMNS = ("id", "user_id", "kind", "source_event_id", "title", "body", "item_type", "item_id",
                        "priority", "occurred_at", "created_at")


def _add_notification(dialect):
    table = Notification.__table__
    if dialect != "postgresql":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["source_event_id", "user_id"])
    # One round trip: take the user's inbox lock, then insert. The lock makes `seq` (a default,
    # evaluated for the row the SELECT yields, so after the lock) follow commit order per user, so
    # a stream reading `seq > last` never skips a row committed late; pg_notify wakes that user's
    # streams in every replica at commit.
    inbox = select(
        func.pg_advisory_xact_lock(bindparam("lock_class"), bindparam("lock_key")),
        func.pg_notify(INBOX_CHANNEL, bindparam("wake")),
    ).cte("inbox")
    row = select(*[bindparam(name, type_=table.c[name].type) for name in NOTIFICATION_COLUMNS]).select_from(inbox)
    return (
        postgresql.insert(table).from_select(list(NOTIFICATION_COLUMNS), row)
        .on_conflict_do_nothing(index_elements=["source_event_id", "user_id"])
    )


def add_notification(session, notice, title, body, now):
    """The in-app notification; None if this (source, user) was already written."""
    notification_id = str(uuid.uuid4())
    params = {
        "id": notification_id, "user_id": notice.user_id, "kind": notice.kind, "source_event_id": notice.source_id,
        "title": title, "body": body, "item_type": notice.item_type, "item_id": notice.item_id,
        "priority": notice.priority, "occurred_at": notice.occurred_at, "created_at": now,
    }
    if _is_postgres(session):
        params.update(lock_class=INBOX_LOCK_CLASS, lock_key=_lock_key(notice.user_id), wake=notice.user_id)
    written = _run(session, "add_notification", _add_notification, params).rowcount
    return notification_id if written else None


def add_delivery(session, notice, outgoing, notification_id, subject, body, now):
    """An email or SMS to send; None if this (source, recipient, channel) already exists."""
    delivery_id = str(uuid.uuid4())
    written = _run(session, "add_delivery", lambda dialect: _dialect_insert(dialect, Delivery)
                   .on_conflict_do_nothing(index_elements=["source_event_id", "recipient", "channel"]), {
        "id": delivery_id, "source_event_id": notice.source_id, "recipient": notice.user_id,
        "channel": outgoing.channel, "kind": notice.kind, "notification_id": notification_id,
        "address": outgoing.address, "subject": subject, "body": body, "status": outgoing.status, "attempts": 0,
        "due_at": max(outgoing.not_before, notice.occurred_at), "next_attempt_at": outgoing.not_before,
        "created_at": now,
    }).rowcount
    return delivery_id if written else None


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
    deliveries = Delivery.__table__
    return (
        update(deliveries)
        .where(deliveries.c.id == bindparam("delivery_id"), deliveries.c.claimed_by == bindparam("claimer"))
        .values(status="sent", sent_at=bindparam("delivered_at"), last_error=None)
    )


def mark_sent(session, sent, claimed_by):
    """Record [(delivery id, sent_at)] as sent, in one round trip. Only `claimed_by`'s claims: an
    admin's retry in between has cleared the claim. A row the lease sweep dead-lettered meanwhile
    is still marked sent, because it was."""
    if sent:
        _run(session, "mark_sent", _mark_sent,
             [{"delivery_id": delivery_id, "claimer": claimed_by, "delivered_at": at} for delivery_id, at in sent])


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
        .order_by(Delivery.created_at)
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


def _record_movement(dialect):
    table = ItemMovement.__table__
    statement = _dialect_insert(dialect, ItemMovement)
    return statement.on_conflict_do_update(
        index_elements=["item_type", "item_id"],
        set_={"moved_at": statement.excluded.moved_at,
              "due_date": func.coalesce(statement.excluded.due_date, table.c.due_date)},
        where=table.c.moved_at < statement.excluded.moved_at,
    ).returning(table.c.due_date)


def record_movement(session, item_type, item_id, moved_at, due_date=None):
    """Note that the item moved at `moved_at`. Returns None if a later movement was already seen
    (this one is stale); else whether the item may have reminders (some movement had a due date)."""
    row = _run(session, "record_movement", _record_movement,
               {"item_type": item_type, "item_id": item_id, "moved_at": moved_at, "due_date": due_date}).first()
    return None if row is None else row.due_date is not None


def schedule_reminders(session, notice, plans, now):
    """Reminders of the item `notice` sent (its latest movement: see record_movement)."""
    for kind, fire_at in plans:
        session.add(Reminder(
            id=str(uuid.uuid4()), kind=kind, item_type=notice.item_type, item_id=notice.item_id,
            item_number=notice.number, user_id=notice.user_id,
            subject=notice.subject, classification=notice.classification, priority=notice.priority,
            due_date=notice.due_date, fire_at=fire_at, occurrence=0, status="scheduled",
            source_event_id=notice.source_id, moved_at=notice.occurred_at, created_at=now,
        ))


def _cancel_reminders(dialect):
    reminders = Reminder.__table__
    return update(reminders).where(
        reminders.c.item_type == bindparam("kind_of_item"), reminders.c.item_id == bindparam("item"),
        reminders.c.status == "scheduled", reminders.c.moved_at < bindparam("before"),
    ).values(status="cancelled")


def cancel_reminders(session, item_type, item_id, before):
    """Cancel the scheduled reminders of an item set by movements earlier than `before`."""
    return _run(session, "cancel_reminders", _cancel_reminders,
                {"kind_of_item": item_type, "item": item_id, "before": before}).rowcount


def transfer_reminders(session, file_ids, from_user, to_user):
    return session.execute(
        update(Reminder)
        .where(Reminder.item_type == "file", Reminder.item_id.in_(file_ids), Reminder.user_id == from_user,
               Reminder.status == "scheduled")
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
