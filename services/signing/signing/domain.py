"""The rules of signing, in plain Python: who signs what and in which order, which certificate
may be used, and what makes a signed document valid or not."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from eoffice_common.model import Aggregate

from .events import CertificateRegistered, CertificateRevoked, DocumentSigned, SignatureFailed, SignatureRequested
from .exceptions import (
    AlreadySigned,
    CertificateAlreadyRegistered,
    CertificateRefused,
    CertificateRevokedAlready,
    ContentChanged,
    DocumentNotFound,
    InvalidSigners,
    KeyBoundToAnother,
    NotASigner,
    NotOwner,
    OutOfTurn,
    SignatureInProgress,
    SigningOrderFixed,
)

NOTE, DRAFT = "note", "draft"
KINDS = (NOTE, DRAFT)
DSC, ESIGN = "dsc", "esign"
REQUESTED, SIGNED, FAILED = "requested", "signed", "failed"
ACTIVE, REVOKED = "active", "revoked"
RESTRICTED = frozenset({"secret", "top_secret"})
MAX_SIGNERS = 20
# A signing certificate must allow one of these (RFC 5280 keyUsage); CCA-licensed DSCs carry both.
SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})
SUPPORTED_KEY_TYPES = frozenset({"rsa"})
IST = timezone(timedelta(hours=5, minutes=30))

# What each verification reason says is wrong, for the reader of a verification report.
REASON_CATEGORIES = {
    "document_modified": "integrity",
    "signature_invalid": "integrity",
    "modified_after_signing": "integrity",
    "content_changed": "integrity",
    "no_signatures": "integrity",
    "signatures_missing": "integrity",
    "untrusted_chain": "chain",
    "certificate_revoked": "revocation",
    "unknown_signer": "signer_identity",
    "signer_mismatch": "signer_identity",
}


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utcnow():
    return datetime.now(timezone.utc)


# --- documents and who signs them ---------------------------------------------------------------

@dataclass
class SignatureView:
    id: str
    position: int
    signer: str
    status: str
    requested_at: datetime
    content_sha256: str = ""
    certificate_id: str = ""


@dataclass
class DocumentView:
    """What the rules need to know about a note or draft."""

    kind: str
    id: str
    owner: str
    office: str
    classification: str
    content_sha256: str  # as files announced it
    text_sha256: str  # as computed from the text received
    signers: list  # the signing order, user ids
    signatures: list = field(default_factory=list)  # SignatureView, any status
    changed_after_signing: bool = False

    def signed(self):
        return sorted((s for s in self.signatures if s.status == SIGNED), key=lambda s: s.position)

    @property
    def fully_signed(self):
        return len(self.signed()) == len(self.signers)

    def next_signer(self):
        done = {s.position for s in self.signed()}
        for position, user_id in enumerate(self.signers, start=1):
            if position not in done:
                return position, user_id
        return None, None


def can_view(document, user_id, user_office):
    """Its signers always; for Normal and Confidential documents also anyone in its office."""
    if user_id == document.owner or user_id in document.signers:
        return True
    if document.classification in RESTRICTED:
        return False
    return user_office == document.office


def ensure_visible(document, user_id, user_office):
    if not can_view(document, user_id, user_office):
        raise DocumentNotFound(f"{document.kind} {document.id} was not found")


def check_signing_order(owner, signers, known_users):
    """A signing order names each signer once, includes the owner, and only users of the directory."""
    if not signers:
        raise InvalidSigners("name at least one signer", fields={"signers": "at least one signer"})
    if len(signers) > MAX_SIGNERS:
        raise InvalidSigners(f"at most {MAX_SIGNERS} signers", fields={"signers": "too many signers"})
    if len(set(signers)) != len(signers):
        raise InvalidSigners("a signer is listed twice", fields={"signers": "duplicate signer"})
    if owner not in signers:
        raise InvalidSigners(f"{owner}, whose document it is, must sign it", fields={"signers": f"must include {owner}"})
    unknown = [s for s in signers if s not in known_users]
    if unknown:
        raise InvalidSigners(f"unknown users: {', '.join(unknown)}", fields={"signers": f"unknown: {', '.join(unknown)}"})
    return list(signers)


def ensure_can_set_order(document, by, now, timeout):
    """Only the owner sets the order, and only before anyone has signed or started to sign."""
    if by != document.owner:
        raise NotOwner(f"only {document.owner} can set who signs this {document.kind}")
    if document.signed() or _pending(document, now, timeout):
        raise SigningOrderFixed("signing has begun; the signing order can no longer change")


def _pending(document, now, timeout):
    return [s for s in document.signatures if s.status == REQUESTED and now - s.requested_at < timeout]


def stale_requests(document, now, timeout):
    """Requested signatures that never completed (a crashed worker, an abandoned eSign)."""
    return [s for s in document.signatures if s.status == REQUESTED and now - s.requested_at >= timeout]


def ensure_content_intact(document):
    if document.content_sha256 != document.text_sha256:
        raise ContentChanged(
            f"the {document.kind}'s text does not match the content hash files announced for it",
            reason="content_hash_mismatch",
        )
    if document.changed_after_signing:
        raise ContentChanged(f"the {document.kind} changed after it was signed; it cannot be signed further")


def plan_signature(document, signer, now, timeout):
    """The position `signer` signs at. Signers sign in the order set, each once."""
    if signer not in document.signers:
        if document.kind == NOTE:
            raise NotASigner("only the note's author (or a signer the author named) can sign it")
        raise NotASigner("only the draft's approver (or a signer the approver named) can sign it")
    ensure_content_intact(document)
    if _pending(document, now, timeout):
        raise SignatureInProgress("another signature of this document is in progress; try again shortly")
    position = document.signers.index(signer) + 1
    if position in {s.position for s in document.signed()}:
        raise AlreadySigned(f"you already signed this {document.kind}")
    next_position, next_user = document.next_signer()
    if position != next_position:
        raise OutOfTurn(f"{next_user} signs before you (signer {next_position} of {len(document.signers)})")
    return position


# --- certificates -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Revocation:
    revoked_at: datetime | None
    reason: str


@dataclass(frozen=True)
class CertificateFacts:
    """What was found out about a certificate: its own fields, and its chain and CRL status."""

    common_name: str
    not_before: datetime
    not_after: datetime
    key_usages: frozenset
    key_type: str
    chain_problem: str | None = None  # why no path to a trusted CA was found
    revocation: Revocation | None = None
    user_ids: frozenset = frozenset()  # the subject's UID attributes
    emails: frozenset = frozenset()  # the subject's emailAddress and rfc822Name alternative names, casefolded


def certificate_problem(facts, now):
    """The first reason this certificate cannot sign at `now`, as (reason code, message), or None."""
    if now < facts.not_before:
        return "certificate_not_yet_valid", f"the certificate is valid only from {facts.not_before.isoformat()}"
    if now > facts.not_after:
        return "certificate_expired", f"the certificate expired on {facts.not_after.astimezone(IST).date().isoformat()}"
    if facts.key_type not in SUPPORTED_KEY_TYPES:
        return "unsupported_key_type", f"{facts.key_type} keys are not supported; DSCs carry RSA keys"
    if not facts.key_usages & SIGNING_KEY_USAGES:
        return "key_usage_not_allowed", "the certificate's key usage does not allow digital signatures"
    if facts.revocation is not None:
        when = f" on {facts.revocation.revoked_at.date().isoformat()}" if facts.revocation.revoked_at else ""
        return "certificate_revoked", f"the certificate was revoked{when} ({facts.revocation.reason})"
    if facts.chain_problem:
        return "untrusted_chain", f"the certificate does not chain to a trusted certifying authority: {facts.chain_problem}"
    return None


def ensure_usable(facts, now):
    problem = certificate_problem(facts, now)
    if problem:
        reason, message = problem
        raise CertificateRefused(message, reason=reason)


def _comparable_name(name):
    name = unicodedata.normalize("NFKC", name or "").casefold().replace(".", " ")
    return re.sub(r"\s+", " ", name).strip()


def ensure_certificate_names(facts, user_name):
    """A certificate registered for a user must be issued in that user's name."""
    if _comparable_name(facts.common_name) != _comparable_name(user_name):
        raise CertificateRefused(
            f"the certificate is issued to {facts.common_name!r}, not to {user_name!r}", reason="certificate_name_mismatch"
        )


def names_officer(user_ids, emails, user_id, email):
    """Whether a certificate's subject UIDs or emails name this officer of the directory."""
    return user_id in user_ids or bool(email and email.casefold() in emails)


def ensure_certificate_identity(facts, user_id, email):
    """A certificate is bound to the directory identity it names, not to a display name (namesakes
    exist): its subject UID must be the officer's user id, or its email the officer's email."""
    if not names_officer(facts.user_ids, facts.emails, user_id, email):
        raise CertificateRefused(
            f"the certificate names neither the user id {user_id!r} nor this officer's email in the directory",
            reason="certificate_identity_mismatch",
        )


@dataclass(frozen=True)
class Registration:
    """An active registration of the same key label or certificate as one being registered."""

    id: str
    holder: str
    names_holder: bool  # its certificate names its holder's directory identity


def registrations_taken_over(registrations, user_id):
    """The active registrations a new one by `user_id` ends: only those whose certificate does not
    name their holder (a namesake's, made before keys were bound to identities). A key or
    certificate rightly registered to another officer is refused, as is registering one twice."""
    if any(r.holder == user_id for r in registrations):
        raise CertificateAlreadyRegistered(
            "you have already registered this key or certificate; revoke that registration to register a renewed one"
        )
    if any(r.names_holder for r in registrations):
        raise KeyBoundToAnother("this key or certificate is registered to another officer")
    return [r.id for r in registrations]


def ensure_can_revoke(owner, status, by, is_admin):
    if by != owner and not is_admin:
        raise NotOwner("only the certificate's holder or an admin can revoke it")
    if status == REVOKED:
        raise CertificateRevokedAlready("the certificate is already revoked")


# --- verification -------------------------------------------------------------------------------

@dataclass
class SignatureCheck:
    """One embedded signature as the validator saw it, and what this service knows of its signer."""

    position: int
    field_name: str
    signer_name: str | None
    signed_at: datetime | None
    intact: bool
    valid: bool
    covers_document: bool  # nothing but later signatures was added after it
    trusted: bool
    trust_problem: str | None
    revocation: Revocation | None
    fingerprint: str
    serial: str
    subject: str
    registered_user: str | None = None  # whose registered certificate signed
    registered_status: str | None = None
    expected_signer: str | None = None  # from this service's records (verification by id)
    expected_fingerprint: str | None = None
    reasons: list = field(default_factory=list)


def signature_reasons(check):
    reasons = []
    if not check.intact:
        reasons.append("document_modified")
    if not check.valid:
        reasons.append("signature_invalid")
    if not check.covers_document:
        reasons.append("modified_after_signing")
    if check.revocation is not None or check.registered_status == REVOKED:
        reasons.append("certificate_revoked")
    elif not check.trusted:
        reasons.append("untrusted_chain")
    if check.registered_user is None:
        reasons.append("unknown_signer")
    elif check.expected_signer is not None and check.registered_user != check.expected_signer:
        reasons.append("signer_mismatch")
    if check.expected_fingerprint is not None and check.fingerprint != check.expected_fingerprint:
        reasons.append("signer_mismatch")
    return list(dict.fromkeys(reasons))


def verdict(checks, signed_content_sha256=None, current_content_sha256=None, signatures_expected=None, revisions_after_signing=0):
    """Valid only if every signature is, nothing was added after the last one, the content is still
    what was signed, and no signature is missing."""
    reasons = []
    if not checks:
        reasons.append("no_signatures")
    for check in checks:
        check.reasons = signature_reasons(check)
        reasons += check.reasons
    if revisions_after_signing:
        reasons.append("modified_after_signing")
    if signed_content_sha256 and current_content_sha256 and signed_content_sha256 != current_content_sha256:
        reasons.append("content_changed")
    if signatures_expected is not None and len(checks) < signatures_expected:
        reasons.append("signatures_missing")
    reasons = list(dict.fromkeys(reasons))
    return {
        "valid": not reasons,
        "reasons": [{"code": r, "category": REASON_CATEGORIES[r]} for r in reasons],
    }


# --- the aggregates: state changes, and the events they imply ------------------------------------
# Mixed into the tables' classes (models.py): a loaded row is the aggregate itself.


class CertificateRecord(Aggregate):
    """A registered certificate (models.Certificate): active until revoked."""

    def registered(self, office: str) -> None:
        self.record(CertificateRegistered(
            certificate_id=self.id, user_id=self.user_id, serial=self.serial, office=office, subject=self.subject,
            not_after=self.not_after.isoformat(), source=self.source,
        ))

    def revoke(self, reason: str, office: str | None, now: datetime) -> None:
        self.status, self.revoked_at, self.revocation_reason = REVOKED, now, reason
        self.record(CertificateRevoked(
            certificate_id=self.id, user_id=self.user_id, serial=self.serial, office=office or "", reason=reason,
        ))


class DocumentRecord(Aggregate):
    """A green note or approved draft (models.Document), as files last announced it."""

    def take_content(self, file_id: str, file_number: str, owner: str, office: str, district: str | None,
                     classification: str, subject: str | None, text: str, version: int | None, content_sha256: str,
                     confirmed_at: str | None, first_paragraph: int | None, signed_already: bool,
                     now: datetime, issue_number: str | None = None) -> None:
        """Keep what files announced. If the content changes after someone signed it (a green note
        is permanent, so this is tampering or a bug upstream), that is recorded and shown."""
        text_sha256 = sha256_hex(text)
        if signed_already and (self.content_sha256, self.text_sha256) != (content_sha256, text_sha256):
            self.changed_after_signing_at = now
        self.file_id, self.file_number, self.owner = file_id, file_number, owner
        self.office, self.district, self.classification = office, district, classification
        self.subject, self.text, self.version = subject, text, version
        self.content_sha256, self.text_sha256, self.confirmed_at = content_sha256, text_sha256, confirmed_at
        self.first_paragraph = first_paragraph  # a note's first paragraph number in its file
        self.issue_number = issue_number  # an approved draft's, reserved at approval

    def signed_with(self, pdf_key: str, pdf_sha256: str) -> None:
        self.pdf_key, self.pdf_sha256 = pdf_key, pdf_sha256


class SignatureRecord(Aggregate):
    """One signature of a document (models.Signature): requested, then signed or failed."""

    def _about(self, document) -> dict:
        return {
            "signature_id": self.id, "document_kind": self.document_kind, "document_id": self.document_id,
            "file_id": self.file_id, "signer": self.signer, "office": document.office, "district": document.district,
        }

    def requested(self, document) -> None:
        self.record(SignatureRequested(**self._about(document), method=self.method, position=self.position))

    def fail(self, document, reason: str) -> None:
        self.status, self.failure_reason = FAILED, reason[:1000]
        self.record(SignatureFailed(**self._about(document), reason=reason[:1000]))

    def complete(self, document, view: DocumentView, signer_name: str, certificate_serial: str, pdf_key: str,
                 pdf_sha256: str, now: datetime) -> None:
        """Signed: the document's latest PDF is now this signature's."""
        self.status, self.signed_at, self.pdf_key, self.pdf_sha256 = SIGNED, now, pdf_key, pdf_sha256
        document.signed_with(pdf_key, pdf_sha256)
        signed_count = len([s for s in view.signed() if s.id != self.id]) + 1
        self.record(DocumentSigned(
            **self._about(document), signer_name=signer_name, method=self.method,
            certificate_serial=certificate_serial, content_sha256=self.content_sha256, pdf_key=pdf_key,
            pdf_sha256=pdf_sha256, signed_at=now.isoformat(), position=self.position,
            signatures_required=len(view.signers), fully_signed=signed_count == len(view.signers),
        ))
