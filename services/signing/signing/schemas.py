"""Request validation for the signing API and the payloads it consumes (pydantic), and response shapes."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .domain import REASON_CATEGORIES


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Lenient(BaseModel):
    """Consumed event data: producers may add fields (EVENTS.md), so unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore")


class CertificateIn(Strict):
    """A DSC is named by its key's label on the token (its certificate is read from the token, or
    given and then checked against the key); an eSign certificate is uploaded as PEM."""

    source: Literal["dsc", "esign"]
    key_label: str | None = Field(None, min_length=1, max_length=120)
    certificate: str | None = Field(None, min_length=1, max_length=20000)

    @model_validator(mode="after")
    def what_the_source_needs(self):
        if self.source == "dsc" and not self.key_label:
            raise ValueError("a DSC is registered with the key_label of its key on the token")
        if self.source == "esign" and not self.certificate:
            raise ValueError("an eSign certificate is registered by uploading it (PEM)")
        return self


class RevokeIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class SignersIn(Strict):
    signers: list[str] = Field(min_length=1, max_length=20)


class SignIn(Strict):
    method: Literal["dsc", "esign"] = "dsc"
    reason: str | None = Field(None, min_length=1, max_length=200)
    location: str | None = Field(None, max_length=200)


class NoteConfirmedData(Lenient):
    file_id: str
    file_number: str
    note_id: str
    author: str
    text: str
    subject: str | None = None  # the file's
    first_paragraph: int | None = None
    content_sha256: str
    office: str
    district: str | None = None
    classification: str = "normal"
    confirmed_at: str | None = None
    signers: list[str] | None = None


class DraftApprovedData(Lenient):
    file_id: str
    file_number: str
    draft_id: str
    version: int
    approver: str
    subject: str | None = None
    content: str
    content_sha256: str
    office: str
    district: str | None = None
    classification: str = "normal"
    signers: list[str] | None = None
    issue_number: str | None = None


def certificate_out(certificate):
    return {
        "id": certificate.id,
        "user_id": certificate.user_id,
        "source": certificate.source,
        "key_label": certificate.key_label,
        "serial": certificate.serial,
        "subject": certificate.subject,
        "issuer": certificate.issuer,
        "fingerprint_sha256": certificate.fingerprint_sha256,
        "not_before": certificate.not_before,
        "not_after": certificate.not_after,
        "status": certificate.status,
        "registered_at": certificate.registered_at,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason,
    }


def signature_out(signature):
    return {
        "id": signature.id,
        "document_kind": signature.document_kind,
        "document_id": signature.document_id,
        "file_id": signature.file_id,
        "position": signature.position,
        "signer": signature.signer,
        "method": signature.method,
        "certificate_id": signature.certificate_id,
        "status": signature.status,
        "reason": signature.reason,
        "location": signature.location,
        "failure_reason": signature.failure_reason,
        "requested_at": signature.requested_at,
        "signed_at": signature.signed_at,
        "content_sha256": signature.content_sha256,
        "pdf_sha256": signature.pdf_sha256,
    }


def document_out(document, view, signatures):
    next_position, next_signer = view.next_signer()
    return {
        "kind": document.kind,
        "id": document.id,
        "file_id": document.file_id,
        "file_number": document.file_number,
        "owner": document.owner,
        "office": document.office,
        "classification": document.classification,
        "subject": document.subject,
        "text": document.text,
        "version": document.version,
        "content_sha256": document.content_sha256,
        "content_matches_text": document.content_sha256 == document.text_sha256,
        "changed_after_signing": document.changed_after_signing_at is not None,
        "signers": view.signers,
        "next_signer": next_signer,
        "next_position": next_position,
        "status": "signed" if view.fully_signed else ("partly_signed" if view.signed() else "awaiting_signature"),
        "pdf_sha256": document.pdf_sha256,
        "pdf_url": f"/documents/{document.kind}/{document.id}/pdf",
        "signatures": [signature_out(s) for s in signatures],
    }


def check_out(check):
    return {
        "position": check.position,
        "field": check.field_name,
        "signer_name": check.signer_name,
        "signed_at": check.signed_at,
        "signer": check.registered_user,
        "certificate": {"serial": check.serial, "subject": check.subject, "fingerprint_sha256": check.fingerprint},
        "intact": check.intact,
        "valid": check.valid,
        "covers_document": check.covers_document,
        "trusted": check.trusted,
        "trust_problem": check.trust_problem,
        "revoked": {"at": check.revocation.revoked_at, "reason": check.revocation.reason} if check.revocation else None,
        "reasons": [{"code": r, "category": REASON_CATEGORIES[r]} for r in check.reasons],
    }


def verification_out(verdict, verified, document=None):
    """`document` is what the signed bytes say the PDF is, and only for a caller who may see it."""
    return {
        **verdict,
        "signatures": [check_out(c) for c in verified.checks],
        "modified_after_signing": verified.revisions_after_last_signature > 0,
        "revisions_after_last_signature": verified.revisions_after_last_signature,
        "document": document,
    }
