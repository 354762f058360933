"""Tables of the desk alone: its copy of the directory, passwords, chosen languages and sessions."""
from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.directory import ActingChargeColumns
from eoffice_common.types import UtcDateTime


class Base(DeclarativeBase):
    pass


class Office(Base):
    """An office as dak's office_recorded announced it."""

    __tablename__ = "offices"
    code = Column(String(32), primary_key=True)
    district = Column(String(16), nullable=False)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    district_name_en = Column(String(120))
    district_name_hi = Column(String(120))
    search_text = Column(Text, nullable=False, default="")  # domain.office_search_text
    recorded_at = Column(UtcDateTime(), nullable=False)


class User(Base):
    """A user as dak's user_recorded announced it; `recorded_at` is when dak said so, so an older
    announcement arriving late does not undo a newer one."""

    __tablename__ = "users"
    id = Column(String(64), primary_key=True)
    office = Column(String(32), nullable=False, index=True)
    district = Column(String(16))
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    designation_en = Column(String(200), nullable=False)
    designation_hi = Column(String(200), nullable=False)
    section = Column(String(48))
    email = Column(String(254))
    roles = Column(JSON, nullable=False, default=list)
    language = Column(String(2), nullable=False, default="hi")
    active = Column(Boolean, nullable=False, default=True)
    search_text = Column(Text, nullable=False, default="")  # domain.user_search_text
    recorded_at = Column(UtcDateTime(), nullable=False)


class Account(Base):
    """What the desk keeps of a user beyond the directory: the password hash and the chosen language."""

    __tablename__ = "accounts"
    user_id = Column(String(64), primary_key=True)
    password_hash = Column(Text)
    language = Column(String(2))
    updated_at = Column(UtcDateTime(), nullable=False)


class Session(Base):
    """A signed-in browser. The cookie carries the id; the table keeps only its sha256, and no token:
    each call to a service carries a short-lived one minted for the session's user."""

    __tablename__ = "sessions"
    id_hash = Column(String(64), primary_key=True)
    user_id = Column(String(64), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)
    last_seen_at = Column(UtcDateTime(), nullable=False)
    expires_at = Column(UtcDateTime(), nullable=False)

    __table_args__ = (Index("ix_sessions_user", "user_id"), Index("ix_sessions_expires", "expires_at"))


class SignInAttempt(Base):
    """A password sign-in counted against its account and its client address: one row per key while it
    is under way, kept if it fails, removed if it succeeds. Kept in the database, so that every replica
    counts the same attempts; the keys are sha256 digests (of the typed user id, of the address)."""

    __tablename__ = "sign_in_attempts"
    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    scope = Column(String(8), nullable=False)
    key = Column(String(64), nullable=False)
    attempted_at = Column(UtcDateTime(), nullable=False)

    __table_args__ = (Index("ix_sign_in_attempts_key", "scope", "key", "attempted_at"),
                      Index("ix_sign_in_attempts_at", "attempted_at"))


class ActingCharge(ActingChargeColumns, Base):
    """dak's acting charges, as acting_charge_set / acting_charge_ended announce them: the Send dialog
    marks an officer away (from_date to to_date, IST days, not ended) and who holds charge for them."""


class ReceiptDeadline(Base):
    """The priority and due date of a receipt's last hand-over (from dak's receipt_sent), which
    dak's lists do not carry: the inbox highlights with them."""

    __tablename__ = "receipt_deadlines"
    receipt_id = Column(String(36), primary_key=True)
    holder = Column(String(64), nullable=False)
    from_user = Column(String(64), nullable=False)
    priority = Column(String(16), nullable=False)
    due_date = Column(Date)
    sent_at = Column(UtcDateTime(), nullable=False)
