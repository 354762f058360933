"""The dak service's entrypoints: parse, authorise, call the domain, commit, answer."""
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.dependency_providers import Config
from nameko.exceptions import UnknownService
from nameko.timer import timer
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.orm import object_session
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

from . import acting_usecases, address_book, domain, letter_usecases, repository
from .directory import office_recorded, user_recorded
from .email_intake import parse_email
from .events import ReceiptClosed, ReceiptDiarised, ReceiptPulledBack, ReceiptPutInFile, ReceiptReceived, ReceiptSent
from .exceptions import FILE_REFUSALS, FilesUnavailable, NotAllowed, ReceiptNotFound
from .models import AcknowledgementSetting, Office, Receipt, ReceiptMovement, ReceiptScan, User
from .schemas import (
    AcknowledgementSettingIn,
    ActingChargeIn,
    BatchIn,
    CloseIn,
    CorrespondentQuery,
    ListQuery,
    PutInFileIn,
    ReceiptIn,
    ReplyIn,
    SendIn,
    UserSearchQuery,
    acting_charge_out,
    correspondent_out,
    receipt_out,
    receipt_summary,
    scan_ref,
    user_out,
)

RECEIPTS_DIARISED = Counter("eoffice_dak_receipts_diarised_total", "Receipts diarised.", ["kind", "channel"])
RECEIPT_ACTIONS = Counter("eoffice_dak_receipt_actions_total", "Actions taken on receipts.", ["action"])
SCAN_BYTES = Counter("eoffice_dak_scan_bytes_total", "Bytes of scans accepted.")
DUPLICATE_WARNINGS = Counter("eoffice_dak_duplicate_warnings_total", "Diarisations that matched an earlier letter.")

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")
DIARY_FIELDS = (
    "kind", "sender_name", "sender_designation", "sender_organisation", "sender_address", "sender_state",
    "sender_pincode", "sender_email", "sender_mobile", "letter_number", "letter_date", "received_date",
    "delivery_mode", "main_category", "sub_category", "subject", "language", "classification",
    "enclosures", "remarks", "vip", "body_text",
)


def utcnow():
    return datetime.now(timezone.utc)


class DakService(web.DescribedService):
    name = "dak"
    openapi_path = OPENAPI_PATH

    db = Database()
    documents = DocumentStore("dak/scans")
    caller = Caller()
    files_rpc = RpcProxy("files")
    log = Instrumentation()
    config = Config()

    # --- health and description -------------------------------------------------------------


    # --- diarisation ---------------------------------------------------------------------------

    @http("POST", "/receipts", upload=True, idempotent=True)
    def diarise(self, request):
        """Diarise one receipt (JSON, or multipart with a `receipt` JSON field and `scans` files).
        With a `send` block it is Generate & Send."""
        principal = require_caller(self.caller)
        data, uploads = self._receipt_request(request)
        receipt_in = ReceiptIn.model_validate(data)
        scans = self._store_scans(uploads)
        with self.db.unit_of_work() as uow:
            answer = 201, self._diarise(uow, principal.user_id, receipt_in, scans, channel="form")
            uow.commit(answer)
        return answer

    @http("POST", "/receipts/batch", idempotent=True)
    def diarise_batch(self, request):
        """Generate & Copy: several letters sharing metadata, all numbered in one transaction."""
        principal = require_caller(self.caller)
        batch = parse_json(request, BatchIn)
        letters, errors = [], {}
        for index, data in enumerate(batch.receipts()):
            data.setdefault("kind", "physical")
            try:
                letters.append(ReceiptIn.model_validate(data))
            except ValidationError as exc:
                for path, reason in invalid_input_from_pydantic(exc).fields.items():
                    errors[f"letters.{index}.{path}"] = reason
        if errors:
            raise InvalidInput("some letters are not valid", fields=errors)
        with self.db.unit_of_work() as uow:
            results = [self._diarise(uow, principal.user_id, letter, [], channel="batch") for letter in letters]
            answer = 201, {"receipts": [r["receipt"] for r in results], "warnings": [w for r in results for w in r["warnings"]]}
            uow.commit(answer)
        return answer

    @http("POST", "/receipts/email", upload=True, idempotent=True)
    def diarise_email(self, request):
        """Email diarisation: the body is a raw RFC 822 message (.eml)."""
        principal = require_caller(self.caller)
        if request.mimetype not in ("message/rfc822", "application/octet-stream"):
            raise UnsupportedMediaType("send the raw message as message/rfc822", reason="expected_rfc822")
        fields, body, attachments = parse_email(request.get_data())
        receipt_in = ReceiptIn.model_validate(fields)
        accepted, warnings = [], []
        for filename, data in attachments:
            try:
                self.documents.check(data, filename)
                accepted.append((filename, data))
            except UnsupportedMediaType:
                warnings.append({"code": "attachment_skipped", "filename": filename, "message": "not a PDF, JPEG, PNG or TIFF"})
        scans = self._store_scans(accepted)
        with self.db.unit_of_work() as uow:
            result = self._diarise(uow, principal.user_id, receipt_in, scans, channel="email", body_text=body)
            result["warnings"] += warnings
            answer = 201, result
            uow.commit(answer)
        return answer

    # --- lists and views -----------------------------------------------------------------------

    @http("GET", "/receipts")
    def list_receipts(self, request):
        principal = require_caller(self.caller)
        query = query_args(request, ListQuery)
        with self.db.read() as session:
            rows, total = repository.list_receipts(session, principal.user_id, principal.office, query)
            return {
                "box": query.box,
                "page": query.page,
                "per_page": query.per_page,
                "total": total,
                "receipts": [receipt_summary(r) for r in rows],
            }

    @http("GET", "/receipts/<string:receipt_id>")
    def get_receipt(self, request, receipt_id):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            receipt, movements = self._visible_receipt(uow.session, receipt_id, principal)
            opened = principal.user_id == receipt.holder_id or any(m.to_user == principal.user_id for m in movements)
            if opened:
                repository.mark_opened(uow.session, receipt_id, principal.user_id)
                letter_usecases.open_receipt(letter_usecases.OpenReceipt(receipt, principal.user_id, self._event_base(receipt)["district"]), uow)
            answer = self._receipt_answer(uow.session, receipt)
            if opened:
                uow.commit()
        return answer

    @http("GET", "/receipts/<string:receipt_id>/scans/<int:position>")
    def get_scan(self, request, receipt_id, position):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            self._visible_receipt(session, receipt_id, principal)
            scan = next((s for s in repository.scans_of(session, receipt_id) if s.position == position), None)
        if scan is None:
            raise ReceiptNotFound(f"receipt {receipt_id} has no scan {position}", reason="scan_not_found")
        data = self.documents.get(scan.key)
        return Response(data, mimetype=scan.content_type, headers={"Content-Disposition": content_disposition(scan.filename or scan.sha256)})

    # --- actions of the holder -----------------------------------------------------------------

    @http("POST", "/receipts/<string:receipt_id>/receive", idempotent=True)
    def receive(self, request, receipt_id):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            receipt, view = self._receipt_for_action(uow.session, receipt_id, principal)
            domain.check_receive(view, principal.user_id)
            receipt.received_at = receipt.updated_at = utcnow()
            uow.emit(ReceiptReceived(**self._event_base(receipt), received_by=principal.user_id, received_at=receipt.received_at.isoformat()))
            answer = self._receipt_answer(uow.session, receipt)
            uow.commit(answer)
        RECEIPT_ACTIONS.labels("receive").inc()
        return answer

    @http("POST", "/receipts/<string:receipt_id>/send", idempotent=True)
    def send(self, request, receipt_id):
        principal = require_caller(self.caller)
        send_in = parse_json(request, SendIn)
        with self.db.unit_of_work() as uow:
            receipt, view = self._receipt_for_action(uow.session, receipt_id, principal)
            self._send(uow, receipt, view, principal.user_id, send_in, action="send")
            answer = self._receipt_answer(uow.session, receipt)
            uow.commit(answer)
        return answer

    @http("POST", "/receipts/<string:receipt_id>/reply", idempotent=True)
    def reply(self, request, receipt_id):
        """Send the receipt back to whoever sent it to the holder."""
        principal = require_caller(self.caller)
        reply_in = parse_json(request, ReplyIn)
        with self.db.unit_of_work() as uow:
            receipt, view = self._receipt_for_action(uow.session, receipt_id, principal)
            target = domain.reply_target(view, principal.user_id)
            self._send(uow, receipt, view, principal.user_id, SendIn(to=[target], remarks=reply_in.remarks), action="reply")
            answer = self._receipt_answer(uow.session, receipt)
            uow.commit(answer)
        return answer

    @http("POST", "/receipts/<string:receipt_id>/pull-back", idempotent=True)
    def pull_back(self, request, receipt_id):
        """Whoever sent the receipt takes it back, until its recipient opens it (409 once they have)."""
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            receipt, view = self._receipt_for_action(uow.session, receipt_id, principal)
            handover = repository.last_handover(uow.session, receipt_id)
            move = domain.plan_pull_back(view, principal.user_id, handover is not None and handover.opened_at is not None)
            now = utcnow()
            repository.insert_new(uow.session, ReceiptMovement, [repository.new_row(
                ReceiptMovement, receipt_id=receipt.id, action="pull_back", from_user=move.from_user, to_user=move.to_user,
                copy=False, priority="normal", sent_at=now, opened_at=now,
            )])
            receipt.holder_id, receipt.updated_at = move.to_user, now
            uow.emit(ReceiptPulledBack(**self._event_base(receipt), by_user=principal.user_id, from_user=move.from_user))
            answer = self._receipt_answer(uow.session, receipt)
            uow.commit(answer)
        RECEIPT_ACTIONS.labels("pull_back").inc()
        return answer

    @http("POST", "/receipts/<string:receipt_id>/put-in-file", idempotent=True)
    def put_in_file(self, request, receipt_id):
        """The holder puts the receipt in a file, once files has said it may go there: a refusal
        leaves it with the holder, open."""
        principal = require_caller(self.caller)
        put_in = parse_json(request, PutInFileIn)
        with self.db.read() as session:
            receipt, movements = self._visible_receipt(session, receipt_id, principal)
            domain.ensure_can_act(repository.view_of(receipt, movements), principal.user_id)
        self._ensure_file_takes_receipt(put_in.file_id)
        with self.db.unit_of_work() as uow:
            receipt, view = self._receipt_for_action(uow.session, receipt_id, principal)
            domain.ensure_can_act(view, principal.user_id)
            receipt.status, receipt.file_id, receipt.updated_at = domain.IN_FILE, put_in.file_id, utcnow()
            uow.emit(ReceiptPutInFile(
                **self._event_base(receipt), file_id=put_in.file_id, put_by=principal.user_id,
                subject=receipt.subject, classification=receipt.classification, kind=receipt.kind,
                sender_name=receipt.sender_name, sender_organisation=receipt.sender_organisation,
                letter_number=receipt.letter_number, letter_date=domain.as_iso(receipt.letter_date),
                received_date=domain.as_iso(receipt.received_date), scans=[scan_ref(s) for s in repository.scans_of(uow.session, receipt.id)],
                cleared=sorted(domain.cleared_for(view)),
            ))
            answer = self._receipt_answer(uow.session, receipt)
            uow.commit(answer)
        RECEIPT_ACTIONS.labels("put_in_file").inc()
        return answer

    @http("POST", "/receipts/<string:receipt_id>/close", idempotent=True)
    def close(self, request, receipt_id):
        principal = require_caller(self.caller)
        close_in = parse_json(request, CloseIn)
        with self.db.unit_of_work() as uow:
            receipt, view = self._receipt_for_action(uow.session, receipt_id, principal)
            domain.ensure_can_act(view, principal.user_id)
            now = utcnow()
            receipt.status, receipt.closed_by, receipt.closed_at = domain.CLOSED, principal.user_id, now
            receipt.closing_remarks, receipt.updated_at = close_in.remarks, now
            uow.emit(ReceiptClosed(**self._event_base(receipt), closed_by=principal.user_id, remarks=close_in.remarks))
            answer = self._receipt_answer(uow.session, receipt)
            uow.commit(answer)
        RECEIPT_ACTIONS.labels("close").inc()
        return answer

    @http("POST", "/receipts/<string:receipt_id>/copy", idempotent=True)
    def copy(self, request, receipt_id):
        """A new receipt (new number) with the same letter and scans, held by the caller."""
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            original, view = self._receipt_for_action(uow.session, receipt_id, principal)
            domain.ensure_can_act(view, principal.user_id)
            fields = {column.name: getattr(original, column.name) for column in Receipt.__table__.columns}
            scans = [(s.filename, s) for s in repository.scans_of(uow.session, receipt_id)]
            answer = 201, self._create_receipt(uow, principal.user_id, fields, scans, channel="copy", copied_from=original.id)
            uow.commit(answer)
        RECEIPT_ACTIONS.labels("copy").inc()
        return answer

    # --- directory -----------------------------------------------------------------------------

    @http("GET", "/directory/users")
    def find_users(self, request):
        """Find officers by name or designation (English or Hindi), e.g. for the Send dialog."""
        principal = require_caller(self.caller)
        query = query_args(request, UserSearchQuery)
        with self.db.read() as session:
            users = repository.search_users(session, query.q, query.office, query.limit)
            away = repository.acting_for(session, [u.id for u in users], domain.today_ist())
            return {"users": [self._user_for(principal, u, away) for u in users]}

    @http("GET", "/directory/users/<string:user_id>")
    def get_user(self, request, user_id):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            return self._user_for(principal, repository.get_user(session, user_id), repository.acting_for(session, [user_id], domain.today_ist()))

    # --- the address book and acknowledgements --------------------------------------------------

    @http("GET", "/address-book")
    def address_book(self, request):
        """The office's outside correspondents, most written-from first, found by name, organisation or email."""
        principal = require_caller(self.caller)
        query = query_args(request, CorrespondentQuery)
        with self.db.read() as session:
            entries = repository.find_correspondents(session, principal.office, query.q, query.limit)
            return {"office": principal.office, "correspondents": [correspondent_out(e) for e in entries]}

    @http("PUT", "/acknowledgements/setting")
    def set_acknowledgement_setting(self, request):
        """An admin turns the office's acknowledgement of diarised letters to their senders on or off."""
        principal = require_caller(self.caller)
        setting_in = parse_json(request, AcknowledgementSettingIn)
        if not principal.has_role("admin"):
            raise NotAllowed("only an admin of the office changes its acknowledgements")
        with self.db.unit_of_work() as uow:
            uow.session.merge(AcknowledgementSetting(office_code=principal.office, enabled=setting_in.enabled))
            answer = {"office": principal.office, "enabled": setting_in.enabled}
            uow.commit(answer)
        return answer

    # --- leave and acting charge ----------------------------------------------------------------

    @http("POST", "/acting-charges", idempotent=True)
    def set_acting_charge(self, request):
        """An officer (or their office's admin) names who holds charge while they are away."""
        principal = require_caller(self.caller)
        charge_in = parse_json(request, ActingChargeIn)
        with self.db.unit_of_work() as uow:
            charge = acting_usecases.set_acting_charge(acting_usecases.SetActingCharge(
                by=principal.user_id, absent_user=charge_in.absent_user or principal.user_id, acting_user=charge_in.acting_user,
                from_date=charge_in.from_date, to_date=charge_in.to_date, reason=charge_in.reason,
            ), uow)
            answer = 201, self._charge_answer(uow.session, charge)
            uow.commit(answer)
        return answer

    @http("POST", "/acting-charges/<string:charge_id>/end", idempotent=True)
    def end_acting_charge(self, request, charge_id):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            charge = acting_usecases.end_acting_charge(acting_usecases.EndActingCharge(principal.user_id, charge_id), uow)
            answer = self._charge_answer(uow.session, charge)
            uow.commit(answer)
        return answer

    @http("GET", "/acting-charges")
    def list_acting_charges(self, request):
        """Who acts for whom, today and to come, in the caller's office or involving the caller."""
        principal = require_caller(self.caller)
        today = domain.today_ist()
        with self.db.read() as session:
            rows = repository.charges_around(session, principal.user_id, principal.office, today)
            return {"today": today, "charges": [acting_charge_out(charge, absent, acting, today) for charge, absent, acting in rows]}

    @staticmethod
    def _charge_answer(session, charge):
        return acting_charge_out(charge, session.get(User, charge.absent_user), session.get(User, charge.acting_user), domain.today_ist())

    @rpc
    def user(self, user_id):
        with self.db.read() as session:
            return user_out(repository.get_user(session, user_id))

    @rpc
    def directory_snapshot(self):
        """Every office and user as their office_recorded / user_recorded data, for a consumer
        building its copy of the directory from scratch."""
        with self.db.read() as session:
            offices = {o.code: o for o in session.query(Office)}
            return {
                "offices": [office_recorded(session, o).data() for o in offices.values()],
                "users": [user_recorded(u, offices[u.office_code].district_code).data() for u in session.query(User)],
            }

    @rpc
    def receipt(self, receipt_id):
        """A receipt as its caller (propagated from the HTTP request) may see it."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            receipt, movements = self._visible_receipt(session, receipt_id, principal)
            return json.loads(json.dumps(receipt_out(receipt, repository.scans_of(session, receipt_id), movements), default=str))

    # --- consumed events -----------------------------------------------------------------------

    @consume_events({"files": ("file_transferred",)})
    def transfer_receipts(self, payload):
        """An admin handed an officer's files to a successor: the receipts they hold follow."""
        self.db.apply_once(payload, self._transfer_receipts)

    def _transfer_receipts(self, uow, envelope):
        data = envelope.data
        leaving, successor = data["from_user"], data["to_user"]
        if not repository.active_user_ids(uow.session, [successor]):
            raise ValueError(f"the successor {successor} is not an active user")
        send_in = SendIn.model_construct(to=[successor], remarks=f"transferred by {data['by_user']}", due_date=None, priority="normal")
        for receipt in repository.receipts_held_by(uow.session, leaving):
            moves = [domain.Move(leaving, successor)]
            self._record_moves(uow, receipt, self._event_base(receipt), moves, send_in, "transfer")

    @consume_events({"files": ("draft_issued",)})
    def receive_issued_letters(self, payload):
        """A letter issued in an office of the deployment: a receipt in each addressee office."""
        self.db.apply_once(payload, lambda uow, envelope: letter_usecases.receive_issued_letter(envelope, uow, self.documents))

    # --- housekeeping --------------------------------------------------------------------------

    @timer(interval=3600)
    def sweep_orphan_scans(self):
        """Remove scans that reached S3 but whose receipt never committed (after a grace period)."""
        with self.db.read() as session:
            referenced = repository.referenced_scan_keys(session)
        grace = timedelta(seconds=int(self.config.get("ORPHAN_SCAN_GRACE_SECONDS", 3600)))
        removed = 0
        for key in self.documents.unreferenced(referenced, grace):
            self.documents.delete(key)
            removed += 1
        self.log.info("orphan_scans_swept", removed=removed)
        return removed

    # --- helpers -------------------------------------------------------------------------------

    def _ensure_file_takes_receipt(self, file_id):
        """Ask files, as the caller (the principal travels with the call), whether the receipt may go in the file."""
        try:
            with eventlet.Timeout(float(self.config.get("FILES_RPC_TIMEOUT_SECONDS", 10))):
                answer = self.files_rpc.receipt_destination(file_id)
        except (eventlet.Timeout, UnknownService, OSError, KombuOperationalError):  # files or the broker is away
            raise FilesUnavailable("the files service did not answer; the receipt stays with you") from None
        refusal = answer["refusal"]
        if refusal:
            raise FILE_REFUSALS[refusal["reason"]](refusal["message"])

    def _user_for(self, principal, user, away):
        """A user as the caller may see them; `away` ({absent: acting}) says who holds charge for them today."""
        data = {**user_out(user), "acting_user": away.get(user.id)}
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

    def _diarise(self, uow, user_id, receipt_in, scans, channel, body_text=None):
        sender = receipt_in.sender
        fields = {
            "kind": receipt_in.kind,
            "sender_name": sender.name, "sender_designation": sender.designation,
            "sender_organisation": sender.organisation, "sender_address": sender.address,
            "sender_state": sender.state, "sender_pincode": sender.pincode,
            "sender_email": sender.email, "sender_mobile": sender.mobile,
            "letter_number": receipt_in.letter_number, "letter_date": receipt_in.letter_date,
            "received_date": receipt_in.received_date, "delivery_mode": receipt_in.delivery_mode,
            "main_category": receipt_in.main_category, "sub_category": receipt_in.sub_category,
            "subject": receipt_in.subject,
            "language": receipt_in.language or domain.detect_language(receipt_in.subject),
            "classification": receipt_in.classification, "enclosures": receipt_in.enclosures,
            "remarks": receipt_in.remarks, "vip": receipt_in.vip, "body_text": body_text,
        }
        return self._create_receipt(uow, user_id, fields, scans, channel, send_in=receipt_in.send, acknowledge=receipt_in.acknowledge)

    def _create_receipt(self, uow, user_id, fields, scans, channel, copied_from=None, send_in=None, acknowledge=None):
        """Number and record a receipt (and send it, for Generate & Send). Everything that can be
        read or refused is done before the serial is taken, so its row lock is held briefly."""
        session = uow.session
        user = repository.acting_user(session, user_id)
        domain.check_new_receipt(fields["kind"], len(scans), bool(fields.get("body_text")))
        duplicates = [] if channel == "copy" else repository.find_duplicates(
            session, fields["sender_organisation"], fields["letter_number"], fields["letter_date"]
        )
        recipients = repository.active_user_ids(session, send_in.to) if send_in else set()
        now = utcnow()
        year = domain.diary_year(now)
        receipt = repository.new_row(
            Receipt, id=str(uuid.uuid4()), office_code=user.office_code, year=year, status=domain.OPEN,
            holder_id=user.id, created_by=user.id, created_at=now, updated_at=now, copied_from_id=copied_from,
            **{key: fields[key] for key in DIARY_FIELDS},
        )
        scan_rows = [
            repository.new_row(
                ReceiptScan, receipt_id=receipt.id, position=position, key=doc.key, sha256=doc.sha256,
                size=doc.size, content_type=doc.content_type, filename=(filename or "")[:255] or None,
            )
            for position, (filename, doc) in enumerate(scans, start=1)
        ]
        view = repository.view_of(receipt, [])
        moves = acting_usecases.redirected_moves(session, domain.plan_send(view, user.id, send_in.to, recipients), user.id) if send_in else []

        if moves:
            receipt.holder_id = moves[0].to_user
        receipt.receipt_number = repository.number_placeholder(receipt.id)
        _, diarised_rows = uow.outbox_rows([ReceiptDiarised(
            **self._event_base(receipt, user.district_code), kind=receipt.kind, classification=receipt.classification,
            subject=receipt.subject, language=receipt.language, sender_name=receipt.sender_name,
            sender_organisation=receipt.sender_organisation, main_category=receipt.main_category,
            sub_category=receipt.sub_category, delivery_mode=receipt.delivery_mode, vip=receipt.vip,
            letter_number=receipt.letter_number, letter_date=domain.as_iso(receipt.letter_date),
            received_date=domain.as_iso(receipt.received_date), diarised_by=user.id, holder=user.id,
            channel=channel, copied_from=copied_from, scans=[scan_ref(s) for s in scan_rows],
            acknowledge_to=letter_usecases.acknowledgement_to(session, user.office_code, fields, acknowledge) if channel != "copy" else None,
        )])
        # Numbered last, so the office's serial stays locked for as short a time as possible.
        repository.insert_numbered_receipt(session, receipt, diarised_rows)
        repository.insert_new(session, ReceiptScan, scan_rows)
        base = self._event_base(receipt, user.district_code)
        movements = self._record_moves(uow, receipt, base, moves, send_in, "send") if moves else []
        if channel != "copy":
            repository.remember_correspondent(session, user.office_code, address_book.sender_block(fields), now)
        RECEIPTS_DIARISED.labels(receipt.kind, channel).inc()
        warnings = [
            {"code": "possible_duplicate", "receipt_number": number,
             "message": f"same organisation, letter number and date as {number}"}
            for number in duplicates
        ]
        if warnings:
            DUPLICATE_WARNINGS.inc()
        return {"receipt": receipt_out(receipt, scan_rows, movements), "warnings": warnings}

    def _send(self, uow, receipt, view, by, send_in, action):
        known = repository.active_user_ids(uow.session, send_in.to)
        moves = acting_usecases.redirected_moves(uow.session, domain.plan_send(view, by, send_in.to, known), by)
        self._record_moves(uow, receipt, self._event_base(receipt), moves, send_in, action)

    def _record_moves(self, uow, receipt, base, moves, send_in, action):
        now = utcnow()
        movements = [
            repository.new_row(
                ReceiptMovement, receipt_id=receipt.id, action=action, from_user=move.from_user, to_user=move.to_user,
                copy=move.copy, for_user=move.for_user, remarks=send_in.remarks, due_date=send_in.due_date, priority=send_in.priority, sent_at=now,
            )
            for move in moves
        ]
        repository.insert_new(uow.session, ReceiptMovement, movements)
        receipt.holder_id, receipt.updated_at = moves[0].to_user, now
        uow.emit(ReceiptSent(
            **base, action=action, from_user=moves[0].from_user, to_user=moves[0].to_user,
            copies_to=[m.to_user for m in moves[1:]], for_user=moves[0].for_user, remarks=send_in.remarks,
            due_date=domain.as_iso(send_in.due_date), priority=send_in.priority,
            classification=receipt.classification, subject=receipt.subject,
        ))
        RECEIPT_ACTIONS.labels(action).inc()
        return movements

    def _visible_receipt(self, session, receipt_id, principal):
        receipt = repository.load_receipt(session, receipt_id)
        movements = repository.movements_of(session, receipt_id)
        domain.ensure_visible(repository.view_of(receipt, movements), principal.user_id, principal.office)
        return receipt, movements

    def _receipt_for_action(self, session, receipt_id, principal):
        receipt = repository.load_receipt(session, receipt_id, for_update=True)
        view = repository.view_of(receipt, repository.movements_of(session, receipt_id))
        domain.ensure_visible(view, principal.user_id, principal.office)
        return receipt, view

    @staticmethod
    def _receipt_answer(session, receipt):
        """The answer to an action on `receipt`, read in the action's own transaction before it commits:
        once committed, the action's answer must not depend on the database answering again."""
        return receipt_out(receipt, repository.scans_of(session, receipt.id), repository.movements_of(session, receipt.id))

    @staticmethod
    def _event_base(receipt, district=None):
        if district is None:
            district = object_session(receipt).get(Office, receipt.office_code).district_code
        return {"receipt_id": receipt.id, "receipt_number": receipt.receipt_number, "office": receipt.office_code, "district": district}

