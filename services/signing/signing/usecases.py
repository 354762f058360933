"""signing's use cases: one function per use case, over a command (commands.py) and a unit of work
carrying the repositories (`uow.documents`, `uow.certificates` ...: repository.SigningUnitOfWork,
or an in-memory fake in the unit tests). Each command, a small dataclass, stands above its use case. Those that render, sign or verify also take the engine
(engine.SigningEngine: the token, eSign, the CAs, the document store).

A use case opens its transactions itself (`with uow:`): a signature spans two, with the PDF signed
between them, never inside one. A write commits with what it returns, and the entrypoint answers
from that. A consumed event's use case is given the pipeline's open unit of work and does not
commit: the pipeline commits its effect with the event's tracking row."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509

from eoffice_common.errors import ServiceError

from . import domain, pades, pki
from .exceptions import CertificateNotFound, DocumentNotFound, NotAdmin, SignatureNotFound
from .metrics import CERTIFICATES, SIGNATURES, SIGNING_SECONDS, VERIFICATIONS
from .models import Certificate, Document, Signature
from .rendering import Content, SignerLine, field_name

DEFAULT_REASONS = {domain.NOTE: "Noted and signed / टिप्पणी हस्ताक्षरित", domain.DRAFT: "Approved / अनुमोदित"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Caller:
    user_id: str
    office: str
    is_admin: bool = False


@dataclass(frozen=True)
class DocumentState:
    """A document as its reader sees it: the row, the view its rules read, its signatures."""

    document: Document
    view: domain.DocumentView
    signatures: list[Signature]


@dataclass(frozen=True)
class Verification:
    verdict: dict
    verified: pades.VerifiedPdf
    document: dict | None  # what the signed bytes say the PDF is, for a caller who may see it


# --- certificates ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegisterCertificate:
    """A DSC (its key on the token, `key_label`) or an eSign certificate, read and checked by the engine."""

    caller: Caller
    source: str
    key_label: str | None
    certificate: x509.Certificate
    facts: domain.CertificateFacts
    now: datetime


def register_certificate(command: RegisterCertificate, uow) -> Certificate:
    """Register the caller's DSC or eSign certificate: usable now, issued in the caller's name and
    naming the caller's directory identity, and nobody else's rightly."""
    caller, facts, certificate = command.caller, command.facts, command.certificate
    fingerprint = pki.fingerprint(certificate)
    with uow:
        user = uow.directory.user(caller.user_id)
        domain.ensure_usable(facts, command.now)
        domain.ensure_certificate_names(facts, user.name_en)
        existing = uow.certificates.active_registrations(fingerprint, command.key_label)
        taken_over = domain.registrations_taken_over(_registrations(existing, uow), caller.user_id)
        domain.ensure_certificate_identity(facts, caller.user_id, user.email)
        for stale in (r for r in existing if r.id in taken_over):
            reason = f"registered by an officer its certificate does not name; now {caller.user_id}'s"
            _revoke(stale, reason, uow.directory.office_of(stale.user_id), command.now, uow)
        record = Certificate(
            id=str(uuid.uuid4()), user_id=caller.user_id, source=command.source, key_label=command.key_label,
            serial=pki.serial_hex(certificate), issuer=certificate.issuer.rfc4514_string(),
            subject=certificate.subject.rfc4514_string(), fingerprint_sha256=fingerprint,
            not_before=facts.not_before, not_after=facts.not_after, der=pki.der_of(certificate),
            status=domain.ACTIVE, registered_at=command.now,
        )
        record.registered(user.office)
        uow.certificates.add(uow.track(record))
        uow.commit(record)
    CERTIFICATES.labels(command.source, "registered").inc()
    return record


def _registrations(certificates: list[Certificate], uow) -> list[domain.Registration]:
    holders = uow.directory.users_by_id({c.user_id for c in certificates})
    registrations = []
    for certificate in certificates:
        registered = pki.parse_certificate(certificate.der)
        holder = holders.get(certificate.user_id)
        registrations.append(domain.Registration(certificate.id, certificate.user_id, domain.names_officer(
            pki.user_ids(registered), pki.emails(registered), certificate.user_id, holder.email if holder else None,
        )))
    return registrations


def _revoke(certificate: Certificate, reason: str, office: str, now: datetime, uow) -> None:
    certificate.revoke(reason, office, now)
    uow.track(certificate)
    CERTIFICATES.labels(certificate.source, "revoked").inc()


def certificates_of(caller: Caller, uow) -> list[Certificate]:
    with uow:
        return uow.certificates.of_user(caller.user_id)


def office_certificates(caller: Caller, uow) -> list[Certificate]:
    """An admin's view of the certificates of their office's users, to revoke a lost token's."""
    if not caller.is_admin:
        raise NotAdmin("only an admin of the office sees its certificates")
    with uow:
        return uow.certificates.of_office(caller.office)


def _admin_of(caller: Caller, user_id: str, uow) -> bool:
    """Whether the caller is an admin of the user's office (an admin keeps their own office only)."""
    return caller.is_admin and uow.directory.office_of(user_id) == caller.office


def certificate_of(caller: Caller, certificate_id: str, uow) -> Certificate:
    with uow:
        return uow.certificates.get(certificate_id, caller.user_id)


@dataclass(frozen=True)
class RevokeCertificate:
    caller: Caller
    certificate_id: str
    reason: str
    now: datetime


def revoke_certificate(command: RevokeCertificate, uow) -> Certificate:
    """The holder (or an admin) withdraws a certificate, e.g. a lost token: it signs nothing more."""
    caller = command.caller
    with uow:
        certificate = uow.certificates.get(command.certificate_id)
        if certificate.user_id != caller.user_id and not _admin_of(caller, certificate.user_id, uow):
            raise CertificateNotFound(f"certificate {command.certificate_id} was not found")
        domain.ensure_can_revoke(certificate.user_id, certificate.status, caller.user_id, caller.is_admin)
        _revoke(certificate, command.reason, caller.office, command.now, uow)
        uow.commit(certificate)
    return certificate


def revoke_withdrawn_certificates(revocation_of, now: datetime, uow) -> int:
    """Revoke every registered certificate its CA has revoked since; `revocation_of(der)` reads
    the CRLs just loaded. Returns how many."""
    revoked = 0
    with uow:
        for certificate in uow.certificates.active():
            revocation = revocation_of(certificate.der)
            if revocation is not None:
                _revoke(certificate, f"revoked by its CA: {revocation.reason}",
                        uow.directory.office_of(certificate.user_id), now, uow)
                revoked += 1
        uow.commit()
    return revoked


# --- documents ------------------------------------------------------------------------------------

def _visible(caller: Caller, kind: str, document_id: str, uow, for_update: bool = False) -> DocumentState:
    document, view, signatures = uow.documents.get(kind, document_id, for_update)
    domain.ensure_visible(view, caller.user_id, caller.office)
    return DocumentState(document, view, signatures)


@dataclass(frozen=True)
class OnDocument:
    caller: Caller
    kind: str
    document_id: str


def document_of(query: OnDocument, uow) -> DocumentState:
    with uow:
        return _visible(query.caller, query.kind, query.document_id, uow)


@dataclass(frozen=True)
class SetSigners:
    caller: Caller
    kind: str
    document_id: str
    signers: list[str]
    now: datetime
    timeout: timedelta  # a signature requested longer ago was abandoned


def set_signers(command: SetSigners, uow) -> DocumentState:
    """The owner names who signs, in order (e.g. the members under minutes of a meeting)."""
    with uow:
        state = _visible(command.caller, command.kind, command.document_id, uow, for_update=True)
        domain.ensure_can_set_order(state.view, command.caller.user_id, command.now, command.timeout)
        known = uow.directory.active_user_ids(command.signers)
        signers = domain.check_signing_order(state.document.owner, command.signers, known)
        uow.documents.set_signers(state.document.kind, state.document.id, signers)
        # Read in this transaction: the committed change answers without the database.
        answer = _visible(command.caller, command.kind, command.document_id, uow)
        uow.commit(answer)
    return answer


def document_pdf(query: OnDocument, uow, engine) -> tuple[bytes, bool]:
    """(the latest signed PDF, True), or (a preview of the rendering, False) while nobody has signed."""
    with uow:
        state = _visible(query.caller, query.kind, query.document_id, uow)
        if not state.document.pdf_key:
            content, signers = _rendering_input(state.document, state.view.signers, uow)
    if state.document.pdf_key:
        return engine.stored_pdf(state.document.pdf_key), True
    return engine.preview(content, signers), False


def _rendering_input(document: Document, signers: list[str], uow) -> tuple[Content, list[SignerLine]]:
    users = uow.directory.users_by_id(signers)
    office = uow.directory.office(document.office)
    lines = []
    for position, user_id in enumerate(signers, start=1):
        user = users.get(user_id)
        lines.append(SignerLine(
            position, user_id,
            name_en=user.name_en if user else user_id, name_hi=user.name_hi if user else user_id,
            designation_en=user.designation_en if user else "", designation_hi=user.designation_hi if user else "",
        ))
    content = Content(
        kind=document.kind, document_id=document.id, file_number=document.file_number, subject=document.subject,
        text=document.text, content_sha256=document.content_sha256,
        office_en=office.name_en if office else document.office, office_hi=office.name_hi if office else document.office,
        classification=document.classification, confirmed_at=document.confirmed_at, version=document.version,
        first_paragraph=document.first_paragraph, issue_number=document.issue_number,
    )
    return content, lines


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


def record_document(command: RecordDocument, uow) -> Document:
    """Keep a signable document, as files announced it (its first signing order: the owner, or the
    signers the event names, the owner among them)."""
    data = command.data
    document = uow.documents.find(command.kind, command.document_id, for_update=True)
    created = document is None
    if created:
        document = Document(kind=command.kind, id=command.document_id, received_at=command.now)
    signed_already = not created and any(
        s.status == domain.SIGNED for s in uow.documents.signatures_of(command.kind, command.document_id))
    document.take_content(
        data.file_id, data.file_number, command.owner, data.office, data.district, data.classification, command.subject,
        command.text, command.version, data.content_sha256, getattr(data, "confirmed_at", None),
        getattr(data, "first_paragraph", None), signed_already, command.now, getattr(data, "issue_number", None),
    )
    if created:
        uow.documents.add(document)
        signers = data.signers if data.signers and command.owner in data.signers else [command.owner]
        uow.documents.set_signers(command.kind, command.document_id, list(dict.fromkeys(signers)))
    return document


# --- signing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignDocument:
    caller: Caller
    kind: str
    document_id: str
    method: str  # dsc | esign
    reason: str | None
    location: str | None
    timeout: timedelta


def sign(command: SignDocument, uow, engine) -> Signature:
    """Sign a green note or approved draft with the caller's DSC (on the token) or through eSign.

    Three transactions: the signature is requested (the document locked, the caller's turn
    checked), the PDF is signed with no transaction open, then the signature is recorded, or its
    failure."""
    caller, kind = command.caller, command.kind
    started = time.perf_counter()
    with uow:
        _visible(caller, kind, command.document_id, uow)
        certificate = uow.certificates.usable(caller.user_id, command.method)
    _ensure_still_usable(certificate, caller.office, uow, engine)
    now = utcnow()
    with uow:
        state = _visible(caller, kind, command.document_id, uow, for_update=True)
        document, view = state.document, state.view
        for stale in domain.stale_requests(view, now, command.timeout):
            uow.track(uow.signatures.get(stale.id)).fail(document, "abandoned: never completed")
        position = domain.plan_signature(view, caller.user_id, now, command.timeout)
        signature = Signature(
            id=str(uuid.uuid4()), document_kind=kind, document_id=document.id, file_id=document.file_id,
            position=position, signer=caller.user_id, method=command.method, certificate_id=certificate.id,
            status=domain.REQUESTED, reason=command.reason or DEFAULT_REASONS[kind], location=command.location,
            requested_at=now, content_sha256=document.content_sha256,
        )
        signature.requested(document)
        uow.signatures.add(uow.track(signature))
        content, signer_lines = _rendering_input(document, view.signers, uow)
        uow.commit(signature)
    signer = signer_lines[position - 1]
    try:
        details = pades.SignatureDetails(
            field_name=field_name(position), signer_name=signer.name_en, designation=signer.designation_en,
            reason=signature.reason, location=signature.location, signed_at=now,
        )
        base = engine.stored_pdf(document.pdf_key) if document.pdf_key else engine.preview(content, signer_lines)
        stored = engine.store(engine.sign(base, details, certificate, signature), f"{kind}-{document.id}.pdf")
    except Exception as exc:
        reason = exc.reason if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
        with uow:
            uow.track(uow.signatures.get(signature.id)).fail(document, reason)
            uow.commit()
        SIGNATURES.labels(command.method, "failed").inc()
        raise
    with uow:
        state = _visible(caller, kind, command.document_id, uow, for_update=True)
        signature = uow.track(uow.signatures.get(signature.id))
        signature.complete(state.document, state.view, signer.name_en, certificate.serial, stored.key, stored.sha256, now)
        uow.commit(signature)
    SIGNATURES.labels(command.method, "signed").inc()
    SIGNING_SECONDS.labels(command.method).observe(time.perf_counter() - started)
    return signature


def _ensure_still_usable(certificate: Certificate, office: str, uow, engine) -> None:
    """The certificate is checked again at each signature: it may have expired or been revoked
    (then its registration ends)."""
    facts = engine.facts(certificate.der)
    problem = domain.certificate_problem(facts, utcnow())
    if problem and problem[0] == "certificate_revoked":
        with uow:
            record = uow.certificates.get(certificate.id)
            if record.status == domain.ACTIVE:
                _revoke(record, f"revoked by its CA: {facts.revocation.reason}", office, utcnow(), uow)
                uow.commit()
    domain.ensure_usable(facts, utcnow())


def signature_of(caller: Caller, signature_id: str, uow) -> Signature:
    with uow:
        signature = uow.signatures.get(signature_id)
        _, view, _ = uow.documents.get(signature.document_kind, signature.document_id)
        if not domain.can_view(view, caller.user_id, caller.office):
            raise SignatureNotFound(f"signature {signature_id} was not found")
        return signature


# --- verification ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifyPdf:
    caller: Caller
    pdf: bytes


def verify_pdf(command: VerifyPdf, uow, engine) -> Verification:
    """Verify any PDF. What it claims to be (a note or draft of this service) is compared with
    that document's current content only for a caller who may see it."""
    verified = engine.verify(command.pdf)
    claims, current, document_info = verified.claims, None, None
    with uow:
        _identify(verified.checks, uow)
        if claims and claims["kind"] in domain.KINDS:
            try:
                _, view, _ = uow.documents.get(claims["kind"], claims["document_id"])
            except DocumentNotFound:
                view = None
            if view is not None and domain.can_view(view, command.caller.user_id, command.caller.office):
                current = view.content_sha256
                document_info = {**claims, "current_content_sha256": current}
    signed_hash = claims["content_sha256"] if document_info else None
    verdict = domain.verdict(verified.checks, signed_hash, current,
                             revisions_after_signing=verified.revisions_after_last_signature)
    VERIFICATIONS.labels("upload", "valid" if verdict["valid"] else "invalid").inc()
    return Verification(verdict, verified, document_info)


def verify_document(query: OnDocument, uow, engine) -> Verification:
    """Verify the document's signed PDF against what this service recorded: each signature in
    order by the expected signer and certificate, and the content still what was signed."""
    with uow:
        state = _visible(query.caller, query.kind, query.document_id, uow)
        signed = sorted((s for s in state.signatures if s.status == domain.SIGNED), key=lambda s: s.position)
        expected = [(s.signer, uow.certificates.get(s.certificate_id).fingerprint_sha256) for s in signed]
    document = state.document
    verified = pades.VerifiedPdf([], None)
    if document.pdf_key:
        verified = engine.verify(engine.stored_pdf(document.pdf_key))
        with uow:
            _identify(verified.checks, uow)
        for check, (signer, fingerprint) in zip(verified.checks, expected, strict=False):
            check.expected_signer, check.expected_fingerprint = signer, fingerprint
    signed_hash = (verified.claims or {}).get("content_sha256") or (signed[0].content_sha256 if signed else None)
    verdict = domain.verdict(
        verified.checks, signed_hash, document.content_sha256, signatures_expected=len(signed) or None,
        revisions_after_signing=verified.revisions_after_last_signature,
    )
    VERIFICATIONS.labels("document", "valid" if verdict["valid"] else "invalid").inc()
    info = {"kind": document.kind, "document_id": document.id, "content_sha256": signed_hash,
            "current_content_sha256": document.content_sha256}
    return Verification(verdict, verified, info)


def _identify(checks: list[domain.SignatureCheck], uow) -> None:
    """Which registered certificate (so which user) made each signature."""
    known = uow.certificates.by_fingerprint([c.fingerprint for c in checks if c.fingerprint])
    for check in checks:
        certificate = known.get(check.fingerprint)
        if certificate is not None:
            check.registered_user, check.registered_status = certificate.user_id, certificate.status


def end_registrations_of(user_id: str, office: str, uow) -> None:
    """A user the directory deactivates signs nothing more: each registration ends (in the
    consumed event's transaction)."""
    for certificate in uow.certificates.active_of(user_id):
        _revoke(certificate, "the user was deactivated in the directory", office, utcnow(), uow)
