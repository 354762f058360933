"""Tables of the files service alone: its copy of the directory, numbering heads, files and
everything in them, movements, and the per-file audit log."""
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.directory import DEFAULT_LANGUAGE
from eoffice_common.types import UtcDateTime

# BIGINT in PostgreSQL, INTEGER in SQLite so that it is the autoincrementing rowid.
_serial = BigInteger().with_variant(Integer(), "sqlite")



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
    active = Column(Boolean, nullable=False, default=True)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)


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


# --- files ------------------------------------------------------------------------------------------

class File(Base):
    __tablename__ = "files"
    id = Column(String(36), primary_key=True)
    office_code = Column(String(32), nullable=False)
    district_code = Column(String(16), nullable=False)
    section_code = Column(String(48))
    numbering = Column(String(8), nullable=False)  # sfs | non_sfs
    head_id = Column(Integer, ForeignKey("file_heads.id"))
    year = Column(Integer)
    serial = Column(Integer)
    base_number = Column(String(160), nullable=False)
    file_number = Column(String(200), nullable=False)
    number_key = Column(String(200), nullable=False)
    computer_number = Column(BigInteger, nullable=False, unique=True)
    subject = Column(Text, nullable=False)
    subject_search = Column(Text, nullable=False)
    category = Column(String(120))
    description = Column(Text)
    kind = Column(String(12), nullable=False)
    classification = Column(String(12), nullable=False)
    status = Column(String(12), nullable=False)
    custodian_id = Column(String(64), nullable=False)
    owner_id = Column(String(64), nullable=False)
    created_by = Column(String(64), nullable=False)
    # Every change of the row goes through `WHERE version = :read_version`, and moves also
    # through `AND custodian_id = :mover` (repository.record_action).
    version = Column(Integer, nullable=False)
    volume = Column(Integer, nullable=False, default=1)
    part = Column(Integer)
    parent_file_id = Column(String(36), ForeignKey("files.id"))
    relation = Column(String(8))  # volume | part, to parent_file_id
    last_paragraph = Column(Integer, nullable=False, default=0)
    audit_seq = Column(Integer, nullable=False, default=0)
    audit_head = Column(String(64))
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    parked_at = Column(DateTime(timezone=True))
    closed_at = Column(DateTime(timezone=True))
    closed_by = Column(String(64))

    __table_args__ = (
        UniqueConstraint("office_code", "number_key", name="uq_file_number"),
        Index("ix_files_custodian_status", "custodian_id", "status"),
        Index("ix_files_created_by", "created_by", "created_at"),
        Index("ix_files_closed_by", "closed_by", "closed_at"),
        Index("ix_files_office_created", "office_code", "created_at"),
        Index("ix_files_parent", "parent_file_id"),
        # Subject words and parts of numbers are searched with LIKE '%…%': trigram indexes on PostgreSQL
        # (the migration creates the pg_trgm extension first); plain indexes on SQLite.
        Index("ix_files_subject_search", "subject_search", postgresql_using="gin", postgresql_ops={"subject_search": "gin_trgm_ops"}),
        Index("ix_files_number_key", "number_key", postgresql_using="gin", postgresql_ops={"number_key": "gin_trgm_ops"}),
    )


class Movement(Base):
    """One hand-over of a file. Exactly one movement per file is current: the one that put it with its
    custodian (a partial unique index holds this even if two writers raced past every other check)."""

    __tablename__ = "movements"
    id = Column(_serial, primary_key=True, autoincrement=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    action = Column(String(12), nullable=False)
    from_user = Column(String(64), nullable=False)
    to_user = Column(String(64), nullable=False)
    remarks = Column(Text)
    due_date = Column(Date)
    priority = Column(String(16), nullable=False, default="normal")
    sent_at = Column(DateTime(timezone=True), nullable=False)
    opened_at = Column(DateTime(timezone=True))
    pulled_back_at = Column(DateTime(timezone=True))
    is_current = Column(Boolean, nullable=False)

    __table_args__ = (
        Index("ix_movements_file", "file_id", "id"),
        Index("ix_movements_to_user", "to_user", "sent_at"),
        Index("ix_movements_from_user", "from_user", "sent_at"),
        Index(
            "uq_movements_one_current", "file_id", unique=True,
            postgresql_where=is_current, sqlite_where=is_current,
        ),
    )


class Note(Base):
    __tablename__ = "notes"
    id = Column(String(36), primary_key=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    status = Column(String(8), nullable=False)  # yellow | green
    references = Column(JSON, nullable=False, default=list)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    confirmed_at = Column(DateTime(timezone=True))
    first_paragraph = Column(Integer)
    last_paragraph = Column(Integer)
    content_sha256 = Column(String(64))
    signature_id = Column(String(64))
    signed_by = Column(String(64))
    signed_at = Column(DateTime(timezone=True))
    signed_sha256 = Column(String(64))
    signature_method = Column(String(12))

    __table_args__ = (Index("ix_notes_file_status", "file_id", "status", "author"),)


class CorrespondenceItem(Base):
    """A receipt put in the file (under its receipt number) or another document attached to it."""

    __tablename__ = "correspondence"
    id = Column(String(36), primary_key=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    position = Column(Integer, nullable=False)
    kind = Column(String(12), nullable=False)  # receipt | document
    receipt_id = Column(String(36))
    receipt_number = Column(String(80))
    title = Column(Text, nullable=False)
    classification = Column(String(12), nullable=False, default="normal")
    receipt_kind = Column(String(12))
    sender_name = Column(String(200))
    sender_organisation = Column(String(300))
    letter_number = Column(String(120))
    letter_date = Column(Date)
    received_date = Column(Date)
    added_by = Column(String(64), nullable=False)
    added_at = Column(DateTime(timezone=True), nullable=False)
    # Who may read a classified receipt here (README, "Classification travels"): the office it was
    # diarised in (Confidential), those dak cleared, and whoever receives the file after movement
    # `linked_after_movement`. Null for attached documents, which follow the file.
    receipt_office = Column(String(32))
    cleared = Column(JSON)
    linked_after_movement = Column(_serial)

    __table_args__ = (
        UniqueConstraint("file_id", "position", name="uq_correspondence_position"),
        UniqueConstraint("file_id", "receipt_id", name="uq_correspondence_receipt"),
    )


class CorrespondenceDocument(Base):
    __tablename__ = "correspondence_documents"
    id = Column(Integer, primary_key=True, autoincrement=True)
    item_id = Column(String(36), ForeignKey("correspondence.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    key = Column(String(200), nullable=False, index=True)
    sha256 = Column(String(64), nullable=False)
    size = Column(Integer, nullable=False)
    content_type = Column(String(40), nullable=False)
    filename = Column(String(255))


class Draft(Base):
    """A draft for approval (DFA): versions, comments, approval, signature and issue."""

    __tablename__ = "drafts"
    id = Column(String(36), primary_key=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False, index=True)
    office_code = Column(String(32), nullable=False)
    subject = Column(Text, nullable=False)
    status = Column(String(12), nullable=False)  # draft | approved | issued
    current_version = Column(Integer, nullable=False)
    created_by = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    approved_version = Column(Integer)
    approved_by = Column(String(64))
    approved_at = Column(DateTime(timezone=True))
    signature_id = Column(String(64))
    signed_by = Column(String(64))
    signed_at = Column(DateTime(timezone=True))
    signed_sha256 = Column(String(64))
    signature_method = Column(String(12))
    issue_number = Column(String(80), unique=True)
    issued_by = Column(String(64))
    issued_at = Column(DateTime(timezone=True))
    dispatch_mode = Column(String(8))  # email | post
    recipients = Column(JSON)

    __table_args__ = (Index("ix_drafts_register", "office_code", "issued_at"),)


class DraftVersion(Base):
    __tablename__ = "draft_versions"
    draft_id = Column(String(36), ForeignKey("drafts.id"), primary_key=True)
    version = Column(Integer, primary_key=True)
    content = Column(Text, nullable=False)
    content_sha256 = Column(String(64), nullable=False)
    author = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class DraftComment(Base):
    __tablename__ = "draft_comments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    draft_id = Column(String(36), ForeignKey("drafts.id"), nullable=False, index=True)
    version = Column(Integer, nullable=False)
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Append-only: each entry's hash covers the previous entry's hash and this entry (domain.audit_hash)."""

    __tablename__ = "audit_log"
    id = Column(_serial, primary_key=True, autoincrement=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    seq = Column(Integer, nullable=False)
    action = Column(String(40), nullable=False)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime(timezone=True), nullable=False)
    details = Column(Text, nullable=False)
    prev_hash = Column(String(64))
    hash = Column(String(64), nullable=False)

    __table_args__ = (UniqueConstraint("file_id", "seq", name="uq_audit_seq"),)
