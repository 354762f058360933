"""The dak service's entrypoints: parse, authorise, call one use case (usecases.py), answer."""
import json
import os
import re
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import eventlet
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError, UnknownService
from nameko.timer import timer
from prometheus_client import Counter
from pydantic import ValidationError
from werkzeug.wrappers import Response

# The mixin is reached through its module: `nameko run` takes every class with entrypoints
# in this module's namespace for a service.
from eoffice_common import web
from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.errors import (
    BadRequest,
    InvalidInput,
    UnsupportedMediaType,
    invalid_input_from_pydantic,
)
from eoffice_common.metrics import Instrumentation
from eoffice_common.rpc import RpcProxy, rpc
from eoffice_common.storage import DocumentStore
from eoffice_common.web import (
    Caller,
    content_disposition,
    http,
    load_json,
    parse_json,
    query_args,
    refuse_nul,
    require_caller,
)

from . import acting_usecases, commands, directory_usecases, domain, usecases
from .directory import office_recorded, user_recorded
from .email_intake import parse_email
from .exceptions import FILE_REFUSALS, CorrespondentNotFound, FilesUnavailable, NotAllowed, ReceiptNotFound
from .repository import DakUnitOfWork, Reading
from .schemas import (
    DIRECTORY_KEY,
    AcknowledgementSettingIn,
    ActingChargeIn,
    BatchIn,
    CloseIn,
    CorrespondentIn,
    CorrespondentQuery,
    DirectoryQuery,
    ListQuery,
    OfficeIn,
    PutInFileIn,
    ReceiptIn,
    ReplyIn,
    SectionIn,
    SendIn,
    UserIn,
    UserSearchQuery,
    acting_charge_out,
    correspondent_out,
    diarisation_out,
    office_admin_out,
    receipt_answer,
    receipt_summary,
    user_admin_out,
    user_out,
)

RECEIPTS_DIARISED = Counter("eoffice_dak_receipts_diarised_total", "Receipts diarised.", ["kind", "channel"])
RECEIPT_ACTIONS = Counter("eoffice_dak_receipt_actions_total", "Actions taken on receipts.", ["action"])
SCAN_BYTES = Counter("eoffice_dak_scan_bytes_total", "Bytes of scans accepted.")
DUPLICATE_WARNINGS = Counter("eoffice_dak_duplicate_warnings_total", "Diarisations that matched an earlier letter.")

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")


def utcnow():
    return datetime.now(timezone.utc)


def _directory_key(value, max_length, field):
    """An office or section code or a user id from the URL, in the directory's form."""
    if len(value) > max_length or not re.match(DIRECTORY_KEY, value):
        raise InvalidInput(f"{field} is letters, digits, dots, hyphens and underscores, at most {max_length}",
                           fields={field: "invalid_directory_key"})
    return value


def _correspondent_id(value):
    """An address book entry's id from the URL; what cannot be one names no entry."""
    if not value.isascii() or not value.isdigit() or int(value) > 2**31 - 1:
        raise CorrespondentNotFound(f"correspondent {value[:40]} is not in the office's address book")
    return int(value)


# What files' answer to an RPC means it was away, not that it refused: its database out of reach (an
# OperationalError there), or its process going. Anything else it raises is a fault (500).
FILES_OUTAGES = {"OperationalError", "ContainerBeingKilled"}


class DakService(web.DescribedService):
    name = "dak"
    openapi_path = OPENAPI_PATH

    db = Database()
    documents = DocumentStore("dak/scans")
    caller = Caller()
    files_rpc = RpcProxy("files")
    log = Instrumentation()
    config = Config()

    # --- diarisation ---------------------------------------------------------------------------

    @http("POST", "/receipts", upload=True, idempotent=True)
    def diarise(self, request):
        """commands.Diarise one receipt (JSON, or multipart with a `receipt` JSON field and `scans` files).
        With a `send` block it is Generate & Send."""
        principal = require_caller(self.caller)
        data, uploads = self._receipt_request(request)
        receipt_in = ReceiptIn.model_validate(data)
        command = commands.Diarise(principal.user_id, receipt_in.letter(), self._store_scans(uploads), "form",
                                   receipt_in.send.dispatch() if receipt_in.send else None, receipt_in.acknowledge)
        with self._unit_of_work(lambda diarisation: (201, diarisation_out(diarisation))) as uow:
            self._count_diarised([usecases.diarise(command, uow)], "form")
        return uow.answer

    @http("POST", "/receipts/batch", idempotent=True)
    def diarise_batch(self, request):
        """Generate & Copy: several letters sharing metadata, all numbered in one transaction."""
        principal = require_caller(self.caller)
        batch = parse_json(request, BatchIn)
        letters, acknowledge, errors = [], [], {}
        for index, data in enumerate(batch.receipts()):
            data.setdefault("kind", "physical")
            try:
                receipt_in = ReceiptIn.model_validate(data)
                letters.append(receipt_in.letter())
                acknowledge.append(receipt_in.acknowledge)
            except ValidationError as exc:
                for path, reason in invalid_input_from_pydantic(exc).fields.items():
                    errors[f"letters.{index}.{path}"] = reason
        if errors:
            raise InvalidInput("some letters are not valid", fields=errors)

        def present(diarisations):
            answers = [diarisation_out(d) for d in diarisations]
            return 201, {"receipts": [a["receipt"] for a in answers], "warnings": [w for a in answers for w in a["warnings"]]}

        with self._unit_of_work(present) as uow:
            self._count_diarised(usecases.diarise_batch(commands.DiariseBatch(principal.user_id, letters, acknowledge), uow), "batch")
        return uow.answer

    @http("POST", "/receipts/email", upload=True, idempotent=True)
    def diarise_email(self, request):
        """Email diarisation: the body is a raw RFC 822 message (.eml)."""
        principal = require_caller(self.caller)
        if request.mimetype not in ("message/rfc822", "application/octet-stream"):
            raise UnsupportedMediaType("send the raw message as message/rfc822", reason="expected_rfc822")
        fields, body, attachments = parse_email(request.get_data())
        receipt_in = ReceiptIn.model_validate(fields)
        accepted, skipped = [], []
        for filename, data in attachments:
            try:
                self.documents.check(data, filename)
                accepted.append((filename, data))
            except UnsupportedMediaType:
                skipped.append({"code": "attachment_skipped", "filename": filename, "message": "not a PDF, JPEG, PNG or TIFF"})
        command = commands.Diarise(principal.user_id, receipt_in.letter(body_text=body), self._store_scans(accepted), "email",
                                   acknowledge=receipt_in.acknowledge)
        with self._unit_of_work(lambda diarisation: (201, diarisation_out(diarisation, skipped))) as uow:
            self._count_diarised([usecases.diarise(command, uow)], "email")
        return uow.answer

    # --- lists and views -----------------------------------------------------------------------

    @http("GET", "/receipts")
    def list_receipts(self, request):
        principal = require_caller(self.caller)
        query = query_args(request, ListQuery)
        with self._reading() as uow:
            rows, total = usecases.receipts_of(principal.user_id, principal.office, query, uow)
        return {"box": query.box, "page": query.page, "per_page": query.per_page, "total": total,
                "receipts": [receipt_summary(r) for r in rows]}

    @http("GET", "/receipts/<string:receipt_id>")
    def get_receipt(self, request, receipt_id):
        principal = require_caller(self.caller)
        with self._unit_of_work() as uow:
            receipt = usecases.open_receipt(commands.OnReceipt(receipt_id, principal.user_id, principal.office), uow)
        return receipt_answer(receipt)

    @http("GET", "/receipts/<string:receipt_id>/scans/<int:position>")
    def get_scan(self, request, receipt_id, position):
        principal = require_caller(self.caller)
        with self._reading() as uow:
            receipt = usecases.receipt_for(commands.OnReceipt(receipt_id, principal.user_id, principal.office), uow)
        scan = next((s for s in receipt.scans if s.position == position), None)
        if scan is None:
            raise ReceiptNotFound(f"receipt {receipt_id} has no scan {position}", reason="scan_not_found")
        data = self.documents.get(scan.key)
        return Response(data, mimetype=scan.content_type, headers={"Content-Disposition": content_disposition(scan.filename or scan.sha256)})

    # --- actions of the holder -----------------------------------------------------------------

    @http("POST", "/receipts/<string:receipt_id>/receive", idempotent=True)
    def receive(self, request, receipt_id):
        principal = require_caller(self.caller)
        return self._act(usecases.receive, commands.OnReceipt(receipt_id, principal.user_id, principal.office), "receive")

    @http("POST", "/receipts/<string:receipt_id>/send", idempotent=True)
    def send(self, request, receipt_id):
        principal = require_caller(self.caller)
        dispatch = parse_json(request, SendIn).dispatch()
        return self._act(usecases.send, commands.SendReceipt(receipt_id, principal.user_id, principal.office, dispatch), "send")

    @http("POST", "/receipts/<string:receipt_id>/reply", idempotent=True)
    def reply(self, request, receipt_id):
        """Send the receipt back to whoever sent it to the holder."""
        principal = require_caller(self.caller)
        remarks = parse_json(request, ReplyIn).remarks
        return self._act(usecases.reply, commands.ReplyToReceipt(receipt_id, principal.user_id, principal.office, remarks), "reply")

    @http("POST", "/receipts/<string:receipt_id>/pull-back", idempotent=True)
    def pull_back(self, request, receipt_id):
        """Whoever sent the receipt takes it back, until its recipient opens it (409 once they have)."""
        principal = require_caller(self.caller)
        return self._act(usecases.pull_back, commands.PullBack(receipt_id, principal.user_id, principal.office), "pull_back")

    @http("POST", "/receipts/<string:receipt_id>/put-in-file", idempotent=True)
    def put_in_file(self, request, receipt_id):
        """The holder puts the receipt in a file, once files has said it may go there: a refusal
        leaves it with the holder, open."""
        principal = require_caller(self.caller)
        command = commands.PutReceiptInFile(receipt_id, principal.user_id, principal.office, parse_json(request, PutInFileIn).file_id)
        return self._act(lambda command, uow: usecases.put_in_file(command, uow, self), command, "put_in_file")

    @http("POST", "/receipts/<string:receipt_id>/close", idempotent=True)
    def close(self, request, receipt_id):
        principal = require_caller(self.caller)
        remarks = parse_json(request, CloseIn).remarks
        return self._act(usecases.close, commands.CloseReceipt(receipt_id, principal.user_id, principal.office, remarks), "close")

    @http("POST", "/receipts/<string:receipt_id>/copy", idempotent=True)
    def copy(self, request, receipt_id):
        """A new receipt (new number) with the same letter and scans, held by the caller."""
        principal = require_caller(self.caller)
        with self._unit_of_work(lambda diarisation: (201, diarisation_out(diarisation))) as uow:
            self._count_diarised([usecases.copy_receipt(commands.OnReceipt(receipt_id, principal.user_id, principal.office), uow)], "copy")
        RECEIPT_ACTIONS.labels("copy").inc()
        return uow.answer

    # --- directory -----------------------------------------------------------------------------

    @http("GET", "/directory/users")
    def find_users(self, request):
        """Find officers by name or designation (English or Hindi), e.g. for the Send dialog."""
        principal = require_caller(self.caller)
        query = query_args(request, UserSearchQuery)
        with self._reading() as uow:
            users, away = usecases.users_found(query.q, query.office, query.limit, uow)
            return {"users": [self._user_for(principal, u, away.get(u.id)) for u in users]}

    @http("GET", "/directory/users/<string:user_id>")
    def get_user(self, request, user_id):
        principal = require_caller(self.caller)
        with self._reading() as uow:
            return self._user_for(principal, *usecases.user_of(user_id, uow))

    # --- an admin's edits of the directory (published as office_recorded / user_recorded) --------

    @http("GET", "/directory/admin")
    def directory_kept(self, request):
        """The offices, sections and users (active or not) an admin keeps: their district's, or all for a state admin."""
        principal = require_caller(self.caller)
        query = query_args(request, DirectoryQuery)
        with self._reading() as uow:
            admin, offices, users = directory_usecases.directory_kept_by(principal.user_id, query.office, uow)
            return {"district": None if admin.keeps_the_state else admin.district, "state_admin": admin.keeps_the_state,
                    "offices": [office_admin_out(office, sections) for office, sections in offices],
                    "users": [user_admin_out(user) for user in users]}

    @http("PUT", "/directory/offices/<string:code>")
    def record_office(self, request, code):
        return self._edit_directory(request, OfficeIn, lambda by, fields: commands.RecordOffice(
            by, _directory_key(code, 32, "code"), **fields), directory_usecases.record_office)

    @http("PUT", "/directory/sections/<string:code>")
    def record_section(self, request, code):
        return self._edit_directory(request, SectionIn, lambda by, fields: commands.RecordSection(
            by, _directory_key(code, 48, "code"), **fields), directory_usecases.record_section)

    @http("PUT", "/directory/users/<string:user_id>")
    def record_user(self, request, user_id):
        return self._edit_directory(request, UserIn, lambda by, fields: commands.RecordUser(
            by, _directory_key(user_id, 64, "user_id"), **fields), directory_usecases.record_user)

    def _edit_directory(self, request, schema, command_of, use_case):
        """An admin's edit of one office, section or user, answered with the entry as recorded."""
        principal = require_caller(self.caller)
        command = command_of(principal.user_id, parse_json(request, schema).model_dump())
        with self._unit_of_work(lambda recorded: recorded.data()) as uow:
            use_case(command, uow)
        return uow.answer

    @http("POST", "/directory/users/<string:user_id>/deactivate", idempotent=True)
    def deactivate_user(self, request, user_id):
        principal = require_caller(self.caller)
        with self._unit_of_work(lambda recorded: recorded.data()) as uow:
            directory_usecases.deactivate_user(commands.DeactivateUser(principal.user_id, user_id), uow)
        return uow.answer

    # --- the address book and acknowledgements --------------------------------------------------

    @http("GET", "/address-book")
    def address_book(self, request):
        """The office's outside correspondents, most written-from first, found by name, organisation or email."""
        principal = require_caller(self.caller)
        query = query_args(request, CorrespondentQuery)
        with self._reading() as uow:
            entries = usecases.correspondents_of(principal.office, query.q, query.limit, uow)
            return {"office": principal.office, "correspondents": [correspondent_out(e) for e in entries]}

    @http("POST", "/address-book", idempotent=True)
    def add_correspondent(self, request):
        """A clerk or officer writes a correspondent into their office's address book by hand."""
        principal = require_caller(self.caller)
        command = commands.AddCorrespondent(principal.user_id, parse_json(request, CorrespondentIn).entry())
        with self._unit_of_work(lambda entry: (201, correspondent_out(entry))) as uow:
            usecases.add_correspondent(command, uow)
        return uow.answer

    @http("PUT", "/address-book/<string:correspondent_id>")
    def edit_correspondent(self, request, correspondent_id):
        """A clerk or officer corrects an entry of their office's address book."""
        principal = require_caller(self.caller)
        command = commands.EditCorrespondent(principal.user_id, _correspondent_id(correspondent_id),
                                             parse_json(request, CorrespondentIn).entry())
        with self._unit_of_work(correspondent_out) as uow:
            usecases.edit_correspondent(command, uow)
        return uow.answer

    @http("GET", "/acknowledgements/setting")
    def acknowledgement_setting(self, request):
        """Whether the caller's office acknowledges diarised letters to their senders, and whether the caller may change it."""
        principal = require_caller(self.caller)
        with self._reading() as uow:
            setting = usecases.acknowledgement_setting(principal.office, uow)
        return {**setting, "may_change": principal.has_role("admin")}

    @http("PUT", "/acknowledgements/setting")
    def set_acknowledgement_setting(self, request):
        """An admin turns the office's acknowledgement of diarised letters to their senders on or off."""
        principal = require_caller(self.caller)
        setting_in = parse_json(request, AcknowledgementSettingIn)
        if not principal.has_role("admin"):
            raise NotAllowed("only an admin of the office changes its acknowledgements")
        with self._unit_of_work() as uow:
            usecases.set_acknowledgements(commands.SetAcknowledgements(principal.office, setting_in.enabled), uow)
        return uow.answer

    # --- leave and acting charge ----------------------------------------------------------------

    @http("POST", "/acting-charges", idempotent=True)
    def set_acting_charge(self, request):
        """An officer (or their office's admin) names who holds charge while they are away."""
        principal = require_caller(self.caller)
        charge_in = parse_json(request, ActingChargeIn)
        command = acting_usecases.SetActingCharge(
            by=principal.user_id, absent_user=charge_in.absent_user or principal.user_id, acting_user=charge_in.acting_user,
            from_date=charge_in.from_date, to_date=charge_in.to_date, reason=charge_in.reason, hand_over=charge_in.hand_over,
        )
        with self._unit_of_work(lambda charge: (201, self._charge_answer(uow, charge))) as uow:
            acting_usecases.set_acting_charge(command, uow)
        return uow.answer

    @http("POST", "/acting-charges/<string:charge_id>/end", idempotent=True)
    def end_acting_charge(self, request, charge_id):
        principal = require_caller(self.caller)
        with self._unit_of_work(lambda charge: self._charge_answer(uow, charge)) as uow:
            acting_usecases.end_acting_charge(acting_usecases.EndActingCharge(principal.user_id, charge_id), uow)
        return uow.answer

    @http("GET", "/acting-charges")
    def list_acting_charges(self, request):
        """Who acts for whom, today and to come, in the caller's office or involving the caller."""
        principal = require_caller(self.caller)
        today = domain.today_ist()
        with self._reading() as uow:
            rows = acting_usecases.charges_around(principal.user_id, principal.office, today, uow)
            return {"today": today, "charges": [acting_charge_out(charge, absent, acting, today) for charge, absent, acting in rows]}

    @staticmethod
    def _charge_answer(uow, charge):
        """The answer about a charge, read in its use case's transaction before it commits."""
        directory = uow.directory
        return acting_charge_out(charge, directory.person(charge.absent_user), directory.person(charge.acting_user), domain.today_ist())

    @rpc
    def user(self, user_id):
        with self._reading() as uow:
            return user_out(uow.directory.user(user_id))

    @rpc
    def directory_snapshot(self):
        """Every office and user as their office_recorded / user_recorded data, as of `taken_at`, for
        a consumer building its copy of the directory from scratch (eoffice_common.directory)."""
        taken_at = utcnow()
        with self.db.read() as session:
            offices, users = DakUnitOfWork(Reading(session)).directory.offices_and_users()
            district_of = {office.code: office.district_code for office in offices}
            return {
                "taken_at": taken_at.isoformat(),
                "offices": [office_recorded(session, office).data() for office in offices],
                "users": [user_recorded(user, district_of[user.office_code]).data() for user in users],
            }

    @rpc
    def receipt(self, receipt_id):
        """A receipt as its caller (propagated from the HTTP request) may see it."""
        principal = require_caller(self.caller)
        with self._reading() as uow:
            receipt = usecases.receipt_for(commands.OnReceipt(receipt_id, principal.user_id, principal.office), uow)
        return json.loads(json.dumps(receipt_answer(receipt), default=str))

    # --- consumed events -----------------------------------------------------------------------

    @consume_events({"files": ("file_transferred",)})
    def transfer_receipts(self, payload):
        """An admin handed an officer's files to a successor: the receipts they hold follow."""
        self.db.apply_once(payload, self._transfer_receipts)

    @staticmethod
    def _transfer_receipts(uow, envelope):
        data = envelope.data
        moved = usecases.transfer_receipts(commands.TransferReceipts(data["from_user"], data["to_user"], data["by_user"]), DakUnitOfWork(uow))
        RECEIPT_ACTIONS.labels("transfer").inc(moved)

    @consume_events({"files": ("part_file_merged",)})
    def follow_merged_files(self, payload):
        """A part file was merged into its main file: the receipts in the part point at the main file."""
        self.db.apply_once(payload, self._follow_merged_file)

    @staticmethod
    def _follow_merged_file(uow, envelope):
        data = envelope.data
        usecases.follow_merged_file(commands.FollowMergedFile(data["part_file_id"], data["file_id"]), DakUnitOfWork(uow))

    @consume_events({"files": ("draft_issued",)})
    def receive_issued_letters(self, payload):
        """A letter issued in an office of the deployment: a receipt in each addressee office."""
        self.db.apply_once(payload, lambda uow, envelope: usecases.receive_issued_letter(envelope, DakUnitOfWork(uow), self.documents))

    # --- housekeeping --------------------------------------------------------------------------

    @timer(interval=3600)
    def sweep_orphan_scans(self):
        """Remove scans that reached S3 but whose receipt never committed (after a grace period)."""
        with self._reading() as uow:
            referenced = usecases.referenced_scan_keys(uow)
        grace = timedelta(seconds=int(self.config.get("ORPHAN_SCAN_GRACE_SECONDS", 3600)))
        removed = 0
        for key in self.documents.unreferenced(referenced, grace):
            self.documents.delete(key)
            removed += 1
        self.log.info("orphan_scans_swept", removed=removed)
        return removed

    # --- helpers -------------------------------------------------------------------------------

    @contextmanager
    def _unit_of_work(self, present=None):
        with self.db.unit_of_work() as uow:
            yield DakUnitOfWork(uow, present)

    @contextmanager
    def _reading(self):
        with self.db.read() as session:
            yield DakUnitOfWork(Reading(session))

    def _act(self, use_case, command, action):
        """Run an action of a receipt's holder; answers with the receipt as the action left it."""
        with self._unit_of_work(receipt_answer) as uow:
            use_case(command, uow)
        RECEIPT_ACTIONS.labels(action).inc()
        return uow.answer

    def ensure_takes_receipt(self, file_id):
        """Ask files, as the caller (the principal travels with the call), whether the receipt may go
        in the file (usecases.FileDestinations)."""
        try:
            with eventlet.Timeout(float(self.config.get("FILES_RPC_TIMEOUT_SECONDS", 10))):
                answer = self.files_rpc.receipt_destination(file_id)
        except (eventlet.Timeout, UnknownService, OSError, KombuOperationalError):  # files or the broker is away
            raise FilesUnavailable("the files service did not answer; the receipt stays with you") from None
        except RemoteError as exc:
            if exc.exc_type not in FILES_OUTAGES:
                raise
            raise FilesUnavailable("the files service could not answer; the receipt stays with you") from None
        refusal = answer["refusal"]
        if refusal:
            raise FILE_REFUSALS[refusal["reason"]](refusal["message"])

    @staticmethod
    def _count_diarised(diarisations, channel):
        for diarisation in diarisations:
            RECEIPTS_DIARISED.labels(diarisation.receipt.kind, channel).inc()
            if diarisation.receipt.movements:
                RECEIPT_ACTIONS.labels("send").inc()
            if diarisation.duplicates:
                DUPLICATE_WARNINGS.inc()

    def _user_for(self, principal, user, acting_user):
        """A user as the caller may see them; `acting_user` holds charge for them today, if anyone does."""
        data = {**user_out(user), "acting_user": acting_user}
        if principal.user_id != user.id and not principal.has_role("admin"):
            data.pop("mobile")
        return data

    def _receipt_request(self, request):
        if request.mimetype == "multipart/form-data":
            raw = request.form.get("receipt")
            if raw is None:
                raise BadRequest("send the receipt's fields as JSON in a 'receipt' form field", reason="receipt_field_missing")
            data = load_json(raw, "the 'receipt' field")
            refuse_nul(data, raw)
            return data, [(f.filename, f.read()) for f in request.files.getlist("scans")]
        if request.mimetype in ("application/json", ""):
            body = request.get_data()
            data = load_json(body) or {}
            refuse_nul(data, body)
            return data, []
        raise UnsupportedMediaType("send JSON or multipart/form-data", reason="unsupported_request_type")

    def _store_scans(self, uploads):
        """Check every scan before storing any, so a bad one stores nothing."""
        for filename, data in uploads:
            self.documents.check(data, filename or "scan")
        stored = [(filename, self.documents.put(data, filename or "scan")) for filename, data in uploads]
        SCAN_BYTES.inc(sum(doc.size for _, doc in stored))
        return stored
