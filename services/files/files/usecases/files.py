"""Files made and read: numbering heads, a new file (SFS or free-form), its volumes and parts; a file,
its movements and its audit log as their readers may see them; the lists and search."""
from __future__ import annotations

from dataclasses import dataclass

from eoffice_common.auth import Principal

from .. import domain
from ..exceptions import DuplicateFileNumber, DuplicateHead, UnknownSection
from ..model import File
from ..models import FileHead
from ..schemas import file_out, file_summary, head_out, movement_out, person, related_file_out
from . import FILES_CREATED, utcnow
from .movement import FileCommand


@dataclass(frozen=True)
class AddHead:
    caller: Principal
    head: dict  # main and sub code and names, section and department labels


def add_head(command: AddHead, uow) -> tuple[int, dict]:
    """An admin adds a head to their office's SFS scheme."""
    with uow:
        admin = uow.directory.user(command.caller.user_id)
        domain.ensure_admin(admin, "add file heads")
        office, main_code, sub_code = admin.office_code, command.head["main_code"], command.head["sub_code"]
        if uow.directory.head_exists(office, main_code, sub_code):
            raise DuplicateHead(f"head {domain.head_code(main_code, sub_code)} already exists in {office}")
        head = FileHead(office_code=office, created_by=admin.id, created_at=utcnow(), active=True, **command.head)
        uow.directory.add_head(head)
        answer = 201, head_out(head)
        uow.commit(answer)
        return answer


def list_heads(caller: Principal, uow) -> dict:
    with uow:
        return {"heads": [head_out(h) for h in uow.directory.heads_of(caller.office)]}


@dataclass(frozen=True)
class CreateFile:
    caller: Principal
    subject: str
    numbering: str = "sfs"
    head_id: int | None = None
    file_number: str | None = None  # a non-SFS number
    section: str | None = None
    category: str | None = None
    description: str | None = None
    kind: str = "electronic"
    classification: str = "normal"


def create_file(command: CreateFile, uow) -> tuple[int, dict]:
    """A new file: SFS (numbered from a head of the creator's office) or non-SFS (free-form)."""
    with uow:
        user = uow.directory.user(command.caller.user_id)
        office = uow.directory.office(user.office_code)
        if command.section and command.section not in {s["code"] for s in office.sections}:
            raise UnknownSection(f"{command.section} is not a section of {office.code}", fields={"section": "not a section of your office"})
        now = utcnow()
        if command.numbering == "sfs":
            head = uow.directory.head(command.head_id, office.code)
            year = domain.year_of(now)
            serial = uow.files.next_file_serial(head.id, year)
            number = domain.sfs_number(domain.head_code(head.main_code, head.sub_code), serial, year, head.section_label, head.department_label)
        else:
            year = serial = None
            number = domain.clean_number(command.file_number)
        file = File.create(
            user.id, uow.files.next_computer_number(), now, office_code=office.code, district_code=office.district_code,
            section_code=command.section or user.section_code, numbering=command.numbering, head_id=command.head_id, year=year,
            serial=serial, base_number=number, file_number=number, subject=command.subject, category=command.category,
            description=command.description, kind=command.kind, classification=command.classification,
        )
        return _created(uow, file)


@dataclass(frozen=True)
class OpenVolume(FileCommand):
    remarks: str | None = None


def open_volume(command: OpenVolume, uow) -> tuple[int, dict]:
    """The next volume of a file, opened by the custodian of the file or of any of its volumes."""
    with uow:
        held = visible_file(uow, command.caller, command.file_id)
        root = uow.files.get(held.parent_file_id if held.relation == "volume" else held.id, for_update=True)  # serialises volume numbering
        held = uow.files.get(command.file_id, for_update=True)
        volume = uow.files.next_volume(root.id)
        return _created(uow, root.open_volume(held, volume, command.caller.user_id, command.remarks, uow.files.next_computer_number(), utcnow()))


@dataclass(frozen=True)
class OpenPart(FileCommand):
    subject: str | None = None


def open_part(command: OpenPart, uow) -> tuple[int, dict]:
    """A part file, to work on a matter while the main file is elsewhere: `<number>/Part.N`."""
    with uow:
        parent = visible_file(uow, command.caller, command.file_id, for_update=True)
        file = parent.open_part(uow.files.next_part(parent.id), command.caller.user_id, command.subject, uow.files.next_computer_number(), utcnow())
        return _created(uow, file)


def _created(uow, file: File) -> tuple[int, dict]:
    if uow.files.number_taken(file.office_code, file.file_number):
        raise DuplicateFileNumber(f"file number {file.file_number} is already used in {file.office_code}",
                                  fields={"file_number": "already used in your office"})
    uow.files.add(file)
    creator = uow.directory.user(file.created_by)
    answer = 201, file_out(file, None, {creator.id: creator})
    uow.commit(answer)
    FILES_CREATED.labels(file.kind, file.numbering).inc()
    return answer


# --- reading a file ---------------------------------------------------------------------------------------

def visible_file(uow, caller: Principal, file_id: str, for_update: bool = False) -> File:
    """The file, if the caller may open it (otherwise not found: its existence is not revealed)."""
    file = uow.files.get(file_id, for_update)
    file.ensure_visible_to(caller.user_id, caller.office, uow.files.was_sent_to)
    return file


def opened_file(uow, caller: Principal, file_id: str) -> File:
    """The file for a reader who may open it. Its recipient reading any of it (the file, its notes,
    correspondence or drafts) opens it, so that the sender can no longer pull it back; the use case
    commits once its answer is read."""
    file = visible_file(uow, caller, file_id)
    if file.is_unopened_by(caller.user_id):
        file = uow.files.get(file_id, for_update=True)
        file.open_by(caller.user_id, utcnow())
    return file


def get_file(command: FileCommand, uow) -> dict:
    """A file; its custodian opening it for the first time since it was sent records when."""
    with uow:
        file = opened_file(uow, command.caller, command.file_id)
        current = file.current
        people = {file.custodian_id, file.owner_id} | ({current.from_user, current.to_user} if current else set())
        answer = file_out(file, current, uow.directory.people(people), uow.files.related(file), relations_of(uow, command.caller, file))
        uow.commit()
        return answer


def relations_of(uow, caller: Principal, file: File) -> dict:
    """The files linked with `file`, those attached into it, and the one it is attached to, as `caller` may see them."""
    def shown(other: File) -> dict:
        return related_file_out(other, other.visible_to(caller.user_id, caller.office, uow.files.was_sent_to))

    holder = uow.files.find(file.attached_to_file_id) if file.attached_to_file_id else None
    return {
        "links": [shown(f) for f in uow.files.linked_with(file.id)],
        "attachments": [shown(f) for f in uow.files.attached_to(file.id)],
        "attached_to": shown(holder) if holder is not None else None,
    }


def list_movements(command: FileCommand, uow) -> dict:
    """Every move of the file: from, to, when, remarks, due date, priority and when it was opened."""
    with uow:
        file = visible_file(uow, command.caller, command.file_id)
        movements = uow.files.movements_of(file.id)
        users = uow.directory.people({m.from_user for m in movements} | {m.to_user for m in movements} | {file.custodian_id})
        return {"file_id": file.id, "file_number": file.file_number, "custodian": person(file.custodian_id, users),
                "status": file.status, "movements": [movement_out(m, users) for m in movements]}


@dataclass(frozen=True)
class ListFiles:
    caller: Principal
    query: object  # schemas.ListQuery or schemas.SearchQuery


def list_files(command: ListFiles, uow) -> dict:
    """The caller's inbox, sent, created, parked or closed files."""
    with uow:
        rows, total = uow.files.inbox(command.caller.user_id, command.query)
        return _page(uow, command.query, rows, total, box=command.query.box)


def search_files(command: ListFiles, uow) -> dict:
    """Advanced search by number, computer number, subject words (Hindi or English), category,
    year, dates, current holder; among the files the caller may open."""
    with uow:
        rows, total = uow.files.search(command.caller.user_id, command.caller.office, command.query)
        return _page(uow, command.query, rows, total)


def _page(uow, query, rows, total, **extra) -> dict:
    ids = set()
    for file, current in rows:
        ids |= {file.custodian_id} | ({current.from_user, current.to_user} if current else set())
    users = uow.directory.people(ids)
    return {**extra, "page": query.page, "per_page": query.per_page, "total": total,
            "files": [file_summary(file, current, users) for file, current in rows]}
