"""The search service's tables: what it knows of receipts and files (from events), the documents it
indexes, and who may read each. The text index itself is per database: a tsvector column with a GIN
index in PostgreSQL, an FTS5 table in SQLite (alembic revision 0001)."""
from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.types import UtcDateTime


class Base(DeclarativeBase):
    pass


class ItemRow(Base):
    """A receipt or a file, as far as searching needs it; `readers` as in model.Item."""

    __tablename__ = "items"
    kind = Column(String(8), primary_key=True)
    id = Column(String(64), primary_key=True)
    office = Column(String(32))
    district = Column(String(32))
    classification = Column(String(16))
    number = Column(String(128))
    subject = Column(Text)
    dated = Column(Date)
    readers = Column(JSON, nullable=False, default=list)


class LinkRow(Base):
    __tablename__ = "links"
    __table_args__ = (Index("ix_links_file", "file_id"),)
    receipt_id = Column(String(64), primary_key=True)
    file_id = Column(String(64), primary_key=True)
    linked_by = Column(String(64), nullable=False)
    linked_at = Column(UtcDateTime, nullable=False)
    correspondence_id = Column(String(64))  # the item it is in the file's correspondence (files' receipt_linked)


class HandoverRow(Base):
    __tablename__ = "handovers"
    file_id = Column(String(64), primary_key=True)
    user = Column(String(64), primary_key=True)
    at = Column(UtcDateTime, primary_key=True)


class DocumentRow(Base):
    """One indexed document: a receipt's subject or scan, a file's subject, a green note, an approved
    draft. Scans wait as `pending` until their text is extracted; `failed` keeps the reason."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("item_kind", "item_id", "source", name="uq_documents_source"),
        Index("ix_documents_pending", "status", "id"),
        Index("ix_documents_item", "item_kind", "item_id"),
        Index("ix_documents_kind_dated", "kind", "dated"),
    )
    id = Column(Integer, primary_key=True, autoincrement=True)
    item_kind = Column(String(8), nullable=False)
    item_id = Column(String(64), nullable=False)
    # receipt | file | note | draft: what a result shows as its type
    kind = Column(String(8), nullable=False)
    source = Column(String(128), nullable=False)
    title = Column(Text)
    number = Column(String(128))
    office = Column(String(32))
    classification = Column(String(16))
    dated = Column(Date)
    key = Column(String(255))
    content_type = Column(String(64))
    status = Column(String(8), nullable=False)
    reason = Column(Text)
    pages = Column(Integer)
    page_starts = Column(JSON)
    body = Column(Text)
    # A draft's version whose text this is: an older version arriving late does not replace it.
    revision = Column(Integer)
    created_at = Column(UtcDateTime, nullable=False)
    indexed_at = Column(UtcDateTime)


class GrantRow(Base):
    """One grant of a document (model.py) and what it opens: the receipt, or the file it is in."""

    __tablename__ = "grants"
    __table_args__ = (Index("ix_grants_grant", "grant", "document_id"),)
    document_id = Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    grant = Column(String(200), primary_key=True)
    opens_kind = Column(String(8), nullable=False)
    opens_id = Column(String(64), nullable=False)
