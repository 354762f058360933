"""Tables of the dak service alone: the organisation directory and receipts."""
from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.directory import DEFAULT_CLEARANCE, DEFAULT_LANGUAGE
from eoffice_common.model import Aggregate
from eoffice_common.types import UtcDateTime

from .events import ActingChargeEnded, ActingChargeSet


class Base(DeclarativeBase):
    pass


class State(Base):
    __tablename__ = "states"
    code = Column(String(8), primary_key=True)
    name_en = Column(String(120), nullable=False)
    name_hi = Column(String(120), nullable=False)


class District(Base):
    __tablename__ = "districts"
    code = Column(String(16), primary_key=True)
    state_code = Column(String(8), ForeignKey("states.code"), nullable=False)
    name_en = Column(String(120), nullable=False)
    name_hi = Column(String(120), nullable=False)
    division_en = Column(String(120))
    division_hi = Column(String(120))


class Department(Base):
    __tablename__ = "departments"
    code = Column(String(16), primary_key=True)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)


class Office(Base):
    __tablename__ = "offices"
    code = Column(String(32), primary_key=True)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    district_code = Column(String(16), ForeignKey("districts.code"), nullable=False)
    department_code = Column(String(16), ForeignKey("departments.code"), nullable=False)
    edited_at = Column(UtcDateTime())  # by an admin (directory_usecases): the import leaves it alone from then on


class Section(Base):
    __tablename__ = "sections"
    code = Column(String(48), primary_key=True)
    office_code = Column(String(32), ForeignKey("offices.code"), nullable=False)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    edited_at = Column(UtcDateTime())  # by an admin: the import leaves it alone from then on


class User(Base):
    __tablename__ = "users"
    id = Column(String(64), primary_key=True)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    designation_en = Column(String(200), nullable=False)
    designation_hi = Column(String(200), nullable=False)
    office_code = Column(String(32), ForeignKey("offices.code"), nullable=False, index=True)
    section_code = Column(String(48), ForeignKey("sections.code"))
    email = Column(String(254))
    mobile = Column(String(20))
    reporting_officer_id = Column(String(64))
    roles = Column(JSON, nullable=False, default=list)
    language = Column(String(2), nullable=False, default=DEFAULT_LANGUAGE)
    clearance = Column(String(12), nullable=False, default=DEFAULT_CLEARANCE, server_default=DEFAULT_CLEARANCE)
    active = Column(Boolean, nullable=False, default=True)
    search_text = Column(Text, nullable=False, default="")  # domain.user_search_text
    edited_at = Column(UtcDateTime())  # by an admin: the import neither overwrites nor deactivates it


class ReceiptSerial(Base):
    """The last receipt serial given in an office in a year; its row lock makes numbering race-free."""

    __tablename__ = "receipt_serials"
    office_code = Column(String(32), primary_key=True)
    year = Column(Integer, primary_key=True)
    last_serial = Column(Integer, nullable=False)


class Receipt(Base):
    __tablename__ = "receipts"
    id = Column(String(36), primary_key=True)
    receipt_number = Column(String(80), nullable=False, unique=True)
    office_code = Column(String(32), nullable=False)
    year = Column(Integer, nullable=False)
    serial = Column(Integer, nullable=False)
    kind = Column(String(12), nullable=False)
    status = Column(String(12), nullable=False)
    holder_id = Column(String(64), nullable=False)
    created_by = Column(String(64), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)
    updated_at = Column(UtcDateTime(), nullable=False)
    received_at = Column(UtcDateTime())
    sender_name = Column(String(200), nullable=False)
    sender_designation = Column(String(200))
    sender_organisation = Column(String(300))
    sender_address = Column(Text)
    sender_state = Column(String(100))
    sender_pincode = Column(String(6))
    sender_email = Column(String(254))
    sender_mobile = Column(String(20))
    letter_number = Column(String(120))
    letter_date = Column(Date)
    received_date = Column(Date, nullable=False)
    delivery_mode = Column(String(12), nullable=False)
    main_category = Column(String(120))
    sub_category = Column(String(120))
    subject = Column(Text, nullable=False)
    language = Column(String(8), nullable=False)
    classification = Column(String(12), nullable=False)
    enclosures = Column(Text)
    remarks = Column(Text)
    vip = Column(Boolean, nullable=False, default=False)
    body_text = Column(Text)
    copied_from_id = Column(String(36))
    file_id = Column(String(64))
    closed_by = Column(String(64))
    closed_at = Column(UtcDateTime())
    closing_remarks = Column(Text)
    # Subject and sender in eoffice_common.search.search_form, for searching (repository.insert_numbered_receipt).
    subject_search = Column(Text, nullable=False, default="")
    sender_search = Column(Text, nullable=False, default="")
    # A letter issued inside this deployment (channel intra): its issue number, the issuing file and
    # the dispatch it answers (one receipt per dispatch), and whether it came for information.
    issue_number = Column(String(80))
    source_file_id = Column(String(36))
    source_dispatch_id = Column(String(36))
    for_information = Column(Boolean)
    opened_at = Column(UtcDateTime())  # when its first holder first opened it

    __table_args__ = (
        UniqueConstraint("office_code", "year", "serial", name="uq_receipt_serial"),
        Index("ix_receipts_holder_status", "holder_id", "status"),
        Index("ix_receipts_created_by", "created_by", "created_at"),
        Index("ix_receipts_duplicate", "sender_organisation", "letter_number", "letter_date"),
        Index("uq_receipts_source_dispatch", "source_dispatch_id", unique=True),
    )


class ReceiptScan(Base):
    __tablename__ = "receipt_scans"
    id = Column(Integer, primary_key=True, autoincrement=True)
    receipt_id = Column(String(36), ForeignKey("receipts.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    key = Column(String(200), nullable=False, index=True)
    sha256 = Column(String(64), nullable=False)
    size = Column(Integer, nullable=False)
    content_type = Column(String(40), nullable=False)
    filename = Column(String(255))


class ReceiptMovement(Base):
    """One hand-over of a receipt. `copy` marks a recipient who gets it for information only."""

    __tablename__ = "receipt_movements"
    id = Column(Integer, primary_key=True, autoincrement=True)
    receipt_id = Column(String(36), ForeignKey("receipts.id"), nullable=False, index=True)
    action = Column(String(12), nullable=False)
    from_user = Column(String(64), nullable=False)
    to_user = Column(String(64), nullable=False)
    copy = Column(Boolean, nullable=False, default=False)
    remarks = Column(Text)
    due_date = Column(Date)
    priority = Column(String(16), nullable=False, default="normal")
    sent_at = Column(UtcDateTime(), nullable=False)
    opened_at = Column(UtcDateTime())
    for_user = Column(String(64))  # sent to this officer, who was away: `to_user` holds charge for them
    on_behalf_of = Column(String(64))  # made by the acting officer for this absent officer

    __table_args__ = (Index("ix_movements_to_user", "to_user", "sent_at"), Index("ix_movements_from_user", "from_user", "sent_at"))


class ActingCharge(Aggregate, Base):
    """An officer away (leave, tour) from `from_date` to `to_date` (inclusive, IST days), another holding
    charge: what is sent to the absent officer reaches the acting one. In force only on those days, so
    it ends by itself; `ended_at` ends it earlier. (dak.acting holds its rules.)"""

    __tablename__ = "acting_charges"
    id = Column(String(36), primary_key=True)
    absent_user = Column(String(64), ForeignKey("users.id"), nullable=False, index=True)
    acting_user = Column(String(64), ForeignKey("users.id"), nullable=False)
    office_code = Column(String(32), nullable=False)
    from_date = Column(Date, nullable=False)
    to_date = Column(Date, nullable=False)
    reason = Column(String(200))
    set_by = Column(String(64), nullable=False)
    set_at = Column(UtcDateTime(), nullable=False)
    ended_at = Column(UtcDateTime())
    ended_by = Column(String(64))

    def in_force_on(self, day):
        return self.ended_at is None and self.from_date <= day <= self.to_date

    def announce_set(self, district, hand_over=False):
        self.record(ActingChargeSet(**self._event_base(district), reason=self.reason, set_by=self.set_by, hand_over=hand_over))

    def end(self, by, now, district):
        """The absent officer is back (or the leave is called off): the charge is no longer in force."""
        self.ended_at, self.ended_by = now, by
        self.record(ActingChargeEnded(**self._event_base(district), ended_by=by))

    def _event_base(self, district):
        return {"charge_id": self.id, "absent_user": self.absent_user, "acting_user": self.acting_user,
                "from_date": self.from_date.isoformat(), "to_date": self.to_date.isoformat(), "office": self.office_code,
                "district": district}


class Correspondent(Base):
    """An outside correspondent of an office (its address book): filled from the sender blocks of the
    receipts it diarises, so a regular correspondent is typed once; used by diarisation and dispatch."""

    __tablename__ = "correspondents"
    id = Column(Integer, primary_key=True, autoincrement=True)
    office_code = Column(String(32), nullable=False)
    key = Column(String(600), nullable=False)  # address_book.correspondent_key: name and organisation folded
    name = Column(String(200), nullable=False)
    designation = Column(String(200))
    organisation = Column(String(300))
    address = Column(Text)
    state = Column(String(100))
    pincode = Column(String(6))
    email = Column(String(254))
    mobile = Column(String(20))
    search_text = Column(Text, nullable=False)
    letters = Column(Integer, nullable=False, default=0)
    last_letter_at = Column(UtcDateTime())

    __table_args__ = (UniqueConstraint("office_code", "key", name="uq_correspondent"),)


class AcknowledgementSetting(Base):
    """Whether an office acknowledges diarised letters to their senders (on unless the office said no)."""

    __tablename__ = "acknowledgement_settings"
    office_code = Column(String(32), primary_key=True)
    enabled = Column(Boolean, nullable=False)
