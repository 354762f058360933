"""The input of each of signing's use cases: small dataclasses the entrypoints build."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from .domain import CertificateFacts


@dataclass(frozen=True)
class Caller:
    user_id: str
    office: str
    is_admin: bool = False


@dataclass(frozen=True)
class RegisterCertificate:
    """A DSC (its key on the token, `key_label`) or an eSign certificate, read and checked by the engine."""

    caller: Caller
    source: str
    key_label: str | None
    certificate: x509.Certificate
    facts: CertificateFacts
    now: datetime


@dataclass(frozen=True)
class RevokeCertificate:
    caller: Caller
    certificate_id: str
    reason: str
    now: datetime


@dataclass(frozen=True)
class OnDocument:
    caller: Caller
    kind: str
    document_id: str


@dataclass(frozen=True)
class SetSigners:
    caller: Caller
    kind: str
    document_id: str
    signers: list[str]
    now: datetime
    timeout: timedelta  # a signature requested longer ago was abandoned


@dataclass(frozen=True)
class SignDocument:
    caller: Caller
    kind: str
    document_id: str
    method: str  # dsc | esign
    reason: str | None
    location: str | None
    timeout: timedelta


@dataclass(frozen=True)
class VerifyPdf:
    caller: Caller
    pdf: bytes


@dataclass(frozen=True)
class RecordDocument:
    """A green note (files' note_confirmed) or an approved draft (draft_approved) to keep for signing."""

    kind: str
    document_id: str
    owner: str
    text: str
    subject: str | None
    version: int | None
    data: object  # the event's validated data: file, office, classification, content hash, signers
    now: datetime
