"""The files service's entrypoints: parse, authenticate, call one use case (usecases/), answer."""
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
from eoffice_common.metrics import Instrumentation
from eoffice_common.rpc import rpc
from eoffice_common.storage import DocumentStore
from eoffice_common.web import Caller, content_disposition, http, load_json, parse_json, query_args, require_caller

from . import directory
from .exceptions import DocumentsRequired
from .repository import FilesUnitOfWork
from .schemas import (
    ActionIn,
    ApproveIn,
    CommentIn,
    DocumentItemIn,
    DraftIn,
    DraftVersionIn,
    FileIn,
    HeadIn,
    IssueIn,
    ListQuery,
    NewPartIn,
    NewVolumeIn,
    NoteIn,
    OtherFileIn,
    PostingIn,
    RegisterQuery,
    SearchQuery,
    SendIn,
    TransferIn,
)
from .usecases import acting, correspondence, dispatches, drafts, files, movement, notes, relations
from .usecases.correspondence import AttachDocuments, GetDocument, ReceiptDestination
from .usecases.dispatches import DispatchRegister, RecordPosting
from .usecases.drafts import DraftCommand, IssueDraft, SignableDocument
from .usecases.files import AddHead, CreateFile, ListFiles, OpenPart, OpenVolume
from .usecases.movement import FileAction, FileCommand, SendFile, TransferFiles
from .usecases.notes import NoteCommand, WriteNote
from .usecases.relations import RelateFiles

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")


class FilesService(web.DescribedService):
    name = "files"
    openapi_path = OPENAPI_PATH

    db = Database()
    documents = DocumentStore("files/documents")
    caller = Caller()
    log = Instrumentation()
    config = Config()

    def _uow(self):
        return FilesUnitOfWork(self.db.unit_of_work())

    def _on(self, file_id):
        """The command naming the caller and the file of the route."""
        return FileCommand(require_caller(self.caller), file_id)

    # --- numbering heads ----------------------------------------------------------------------

    @http("GET", "/heads")
    def list_heads(self, request):
        return files.list_heads(require_caller(self.caller), self._uow())

    @http("POST", "/heads", idempotent=True)
    def add_head(self, request):
        """An admin adds a head to their office's SFS scheme."""
        principal = require_caller(self.caller)
        return files.add_head(AddHead(principal, parse_json(request, HeadIn).model_dump()), self._uow())

    # --- files, their volumes and parts --------------------------------------------------------

    @http("POST", "/files", idempotent=True)
    def create_file(self, request):
        """A new file: SFS (number generated from a head of the creator's office) or non-SFS (free-form)."""
        principal = require_caller(self.caller)
        return files.create_file(CreateFile(principal, **parse_json(request, FileIn).model_dump()), self._uow())

    @http("POST", "/files/<string:file_id>/volumes", idempotent=True)
    def open_volume(self, request, file_id):
        """The next volume of a file: the same number suffixed `/Vol.N`, a new computer number."""
        principal = require_caller(self.caller)
        return files.open_volume(OpenVolume(principal, file_id, **parse_json(request, NewVolumeIn).model_dump()), self._uow())

    @http("POST", "/files/<string:file_id>/parts", idempotent=True)
    def open_part(self, request, file_id):
        """A part file, to work on a matter while the main file is elsewhere: `<number>/Part.N`."""
        principal = require_caller(self.caller)
        return files.open_part(OpenPart(principal, file_id, **parse_json(request, NewPartIn).model_dump()), self._uow())

    # --- a part merged, files linked and attached -------------------------------------------------

    @http("POST", "/files/<string:file_id>/merge", idempotent=True)
    def merge_part(self, request, file_id):
        """Merge this part file into its main file (the custodian of both): its notes and correspondence move in."""
        return relations.merge_part(self._on(file_id), self._uow())

    @http("POST", "/files/<string:file_id>/links", idempotent=True)
    def link_file(self, request, file_id):
        """Link another file to this one for reference (this file's custodian); both stay independent."""
        principal = require_caller(self.caller)
        return relations.link_file(RelateFiles(principal, file_id, parse_json(request, OtherFileIn).file_id), self._uow())

    @http("DELETE", "/files/<string:file_id>/links/<string:other_file_id>")
    def unlink_file(self, request, file_id, other_file_id):
        return relations.unlink_file(RelateFiles(require_caller(self.caller), file_id, other_file_id), self._uow())

    @http("POST", "/files/<string:file_id>/attachments", idempotent=True)
    def attach_file(self, request, file_id):
        """Attach another file into this one (the custodian of both): it travels with this file until detached."""
        principal = require_caller(self.caller)
        return relations.attach_file(RelateFiles(principal, file_id, parse_json(request, OtherFileIn).file_id), self._uow())

    @http("DELETE", "/files/<string:file_id>/attachments/<string:other_file_id>")
    def detach_file(self, request, file_id, other_file_id):
        return relations.detach_file(RelateFiles(require_caller(self.caller), file_id, other_file_id), self._uow())

    @http("GET", "/files")
    def list_files(self, request):
        return files.list_files(ListFiles(require_caller(self.caller), query_args(request, ListQuery)), self._uow())

    @http("GET", "/files/search")
    def search_files(self, request):
        """Advanced search among the files the caller may open."""
        return files.search_files(ListFiles(require_caller(self.caller), query_args(request, SearchQuery)), self._uow())

    @http("GET", "/files/<string:file_id>")
    def get_file(self, request, file_id):
        return files.get_file(self._on(file_id), self._uow())

    @http("GET", "/files/<string:file_id>/movements")
    def list_movements(self, request, file_id):
        return files.list_movements(self._on(file_id), self._uow())

    # --- movement -------------------------------------------------------------------------------

    @http("POST", "/files/<string:file_id>/send", idempotent=True)
    def send(self, request, file_id):
        """Send the file to an officer (by default the sender's reporting officer), who becomes its custodian."""
        principal = require_caller(self.caller)
        return movement.send_file(SendFile(principal, file_id, **parse_json(request, SendIn).model_dump()), self._uow())

    @http("POST", "/files/<string:file_id>/return", idempotent=True)
    def return_file(self, request, file_id):
        return movement.return_file(self._action(request, file_id), self._uow())

    @http("POST", "/files/<string:file_id>/receive", idempotent=True)
    def receive(self, request, file_id):
        """A physical file reached its custodian's desk."""
        return movement.receive_file(self._on(file_id), self._uow())

    @http("POST", "/files/<string:file_id>/pull-back", idempotent=True)
    def pull_back(self, request, file_id):
        return movement.pull_back(self._on(file_id), self._uow())

    @http("POST", "/files/<string:file_id>/park", idempotent=True)
    def park(self, request, file_id):
        return movement.park_file(self._action(request, file_id), self._uow())

    @http("POST", "/files/<string:file_id>/unpark", idempotent=True)
    def unpark(self, request, file_id):
        return movement.unpark_file(self._action(request, file_id), self._uow())

    @http("POST", "/files/<string:file_id>/close", idempotent=True)
    def close(self, request, file_id):
        return movement.close_file(self._action(request, file_id), self._uow())

    @http("POST", "/files/<string:file_id>/reopen", idempotent=True)
    def reopen(self, request, file_id):
        return movement.reopen_file(self._action(request, file_id), self._uow())

    def _action(self, request, file_id):
        principal = require_caller(self.caller)
        return FileAction(principal, file_id, **parse_json(request, ActionIn).model_dump())

    @http("POST", "/transfers", idempotent=True)
    def transfer(self, request):
        """An admin hands every file an officer leaving a post holds or owns to the successor."""
        principal = require_caller(self.caller)
        return movement.transfer_files(TransferFiles(principal, **parse_json(request, TransferIn).model_dump()), self._uow())

    # --- noting -----------------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/notes")
    def list_notes(self, request, file_id):
        return notes.list_notes(self._on(file_id), self._uow())

    @http("POST", "/files/<string:file_id>/notes", idempotent=True)
    def add_note(self, request, file_id):
        principal = require_caller(self.caller)
        return notes.add_note(WriteNote(principal, file_id, **parse_json(request, NoteIn).model_dump()), self._uow())

    @http("PUT", "/files/<string:file_id>/notes/<string:note_id>")
    def edit_note(self, request, file_id, note_id):
        principal = require_caller(self.caller)
        return notes.edit_note(WriteNote(principal, file_id, note_id=note_id, **parse_json(request, NoteIn).model_dump()), self._uow())

    @http("DELETE", "/files/<string:file_id>/notes/<string:note_id>")
    def discard_note(self, request, file_id, note_id):
        return notes.discard_note(NoteCommand(require_caller(self.caller), file_id, note_id), self._uow())

    @http("POST", "/files/<string:file_id>/notes/<string:note_id>/confirm", idempotent=True)
    def confirm_note(self, request, file_id, note_id):
        return notes.confirm_note(NoteCommand(require_caller(self.caller), file_id, note_id), self._uow())

    # --- correspondence ---------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/correspondence")
    def list_correspondence(self, request, file_id):
        return correspondence.list_correspondence(self._on(file_id), self._uow())

    @http("POST", "/files/<string:file_id>/correspondence", upload=True, idempotent=True)
    def attach_documents(self, request, file_id):
        """Attach documents (multipart: `item` JSON and `documents` files) to the correspondence."""
        principal = require_caller(self.caller)
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType("send multipart/form-data with an `item` field and `documents` files", reason="unsupported_request_type")
        raw = request.form.get("item")
        if raw is None:
            raise BadRequest("send the item's fields as JSON in an 'item' form field", reason="item_field_missing")
        details = DocumentItemIn.model_validate(load_json(raw, "the 'item' field")).model_dump()
        uploads = [(f.filename, f.read()) for f in request.files.getlist("documents")]
        if not uploads:
            raise DocumentsRequired("attach at least one document", fields={"documents": "at least one document is required"})
        return correspondence.attach_documents(AttachDocuments(principal, file_id, details, uploads), self._uow, self.documents)

    @http("GET", "/files/<string:file_id>/correspondence/<string:item_id>/documents/<int:position>")
    def get_document(self, request, file_id, item_id, position):
        document = correspondence.get_document(GetDocument(require_caller(self.caller), file_id, item_id, position), self._uow())
        return Response(self.documents.get(document.key), mimetype=document.content_type,
                        headers={"Content-Disposition": content_disposition(document.filename or document.sha256)})

    # --- drafts for approval ------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/drafts")
    def list_drafts(self, request, file_id):
        return drafts.list_drafts(self._on(file_id), self._uow())

    @http("GET", "/files/<string:file_id>/drafts/<string:draft_id>")
    def get_draft(self, request, file_id, draft_id):
        return drafts.get_draft(DraftCommand(require_caller(self.caller), file_id, draft_id), self._uow())

    @http("GET", "/files/<string:file_id>/drafts/<string:draft_id>/versions/<int:version>")
    def get_draft_version(self, request, file_id, draft_id, version):
        return drafts.get_draft_version(DraftCommand(require_caller(self.caller), file_id, draft_id, version=version), self._uow())

    @http("POST", "/files/<string:file_id>/drafts", idempotent=True)
    def create_draft(self, request, file_id):
        principal = require_caller(self.caller)
        return drafts.create_draft(DraftCommand(principal, file_id, **parse_json(request, DraftIn).model_dump()), self._uow())

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/versions", idempotent=True)
    def revise_draft(self, request, file_id, draft_id):
        """Every edit is a new version; the earlier ones stay readable."""
        principal = require_caller(self.caller)
        command = DraftCommand(principal, file_id, draft_id, **parse_json(request, DraftVersionIn).model_dump())
        return drafts.revise_draft(command, self._uow())

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/comments", idempotent=True)
    def comment_on_draft(self, request, file_id, draft_id):
        principal = require_caller(self.caller)
        return drafts.comment_on_draft(DraftCommand(principal, file_id, draft_id, **parse_json(request, CommentIn).model_dump()), self._uow())

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/approve", idempotent=True)
    def approve_draft(self, request, file_id, draft_id):
        """An officer holding the file approves the draft's latest version (or the `version` named)."""
        principal = require_caller(self.caller)
        return drafts.approve_draft(DraftCommand(principal, file_id, draft_id, **parse_json(request, ApproveIn).model_dump()), self._uow())

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/issue", idempotent=True)
    def issue_draft(self, request, file_id, draft_id):
        """Issued & Sent (email) or Issued & Dispatched (post), under an issue number of the office."""
        principal = require_caller(self.caller)
        return drafts.issue_draft(IssueDraft(principal, file_id, draft_id, **parse_json(request, IssueIn).model_dump(exclude_none=True)), self._uow())

    @http("POST", "/dispatches/<string:dispatch_id>/posted", idempotent=True)
    def record_posting(self, request, dispatch_id):
        """The dispatch section records a letter by post as it leaves: postal mode and article number."""
        principal = require_caller(self.caller)
        posting = parse_json(request, PostingIn)
        return dispatches.record_posting(RecordPosting(principal, dispatch_id, posting.postal_mode, posting.article_number), self._uow())

    @http("GET", "/dispatch-register")
    def dispatch_register(self, request):
        """Every addressee of the letters issued in the caller's office: issue number, date, mode, addressee,
        status (received, opened, delivered, bounced, posted), receipt number or article number, file."""
        principal = require_caller(self.caller)
        return dispatches.dispatch_register(DispatchRegister(principal, query_args(request, RegisterQuery)), self._uow())

    # --- audit ------------------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/audit")
    def audit_log(self, request, file_id):
        return correspondence.audit_log(self._on(file_id), self._uow())

    @http("GET", "/files/<string:file_id>/audit/verify")
    def verify_audit(self, request, file_id):
        """Recompute the hash chain; report the first entry that does not hold."""
        return correspondence.verify_audit(self._on(file_id), self._uow())

    # --- RPC --------------------------------------------------------------------------------------

    @rpc
    def document_for_signing(self, document_kind, document_id):
        """A green note's text or an approved draft's content with its sha256, for the calling user
        (propagated from their HTTP request) to sign."""
        command = SignableDocument(require_caller(self.caller), document_kind, document_id)
        return drafts.document_for_signing(command, self._uow())

    @rpc
    def receipt_destination(self, file_id):
        """Whether the calling user may put a receipt in the file now (dak asks before it commits)."""
        return correspondence.receipt_destination(ReceiptDestination(require_caller(self.caller), file_id), self._uow())

    # --- consumed events --------------------------------------------------------------------------

    @consume_events({"dak": ("office_recorded",)})
    def on_office_recorded(self, payload):
        self.db.apply_once(payload, directory.record_event)

    @consume_events({"dak": ("user_recorded",)})
    def on_user_recorded(self, payload):
        self.db.apply_once(payload, directory.record_event)

    @consume_events({"dak": ("receipt_put_in_file",)})
    def on_receipt_put_in_file(self, payload):
        self.db.apply_once(payload, lambda uow, envelope: correspondence.link_receipt(envelope, FilesUnitOfWork.within(uow), self.documents))

    @consume_events({"dak": ("acting_charge_set", "acting_charge_ended")})
    def on_acting_charge(self, payload):
        self.db.apply_once(payload, lambda uow, envelope: acting.record_acting_charge(envelope, FilesUnitOfWork.within(uow)))

    @consume_events({"dak": ("letter_received", "letter_opened"), "notify": ("letter_emailed",)})
    def on_dispatch_news(self, payload):
        self.db.apply_once(payload, lambda uow, envelope: dispatches.record_dispatch_news(envelope, FilesUnitOfWork.within(uow)))

    @consume_events({"signing": ("document_signed",)})
    def on_document_signed(self, payload):
        self.db.apply_once(payload, lambda uow, envelope: drafts.record_signature(envelope, FilesUnitOfWork.within(uow)))

    # --- housekeeping -------------------------------------------------------------------------------

    @timer(interval=3600)
    def sweep_orphan_documents(self):
        """Remove documents that reached S3 but whose attachment never committed (after a grace period)."""
        grace = timedelta(seconds=int(self.config.get("ORPHAN_DOCUMENT_GRACE_SECONDS", 3600)))
        removed = correspondence.sweep_orphan_documents(self._uow(), self.documents, grace)
        self.log.info("orphan_documents_swept", removed=removed)
        return removed
