"""Tables of the notify service alone: its copy of the directory, preferences, the in-app inbox,
outgoing email and SMS, their dead letters, and reminders."""
from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.directory import ActingChargeColumns
from eoffice_common.types import UtcDateTime

# BIGINT in PostgreSQL, INTEGER in SQLite so that it is the autoincrementing rowid.
_serial = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Recipient(Base):
    """notify's copy of a directory user, kept from dak's user_recorded events."""

    __tablename__ = "recipients"
    user_id = Column(String(64), primary_key=True)
    office = Column(String(32), nullable=False, index=True)
    district = Column(String(16))
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    designation_en = Column(String(200), nullable=False, default="")
    designation_hi = Column(String(200), nullable=False, default="")
    email = Column(String(254))
    mobile = Column(String(20))
    reporting_officer = Column(String(64))
    language = Column(String(2), nullable=False, default="hi")
    roles = Column(JSON, nullable=False, default=list)
    active = Column(Boolean, nullable=False, default=True)
    updated_at = Column(UtcDateTime(), nullable=False)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)


class Preference(Base):
    """A user's choices; a user without a row gets domain.DEFAULT_PREFERENCES."""

    __tablename__ = "preferences"
    user_id = Column(String(64), primary_key=True)
    channels = Column(JSON, nullable=False)  # kind -> ["email", "sms"]; the in-app inbox is always on
    quiet_start = Column(Time)  # India Standard Time
    quiet_end = Column(Time)
    digest = Column(Boolean, nullable=False, default=False)
    digest_time = Column(Time, nullable=False)
    updated_at = Column(UtcDateTime(), nullable=False)


class Notification(Base):
    """The in-app channel: one row per (source event, recipient). `seq` numbers a user's
    notifications in commit order (writers hold the user's inbox lock), so the stream resumes from it."""

    __tablename__ = "notifications"
    seq = Column(_serial, primary_key=True, autoincrement=True)
    id = Column(String(36), nullable=False, unique=True)
    user_id = Column(String(64), nullable=False)
    kind = Column(String(32), nullable=False)
    source_event_id = Column(String(120), nullable=False)
    title = Column(Text, nullable=False)
    body = Column(Text, nullable=False)
    item_type = Column(String(16))
    item_id = Column(String(64))
    priority = Column(String(16), nullable=False, default="normal")
    occurred_at = Column(UtcDateTime(), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)
    read_at = Column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("source_event_id", "user_id", name="uq_notification_source_user"),
        Index("ix_notifications_user_seq", "user_id", "seq"),
    )


class Delivery(Base):
    """An email or SMS: one row per (source event, recipient, channel), claimed ('sending') and
    committed before the message leaves, so it is never sent twice."""

    __tablename__ = "deliveries"
    id = Column(String(36), primary_key=True)
    source_event_id = Column(String(120), nullable=False)
    recipient = Column(String(64), nullable=False)
    channel = Column(String(8), nullable=False)
    kind = Column(String(32), nullable=False)
    notification_id = Column(String(36))
    address = Column(String(254), nullable=False)
    subject = Column(Text, nullable=False)
    body = Column(Text, nullable=False)
    # pending -> sending -> sent | pending (retry) | dead;  digest -> digested (into a digest email)
    status = Column(String(12), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    due_at = Column(UtcDateTime(), nullable=False)  # when it was meant to go: latency counts from here
    next_attempt_at = Column(UtcDateTime(), nullable=False)
    claimed_at = Column(UtcDateTime())
    claimed_by = Column(String(64))
    sent_at = Column(UtcDateTime())
    last_error = Column(Text)
    digest_id = Column(String(36))
    created_at = Column(UtcDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("source_event_id", "recipient", "channel", name="uq_delivery_source_recipient_channel"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_deliveries_recipient", "recipient", "status"),
    )


class DeliveryDeadLetter(Base):
    """An email or SMS given up on, with the reason, until an admin retries it."""

    __tablename__ = "delivery_dead_letters"
    id = Column(_serial, primary_key=True, autoincrement=True)
    delivery_id = Column(String(36), nullable=False, index=True)
    reason = Column(Text, nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)
    retried_at = Column(UtcDateTime())
    retried_by = Column(String(64))


class Reminder(Base):
    """A reminder to fire at `fire_at`; picked with FOR UPDATE SKIP LOCKED so one replica fires it."""

    __tablename__ = "reminders"
    id = Column(String(36), primary_key=True)
    kind = Column(String(16), nullable=False)  # due_soon | overdue | escalation
    item_type = Column(String(16), nullable=False)  # file | receipt
    item_id = Column(String(64), nullable=False)
    item_number = Column(String(120), nullable=False)
    user_id = Column(String(64), nullable=False)  # who holds the item and must act
    subject = Column(Text, nullable=False, default="")
    classification = Column(String(16), nullable=False, default="normal")
    priority = Column(String(16), nullable=False, default="normal")
    due_date = Column(Date, nullable=False)
    fire_at = Column(UtcDateTime(), nullable=False)
    occurrence = Column(Integer, nullable=False, default=0)  # times fired
    status = Column(String(12), nullable=False)  # scheduled | done | cancelled
    source_event_id = Column(String(64), nullable=False)
    moved_at = Column(UtcDateTime(), nullable=False)  # when the item was sent with this due date
    created_at = Column(UtcDateTime(), nullable=False)
    last_fired_at = Column(UtcDateTime())

    __table_args__ = (
        Index("ix_reminders_due", "status", "fire_at"),
        Index("ix_reminders_item", "item_type", "item_id", "status"),
    )


class ItemMovement(Base):
    """The latest movement of each file or receipt notify has seen. Upserting it takes the row's
    lock, so concurrent movements of one item are applied one after the other, and a movement
    consumed after a later one learns it is stale (its reminders are not scheduled)."""

    __tablename__ = "item_movements"
    item_type = Column(String(16), primary_key=True)
    item_id = Column(String(64), primary_key=True)
    moved_at = Column(UtcDateTime(), nullable=False)
    due_date = Column(Date)  # set once any movement gave a due date: reminders may exist


class Draft(Base):
    """Who wrote a draft (from files' draft_versioned), to tell them when it is approved or issued."""

    __tablename__ = "drafts"
    draft_id = Column(String(64), primary_key=True)
    file_id = Column(String(64), nullable=False)
    author = Column(String(64), nullable=False)
    version = Column(Integer, nullable=False)


class DraftNoticeWaiting(Base):
    """A draft_approved or draft_issued that arrived before the draft_versioned naming its author
    (each event type has its own queue, so there is no order between them); told when it comes."""

    __tablename__ = "draft_notices_waiting"
    event_id = Column(String(64), primary_key=True)
    draft_id = Column(String(64), nullable=False, index=True)
    event_type = Column(String(32), nullable=False)
    occurred_at = Column(UtcDateTime(), nullable=False)
    data = Column(JSON, nullable=False)


class LetterEmail(Base):
    """An issued letter going to an addressee by email, with its signed PDF attached: one row per
    dispatch (files' dispatch id), claimed ('sending') and committed before it leaves."""

    __tablename__ = "letter_emails"
    dispatch_id = Column(String(36), primary_key=True)
    source_event_id = Column(String(64), nullable=False)
    file_id = Column(String(36), nullable=False)
    issue_number = Column(String(80), nullable=False)
    office = Column(String(32), nullable=False)
    district = Column(String(16))
    address = Column(String(254), nullable=False)
    subject = Column(Text, nullable=False)
    body = Column(Text, nullable=False)
    pdf_key = Column(String(200), nullable=False)
    status = Column(String(12), nullable=False)  # pending | sending | delivered | bounced | unknown
    attempts = Column(Integer, nullable=False, default=0)
    due_at = Column(UtcDateTime(), nullable=False)
    failure = Column(Text)
    sent_at = Column(UtcDateTime())

    __table_args__ = (Index("ix_letter_emails_due", "status", "due_at"),)


class ActingCharge(ActingChargeColumns, Base):
    """dak's acting charges (acting_charge_set / acting_charge_ended): while one is in force, reminders
    and escalations for the absent officer reach the acting one."""


class SenderAcknowledgement(Base):
    """The sender of a diarised letter told its receipt number, by email or SMS: one row per (receipt,
    channel), claimed ('sending') and committed before it leaves."""

    __tablename__ = "sender_acknowledgements"
    receipt_id = Column(String(36), primary_key=True)
    channel = Column(String(8), primary_key=True)  # email | sms
    receipt_number = Column(String(80), nullable=False)
    office = Column(String(32), nullable=False)
    address = Column(String(254), nullable=False)
    subject = Column(Text, nullable=False)
    body = Column(Text, nullable=False)
    status = Column(String(12), nullable=False)  # pending | sending | sent | failed | unknown
    attempts = Column(Integer, nullable=False, default=0)
    due_at = Column(UtcDateTime(), nullable=False)
    failure = Column(Text)
    sent_at = Column(UtcDateTime())
