"""Tables of the files service alone, beside the file and what it holds (model.py): its copy of the
directory, numbering heads and counters."""
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    Sequence,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.directory import DEFAULT_CLEARANCE, DEFAULT_LANGUAGE, ActingChargeColumns
from eoffice_common.types import UtcDateTime

# BIGINT in PostgreSQL, INTEGER in SQLite so that it is the autoincrementing rowid.
SERIAL_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


# Computer numbers are unique across the deployment; PostgreSQL hands them out from this sequence
# (SQLite, single-process, from the `counters` row "computer_number").
COMPUTER_NUMBERS = Sequence("file_computer_number_seq", start=1, metadata=Base.metadata)


# --- the directory, as dak announces it (office_recorded / user_recorded) -----------------------

class Office(Base):
    __tablename__ = "offices"
    code = Column(String(32), primary_key=True)
    district_code = Column(String(16), nullable=False)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    department_code = Column(String(16), nullable=False)
    department_name_en = Column(String(200), nullable=False)
    department_name_hi = Column(String(200), nullable=False)
    district_name_en = Column(String(120), nullable=False)
    district_name_hi = Column(String(120), nullable=False)
    state_code = Column(String(8), nullable=False)
    sections = Column(JSON, nullable=False, default=list)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)


class User(Base):
    __tablename__ = "users"
    id = Column(String(64), primary_key=True)
    office_code = Column(String(32), nullable=False, index=True)
    district_code = Column(String(16), nullable=False)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    designation_en = Column(String(200), nullable=False)
    designation_hi = Column(String(200), nullable=False)
    section_code = Column(String(48))
    email = Column(String(254))
    reporting_officer_id = Column(String(64))
    roles = Column(JSON, nullable=False, default=list)
    language = Column(String(2), nullable=False, default=DEFAULT_LANGUAGE)
    clearance = Column(String(12), nullable=False, default=DEFAULT_CLEARANCE, server_default=DEFAULT_CLEARANCE)  # the highest classification they may receive
    active = Column(Boolean, nullable=False, default=True)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)

    @property
    def office(self):
        """The name the rules in domain.py use."""
        return self.office_code


# --- numbering ------------------------------------------------------------------------------------

class FileHead(Base):
    """A head of an office's Standard File System: main head and sub head, printed run together
    (`N-11` + `016` = `N-11016`), with the section and department labels its numbers end in."""

    __tablename__ = "file_heads"
    id = Column(Integer, primary_key=True, autoincrement=True)
    office_code = Column(String(32), nullable=False)
    main_code = Column(String(24), nullable=False)
    main_name_en = Column(String(200), nullable=False)
    main_name_hi = Column(String(200), nullable=False)
    sub_code = Column(String(24), nullable=False)
    sub_name_en = Column(String(200), nullable=False)
    sub_name_hi = Column(String(200), nullable=False)
    section_label = Column(String(24), nullable=False)
    department_label = Column(String(24), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_by = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)

    __table_args__ = (UniqueConstraint("office_code", "main_code", "sub_code", name="uq_file_head"),)


class FileSerial(Base):
    """The last serial given under a head in a year; its row lock makes numbering gap-free and race-free."""

    __tablename__ = "file_serials"
    head_id = Column(Integer, primary_key=True)
    year = Column(Integer, primary_key=True)
    last_serial = Column(Integer, nullable=False)


class IssueSerial(Base):
    __tablename__ = "issue_serials"
    office_code = Column(String(32), primary_key=True)
    year = Column(Integer, primary_key=True)
    last_serial = Column(Integer, nullable=False)


class Counter(Base):
    """Deployment-wide counters where the database has no sequences (SQLite)."""

    __tablename__ = "counters"
    name = Column(String(40), primary_key=True)
    value = Column(BigInteger, nullable=False)


# The file and what it holds are mapped in model.py, beside their behaviour. Importing them here too
# makes Base.metadata describe every table of the service whichever module is imported first.
class ActingCharge(ActingChargeColumns, Base):
    """dak's acting charges, as its acting_charge_set / acting_charge_ended announce them: while in force
    (from_date to to_date, IST days, not ended), a file sent to the absent officer goes to the acting one."""


from . import model  # noqa: E402,F401
