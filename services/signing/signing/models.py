"""Tables of the signing service alone: its copy of the directory, the documents it may sign,
registered certificates and signatures."""
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase

from eoffice_common.types import UtcDateTime

from .domain import CertificateRecord, DocumentRecord, SignatureRecord


class Base(DeclarativeBase):
    pass


class User(Base):
    """dak's user_recorded, as far as a signature needs it (name and designation on the page)."""

    __tablename__ = "users"
    id = Column(String(64), primary_key=True)
    office = Column(String(32), nullable=False)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    designation_en = Column(String(200), nullable=False)
    designation_hi = Column(String(200), nullable=False)
    email = Column(String(254))  # with the user id, what a certificate must name to be this user's
    active = Column(Boolean, nullable=False, default=True)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)


class Office(Base):
    """dak's office_recorded: the heading of a rendered note."""

    __tablename__ = "offices"
    code = Column(String(32), primary_key=True)
    district = Column(String(16), nullable=False)
    name_en = Column(String(200), nullable=False)
    name_hi = Column(String(200), nullable=False)
    recorded_at = Column(UtcDateTime())  # when dak recorded this version (eoffice_common.directory)


class Document(Base, DocumentRecord):
    """A green note (files' note_confirmed) or an approved draft (files' draft_approved)."""

    __tablename__ = "documents"
    kind = Column(String(8), primary_key=True)  # note | draft
    id = Column(String(64), primary_key=True)
    file_id = Column(String(64), nullable=False)
    file_number = Column(String(120), nullable=False)
    owner = Column(String(64), nullable=False)  # the note's author or the draft's approver
    office = Column(String(32), nullable=False)
    district = Column(String(16))
    classification = Column(String(12), nullable=False, default="normal")
    subject = Column(Text)
    text = Column(Text, nullable=False)
    first_paragraph = Column(Integer)  # a note's first paragraph number in its file
    issue_number = Column(String(80))  # an approved draft's, reserved at approval: the letter carries it
    version = Column(Integer)
    content_sha256 = Column(String(64), nullable=False)  # as files announced it
    text_sha256 = Column(String(64), nullable=False)  # as computed here from the text received
    confirmed_at = Column(String(40))
    received_at = Column(UtcDateTime(), nullable=False)
    changed_after_signing_at = Column(UtcDateTime())
    pdf_key = Column(String(200))  # the latest signed PDF
    pdf_sha256 = Column(String(64))


class DocumentSigner(Base):
    """The signing order of a document: the owner alone, or the order the owner set (minutes)."""

    __tablename__ = "document_signers"
    document_kind = Column(String(8), primary_key=True)
    document_id = Column(String(64), primary_key=True)
    position = Column(Integer, primary_key=True)
    user_id = Column(String(64), nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(["document_kind", "document_id"], ["documents.kind", "documents.id"]),
        Index("ix_document_signers_user", "user_id"),
    )


class Certificate(Base, CertificateRecord):
    __tablename__ = "certificates"
    id = Column(String(36), primary_key=True)
    user_id = Column(String(64), nullable=False, index=True)
    source = Column(String(8), nullable=False)  # dsc | esign
    key_label = Column(String(120))  # the key's CKA_LABEL on the PKCS#11 token (dsc)
    serial = Column(String(80), nullable=False)
    issuer = Column(Text, nullable=False)
    subject = Column(Text, nullable=False)
    fingerprint_sha256 = Column(String(64), nullable=False, index=True)
    not_before = Column(UtcDateTime(), nullable=False)
    not_after = Column(UtcDateTime(), nullable=False)
    der = Column(LargeBinary, nullable=False)
    status = Column(String(8), nullable=False, default="active")  # active | revoked
    registered_at = Column(UtcDateTime(), nullable=False)
    revoked_at = Column(UtcDateTime())
    revocation_reason = Column(Text)

    __table_args__ = (
        # A key on the token, and a certificate, is one officer's at a time; revoked registrations are history.
        Index(
            "uq_certificates_active_key_label", "key_label", unique=True,
            postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'"),
        ),
        Index(
            "uq_certificates_active_fingerprint", "fingerprint_sha256", unique=True,
            postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'"),
        ),
    )


class Signature(Base, SignatureRecord):
    __tablename__ = "signatures"
    id = Column(String(36), primary_key=True)
    document_kind = Column(String(8), nullable=False)
    document_id = Column(String(64), nullable=False)
    file_id = Column(String(64), nullable=False)
    position = Column(Integer, nullable=False)
    signer = Column(String(64), nullable=False)
    method = Column(String(8), nullable=False)  # dsc | esign
    certificate_id = Column(String(36), nullable=False)
    status = Column(String(10), nullable=False)  # requested | signed | failed
    reason = Column(Text)  # the signer's reason, written into the signature
    location = Column(String(200))
    failure_reason = Column(Text)
    requested_at = Column(UtcDateTime(), nullable=False)
    signed_at = Column(UtcDateTime())
    content_sha256 = Column(String(64), nullable=False)
    pdf_key = Column(String(200))
    pdf_sha256 = Column(String(64))

    __table_args__ = (
        ForeignKeyConstraint(["document_kind", "document_id"], ["documents.kind", "documents.id"]),
        Index("ix_signatures_document", "document_kind", "document_id", "position"),
        Index("ix_signatures_signer", "signer", "requested_at"),
    )
