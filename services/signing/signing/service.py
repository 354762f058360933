"""The signing service's entrypoints: parse, authorise, call the domain, commit, answer.

Cryptography and rendering run on OS threads, one job at a time (threads.py), so the hub keeps
serving requests while a PDF is signed, rendered or verified."""
import os
import time
import uuid
from datetime import datetime, timedelta, timezone

from nameko.dependency_providers import Config
from nameko.timer import timer
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

# The mixin is reached through its module: `nameko run` takes every class with entrypoints
# in this module's namespace for a service.
from eoffice_common import web
from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.errors import BadRequest, ServiceError, UnsupportedMediaType
from eoffice_common.liveness import liveness
from eoffice_common.metrics import Instrumentation
from eoffice_common.storage import DocumentStore
from eoffice_common.web import Caller, http, parse_json, require_caller

from . import domain, pades, pki, repository
from .esign import ESign, ESignRequest, signer_certificate_of
from .events import CertificateRegistered, CertificateRevoked, DocumentSigned, SignatureFailed, SignatureRequested
from .exceptions import (
    CertificateNotFound,
    CertificateRefused,
    DocumentNotFound,
    KeyBoundToAnother,
    SignatureNotFound,
    SigningFailed,
    SigningUnavailable,
)
from .models import Certificate, Document, Signature, User
from .pki import Trust
from .rendering import Content, SignerLine, field_name, preview_created_at, render
from .schemas import (
    CertificateIn,
    DraftApprovedData,
    NoteConfirmedData,
    RevokeIn,
    SignersIn,
    SignIn,
    certificate_out,
    document_out,
    signature_out,
    verification_out,
)
from .threads import run_in_thread, running_job_seconds
from .token import Token

SIGNATURES = Counter("eoffice_signing_signatures_total", "Signatures by method and outcome.", ["method", "outcome"])
SIGNING_SECONDS = Histogram(
    "eoffice_signing_signature_seconds", "Time to produce a signed PDF (render, sign, store).", ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
VERIFICATIONS = Counter("eoffice_signing_verifications_total", "Verifications by source and result.", ["source", "result"])
CERTIFICATES = Counter("eoffice_signing_certificates_total", "Certificates registered and revoked.", ["source", "event"])

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
DEFAULT_REASONS = {domain.NOTE: "Noted and signed / टिप्पणी हस्ताक्षरित", domain.DRAFT: "Approved / अनुमोदित"}


def utcnow():
    return datetime.now(timezone.utc)


class SigningService(web.DescribedService):
    name = "signing"
    openapi_path = OPENAPI_PATH

    db = Database()
    documents = DocumentStore("signing/pdfs", allowed_types=("application/pdf",))
    caller = Caller()
    log = Instrumentation()
    config = Config()
    token = Token()
    trust = Trust()
    esign = ESign()

    # --- health and description -------------------------------------------------------------

    @liveness("GET", "/health/live")
    def live(self, request):
        """Answered by a worker (so a full, wedged pool shows as 503), and red while a thread job
        has run for longer than any rendering or signature takes."""
        limit = float(self.config.get("LIVENESS_THREAD_JOB_SECONDS", 60))
        running = running_job_seconds()
        if running > limit:
            return 503, {"error": "thread_job_stuck", "message": f"a rendering or signing job has run for {running:.0f} s"}
        return {"status": "ok"}

    # --- certificates ---------------------------------------------------------------------------

    @http("POST", "/certificates", idempotent=True)
    def register_certificate(self, request):
        """Register the caller's DSC (its key on the token) or eSign certificate, after checking it."""
        principal = require_caller(self.caller)
        body = parse_json(request, CertificateIn)
        with self.db.read() as session:
            user = repository.get_user(session, principal.user_id)
        certificate = self._certificate_for_registration(body)
        now = utcnow()
        facts = self.trust.facts(certificate, now)
        domain.ensure_usable(facts, now)
        domain.ensure_certificate_names(facts, user.name_en)
        fingerprint = pki.fingerprint(certificate)
        key_label = body.key_label if body.source == domain.DSC else None
        with self.db.unit_of_work() as uow:
            existing = repository.active_registrations(uow.session, fingerprint, key_label)
            taken_over = domain.registrations_taken_over(self._registrations(uow.session, existing), principal.user_id)
            domain.ensure_certificate_identity(facts, principal.user_id, user.email)
            for stale in (r for r in existing if r.id in taken_over):
                reason = f"registered by an officer its certificate does not name; now {principal.user_id}'s"
                self._revoke(uow, stale, reason, self._office_of(uow.session, stale.user_id))
            uow.session.flush()  # the registrations taken over are revoked before the new one takes their place
            record = Certificate(
                id=str(uuid.uuid4()), user_id=principal.user_id, source=body.source,
                key_label=key_label,
                serial=pki.serial_hex(certificate), issuer=certificate.issuer.rfc4514_string(),
                subject=certificate.subject.rfc4514_string(), fingerprint_sha256=fingerprint,
                not_before=facts.not_before, not_after=facts.not_after, der=pki.der_of(certificate),
                status=domain.ACTIVE, registered_at=now,
            )
            uow.session.add(record)
            uow.emit(CertificateRegistered(
                certificate_id=record.id, user_id=record.user_id, serial=record.serial, office=user.office,
                subject=record.subject, not_after=record.not_after.isoformat(), source=record.source,
            ))
            answer = 201, certificate_out(record)
            try:
                uow.commit(answer)
            except IntegrityError:  # registered at the same moment by another request
                raise KeyBoundToAnother("this key or certificate was registered by another request just now") from None
        CERTIFICATES.labels(body.source, "registered").inc()
        return answer

    @http("GET", "/certificates")
    def list_certificates(self, request):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            return {"certificates": [certificate_out(c) for c in repository.certificates_of(session, principal.user_id)]}

    @http("GET", "/certificates/<string:certificate_id>")
    def get_certificate(self, request, certificate_id):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            return certificate_out(repository.certificate_of(session, certificate_id, principal.user_id))

    @http("POST", "/certificates/<string:certificate_id>/revoke", idempotent=True)
    def revoke_certificate(self, request, certificate_id):
        """The holder (or an admin) withdraws a certificate, e.g. a lost token: it signs nothing more."""
        principal = require_caller(self.caller)
        body = parse_json(request, RevokeIn)
        with self.db.unit_of_work() as uow:
            certificate = repository.certificate_of(uow.session, certificate_id)
            is_admin = principal.has_role("admin")
            if certificate.user_id != principal.user_id and not is_admin:
                raise CertificateNotFound(f"certificate {certificate_id} was not found")
            domain.ensure_can_revoke(certificate.user_id, certificate.status, principal.user_id, is_admin)
            self._revoke(uow, certificate, body.reason, principal.office)
            answer = certificate_out(certificate)
            uow.commit(answer)
        return answer

    # --- documents ------------------------------------------------------------------------------

    @http("GET", "/documents/<string:kind>/<string:document_id>")
    def get_document(self, request, kind, document_id):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            document, view, signatures = repository.document_view(session, self._kind(kind), document_id)
            domain.ensure_visible(view, principal.user_id, principal.office)
            return document_out(document, view, signatures)

    @http("PUT", "/documents/<string:kind>/<string:document_id>/signers")
    def set_signers(self, request, kind, document_id):
        """The owner names who signs, in order (e.g. the members under minutes of a meeting)."""
        principal = require_caller(self.caller)
        body = parse_json(request, SignersIn)
        with self.db.unit_of_work() as uow:
            document, view, signatures = repository.document_view(uow.session, self._kind(kind), document_id, for_update=True)
            domain.ensure_visible(view, principal.user_id, principal.office)
            domain.ensure_can_set_order(view, principal.user_id, utcnow(), self._signature_timeout())
            known = repository.active_user_ids(uow.session, body.signers)
            signers = domain.check_signing_order(document.owner, body.signers, known)
            repository.set_signers(uow.session, document.kind, document.id, signers)
            answer = self._document_answer(uow.session, document.kind, document.id)
            uow.commit()
        return answer

    @http("GET", "/documents/<string:kind>/<string:document_id>/pdf")
    def get_pdf(self, request, kind, document_id):
        """The latest signed PDF, or a preview of the rendering while nobody has signed."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            document, view, _ = repository.document_view(session, self._kind(kind), document_id)
            domain.ensure_visible(view, principal.user_id, principal.office)
            if document.pdf_key:
                key = document.pdf_key
            else:
                key = None
                content, signer_lines = self._rendering_input(session, document, view.signers)
        data = self.documents.get(key) if key else run_in_thread(render, content, signer_lines, preview_created_at(content.confirmed_at))
        filename = f"{document.kind}-{document.id}{'-signed' if key else '-preview'}.pdf"
        return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})

    # --- signing --------------------------------------------------------------------------------

    @http("POST", "/documents/<string:kind>/<string:document_id>/signatures")
    def sign(self, request, kind, document_id):
        """Sign a green note or approved draft with the caller's DSC (on the token) or through eSign."""
        principal = require_caller(self.caller)
        kind = self._kind(kind)
        sign_in = parse_json(request, SignIn)
        started = time.perf_counter()
        with self.db.read() as session:
            _, view, _ = repository.document_view(session, kind, document_id)
            domain.ensure_visible(view, principal.user_id, principal.office)
            certificate = repository.usable_certificate(session, principal.user_id, sign_in.method)
        self._check_certificate_still_usable(certificate, principal.office)
        now = utcnow()
        with self.db.unit_of_work() as uow:
            document, view, _ = repository.document_view(uow.session, kind, document_id, for_update=True)
            domain.ensure_visible(view, principal.user_id, principal.office)
            timeout = self._signature_timeout()
            for stale in domain.stale_requests(view, now, timeout):
                self._mark_failed(uow, uow.session.get(Signature, stale.id), document, "abandoned: never completed")
            position = domain.plan_signature(view, principal.user_id, now, timeout)
            signature = Signature(
                id=str(uuid.uuid4()), document_kind=kind, document_id=document.id, file_id=document.file_id,
                position=position, signer=principal.user_id, method=sign_in.method, certificate_id=certificate.id,
                status=domain.REQUESTED, reason=sign_in.reason or DEFAULT_REASONS[kind], location=sign_in.location,
                requested_at=now, content_sha256=document.content_sha256,
            )
            uow.session.add(signature)
            uow.emit(SignatureRequested(**self._signature_base(signature, document), method=signature.method, position=position))
            content, signer_lines = self._rendering_input(uow.session, document, view.signers)
            signer = signer_lines[position - 1]
            chain = self._chain_of(certificate)
            uow.commit()
        try:
            details = pades.SignatureDetails(
                field_name=field_name(position), signer_name=signer.name_en, designation=signer.designation_en,
                reason=signature.reason, location=signature.location, signed_at=now,
            )
            base = self.documents.get(document.pdf_key) if document.pdf_key else run_in_thread(
                render, content, signer_lines, preview_created_at(content.confirmed_at)
            )
            if sign_in.method == domain.DSC:
                signed = run_in_thread(self._sign_with_token, base, details, certificate, chain)
            else:
                signed = self._sign_with_esign(base, details, certificate, signature, signer)
            stored = self.documents.put(signed, f"{kind}-{document.id}.pdf")
        except Exception as exc:
            reason = exc.reason if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
            with self.db.unit_of_work() as uow:
                self._mark_failed(uow, uow.session.get(Signature, signature.id), document, reason)
                uow.commit()
            SIGNATURES.labels(sign_in.method, "failed").inc()
            raise
        with self.db.unit_of_work() as uow:
            document, view, _ = repository.document_view(uow.session, kind, document_id, for_update=True)
            signature = uow.session.get(Signature, signature.id)
            signature.status, signature.signed_at = domain.SIGNED, now
            signature.pdf_key, signature.pdf_sha256 = stored.key, stored.sha256
            document.pdf_key, document.pdf_sha256 = stored.key, stored.sha256
            signed_count = len(view.signed()) + 1
            uow.emit(DocumentSigned(
                **self._signature_base(signature, document), signer_name=signer.name_en, method=signature.method,
                certificate_serial=certificate.serial, content_sha256=signature.content_sha256, pdf_key=stored.key,
                pdf_sha256=stored.sha256, signed_at=now.isoformat(), position=position,
                signatures_required=len(view.signers), fully_signed=signed_count == len(view.signers),
            ))
            uow.commit()
        SIGNATURES.labels(sign_in.method, "signed").inc()
        SIGNING_SECONDS.labels(sign_in.method).observe(time.perf_counter() - started)
        return 201, signature_out(signature)

    @http("GET", "/signatures/<string:signature_id>")
    def get_signature(self, request, signature_id):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            signature = repository.signature_of(session, signature_id)
            _, view, _ = repository.document_view(session, signature.document_kind, signature.document_id)
            if not domain.can_view(view, principal.user_id, principal.office):
                raise SignatureNotFound(f"signature {signature_id} was not found")
            return signature_out(signature)

    # --- verification ---------------------------------------------------------------------------

    @http("POST", "/verify", upload=True)
    def verify_upload(self, request):
        """Verify any PDF: the raw body (application/pdf) or a multipart `file`."""
        principal = require_caller(self.caller)
        data = self._uploaded_pdf(request)
        verified = run_in_thread(pades.verify_pdf, data, self.trust.current())
        claims, current, document_info = verified.claims, None, None
        with self.db.read() as session:
            self._identify(session, verified.checks)
            if claims and claims["kind"] in domain.KINDS:
                try:
                    _, view, _ = repository.document_view(session, claims["kind"], claims["document_id"])
                except DocumentNotFound:
                    view = None
                if view is not None and domain.can_view(view, principal.user_id, principal.office):
                    current = view.content_sha256
                    document_info = {**claims, "current_content_sha256": current}
        signed_hash = claims["content_sha256"] if document_info else None
        result = domain.verdict(
            verified.checks, signed_hash, current, revisions_after_signing=verified.revisions_after_last_signature,
        )
        VERIFICATIONS.labels("upload", "valid" if result["valid"] else "invalid").inc()
        return verification_out(result, verified, document_info)

    @http("GET", "/documents/<string:kind>/<string:document_id>/verification")
    def verify_document(self, request, kind, document_id):
        """Verify the document's signed PDF against what this service recorded: each signature in
        order by the expected signer and certificate, and the content still what was signed."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            document, view, signatures = repository.document_view(session, self._kind(kind), document_id)
            domain.ensure_visible(view, principal.user_id, principal.office)
            signed = [s for s in signatures if s.status == domain.SIGNED]
            signed.sort(key=lambda s: s.position)
            certificates = {s.certificate_id: session.get(Certificate, s.certificate_id) for s in signed}
        verified = pades.VerifiedPdf([], None)
        if document.pdf_key:
            verified = run_in_thread(pades.verify_pdf, self.documents.get(document.pdf_key), self.trust.current())
            with self.db.read() as session:
                self._identify(session, verified.checks)
            for check, record in zip(verified.checks, signed, strict=False):
                check.expected_signer = record.signer
                check.expected_fingerprint = certificates[record.certificate_id].fingerprint_sha256
        signed_hash = (verified.claims or {}).get("content_sha256") or (signed[0].content_sha256 if signed else None)
        result = domain.verdict(
            verified.checks, signed_hash, document.content_sha256, signatures_expected=len(signed) or None,
            revisions_after_signing=verified.revisions_after_last_signature,
        )
        VERIFICATIONS.labels("document", "valid" if result["valid"] else "invalid").inc()
        info = {"kind": document.kind, "document_id": document.id, "content_sha256": signed_hash, "current_content_sha256": document.content_sha256}
        return verification_out(result, verified, info)

    # --- consumed events ------------------------------------------------------------------------

    @consume_events({"files": ("note_confirmed",)})
    def on_note_confirmed(self, payload):
        self.db.apply_once(payload, self._record_note)

    @consume_events({"files": ("draft_approved",)})
    def on_draft_approved(self, payload):
        self.db.apply_once(payload, self._record_draft)

    @consume_events({"dak": ("user_recorded",)})
    def on_user_recorded(self, payload):
        self.db.apply_once(payload, self._record_user)

    @consume_events({"dak": ("office_recorded",)})
    def on_office_recorded(self, payload):
        self.db.apply_once(payload, self._record_office)

    @staticmethod
    def _record_note(uow, envelope):
        data = NoteConfirmedData.model_validate(envelope.data)
        SigningService._record_document(uow, domain.NOTE, data.note_id, data.author, data.text, data, version=None, subject=None)

    @staticmethod
    def _record_draft(uow, envelope):
        data = DraftApprovedData.model_validate(envelope.data)
        SigningService._record_document(uow, domain.DRAFT, data.draft_id, data.approver, data.content, data, version=data.version, subject=data.subject)

    @staticmethod
    def _record_document(uow, kind, document_id, owner, body, data, version, subject):
        """Keep a signable document. If its content changes after someone signed it (a green note
        is permanent, so this is tampering or a bug upstream), that is recorded and shown."""
        session = uow.session
        now = utcnow()
        text_sha256 = domain.sha256_hex(body)
        document = session.get(Document, (kind, document_id), with_for_update=True)
        created = document is None
        if created:
            document = Document(kind=kind, id=document_id, received_at=now)
            session.add(document)
        elif (document.content_sha256, document.text_sha256) != (data.content_sha256, text_sha256):
            if any(s.status == domain.SIGNED for s in repository.signatures_of(session, kind, document_id)):
                document.changed_after_signing_at = now
        document.file_id, document.file_number, document.owner = data.file_id, data.file_number, owner
        document.office, document.district, document.classification = data.office, data.district, data.classification
        document.subject, document.text, document.version = subject, body, version
        document.content_sha256, document.text_sha256 = data.content_sha256, text_sha256
        document.confirmed_at = getattr(data, "confirmed_at", None)
        if created:
            session.flush()
            signers = data.signers if data.signers and owner in data.signers else [owner]
            repository.set_signers(session, kind, document_id, list(dict.fromkeys(signers)))

    @staticmethod
    def _record_user(uow, envelope):
        """Keep dak's user; a user it deactivates signs nothing more: each registration ends."""
        recorded = repository.DIRECTORY.record_event(uow.session, envelope)
        user = recorded.values
        if recorded.applied and not user["active"]:
            for certificate in repository.active_certificates_of(uow.session, user["user_id"]):
                SigningService._revoke(uow, certificate, "the user was deactivated in the directory", user["office"])

    @staticmethod
    def _record_office(uow, envelope):
        repository.DIRECTORY.record_event(uow.session, envelope)

    # --- housekeeping ---------------------------------------------------------------------------

    @timer(interval=3600)
    def refresh_revocation(self):
        """Reload the CRLs and revoke every registered certificate a CA has revoked since."""
        snapshot = self.trust.reload()
        revoked = 0
        with self.db.unit_of_work(actor="system") as uow:
            for certificate in repository.active_certificates(uow.session):
                revocation = snapshot.revocation(pki.parse_certificate(certificate.der))
                if revocation is not None:
                    self._revoke(uow, certificate, f"revoked by its CA: {revocation.reason}", self._office_of(uow.session, certificate.user_id))
                    revoked += 1
            uow.commit()
        return revoked

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _kind(kind):
        if kind not in domain.KINDS:
            raise DocumentNotFound(f"there are no documents of kind {kind!r}; use note or draft")
        return kind

    def _signature_timeout(self):
        return timedelta(seconds=int(self.config.get("SIGNATURE_TIMEOUT_SECONDS", 300)))

    @staticmethod
    def _document_answer(session, kind, document_id):
        """Read in the caller's transaction before it commits: a committed change answers without the database."""
        document, view, signatures = repository.document_view(session, kind, document_id)
        return document_out(document, view, signatures)

    def _certificate_for_registration(self, body):
        if body.source == domain.ESIGN:
            return pki.parse_certificate(body.certificate)
        token = self.token

        def read_token():
            return token.certificate(body.key_label), token.public_key(body.key_label)

        on_token, public_key = run_in_thread(read_token)
        if public_key is None:
            raise CertificateRefused(f"the token has no key labelled {body.key_label!r}", reason="key_not_on_token")
        if body.certificate is None and on_token is None:
            raise CertificateRefused(f"the token has no certificate labelled {body.key_label!r}", reason="certificate_not_on_token")
        certificate = pki.parse_certificate(body.certificate or on_token)
        if pki.key_type(certificate) != "rsa" or certificate.public_key().public_numbers() != public_key.public_numbers():
            raise CertificateRefused("the certificate does not belong to the key on the token", reason="certificate_mismatch")
        return certificate

    def _check_certificate_still_usable(self, certificate, office):
        """The certificate is checked again at each signature: it may have expired or been revoked."""
        facts = self.trust.facts(pki.parse_certificate(certificate.der))
        problem = domain.certificate_problem(facts, utcnow())
        if problem and problem[0] == "certificate_revoked":
            with self.db.unit_of_work() as uow:
                record = uow.session.get(Certificate, certificate.id)
                if record.status == domain.ACTIVE:
                    self._revoke(uow, record, f"revoked by its CA: {facts.revocation.reason}", office)
                    uow.commit()
        domain.ensure_usable(facts, utcnow())

    def _chain_of(self, certificate):
        issuer = self.trust.current().issuer_of(pki.parse_certificate(certificate.der))
        return (pki.der_of(issuer),) if issuer is not None else ()

    def _sign_with_token(self, base, details, certificate, chain):
        template = pades.template_for(certificate.der, chain)
        return pades.sign_with_token(base, details, self.token, certificate.key_label, template)

    def _sign_with_esign(self, base, details, certificate, signature, signer):
        if self.esign is None:
            raise SigningUnavailable("no eSign provider is configured", reason="esign_unavailable")
        prepared, output = run_in_thread(pades.prepare, base, details, certificate.der, pades.ESIGN_RESERVED_BYTES)
        cms_der = self.esign.sign_digest(ESignRequest(
            transaction_id=signature.id, signer=signature.signer, signer_name=signer.name_en,
            document_digest=prepared.document_digest, reason=signature.reason,
        ))
        if pki.fingerprint(pki.parse_certificate(signer_certificate_of(cms_der, prepared.document_digest))) != certificate.fingerprint_sha256:
            raise SigningFailed("the eSign provider signed with a certificate other than the one registered", reason="esign_certificate_mismatch")
        if len(cms_der) * 2 > pades.ESIGN_RESERVED_BYTES:
            raise SigningFailed("the eSign provider's signature is too large", reason="esign_bad_response")
        return run_in_thread(pades.embed, prepared, output, cms_der)

    def _rendering_input(self, session, document, signers):
        users = repository.users_by_id(session, signers)
        office = repository.office(session, document.office)
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
        )
        return content, lines

    def _mark_failed(self, uow, signature, document, reason):
        signature.status, signature.failure_reason = domain.FAILED, reason[:1000]
        uow.emit(SignatureFailed(**self._signature_base(signature, document), reason=reason[:1000]))

    @staticmethod
    def _signature_base(signature, document):
        return {
            "signature_id": signature.id, "document_kind": signature.document_kind, "document_id": signature.document_id,
            "file_id": signature.file_id, "signer": signature.signer, "office": document.office, "district": document.district,
        }

    @staticmethod
    def _revoke(uow, certificate, reason, office):
        certificate.status, certificate.revoked_at, certificate.revocation_reason = domain.REVOKED, utcnow(), reason
        uow.emit(CertificateRevoked(
            certificate_id=certificate.id, user_id=certificate.user_id, serial=certificate.serial, office=office or "", reason=reason,
        ))
        CERTIFICATES.labels(certificate.source, "revoked").inc()

    @staticmethod
    def _registrations(session, certificates):
        holders = repository.users_by_id(session, {c.user_id for c in certificates})
        registrations = []
        for certificate in certificates:
            registered = pki.parse_certificate(certificate.der)
            holder = holders.get(certificate.user_id)
            registrations.append(domain.Registration(certificate.id, certificate.user_id, domain.names_officer(
                pki.user_ids(registered), pki.emails(registered), certificate.user_id, holder.email if holder else None,
            )))
        return registrations

    @staticmethod
    def _office_of(session, user_id):
        user = session.get(User, user_id)
        return user.office if user else ""

    def _identify(self, session, checks):
        """Which registered certificate (so which user) made each signature."""
        known = repository.certificates_by_fingerprint(session, [c.fingerprint for c in checks if c.fingerprint])
        for check in checks:
            certificate = known.get(check.fingerprint)
            if certificate is not None:
                check.registered_user, check.registered_status = certificate.user_id, certificate.status

    def _uploaded_pdf(self, request):
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise BadRequest("send the PDF as the multipart field `file`", reason="file_missing")
            data = upload.read()
        elif request.mimetype in ("application/pdf", "application/octet-stream"):
            data = request.get_data()
        else:
            raise UnsupportedMediaType("send the PDF as application/pdf or multipart/form-data", reason="unsupported_request_type")
        self.documents.check(data, "the document")
        return data
