"""The signing service's entrypoints: parse, authorise, call one use case (usecases.py), answer."""
import os
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.timer import timer
from werkzeug.wrappers import Response

# The mixin is reached through its module: `nameko run` takes every class with entrypoints
# in this module's namespace for a service.
from eoffice_common import web
from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.errors import BadRequest, UnsupportedMediaType
from eoffice_common.liveness import liveness
from eoffice_common.metrics import Instrumentation
from eoffice_common.storage import DocumentStore
from eoffice_common.web import Caller, http, parse_json, require_caller

from . import domain, repository, usecases
from .engine import SigningEngine
from .esign import ESign
from .exceptions import DocumentNotFound
from .pki import Trust
from .repository import SigningUnitOfWork
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
from .threads import running_job_seconds
from .token import Token

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")


def document_answer(state):
    return document_out(state.document, state.view, state.signatures)


def verification_answer(verification):
    return verification_out(verification.verdict, verification.verified, verification.document)


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
        caller = self._caller()
        body = parse_json(request, CertificateIn)
        engine = self._engine()
        certificate = engine.certificate_to_register(body.source, body.key_label, body.certificate)
        now = usecases.utcnow()
        command = usecases.RegisterCertificate(
            caller, body.source, body.key_label if body.source == domain.DSC else None, certificate,
            engine.facts(certificate, now), now)
        uow = self._unit_of_work(lambda record: (201, certificate_out(record)))
        usecases.register_certificate(command, uow)
        return uow.answer

    @http("GET", "/certificates")
    def list_certificates(self, request):
        certificates = usecases.certificates_of(self._caller(), self._unit_of_work())
        return {"certificates": [certificate_out(c) for c in certificates]}

    @http("GET", "/office/certificates")
    def list_office_certificates(self, request):
        """An admin's list of their office's certificates, to revoke one."""
        certificates = usecases.office_certificates(self._caller(), self._unit_of_work())
        return {"certificates": [certificate_out(c) for c in certificates]}

    @http("GET", "/certificates/<string:certificate_id>")
    def get_certificate(self, request, certificate_id):
        return certificate_out(usecases.certificate_of(self._caller(), certificate_id, self._unit_of_work()))

    @http("POST", "/certificates/<string:certificate_id>/revoke", idempotent=True)
    def revoke_certificate(self, request, certificate_id):
        """The holder (or an admin) withdraws a certificate, e.g. a lost token: it signs nothing more."""
        caller = self._caller()
        body = parse_json(request, RevokeIn)
        uow = self._unit_of_work(certificate_out)
        usecases.revoke_certificate(usecases.RevokeCertificate(caller, certificate_id, body.reason, usecases.utcnow()), uow)
        return uow.answer

    # --- documents ------------------------------------------------------------------------------

    @http("GET", "/documents/<string:kind>/<string:document_id>")
    def get_document(self, request, kind, document_id):
        query = usecases.OnDocument(self._caller(), self._kind(kind), document_id)
        return document_answer(usecases.document_of(query, self._unit_of_work()))

    @http("PUT", "/documents/<string:kind>/<string:document_id>/signers")
    def set_signers(self, request, kind, document_id):
        """The owner names who signs, in order (e.g. the members under minutes of a meeting)."""
        caller = self._caller()
        body = parse_json(request, SignersIn)
        command = usecases.SetSigners(caller, self._kind(kind), document_id, body.signers, usecases.utcnow(),
                                      self._signature_timeout())
        uow = self._unit_of_work(document_answer)
        usecases.set_signers(command, uow)
        return uow.answer

    @http("GET", "/documents/<string:kind>/<string:document_id>/pdf")
    def get_pdf(self, request, kind, document_id):
        """The latest signed PDF, or a preview of the rendering while nobody has signed."""
        query = usecases.OnDocument(self._caller(), self._kind(kind), document_id)
        data, signed = usecases.document_pdf(query, self._unit_of_work(), self._engine())
        filename = f"{query.kind}-{document_id}{'-signed' if signed else '-preview'}.pdf"
        return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})

    # --- signing --------------------------------------------------------------------------------

    @http("POST", "/documents/<string:kind>/<string:document_id>/signatures")
    def sign(self, request, kind, document_id):
        """Sign a green note or approved draft with the caller's DSC (on the token) or through eSign."""
        caller = self._caller()
        sign_in = parse_json(request, SignIn)
        command = usecases.SignDocument(caller, self._kind(kind), document_id, sign_in.method, sign_in.reason,
                                        sign_in.location, self._signature_timeout())
        signature = usecases.sign(command, self._unit_of_work(), self._engine())
        return 201, signature_out(signature)

    @http("GET", "/signatures/<string:signature_id>")
    def get_signature(self, request, signature_id):
        return signature_out(usecases.signature_of(self._caller(), signature_id, self._unit_of_work()))

    # --- verification ---------------------------------------------------------------------------

    @http("POST", "/verify", upload=True)
    def verify_upload(self, request):
        """Verify any PDF: the raw body (application/pdf) or a multipart `file`."""
        caller = self._caller()
        command = usecases.VerifyPdf(caller, self._uploaded_pdf(request))
        return verification_answer(usecases.verify_pdf(command, self._unit_of_work(), self._engine()))

    @http("GET", "/documents/<string:kind>/<string:document_id>/verification")
    def verify_document(self, request, kind, document_id):
        """Verify the document's signed PDF against what this service recorded: each signature in
        order by the expected signer and certificate, and the content still what was signed."""
        query = usecases.OnDocument(self._caller(), self._kind(kind), document_id)
        return verification_answer(usecases.verify_document(query, self._unit_of_work(), self._engine()))

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
        command = usecases.RecordDocument(domain.NOTE, data.note_id, data.author, data.text, data.subject, None, data,
                                          usecases.utcnow())
        usecases.record_document(command, SigningUnitOfWork.over(uow))

    @staticmethod
    def _record_draft(uow, envelope):
        data = DraftApprovedData.model_validate(envelope.data)
        command = usecases.RecordDocument(domain.DRAFT, data.draft_id, data.approver, data.content, data.subject,
                                          data.version, data, usecases.utcnow())
        usecases.record_document(command, SigningUnitOfWork.over(uow))

    @staticmethod
    def _record_user(uow, envelope):
        """Keep dak's user; a user it deactivates signs nothing more: each registration ends."""
        recorded = repository.DIRECTORY.record_event(uow.session, envelope)
        user = recorded.values
        if recorded.applied and not user["active"]:
            usecases.end_registrations_of(user["user_id"], user["office"], SigningUnitOfWork.over(uow))

    @staticmethod
    def _record_office(uow, envelope):
        repository.DIRECTORY.record_event(uow.session, envelope)

    # --- housekeeping ---------------------------------------------------------------------------

    @timer(interval=3600)
    def refresh_revocation(self):
        """Reload the CRLs and revoke every registered certificate a CA has revoked since."""
        revocation_of = self._engine().revocations()
        uow = SigningUnitOfWork(lambda: self.db.unit_of_work(actor="system"))
        return usecases.revoke_withdrawn_certificates(revocation_of, usecases.utcnow(), uow)

    # --- helpers ------------------------------------------------------------------------------

    def _caller(self):
        principal = require_caller(self.caller)
        return usecases.Caller(principal.user_id, principal.office, principal.has_role("admin"))

    def _unit_of_work(self, present=None):
        return SigningUnitOfWork(self.db.unit_of_work, present)

    def _engine(self):
        return SigningEngine(self.token, self.trust, self.esign, self.documents)

    @staticmethod
    def _kind(kind):
        if kind not in domain.KINDS:
            raise DocumentNotFound(f"there are no documents of kind {kind!r}; use note or draft")
        return kind

    def _signature_timeout(self):
        return timedelta(seconds=int(self.config.get("SIGNATURE_TIMEOUT_SECONDS", 300)))

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
