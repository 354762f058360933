"""Tables of the metrics service alone: its copy of the directory, one fact per applied event, the
projections derived from the facts (items, daily counts, active users) and the weekly scores."""
from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Float, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.types import UtcDateTime

from .domain import COUNTERS

# BIGINT in PostgreSQL, but INTEGER in SQLite so that it is the autoincrementing rowid.
_serial = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Office(Base):
    """The directory's office, as last announced by dak's office_recorded."""

    __tablename__ = "offices"
    code = Column(String(32), primary_key=True)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    district = Column(String(16), nullable=False, index=True)
    district_name_en = Column(String(120), nullable=False)
    district_name_hi = Column(String(120), nullable=False)
    department = Column(String(16), nullable=False, index=True)
    department_name_en = Column(String(200), nullable=False)
    department_name_hi = Column(String(200), nullable=False)
    state = Column(String(8), nullable=False)
    sections = Column(JSON, nullable=False, default=list)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)


class User(Base):
    """The directory's user, as last announced by dak's user_recorded."""

    __tablename__ = "users"
    user_id = Column(String(64), primary_key=True)
    office = Column(String(32), nullable=False, index=True)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    designation_en = Column(String(200), nullable=False)
    designation_hi = Column(String(200), nullable=False)
    section = Column(String(48))
    roles = Column(JSON, nullable=False, default=list)
    active = Column(Boolean, nullable=False, default=True)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)


class Fact(Base):
    """One row per applied event: what every count, report and score is recomputed from."""

    __tablename__ = "facts"
    seq = Column(_serial, primary_key=True, autoincrement=True)
    event_id = Column(String(64), nullable=False)
    event_type = Column(String(40), nullable=False)
    occurred_at = Column(UtcDateTime(), nullable=False)
    week = Column(Integer, nullable=False)  # ISO week in IST as yyyyww: 202647
    office = Column(String(32))  # NULL until the directory says whose it is
    actor = Column(String(64), nullable=False)
    subject_user = Column(String(64))  # whose office the fact belongs to when the event names none
    item_type = Column(String(8))  # file | receipt
    item_id = Column(String(64))
    kind = Column(String(16))  # electronic|physical, note|draft, email|post, inapp|email|sms; a send's action
    to_user = Column(String(64))
    to_office = Column(String(32))
    section = Column(String(48))
    number = Column(String(150))  # of a file or receipt, as created (the register's entry)
    subject = Column(Text)
    category = Column(String(120))
    classification = Column(String(16))
    vip = Column(Boolean)
    due_date = Column(Date)
    duration_seconds = Column(BigInteger)
    levels = Column(Integer)
    file_ids = Column(JSON(none_as_null=True))
    dispatch_id = Column(String(64))  # letter_received, letter_opened, letter_emailed: which dispatch
    dispatches = Column(JSON(none_as_null=True))  # draft_issued: its addressees' dispatches

    __table_args__ = (
        Index("ix_facts_week_type", "week", "event_type"),
        Index("ix_facts_office_time", "office", "occurred_at"),
        Index("ix_facts_unattributed", "subject_user", postgresql_where=office.is_(None), sqlite_where=office.is_(None)),
        # What was sent to users the directory does not know yet: received when they are recorded.
        Index("ix_facts_unreceived", "to_user", postgresql_where=to_office.is_(None), sqlite_where=to_office.is_(None)),
    )


class Item(Base):
    """A file or receipt as the facts so far describe it: where it is pending, since when."""

    __tablename__ = "items"
    item_type = Column(String(8), primary_key=True)
    item_id = Column(String(64), primary_key=True)
    office = Column(String(32))
    kind = Column(String(16))
    section = Column(String(48))
    number = Column(String(150))
    subject = Column(Text)
    category = Column(String(120))
    classification = Column(String(16))
    vip = Column(Boolean)
    created_at = Column(UtcDateTime())
    last_closed_at = Column(UtcDateTime())
    reopened_at = Column(UtcDateTime())
    closed_at = Column(UtcDateTime())  # NULL while pending (never closed, or reopened since)
    holder = Column(String(64))
    held_since = Column(UtcDateTime())
    due_date = Column(Date)
    last_sent_at = Column(UtcDateTime())  # the last send's moment: a pull back or transfer keeps its due date
    last_sent_by = Column(String(64))
    movements = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_items_pending", "office", "created_at", postgresql_where=closed_at.is_(None), sqlite_where=closed_at.is_(None)),
        Index("ix_items_pending_holder", "holder", postgresql_where=closed_at.is_(None), sqlite_where=closed_at.is_(None)),
        Index("ix_items_closed_at", "closed_at"),
        Index("ix_items_opened", "item_type", "created_at", "item_id"),  # the file register, in order of opening
    )


class Dispatch(Base):
    """One addressee's dispatch of an issued letter, as the facts so far describe it: issued by which
    office, how, and whether (and when) it reached the addressee."""

    __tablename__ = "dispatches"
    dispatch_id = Column(String(64), primary_key=True)
    office = Column(String(32))  # the issuing office; NULL until its draft_issued is applied
    file_id = Column(String(64))
    issued_at = Column(UtcDateTime())
    mode = Column(String(8))  # intra | email | post
    for_information = Column(Boolean)  # a copy sent for information
    addressee_office = Column(String(32))
    reached_at = Column(UtcDateTime())
    opened_at = Column(UtcDateTime())
    bounced_at = Column(UtcDateTime())

    __table_args__ = (
        Index("ix_dispatches_issued", "office", "issued_at"),
        Index("ix_dispatches_reached", "reached_at"),
    )


class Holding(Base):
    """Who held a file or receipt from which moment: a past week's pendency is charged to the office
    of the user holding each item at the week's end."""

    __tablename__ = "holdings"
    item_type = Column(String(8), primary_key=True)
    item_id = Column(String(64), primary_key=True)
    held_from = Column(UtcDateTime(), primary_key=True)
    holder = Column(String(64), nullable=False)


daily_counts = Table(
    "daily_counts",
    Base.metadata,
    Column("office", String(32), primary_key=True),
    Column("day", Date, primary_key=True),  # in IST
    *[Column(name, BigInteger, nullable=False, default=0) for name in COUNTERS],
)


class WeeklyActiveUser(Base):
    __tablename__ = "weekly_active_users"
    week = Column(Integer, primary_key=True)
    office = Column(String(32), primary_key=True)
    user_id = Column(String(64), primary_key=True)


class UnitScore(Base):
    """The score of one office, department or district in one week, with its explanation."""

    __tablename__ = "unit_scores"
    week = Column(Integer, primary_key=True)
    level = Column(String(12), primary_key=True)
    unit = Column(String(32), primary_key=True)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    district = Column(String(16))
    department = Column(String(16))
    score = Column(Float, nullable=False)
    rank = Column(Integer, nullable=False)
    active = Column(Boolean, nullable=False)  # anyone acted on its files or receipts that week
    pending = Column(Integer, nullable=False)
    pending_old = Column(Integer, nullable=False)
    components = Column(JSON, nullable=False)
    computed_at = Column(UtcDateTime(), nullable=False)


class ScoredWeek(Base):
    """A week that has scores, and when they were computed (one row a week: what the scorer and the
    API ask about weeks, without reading the scores)."""

    __tablename__ = "scored_weeks"
    week = Column(Integer, primary_key=True)
    computed_at = Column(UtcDateTime(), nullable=False)
    formula_version = Column(Integer, nullable=False)
    settings = Column(JSON, nullable=False)  # the weights and limits the week was scored with


class StaleWeek(Base):
    """A week whose scores must be computed again; `rebuild` also rebuilds its counts from the facts.
    `version` goes up at every marking, so a scorer clears only the marking it has seen."""

    __tablename__ = "stale_weeks"
    week = Column(Integer, primary_key=True)
    rebuild = Column(Boolean, nullable=False, default=False)
    version = Column(Integer, nullable=False, default=1)
