"""The files service's entrypoints: parse, authorise, call the domain, commit, answer."""
import os
import uuid
from datetime import date, datetime, timedelta, timezone

from nameko.dependency_providers import Config
from nameko.timer import timer
from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

# The mixin is reached through its module: `nameko run` takes every class with entrypoints
# in this module's namespace for a service.
from eoffice_common import web
from eoffice_common.consumer import consume_events
from eoffice_common.db import Database
from eoffice_common.errors import BadRequest, NotFound, UnsupportedMediaType
from eoffice_common.metrics import Instrumentation
from eoffice_common.rpc import rpc
from eoffice_common.storage import EXTENSIONS, DocumentStore
from eoffice_common.web import Caller, content_disposition, http, load_json, parse_json, query_args, require_caller

from . import directory, domain, events, repository
from .exceptions import (
    CorrespondenceNotFound,
    DocumentsRequired,
    DuplicateFileNumber,
    DuplicateHead,
    FileNotFound,
    UnknownSection,
    UnlinkableEvent,
)
from .models import CorrespondenceDocument, CorrespondenceItem, Draft, DraftComment, DraftVersion, File, FileHead, Note
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
    RegisterQuery,
    SearchQuery,
    SendIn,
    TransferIn,
    audit_out,
    correspondence_out,
    draft_out,
    file_out,
    file_summary,
    head_out,
    movement_out,
    note_out,
    person,
    version_out,
)

FILES_CREATED = Counter("eoffice_files_created_total", "Files created (volumes and parts included).", ["kind", "numbering"])
FILE_MOVEMENTS = Counter("eoffice_files_movements_total", "File movements.", ["action"])
FILE_ACTIONS = Counter("eoffice_files_actions_total", "Other actions on files.", ["action"])
RECEIPTS_LINKED = Counter("eoffice_files_receipts_linked_total", "Receipts put in files (from dak).")
DOCUMENT_BYTES = Counter("eoffice_files_document_bytes_total", "Bytes of documents attached or copied in.")

OPENAPI_PATH = os.path.join(os.path.dirname(__file__), "openapi.yaml")


def utcnow():
    return datetime.now(timezone.utc)


def _date(value):
    return date.fromisoformat(value) if value else None


class FilesService(web.DescribedService):
    name = "files"
    openapi_path = OPENAPI_PATH

    db = Database()
    documents = DocumentStore("files/documents")
    caller = Caller()
    log = Instrumentation()
    config = Config()

    # --- health and description -------------------------------------------------------------


    # --- numbering heads ----------------------------------------------------------------------

    @http("GET", "/heads")
    def list_heads(self, request):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            return {"heads": [head_out(h) for h in repository.heads_of(session, principal.office)]}

    @http("POST", "/heads", idempotent=True)
    def add_head(self, request):
        """An admin adds a head to their office's SFS scheme."""
        principal = require_caller(self.caller)
        head_in = parse_json(request, HeadIn)
        with self.db.unit_of_work() as uow:
            session = uow.session
            admin = repository.get_user(session, principal.user_id)
            domain.ensure_admin(repository.user_view(admin), "add file heads")
            office = admin.office_code
            if repository.head_exists(session, office, head_in.main_code, head_in.sub_code):
                raise DuplicateHead(f"head {domain.head_code(head_in.main_code, head_in.sub_code)} already exists in {office}")
            head = FileHead(office_code=office, created_by=admin.id, created_at=utcnow(), active=True, **head_in.model_dump())
            session.add(head)
            session.flush()
            answer = 201, head_out(head)
            uow.commit(answer)
        return answer

    # --- creating files -----------------------------------------------------------------------

    @http("POST", "/files", idempotent=True)
    def create_file(self, request):
        """A new file: SFS (number generated from a head of the creator's office) or non-SFS (free-form)."""
        principal = require_caller(self.caller)
        file_in = parse_json(request, FileIn)
        with self.db.unit_of_work() as uow:
            session = uow.session
            user = repository.get_user(session, principal.user_id)
            office = repository.get_office(session, user.office_code)
            section = file_in.section or user.section_code
            if file_in.section and file_in.section not in {s["code"] for s in office.sections}:
                raise UnknownSection(f"{file_in.section} is not a section of {office.code}", fields={"section": "not a section of your office"})
            now = utcnow()
            if file_in.numbering == "sfs":
                head = repository.head_for(session, file_in.head_id, office.code)
                year = domain.year_of(now)
                serial = repository.next_file_serial(session, head.id, year)
                number = domain.sfs_number(domain.head_code(head.main_code, head.sub_code), serial, year, head.section_label, head.department_label)
            else:
                year = serial = None
                number = domain.clean_number(file_in.file_number)
            file = self._new_file(
                uow, user.id, now, office_code=office.code, district_code=office.district_code, section_code=section,
                numbering=file_in.numbering, head_id=file_in.head_id, year=year, serial=serial, base_number=number,
                file_number=number, subject=file_in.subject, category=file_in.category, description=file_in.description,
                kind=file_in.kind, classification=file_in.classification,
            )
            answer = 201, file_out(file, None, {user.id: user})
            uow.commit(answer)
            return answer

    @http("POST", "/files/<string:file_id>/volumes", idempotent=True)
    def open_volume(self, request, file_id):
        """The next volume of a file: the same number suffixed `/Vol.N`, a new computer number."""
        principal = require_caller(self.caller)
        volume_in = parse_json(request, NewVolumeIn)
        with self.db.unit_of_work() as uow:
            session = uow.session
            user = repository.get_user(session, principal.user_id)
            held = repository.load_file(session, file_id)
            self._ensure_visible(session, held, principal)
            root_id = held.parent_file_id if held.relation == "volume" else held.id
            root = repository.load_file(session, root_id, for_update=True)  # serialises volume numbering
            held = repository.load_file(session, file_id, for_update=True)
            domain.check_new_volume(repository.file_view(held), user.id)
            now = utcnow()
            volume = repository.next_volume(session, root.id)
            file = self._new_file(
                uow, user.id, now, office_code=root.office_code, district_code=root.district_code, section_code=root.section_code,
                numbering=root.numbering, head_id=root.head_id, year=root.year, serial=root.serial, base_number=root.base_number,
                file_number=domain.volume_number(root.base_number, volume), subject=root.subject, category=root.category,
                description=root.description, kind=root.kind, classification=root.classification,
                volume=volume, parent_file_id=root.id, relation="volume",
            )
            repository.record_actions(session, root, user.id, [("volume_opened", {"file_id": file.id, "volume": volume, "remarks": volume_in.remarks})], now)
            answer = 201, file_out(file, None, {user.id: user})
            uow.commit(answer)
            return answer

    @http("POST", "/files/<string:file_id>/parts", idempotent=True)
    def open_part(self, request, file_id):
        """A part file, to work on a matter while the main file is elsewhere: `<number>/Part.N`."""
        principal = require_caller(self.caller)
        part_in = parse_json(request, NewPartIn)
        with self.db.unit_of_work() as uow:
            session = uow.session
            user = repository.get_user(session, principal.user_id)
            parent = repository.load_file(session, file_id, for_update=True)
            self._ensure_visible(session, parent, principal)
            domain.check_new_part(repository.file_view(parent))
            now = utcnow()
            part = repository.next_part(session, parent.id)
            number = domain.part_number(parent.file_number, part)
            file = self._new_file(
                uow, user.id, now, office_code=parent.office_code, district_code=parent.district_code, section_code=parent.section_code,
                numbering=parent.numbering, head_id=parent.head_id, year=parent.year, serial=parent.serial, base_number=number,
                file_number=number, subject=part_in.subject or parent.subject, category=parent.category,
                description=parent.description, kind=parent.kind, classification=parent.classification,
                volume=1, part=part, parent_file_id=parent.id, relation="part",
            )
            repository.record_actions(session, parent, user.id, [("part_opened", {"file_id": file.id, "part": part})], now)
            answer = 201, file_out(file, None, {user.id: user})
            uow.commit(answer)
            return answer

    def _new_file(self, uow, user_id, now, **values):
        session = uow.session
        key = domain.number_key(values["file_number"])
        if repository.number_taken(session, values["office_code"], key):
            raise DuplicateFileNumber(f"file number {values['file_number']} is already used in {values['office_code']}", fields={"file_number": "already used in your office"})
        file = File(
            id=str(uuid.uuid4()), number_key=key, computer_number=repository.next_computer_number(session),
            subject_search=domain.normalise_for_search(values["subject"]), status=domain.OPEN, custodian_id=user_id,
            owner_id=user_id, created_by=user_id, version=1, last_paragraph=0, audit_seq=0, created_at=now, updated_at=now,
            **{"volume": 1, **values},
        )
        first_entry = repository.new_audit_log(file, user_id, {
            "file_number": file.file_number, "computer_number": file.computer_number, "subject": file.subject,
            "classification": file.classification, "parent_file_id": file.parent_file_id,
        }, now)
        session.add(file)
        try:
            session.flush()
        except IntegrityError:
            # A concurrent creation took the same free-form number first.
            raise DuplicateFileNumber(f"file number {values['file_number']} is already used", fields={"file_number": "already used in your office"}) from None
        session.add(first_entry)
        uow.emit(events.FileCreated(
            **self._event_base(file), computer_number=file.computer_number, section=file.section_code, subject=file.subject,
            category=file.category, kind=file.kind, classification=file.classification, created_by=user_id,
            numbering=file.numbering, volume=file.volume, part=file.part, parent_file_id=file.parent_file_id,
        ))
        FILES_CREATED.labels(file.kind, file.numbering).inc()
        return file

    # --- lists, search, a file and its movements -------------------------------------------------

    @http("GET", "/files")
    def list_files(self, request):
        principal = require_caller(self.caller)
        query = query_args(request, ListQuery)
        with self.db.read() as session:
            rows, total = repository.list_files(session, principal.user_id, query)
            return {"box": query.box, "page": query.page, "per_page": query.per_page, "total": total, "files": self._summaries(session, rows)}

    @http("GET", "/files/search")
    def search_files(self, request):
        """Advanced search by number, computer number, subject words (Hindi or English), category,
        year, dates, current holder; among the files the caller may open."""
        principal = require_caller(self.caller)
        query = query_args(request, SearchQuery)
        with self.db.read() as session:
            rows, total = repository.search_files(session, principal.user_id, principal.office, query)
            return {"page": query.page, "per_page": query.per_page, "total": total, "files": self._summaries(session, rows)}

    @staticmethod
    def _summaries(session, rows):
        ids = set()
        for file, current in rows:
            ids |= {file.custodian_id} | ({current.from_user, current.to_user} if current else set())
        users = repository.users_by_id(session, ids)
        return [file_summary(file, current, users) for file, current in rows]

    @http("GET", "/files/<string:file_id>")
    def get_file(self, request, file_id):
        """A file; its custodian opening it for the first time since it was sent records when."""
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._read_file(uow, file_id, principal)
            users = repository.users_by_id(session, {file.custodian_id, file.owner_id} | ({current.from_user, current.to_user} if current else set()))
            answer = file_out(file, current, users, repository.related_files(session, file))
            uow.commit()
            return answer

    @http("GET", "/files/<string:file_id>/movements")
    def list_movements(self, request, file_id):
        """Every move of the file: from, to, when, remarks, due date, priority and when it was opened."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            file = repository.load_file(session, file_id)
            self._ensure_visible(session, file, principal)
            movements = repository.movements_of(session, file_id)
            users = repository.users_by_id(session, {m.from_user for m in movements} | {m.to_user for m in movements} | {file.custodian_id})
            return {"file_id": file.id, "file_number": file.file_number, "custodian": person(file.custodian_id, users),
                    "status": file.status, "movements": [movement_out(m, users) for m in movements]}

    # --- movement -------------------------------------------------------------------------------

    @http("POST", "/files/<string:file_id>/send", idempotent=True)
    def send(self, request, file_id):
        """Send the file to an officer (by default the sender's reporting officer), who becomes its custodian."""
        principal = require_caller(self.caller)
        send_in = parse_json(request, SendIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            file, current, yellow, sender, recipient = repository.file_for_move(uow.session, domain.SEND, file_id, me, send_in.to)
            self._ensure_visible(uow.session, file, principal)
            users = {person.id: person for person in (sender, recipient) if person}
            to = recipient.id if recipient else send_in.to
            move = domain.plan_send(repository.file_view(file), me, to, {u.id for u in users.values() if u.active}, send_in.version)
            movement = self._move(uow, file, current, move, me, yellow,
                                  remarks=send_in.remarks, due_date=send_in.due_date, priority=send_in.priority)
            answer = file_summary(file, movement, users)
            uow.commit(answer)
            return answer

    @http("POST", "/files/<string:file_id>/return", idempotent=True)
    def return_file(self, request, file_id):
        """Send the file back to whoever sent it to its custodian."""
        principal = require_caller(self.caller)
        return_in = parse_json(request, ActionIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            file, current, yellow, returner, sender = repository.file_for_move(uow.session, domain.RETURN, file_id, me)
            self._ensure_visible(uow.session, file, principal)
            move = domain.plan_return(repository.file_view(file), repository.movement_view(current), me, return_in.version)
            movement = self._move(uow, file, current, move, me, yellow, remarks=return_in.remarks)
            answer = file_summary(file, movement, {person.id: person for person in (returner, sender) if person})
            uow.commit(answer)
            return answer

    @http("POST", "/files/<string:file_id>/pull-back", idempotent=True)
    def pull_back(self, request, file_id):
        """The sender takes the file back while the recipient has not opened it (409 once they have)."""
        principal = require_caller(self.caller)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            file, current, yellow, sender, holder = repository.file_for_move(uow.session, domain.PULL_BACK, file_id, me)
            self._ensure_visible(uow.session, file, principal)
            move = domain.plan_pull_back(repository.file_view(file), repository.movement_view(current), me)
            now = utcnow()
            pulled_back = events.FilePulledBack(**self._event_base(file), movement_id=current.id, by_user=move.to_user, from_user=move.from_user)
            current.pulled_back_at = now
            movement = self._move(uow, file, current, move, me, yellow, opened_at=now, now=now, announce=[pulled_back])
            answer = file_summary(file, movement, {person.id: person for person in (sender, holder) if person})
            uow.commit(answer)
            return answer

    def _move(self, uow, file, current, move, actor, has_yellow_notes, remarks=None, due_date=None, priority="normal",
              opened_at=None, now=None, owner_id=None, announce=()):
        """Hand the file over: the leaving custodian's yellow notes turn green, a new movement becomes the
        current one, and the custodian (and the owner, given `owner_id`) changes only if the row still has
        the version and custodian read. Its events, then `announce`, go to the outbox with it."""
        now = now or utcnow()
        session = uow.session
        pending = []
        actions = self._open_by_acting(uow, file, current, actor, now, emit=pending.append)
        notes = repository.yellow_notes_of(session, file.id, file.custodian_id) if has_yellow_notes else []
        confirmed, last_paragraph = self._confirm_notes(uow, file, notes, now, on=move.action, emit=pending.append)
        movement = repository.add_movement(session, file.id, current, move, now, remarks, due_date, priority, opened_at)
        actions += confirmed + [(move.action, {
            "movement_id": movement.id, "from": move.from_user, "to": move.to_user, "remarks": remarks,
            "due_date": due_date, "priority": priority, **({"owner_id": owner_id} if owner_id else {}),
        })]
        if move.action in domain.COUNTED_MOVES:
            pending.append(events.FileSent(
                **self._event_base(file), movement_id=movement.id, action=move.action, from_user=move.from_user, to_user=move.to_user,
                remarks=remarks, due_date=domain.as_iso(due_date), priority=priority, subject=file.subject,
                classification=file.classification, sent_at=now.isoformat(),
            ))
        repository.record_actions(session, file, actor, actions, now, mover=move.from_user, custodian_id=move.to_user,
                                  last_paragraph=last_paragraph, **({"owner_id": owner_id} if owner_id else {}))
        uow.emit_all(pending + list(announce))
        FILE_MOVEMENTS.labels(move.action).inc()
        return movement

    @http("POST", "/files/<string:file_id>/park", idempotent=True)
    def park(self, request, file_id):
        """Temporarily close the file; it waits in the custodian's parked list."""
        principal = require_caller(self.caller)
        return self._simple_action(request, file_id, principal, "parked", domain.check_park, events.FileParked,
                                   lambda now: {"status": domain.PARKED, "parked_at": now})

    @http("POST", "/files/<string:file_id>/unpark", idempotent=True)
    def unpark(self, request, file_id):
        principal = require_caller(self.caller)
        return self._simple_action(request, file_id, principal, "unparked", domain.check_unpark, events.FileUnparked,
                                   lambda now: {"status": domain.OPEN, "parked_at": None})

    @http("POST", "/files/<string:file_id>/reopen", idempotent=True)
    def reopen(self, request, file_id):
        """The owner reopens a closed file."""
        principal = require_caller(self.caller)
        return self._simple_action(request, file_id, principal, "reopened", domain.check_reopen, events.FileReopened,
                                   lambda now: {"status": domain.OPEN, "closed_at": None, "closed_by": None})

    def _simple_action(self, request, file_id, principal, action, check, event_class, values):
        action_in = parse_json(request, ActionIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current, _yellow = self._file_for_action(session, file_id, principal)
            check(repository.file_view(file), me, action_in.version)
            now = utcnow()
            actions = self._open_by_acting(uow, file, current, me, now) + [(action, {"remarks": action_in.remarks})]
            repository.record_actions(session, file, me, actions, now, **values(now))
            uow.emit(event_class(**self._event_base(file), by_user=me))
            answer = file_summary(file, current, repository.users_by_id(session, {file.custodian_id}))
            uow.commit(answer)
            FILE_ACTIONS.labels(action).inc()
            return answer

    @http("POST", "/files/<string:file_id>/close", idempotent=True)
    def close(self, request, file_id):
        """Only the owner closes a file, while holding it; yellow notes turn green."""
        principal = require_caller(self.caller)
        action_in = parse_json(request, ActionIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current, yellow = self._file_for_action(session, file_id, principal)
            domain.check_close(repository.file_view(file), me, action_in.version)
            now = utcnow()
            actions = self._open_by_acting(uow, file, current, me, now)
            notes = repository.yellow_notes_of(session, file.id, me) if yellow else []
            confirmed, last_paragraph = self._confirm_notes(uow, file, notes, now, on="close")
            movement_count = repository.counted_movements(session, file.id)
            repository.record_actions(session, file, me, actions + confirmed + [("closed", {"remarks": action_in.remarks, "movement_count": movement_count})], now,
                                      status=domain.CLOSED, closed_at=now, closed_by=me, parked_at=None, last_paragraph=last_paragraph)
            uow.emit(events.FileClosed(**self._event_base(file), by_user=me, created_at=file.created_at.isoformat(), movement_count=movement_count, kind=file.kind))
            answer = file_summary(file, current, repository.users_by_id(session, {me}))
            uow.commit(answer)
            FILE_ACTIONS.labels("closed").inc()
            return answer

    @http("POST", "/transfers", idempotent=True)
    def transfer(self, request):
        """An admin hands every file an officer leaving a post holds or owns to the successor."""
        principal = require_caller(self.caller)
        transfer_in = parse_json(request, TransferIn)
        with self.db.unit_of_work() as uow:
            session = uow.session
            admin = repository.get_user(session, principal.user_id)
            leaving = repository.find_user(session, transfer_in.from_user)
            successor = repository.active_user(session, transfer_in.to_user)
            domain.check_transfer(repository.user_view(admin), repository.user_view(leaving), repository.user_view(successor))
            now = utcnow()
            moved = []
            for file in repository.files_held_or_owned_by(session, leaving.id):
                values = {"owner_id": successor.id} if file.owner_id == leaving.id else {}
                if file.custodian_id == leaving.id:
                    current = repository.current_movement(session, file.id)
                    move = domain.Move(leaving.id, successor.id, domain.TRANSFER)
                    self._move(uow, file, current, move, admin.id, True, remarks=transfer_in.remarks, now=now, owner_id=values.get("owner_id"))
                else:
                    details = {"from": leaving.id, "to": successor.id, "remarks": transfer_in.remarks}
                    repository.record_actions(session, file, admin.id, [("ownership_transferred", details)], now, **values)
                moved.append(file)
            uow.emit(events.FilesTransferred(
                from_user=leaving.id, to_user=successor.id, file_ids=[f.id for f in moved], by_user=admin.id,
                office=leaving.office_code, district=leaving.district_code,
            ))
            answer = {"from_user": leaving.id, "to_user": successor.id, "files": [{"id": f.id, "file_number": f.file_number} for f in moved]}
            uow.commit(answer)
        return answer

    # --- noting -----------------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/notes")
    def list_notes(self, request, file_id):
        """Green notes in paragraph order, then the caller's own yellow notes."""
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, _current = self._read_file(uow, file_id, principal)
            notes = repository.notes_for(session, file_id, principal.user_id)
            users = repository.users_by_id(session, {n.author for n in notes})
            answer = {"file_id": file.id, "last_paragraph": file.last_paragraph, "notes": [note_out(n, users) for n in notes]}
            uow.commit()
            return answer

    @http("POST", "/files/<string:file_id>/notes", idempotent=True)
    def add_note(self, request, file_id):
        """A yellow note by the custodian, editable and discardable until confirmed or the file moves on."""
        principal = require_caller(self.caller)
        note_in = parse_json(request, NoteIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._writable_file(session, file_id, principal, "notes")
            domain.check_references(note_in.references, repository.correspondence_ids(session, file_id))
            now = utcnow()
            note = Note(id=str(uuid.uuid4()), file_id=file.id, author=me, text=note_in.text, status=domain.YELLOW,
                        references=note_in.references, created_at=now, updated_at=now)
            session.add(note)
            actions = self._open_by_acting(uow, file, current, me, now) + [("note_added", {"note_id": note.id, "content_sha256": domain.content_sha256(note.text)})]
            repository.record_actions(session, file, me, actions, now)
            uow.emit(events.NoteAdded(**self._event_base(file), note_id=note.id, author=me))
            answer = 201, note_out(note, repository.users_by_id(session, {me}))
            uow.commit(answer)
            return answer

    @http("PUT", "/files/<string:file_id>/notes/<string:note_id>")
    def edit_note(self, request, file_id, note_id):
        principal = require_caller(self.caller)
        note_in = parse_json(request, NoteIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, _current = self._writable_file(session, file_id, principal, "notes")
            note = repository.load_note(session, file_id, note_id)
            domain.check_note_change(repository.note_view(note), me)
            domain.check_references(note_in.references, repository.correspondence_ids(session, file_id))
            now = utcnow()
            note.text, note.references, note.updated_at = note_in.text, note_in.references, now
            repository.record_actions(session, file, me, [("note_edited", {"note_id": note.id, "content_sha256": domain.content_sha256(note.text)})], now)
            answer = note_out(note, repository.users_by_id(session, {me}))
            uow.commit()
            return answer

    @http("DELETE", "/files/<string:file_id>/notes/<string:note_id>")
    def discard_note(self, request, file_id, note_id):
        principal = require_caller(self.caller)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, _current = self._writable_file(session, file_id, principal, "notes")
            note = repository.load_note(session, file_id, note_id)
            domain.check_note_change(repository.note_view(note), me)
            session.delete(note)
            repository.record_actions(session, file, me, [("note_discarded", {"note_id": note.id})], utcnow())
            uow.commit()
        return {"discarded": note_id}

    @http("POST", "/files/<string:file_id>/notes/<string:note_id>/confirm", idempotent=True)
    def confirm_note(self, request, file_id, note_id):
        """The yellow note turns green: permanent, its paragraphs numbered after the file's last."""
        principal = require_caller(self.caller)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, _current = self._writable_file(session, file_id, principal, "notes")
            note = repository.load_note(session, file_id, note_id)
            domain.check_note_change(repository.note_view(note), me)
            now = utcnow()
            actions, last_paragraph = self._confirm_notes(uow, file, [note], now, on="confirm")
            repository.record_actions(session, file, me, actions, now, last_paragraph=last_paragraph)
            answer = note_out(note, repository.users_by_id(session, {me}))
            uow.commit(answer)
            return answer

    def _confirm_notes(self, uow, file, notes, now, on, emit=None):
        """Turn notes green in order, numbering their paragraphs on from the file's last paragraph; their
        events go to `emit` (by default straight to the outbox)."""
        emit = emit or uow.emit
        last = file.last_paragraph
        actions = []
        for note in notes:
            first, last = domain.number_paragraphs(last, note.text)
            note.status, note.confirmed_at, note.updated_at = domain.GREEN, now, now
            note.first_paragraph, note.last_paragraph, note.content_sha256 = first, last, domain.content_sha256(note.text)
            actions.append(("note_confirmed", {"note_id": note.id, "paragraphs": [first, last], "content_sha256": note.content_sha256, "on": on}))
            emit(events.NoteConfirmed(
                **self._event_base(file), note_id=note.id, author=note.author, text=note.text, first_paragraph=first,
                last_paragraph=last, content_sha256=note.content_sha256, confirmed_at=now.isoformat(),
                classification=file.classification, confirmed_on=on,
            ))
            FILE_ACTIONS.labels("note_confirmed").inc()
        return actions, last

    # --- correspondence ---------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/correspondence")
    def list_correspondence(self, request, file_id):
        """Receipts put in the file (under their receipt numbers) and other documents, in order."""
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, _current = self._read_file(uow, file_id, principal)
            items = repository.correspondence_of(session, file_id)
            users = repository.users_by_id(session, {item.added_by for item, _ in items})
            last_movement = repository.last_movement_to(session, file.id, principal.user_id)
            answer = {"file_id": file.id, "correspondence": [
                correspondence_out(item, documents, users, self._may_read(item, principal, last_movement)) for item, documents in items
            ]}
            uow.commit()
            return answer

    @http("POST", "/files/<string:file_id>/correspondence", upload=True, idempotent=True)
    def attach_documents(self, request, file_id):
        """Attach documents (multipart: `item` JSON and `documents` files) to the correspondence."""
        principal = require_caller(self.caller)
        item_in, uploads = self._document_request(request)
        with self.db.read() as session:  # authorise before anything reaches the store
            self._writable_file(session, file_id, principal, "correspondence", lock=False)
        for filename, data in uploads:
            self.documents.check(data, filename or "document")
        stored = [(filename, self.documents.put(data, filename or "document")) for filename, data in uploads]
        DOCUMENT_BYTES.inc(sum(doc.size for _, doc in stored))
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._writable_file(session, file_id, principal, "correspondence")
            now = utcnow()
            item = CorrespondenceItem(
                id=str(uuid.uuid4()), file_id=file.id, position=repository.next_correspondence_position(session, file.id),
                kind="document", title=item_in.title, classification=file.classification, sender_name=item_in.sender_name,
                sender_organisation=item_in.sender_organisation, letter_number=item_in.letter_number,
                letter_date=item_in.letter_date, added_by=me, added_at=now,
            )
            session.add(item)
            session.flush()  # the item's row before its documents' (no ORM relationship orders them)
            documents = [
                CorrespondenceDocument(item_id=item.id, position=position, key=doc.key, sha256=doc.sha256, size=doc.size,
                                       content_type=doc.content_type, filename=(filename or "")[:255] or None)
                for position, (filename, doc) in enumerate(stored, start=1)
            ]
            session.add_all(documents)
            actions = self._open_by_acting(uow, file, current, me, now) + [
                ("document_attached", {"correspondence_id": item.id, "sha256": [d.sha256 for d in documents]})
            ]
            repository.record_actions(session, file, me, actions, now)
            answer = 201, correspondence_out(item, documents, repository.users_by_id(session, {me}))
            uow.commit(answer)
            FILE_ACTIONS.labels("document_attached").inc()
            return answer

    def _document_request(self, request):
        if request.mimetype != "multipart/form-data":
            raise UnsupportedMediaType("send multipart/form-data with an `item` field and `documents` files", reason="unsupported_request_type")
        raw = request.form.get("item")
        if raw is None:
            raise BadRequest("send the item's fields as JSON in an 'item' form field", reason="item_field_missing")
        item_in = DocumentItemIn.model_validate(load_json(raw, "the 'item' field"))
        uploads = [(f.filename, f.read()) for f in request.files.getlist("documents")]
        if not uploads:
            raise DocumentsRequired("attach at least one document", fields={"documents": "at least one document is required"})
        return item_in, uploads

    @http("GET", "/files/<string:file_id>/correspondence/<string:item_id>/documents/<int:position>")
    def get_document(self, request, file_id, item_id, position):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, _current = self._read_file(uow, file_id, principal)
            item, document = repository.document_of(session, file_id, item_id, position)
            if not self._may_read(item, principal, repository.last_movement_to(session, file.id, principal.user_id)):
                raise CorrespondenceNotFound(f"correspondence {item_id} is not in file {file_id}")
            uow.commit()
        data = self.documents.get(document.key)
        return Response(data, mimetype=document.content_type,
                        headers={"Content-Disposition": content_disposition(document.filename or document.sha256)})

    # --- drafts for approval ------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/drafts")
    def list_drafts(self, request, file_id):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, _current = self._read_file(uow, file_id, principal)
            answer = {"file_id": file.id, "drafts": [self._draft_answer(session, d) for d in repository.drafts_of(session, file_id)]}
            uow.commit()
            return answer

    @http("GET", "/files/<string:file_id>/drafts/<string:draft_id>")
    def get_draft(self, request, file_id, draft_id):
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            session = uow.session
            self._read_file(uow, file_id, principal)
            answer = self._draft_answer(session, repository.load_draft(session, file_id, draft_id))
            uow.commit()
            return answer

    @http("GET", "/files/<string:file_id>/drafts/<string:draft_id>/versions/<int:version>")
    def get_draft_version(self, request, file_id, draft_id, version):
        """Any earlier version of a draft stays readable."""
        principal = require_caller(self.caller)
        with self.db.unit_of_work() as uow:
            session = uow.session
            self._read_file(uow, file_id, principal)
            repository.load_draft(session, file_id, draft_id)
            found = repository.version_of(session, draft_id, version)
            answer = version_out(found, repository.users_by_id(session, {found.author}))
            uow.commit()
            return answer

    @http("POST", "/files/<string:file_id>/drafts", idempotent=True)
    def create_draft(self, request, file_id):
        principal = require_caller(self.caller)
        draft_in = parse_json(request, DraftIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._writable_file(session, file_id, principal, "drafts")
            now = utcnow()
            draft = Draft(id=str(uuid.uuid4()), file_id=file.id, office_code=file.office_code, subject=draft_in.subject,
                          status=domain.DRAFT, current_version=1, created_by=me, created_at=now, updated_at=now)
            session.add(draft)
            session.flush()
            self._add_version(uow, file, draft, draft_in.content, me, now, self._open_by_acting(uow, file, current, me, now))
            answer = 201, self._draft_answer(session, draft)
            uow.commit(answer)
            return answer

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/versions", idempotent=True)
    def revise_draft(self, request, file_id, draft_id):
        """Every edit is a new version; the earlier ones stay readable."""
        principal = require_caller(self.caller)
        version_in = parse_json(request, DraftVersionIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._writable_file(session, file_id, principal, "drafts")
            draft = repository.load_draft(session, file_id, draft_id)
            domain.check_draft_editable(repository.draft_view(draft))
            now = utcnow()
            draft.current_version += 1
            draft.updated_at = now
            self._add_version(uow, file, draft, version_in.content, me, now, self._open_by_acting(uow, file, current, me, now))
            answer = 201, self._draft_answer(session, draft)
            uow.commit(answer)
            return answer

    def _add_version(self, uow, file, draft, content, author, now, actions):
        sha = domain.content_sha256(content)
        uow.session.add(DraftVersion(draft_id=draft.id, version=draft.current_version, content=content, content_sha256=sha, author=author, created_at=now))
        actions = actions + [("draft_versioned", {"draft_id": draft.id, "version": draft.current_version, "content_sha256": sha})]
        repository.record_actions(uow.session, file, author, actions, now)
        uow.emit(events.DraftVersioned(**self._event_base(file), draft_id=draft.id, version=draft.current_version, author=author))

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/comments", idempotent=True)
    def comment_on_draft(self, request, file_id, draft_id):
        principal = require_caller(self.caller)
        comment_in = parse_json(request, CommentIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._writable_file(session, file_id, principal, "drafts")
            draft = repository.load_draft(session, file_id, draft_id)
            now = utcnow()
            comment = DraftComment(draft_id=draft.id, version=draft.current_version, author=me, text=comment_in.text, created_at=now)
            session.add(comment)
            session.flush()
            actions = self._open_by_acting(uow, file, current, me, now) + [("draft_commented", {"draft_id": draft.id, "comment_id": comment.id})]
            repository.record_actions(session, file, me, actions, now)
            answer = 201, self._draft_answer(session, draft)
            uow.commit(answer)
            return answer

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/approve", idempotent=True)
    def approve_draft(self, request, file_id, draft_id):
        """An officer holding the file approves the draft's latest version (or the `version` named)."""
        principal = require_caller(self.caller)
        approve_in = parse_json(request, ApproveIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._writable_file(session, file_id, principal, "drafts")
            approver = repository.get_user(session, me)
            draft = repository.load_draft(session, file_id, draft_id)
            domain.check_approve(repository.draft_view(draft), tuple(approver.roles or ()), approve_in.version)
            version = repository.version_of(session, draft.id, draft.current_version)
            now = utcnow()
            draft.status, draft.approved_version, draft.approved_by, draft.approved_at, draft.updated_at = domain.APPROVED, version.version, me, now, now
            actions = self._open_by_acting(uow, file, current, me, now) + [
                ("draft_approved", {"draft_id": draft.id, "version": version.version, "content_sha256": version.content_sha256})
            ]
            repository.record_actions(session, file, me, actions, now)
            uow.emit(events.DraftApproved(
                **self._event_base(file), draft_id=draft.id, version=version.version, approver=me, subject=draft.subject,
                content=version.content, content_sha256=version.content_sha256, classification=file.classification,
            ))
            answer = self._draft_answer(session, draft)
            uow.commit(answer)
            FILE_ACTIONS.labels("draft_approved").inc()
            return answer

    @http("POST", "/files/<string:file_id>/drafts/<string:draft_id>/issue", idempotent=True)
    def issue_draft(self, request, file_id, draft_id):
        """Issued & Sent (email) or Issued & Dispatched (post), under an issue number of the office."""
        principal = require_caller(self.caller)
        issue_in = parse_json(request, IssueIn)
        me = principal.user_id
        with self.db.unit_of_work() as uow:
            session = uow.session
            file, current = self._writable_file(session, file_id, principal, "drafts")
            draft = repository.load_draft(session, file_id, draft_id)
            domain.check_issue(repository.draft_view(draft))
            now = utcnow()
            year = domain.year_of(now)
            number = domain.issue_number(repository.next_issue_serial(session, file.office_code, year), year, file.office_code)
            recipients = [r.model_dump() for r in issue_in.recipients]
            draft.status, draft.issue_number, draft.issued_by, draft.issued_at = domain.ISSUED, number, me, now
            draft.dispatch_mode, draft.recipients, draft.updated_at = issue_in.dispatch_mode, recipients, now
            actions = self._open_by_acting(uow, file, current, me, now) + [
                ("draft_issued", {"draft_id": draft.id, "issue_number": number, "dispatch_mode": issue_in.dispatch_mode})
            ]
            repository.record_actions(session, file, me, actions, now)
            uow.emit(events.DraftIssued(
                **self._event_base(file), draft_id=draft.id, version=draft.approved_version, issue_number=number,
                dispatch_mode=issue_in.dispatch_mode, issued_by=me, recipients=recipients,
            ))
            answer = self._draft_answer(session, draft)
            uow.commit(answer)
            FILE_ACTIONS.labels("draft_issued").inc()
            return answer

    @http("GET", "/dispatch-register")
    def dispatch_register(self, request):
        """Drafts issued in the caller's office: issue number, date, mode, recipients, file."""
        principal = require_caller(self.caller)
        query = query_args(request, RegisterQuery)
        with self.db.read() as session:
            rows, total = repository.dispatch_register(session, principal.office, query)
            visible = [(d, f) for d, f in rows if self._may_open(session, f, principal)]
            users = repository.users_by_id(session, {d.issued_by for d, _ in visible})
            return {
                "office": principal.office, "page": query.page, "per_page": query.per_page, "total": total,
                "entries": [
                    {"issue_number": d.issue_number, "issued_at": d.issued_at, "dispatch_mode": d.dispatch_mode,
                     "recipients": d.recipients, "subject": d.subject, "issued_by": person(d.issued_by, users),
                     "draft_id": d.id, "version": d.approved_version, "file_id": f.id, "file_number": f.file_number}
                    for d, f in visible
                ],
            }

    def _draft_answer(self, session, draft):
        versions = repository.versions_of(session, draft.id)
        comments = repository.comments_of(session, draft.id)
        users = repository.users_by_id(session, {draft.created_by, draft.approved_by, draft.issued_by} | {v.author for v in versions} | {c.author for c in comments})
        return draft_out(draft, versions, comments, users)

    # --- audit ------------------------------------------------------------------------------------

    @http("GET", "/files/<string:file_id>/audit")
    def audit_log(self, request, file_id):
        principal = require_caller(self.caller)
        with self.db.read() as session:
            file = self._auditable_file(session, file_id, principal)
            last_movement = repository.last_movement_to(session, file.id, principal.user_id)
            restricted = {item.id for item in repository.receipts_in(session, file.id) if not self._may_read(item, principal, last_movement)}
            return {"file_id": file.id, "entries": [audit_out(r, restricted) for r in repository.audit_records(session, file_id)]}

    @http("GET", "/files/<string:file_id>/audit/verify")
    def verify_audit(self, request, file_id):
        """Recompute the hash chain; report the first entry that does not hold."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            file = self._auditable_file(session, file_id, principal)
            report = domain.verify_chain(file.id, repository.audit_records(session, file_id), file.audit_seq, file.audit_head)
            return {"file_id": file.id, **report}

    def _auditable_file(self, session, file_id, principal):
        """Those who may open the file, and the admins of its office, may read its audit log."""
        file = repository.load_file(session, file_id)
        if not (principal.has_role("admin") and principal.office == file.office_code):
            self._ensure_visible(session, file, principal)
        return file

    # --- RPC --------------------------------------------------------------------------------------

    @rpc
    def document_for_signing(self, document_kind, document_id):
        """A green note's text or an approved draft's content with its sha256, for the calling user
        (propagated from their HTTP request) to sign."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            if document_kind == "note":
                document = session.get(Note, document_id)
                status = document.status if document else None
            else:
                document = session.get(Draft, document_id)
                status = document.status if document else None
            file = repository.find_file(session, document.file_id) if document else None
            if file is None or not self._may_open(session, file, principal):
                raise FileNotFound(f"{document_kind} {document_id} was not found")
            try:
                domain.check_signable(document_kind, status)
            except UnlinkableEvent as exc:
                raise BadRequest(str(exc), reason="not_signable") from exc
            if document_kind == "note":
                content, sha, title = document.text, document.content_sha256, f"Note (paragraphs {document.first_paragraph}-{document.last_paragraph})"
            else:
                version = repository.version_of(session, document.id, document.approved_version)
                content, sha, title = version.content, version.content_sha256, document.subject
            return {"document_kind": document_kind, "document_id": document_id, "file_id": file.id, "file_number": file.file_number,
                    "title": title, "content": content, "content_sha256": sha, "classification": file.classification}

    @rpc
    def receipt_destination(self, file_id):
        """Whether the calling user may put a receipt in the file now: dak asks before it commits, so that a
        refusal leaves the receipt with its holder. {"file_id", "refusal": None or {"reason", "message"}}; a file
        the caller may not open is `file_not_found`, its existence not revealed."""
        principal = require_caller(self.caller)
        with self.db.read() as session:
            file = repository.find_file(session, file_id)
            if file is None or not self._may_open(session, file, principal):
                refusal = ("file_not_found", f"file {file_id} was not found")
            else:
                refusal = domain.receipt_link_refusal(repository.file_view(file), principal.user_id)
        return {"file_id": file_id, "refusal": {"reason": refusal[0], "message": refusal[1]} if refusal else None}

    # --- consumed events --------------------------------------------------------------------------

    @consume_events({"dak": ("office_recorded",)})
    def on_office_recorded(self, payload):
        self.db.apply_once(payload, directory.record_event)

    @consume_events({"dak": ("user_recorded",)})
    def on_user_recorded(self, payload):
        self.db.apply_once(payload, directory.record_event)

    @consume_events({"dak": ("receipt_put_in_file",)})
    def on_receipt_put_in_file(self, payload):
        self.db.apply_once(payload, self._link_receipt)

    @consume_events({"signing": ("document_signed",)})
    def on_document_signed(self, payload):
        self.db.apply_once(payload, self._record_signature)

    def _link_receipt(self, uow, envelope):
        """The receipt and its scans enter the file's correspondence under the receipt number. The scans
        are copied (server-side) into this service's own prefix before the commit; their keys are
        content-addressed, so a redelivery copies onto the same keys."""
        data = envelope.data
        session = uow.session
        file = repository.find_file(session, data["file_id"], for_update=True)
        put_at = datetime.fromisoformat(envelope.occurred_at).astimezone(timezone.utc)
        domain.check_receipt_link(repository.file_view(file) if file else None, data["put_by"],
                                  repository.custodian_at(session, file, put_at) if file else None)
        current = repository.current_movement(session, file.id)
        scans = [self._copy_scan(scan) for scan in data.get("scans") or []]
        now = utcnow()
        item = CorrespondenceItem(
            id=str(uuid.uuid4()), file_id=file.id, position=repository.next_correspondence_position(session, file.id),
            kind="receipt", receipt_id=data["receipt_id"], receipt_number=data["receipt_number"], title=data.get("subject") or "",
            classification=data.get("classification") or "normal", receipt_kind=data.get("kind"),
            sender_name=data.get("sender_name"), sender_organisation=data.get("sender_organisation"),
            letter_number=data.get("letter_number"), letter_date=_date(data.get("letter_date")),
            received_date=_date(data.get("received_date")), added_by=data["put_by"], added_at=now,
            receipt_office=data.get("office") or envelope.office, cleared=sorted(set(data.get("cleared") or ()) | {data["put_by"]}),
            linked_after_movement=current.id if current else None,
        )
        session.add(item)
        session.flush()
        session.add_all([CorrespondenceDocument(item_id=item.id, **scan) for scan in scans])
        repository.record_actions(session, file, data["put_by"], [(
            "receipt_linked", {"receipt_id": item.receipt_id, "receipt_number": item.receipt_number, "correspondence_id": item.id,
                               "sha256": [s["sha256"] for s in scans], "event_id": envelope.id},
        )], now)
        uow.emit(events.ReceiptLinked(
            **self._event_base(file), receipt_id=item.receipt_id, receipt_number=item.receipt_number, linked_by=data["put_by"],
            correspondence_id=item.id, scans=[{"position": s["position"], "key": s["key"], "sha256": s["sha256"]} for s in scans],
        ))
        RECEIPTS_LINKED.inc()
        DOCUMENT_BYTES.inc(sum(s["size"] for s in scans))

    def _copy_scan(self, scan):
        content_type, sha = scan["content_type"], scan["sha256"]
        source = scan["key"]
        if content_type not in EXTENSIONS or not source.rsplit("/", 1)[-1].startswith(sha):
            raise UnlinkableEvent(f"scan {source} is not a content-addressed {', '.join(EXTENSIONS)} document")
        store = self.documents
        key = f"{store.prefix}{sha}.{EXTENSIONS[content_type]}"
        try:
            store.copy(source, key)
        except NotFound:
            raise UnlinkableEvent(f"scan {source} is not in the store") from None
        return {"position": int(scan["position"]), "key": key, "sha256": sha, "size": int(scan["size"]),
                "content_type": content_type, "filename": (scan.get("filename") or "")[:255] or None}

    def _record_signature(self, uow, envelope):
        """signing's document_signed: a green note or an approved draft is marked signed."""
        data = envelope.data
        session = uow.session
        file = repository.find_file(session, data["file_id"], for_update=True)
        if file is None:
            raise UnlinkableEvent(f"file {data['file_id']} is not known to the files service")
        kind = data["document_kind"]
        model = {"note": Note, "draft": Draft}.get(kind)
        document = session.get(model, data["document_id"]) if model else None
        if document is not None and document.file_id != file.id:
            document = None
        domain.check_signable(kind, document.status if document else None)
        signed_at = datetime.fromisoformat(data["signed_at"])
        document.signature_id, document.signed_by, document.signed_at = data["signature_id"], data["signer"], signed_at
        document.signed_sha256, document.signature_method = data["content_sha256"], data.get("method")
        repository.record_actions(session, file, data["signer"], [(
            f"{kind}_signed", {f"{kind}_id": document.id, "signature_id": data["signature_id"], "content_sha256": data["content_sha256"],
                               "method": data.get("method"), "certificate_serial": data.get("certificate_serial")},
        )], utcnow())
        FILE_ACTIONS.labels(f"{kind}_signed").inc()

    # --- housekeeping -------------------------------------------------------------------------------

    @timer(interval=3600)
    def sweep_orphan_documents(self):
        """Remove documents that reached S3 but whose attachment never committed (after a grace period)."""
        with self.db.read() as session:
            referenced = repository.referenced_document_keys(session)
        grace = timedelta(seconds=int(self.config.get("ORPHAN_DOCUMENT_GRACE_SECONDS", 3600)))
        removed = 0
        for key in self.documents.unreferenced(referenced, grace):
            self.documents.delete(key)
            removed += 1
        self.log.info("orphan_documents_swept", removed=removed)
        return removed

    # --- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _may_open(db, file, principal):
        view = repository.file_view(file)
        me = principal.user_id
        return domain.can_open(view, me, principal.office, False) or domain.can_open(view, me, principal.office, repository.was_sent_to(db, file.id, me))

    @staticmethod
    def _may_read(item, principal, last_movement_to_caller):
        return domain.can_read_item(repository.item_view(item), principal.user_id, principal.office, last_movement_to_caller)

    def _ensure_visible(self, db, file, principal):
        if not self._may_open(db, file, principal):
            raise FileNotFound(f"file {file.id} was not found")

    def _file_for_action(self, session, file_id, principal, lock=True):
        """The file locked for this transaction (one writer at a time per file), its current movement,
        and whether its custodian has yellow notes on it."""
        file, current, has_yellow_notes = repository.file_for_action(session, file_id, lock)
        self._ensure_visible(session, file, principal)
        return file, current, has_yellow_notes

    def _writable_file(self, session, file_id, principal, what, lock=True):
        file, current, _yellow = self._file_for_action(session, file_id, principal, lock)
        view = repository.file_view(file)
        domain.ensure_can_write(view, principal.user_id)
        domain.ensure_electronic(view, what)
        return file, current

    def _read_file(self, uow, file_id, principal):
        """The file and its current movement for a reader who may open it. Its recipient reading any of it
        (the file, its notes, correspondence or drafts) opens it, so the sender can no longer pull it back:
        the caller commits once its answer is read."""
        session = uow.session
        file, current, _yellow = repository.file_for_action(session, file_id, lock=False)
        self._ensure_visible(session, file, principal)
        if self._is_unopened_by(file, current, principal.user_id):
            file, current, _yellow = repository.file_for_action(session, file_id)
            opened = self._open_by_acting(uow, file, current, principal.user_id, utcnow())
            if opened:
                repository.record_actions(session, file, principal.user_id, opened, current.opened_at)
        return file, current

    @staticmethod
    def _is_unopened_by(file, current, user_id):
        return current is not None and current.opened_at is None and current.to_user == user_id and file.custodian_id == user_id

    def _open_by_acting(self, uow, file, current, user_id, now, emit=None):
        """Opening the file, or acting on it, records when its recipient first did; returns the audit entry.
        The event goes to `emit` (by default straight to the outbox)."""
        if not self._is_unopened_by(file, current, user_id):
            return []
        current.opened_at = now
        (emit or uow.emit)(events.FileOpened(**self._event_base(file), movement_id=current.id, user=user_id, opened_at=now.isoformat()))
        FILE_ACTIONS.labels("opened").inc()
        return [("opened", {"movement_id": current.id})]

    @staticmethod
    def _event_base(file):
        return {"file_id": file.id, "file_number": file.file_number, "office": file.office_code, "district": file.district_code}

