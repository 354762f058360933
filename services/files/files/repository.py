"""Where the files service's SQL lives: one repository per aggregate over a unit of work's session,
and the unit of work the use cases are given. Where PostgreSQL and SQLite need different SQL, the
difference is inside one method here."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, time

from sqlalchemy import and_, bindparam, case, exists, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from eoffice_common.directory import record_acting_charge
from eoffice_common.search import contains

from . import domain, one_statement
from .exceptions import (
    CorrespondenceNotFound,
    DraftNotFound,
    DuplicateFileNumber,
    FileNotFound,
    NoteNotFound,
    UnknownHead,
    UnknownOffice,
    UnknownUser,
    VersionConflict,
)
from .model import (
    AuditEntry,
    CorrespondenceDocument,
    CorrespondenceItem,
    Dispatch,
    Draft,
    DraftComment,
    DraftVersion,
    File,
    FileLink,
    Movement,
    Note,
)
from .models import COMPUTER_NUMBERS, ActingCharge, Counter, FileHead, FileSerial, IssueSerial, Office, User

# What the answers show of an officer (schemas.person), and whether they may receive a file (active, cleared for it).
PERSON_KEYS = ("id", "name_en", "name_hi", "designation_en", "designation_hi", "active", "clearance")
_USERS_BY_ID = select(*[User.__table__.c[k] for k in PERSON_KEYS]).where(User.__table__.c.id.in_(bindparam("ids", expanding=True)))
# Read on every movement: built once, so that neither the statement nor its cache key is made again
# per request. The officers named, and whoever holds charge on the day for the addressee, who is away.
_charges = ActingCharge.__table__.c
_users = User.__table__.c
_ACTING_FOR_ADDRESSEE = select(_charges.acting_user).where(
    _charges.absent_user == bindparam("addressee"), _charges.ended.is_(False),
    _charges.from_date <= bindparam("day"), _charges.to_date >= bindparam("day"),
).limit(1).scalar_subquery()
_PEOPLE_AND_ACTING = select(*[_users[k] for k in PERSON_KEYS], _ACTING_FOR_ADDRESSEE.label("acting_for_addressee")).where(
    or_(_users.id.in_(bindparam("ids", expanding=True)), _users.id == _ACTING_FOR_ADDRESSEE)
)

class Repository:
    def __init__(self, uow):
        self._uow = uow

    @property
    def session(self) -> Session:
        return self._uow.session

    @property
    def _postgresql(self) -> bool:
        return self.session.bind.dialect.name == "postgresql"

    def _in_file(self, model, row_id, file_id: str, missing: Exception):
        """The row of `model` with `row_id` if it belongs to the file, else `missing` is raised."""
        row = self.session.get(model, row_id)
        if row is None or row.file_id != file_id:
            raise missing
        return row

    def _next_id(self, table: str) -> int:
        """The id the next row of `table` will have, for a row whose id its events and audit entries
        name before it is written. PostgreSQL: the column's sequence. SQLite: one past the highest
        (its writers take turns: DatabaseEngine.write_turn)."""
        if self._postgresql:
            return self.session.execute(text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")).scalar_one()
        return self.session.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar_one()

    def _next_serial(self, model, keys: dict) -> int:
        """The next value of a counter row, gap-free: taken under the row's lock, so it rolls back with
        the transaction that took it."""
        insert = postgresql.insert if self._postgresql else sqlite.insert
        self.session.execute(insert(model).values(**keys, last_serial=0).on_conflict_do_nothing(index_elements=list(keys)))
        return self.session.execute(
            update(model).where(*[getattr(model, k) == v for k, v in keys.items()])
            .values(last_serial=model.last_serial + 1).returning(model.last_serial)
        ).scalar_one()


# --- files --------------------------------------------------------------------------------------------

_custodian_has_yellow_notes = exists().where(
    Note.file_id == File.id, Note.status == domain.YELLOW, Note.author == File.custodian_id
).label("has_yellow_notes")


_attached = aliased(File)
_has_attached_files = exists().where(_attached.attached_to_file_id == File.id).label("has_attached_files")

_FILE = (
    select(File, Movement, _custodian_has_yellow_notes, _has_attached_files)
    .outerjoin(Movement, and_(Movement.file_id == File.id, Movement.is_current))
    .where(File.id == bindparam("file_id"))
    # populate_existing: a row read earlier in this session is refreshed, not served from memory.
    .execution_options(populate_existing=True)
)
# PostgreSQL locks the row; SQLite's writers take turns (DatabaseEngine.write_turn).
_FILE_FOR_UPDATE = _FILE.with_for_update(of=File)
# A file about to move is read, on PostgreSQL, with the id its movement will have: one round trip
# fewer on every move (docs/decisions/0005).
_FILE_TO_MOVE = _FILE_FOR_UPDATE.add_columns(func.nextval(func.pg_get_serial_sequence("movements", "id")))


class FileRepository(Repository):
    def get(self, file_id: str, for_update: bool = False) -> File:
        """The file with its current movement and its custodian's yellow notes, taken into the unit of
        work; `for_update` locks its row for this transaction (one writer at a time per file)."""
        file = self.find(file_id, for_update)
        if file is None:
            raise FileNotFound(f"file {file_id} was not found")
        return file

    def find(self, file_id: str, for_update: bool = False) -> File | None:
        row = self.session.execute(_FILE_FOR_UPDATE if for_update else _FILE, {"file_id": file_id}).first()
        return None if row is None else self._loaded(*row)

    def get_to_move(self, file_id: str) -> File:
        """get(file_id, for_update=True) of a file about to move; next_movement_id() then first
        gives the id read with it."""
        if not self._postgresql:
            return self.get(file_id, for_update=True)
        row = self.session.execute(_FILE_TO_MOVE, {"file_id": file_id}).first()
        if row is None:
            raise FileNotFound(f"file {file_id} was not found")
        *file, self._reserved_movement_id = row
        return self._loaded(*file)

    def _loaded(self, file: File, current: Movement | None, has_yellow_notes: bool, has_attached_files: bool = True) -> File:
        file.current = current
        file.has_attached_files = has_attached_files
        file.yellow_notes = self._yellow_notes(file.id, file.custodian_id) if has_yellow_notes else []
        return self._uow.track(file)

    def _yellow_notes(self, file_id: str, author: str) -> list[Note]:
        return self.session.execute(
            select(Note).where(Note.file_id == file_id, Note.status == domain.YELLOW, Note.author == author).order_by(Note.created_at)
        ).scalars().all()

    def add(self, file: File) -> None:
        self.session.add(file)
        self._uow.track(file)

    def held_or_owned_by(self, user_id: str) -> list[File]:
        """Every file an officer holds or owns, locked, in a fixed order so that two transfers cannot deadlock."""
        rows = self.session.execute(
            select(File, Movement)
            .outerjoin(Movement, and_(Movement.file_id == File.id, Movement.is_current))
            .where(or_(File.custodian_id == user_id, File.owner_id == user_id))
            .order_by(File.id).with_for_update(of=File).execution_options(populate_existing=True)
        ).all()
        return [self._loaded(file, current, file.custodian_id == user_id) for file, current in rows]

    def held_by(self, user_id: str) -> list[File]:
        """The files an officer holds and has not closed, locked, in a fixed order (as held_or_owned_by)."""
        rows = self.session.execute(
            select(File, Movement)
            .outerjoin(Movement, and_(Movement.file_id == File.id, Movement.is_current))
            .where(File.custodian_id == user_id, File.status != domain.CLOSED)
            .order_by(File.id).with_for_update(of=File).execution_options(populate_existing=True)
        ).all()
        return [self._loaded(file, current, True) for file, current in rows]

    _reserved_movement_id = None

    def next_movement_id(self) -> int:
        reserved, self._reserved_movement_id = self._reserved_movement_id, None
        return reserved or self._next_id("movements")

    def next_computer_number(self) -> int:
        """Unique across the deployment (not gap-free: a PostgreSQL sequence does not roll back)."""
        if self._postgresql:
            return self.session.execute(select(COMPUTER_NUMBERS.next_value())).scalar_one()
        self.session.execute(sqlite.insert(Counter).values(name="computer_number", value=0).on_conflict_do_nothing(index_elements=["name"]))
        return self.session.execute(
            update(Counter).where(Counter.name == "computer_number").values(value=Counter.value + 1).returning(Counter.value)
        ).scalar_one()

    def next_file_serial(self, head_id: int, year: int) -> int:
        return self._next_serial(FileSerial, {"head_id": head_id, "year": year})

    def next_issue_serial(self, office_code: str, year: int) -> int:
        return self._next_serial(IssueSerial, {"office_code": office_code, "year": year})

    def number_taken(self, office_code: str, number: str) -> bool:
        key = domain.number_key(number)
        return self.session.execute(select(File.id).where(File.office_code == office_code, File.number_key == key)).first() is not None

    def next_volume(self, root_id: str) -> int:
        return self.session.execute(
            select(func.max(File.volume)).where(or_(File.id == root_id, and_(File.parent_file_id == root_id, File.relation == "volume")))
        ).scalar_one() + 1

    def next_part(self, parent_id: str) -> int:
        return (self.session.execute(
            select(func.max(File.part)).where(File.parent_file_id == parent_id, File.relation == "part")
        ).scalar_one() or 0) + 1

    def related(self, file: File) -> list[File]:
        """The file's volumes and parts, and the file it belongs to."""
        root = file.parent_file_id if file.relation == "volume" else file.id
        conditions = [File.parent_file_id == file.id, File.parent_file_id == root, File.id == root]
        if file.parent_file_id:
            conditions.append(File.id == file.parent_file_id)
        return self.session.execute(
            select(File).where(or_(*conditions), File.id != file.id).order_by(File.volume, File.part, File.created_at)
        ).scalars().all()

    def attached_to(self, file_id: str, for_update: bool = False) -> list[File]:
        """The files attached into this one, in a fixed order (locked in it, `for_update`)."""
        ids = self.session.execute(select(File.id).where(File.attached_to_file_id == file_id).order_by(File.id)).scalars().all()
        return [self.get(attached_id, for_update) for attached_id in ids]

    def has_attachments(self, file_id: str) -> bool:
        return self.session.execute(select(File.id).where(File.attached_to_file_id == file_id).limit(1)).first() is not None

    def linked_with(self, file_id: str) -> list[File]:
        """The files this one is linked with, whichever side made the link."""
        other = case((FileLink.file_id == file_id, FileLink.linked_file_id), else_=FileLink.file_id)
        return self.session.execute(
            select(File).join(FileLink, File.id == other)
            .where(or_(FileLink.file_id == file_id, FileLink.linked_file_id == file_id)).order_by(FileLink.linked_at)
        ).scalars().all()

    def link_between(self, file_id: str, other_id: str) -> FileLink | None:
        return self.session.execute(select(FileLink).where(or_(
            and_(FileLink.file_id == file_id, FileLink.linked_file_id == other_id),
            and_(FileLink.file_id == other_id, FileLink.linked_file_id == file_id),
        ))).scalar_one_or_none()

    def remove_link(self, link: FileLink) -> None:
        self.session.delete(link)

    def was_sent_to(self, file_id: str, user_id: str) -> bool:
        return self.session.execute(
            select(Movement.id).where(Movement.file_id == file_id, Movement.to_user == user_id).limit(1)
        ).first() is not None

    def last_movement_to(self, file_id: str, user_id: str) -> int | None:
        """The id of the latest movement that brought the file to the user, or None."""
        return self.session.execute(select(func.max(Movement.id)).where(Movement.file_id == file_id, Movement.to_user == user_id)).scalar_one()

    def custodian_at(self, file: File, moment: datetime) -> str:
        """Who held the file at `moment`: the recipient of its last movement by then, else its creator."""
        holder = self.session.execute(
            select(Movement.to_user).where(Movement.file_id == file.id, Movement.sent_at <= moment)
            .order_by(Movement.sent_at.desc(), Movement.id.desc()).limit(1)
        ).scalar_one_or_none()
        return holder or file.created_by

    def movements_of(self, file_id: str) -> list[Movement]:
        return self.session.execute(select(Movement).where(Movement.file_id == file_id).order_by(Movement.id)).scalars().all()

    def counted_movements(self, file_id: str) -> int:
        return self.session.execute(
            select(func.count()).select_from(Movement).where(Movement.file_id == file_id, Movement.action.in_(domain.COUNTED_MOVES))
        ).scalar_one()

    def audit_records(self, file_id: str) -> list[domain.AuditRecord]:
        return [
            domain.AuditRecord(e.seq, e.action, e.actor, e.at, json.loads(e.details), e.prev_hash, e.hash)
            for e in self.session.execute(select(AuditEntry).where(AuditEntry.file_id == file_id).order_by(AuditEntry.seq)).scalars()
        ]

    def inbox(self, user_id: str, query) -> tuple[list, int]:
        """A user's inbox, sent, created, parked or closed files, filtered and paged: [(file, current movement)], total."""
        select_files, current = _with_current()
        if query.box == "inbox":
            filters = [File.custodian_id == user_id, File.status == domain.OPEN]
        elif query.box == "sent":
            filters = [exists().where(Movement.file_id == File.id, Movement.from_user == user_id, Movement.action.in_(domain.COUNTED_MOVES))]
        elif query.box == "created":
            filters = [File.created_by == user_id]
        elif query.box == "parked":
            filters = [File.custodian_id == user_id, File.status == domain.PARKED]
        else:
            filters = [File.closed_by == user_id, File.status == domain.CLOSED]
        if query.classification:
            filters.append(File.classification == query.classification)
        if query.category:
            filters.append(func.lower(File.category) == query.category.lower())
        if query.priority:
            filters.append(current.priority == query.priority)
        if query.unread is not None:
            filters.append(current.opened_at.is_(None) if query.unread else current.opened_at.is_not(None))
        if query.q:
            filters += _subject_words(query.q)
        filters += _day_range(File.created_at, query.date_from, query.date_to)
        if query.box == "inbox":
            order = [case({"most_immediate": 0, "urgent": 1}, value=current.priority, else_=2), current.sent_at.desc(), File.created_at.desc()]
        else:
            order = [File.updated_at.desc()]
        return _page(self.session, select_files, filters, order, query.page, query.per_page)

    def search(self, user_id: str, user_office: str, query) -> tuple[list, int]:
        """Advanced search among the files the user may open."""
        select_files, _current = _with_current()
        filters = [or_(
            and_(File.office_code == user_office, File.classification.notin_(domain.RESTRICTED)),
            File.created_by == user_id, File.owner_id == user_id, File.custodian_id == user_id,
            exists().where(Movement.file_id == File.id, Movement.to_user == user_id),
        )]
        if query.scope == "office":
            filters.append(File.office_code == user_office)
        if query.number:
            filters.append(contains(File.number_key, domain.number_key(query.number)))
        if query.computer_number:
            filters.append(File.computer_number == query.computer_number)
        if query.q:
            filters += _subject_words(query.q)
        if query.category:
            filters.append(func.lower(File.category) == query.category.lower())
        if query.year:
            filters += _day_range(File.created_at, datetime(query.year, 1, 1).date(), datetime(query.year, 12, 31).date())
        filters += _day_range(File.created_at, query.date_from, query.date_to)
        if query.holder:
            filters.append(File.custodian_id == query.holder)
        if query.classification:
            filters.append(File.classification == query.classification)
        if query.status:
            filters.append(File.status == query.status)
        return _page(self.session, select_files, filters, [File.created_at.desc()], query.page, query.per_page)


def _day_range(column, date_from, date_to):
    filters = []
    if date_from:
        filters.append(column >= datetime.combine(date_from, time.min, domain.IST))
    if date_to:
        filters.append(column <= datetime.combine(date_to, time.max, domain.IST))
    return filters


def _subject_words(query):
    return [contains(File.subject_search, word) for word in domain.search_words(query)]


def _page(session, query, filters, order, page, per_page):
    total = session.execute(select(func.count()).select_from(query.where(*filters).subquery())).scalar_one()
    rows = session.execute(query.where(*filters).order_by(*order).offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


def _with_current():
    current = aliased(Movement)
    query = select(File, current).outerjoin(current, and_(current.file_id == File.id, current.is_current))
    return query, current


# --- notes, correspondence, drafts ------------------------------------------------------------------------

class NoteRepository(Repository):
    def get(self, file_id: str, note_id: str) -> Note:
        return self._in_file(Note, note_id, file_id, NoteNotFound(f"note {note_id} is not in file {file_id}"))

    def find(self, note_id: str) -> Note | None:
        return self.session.get(Note, note_id)

    def remove(self, note: Note) -> None:
        self.session.delete(note)

    def of_file(self, file_id: str) -> list[Note]:
        return self.session.execute(select(Note).where(Note.file_id == file_id).order_by(Note.created_at)).scalars().all()

    def readable_by(self, file_id: str, viewer: str) -> list[Note]:
        """Green notes in paragraph order, then the viewer's own yellow notes (nobody else sees those)."""
        return self.session.execute(
            select(Note)
            .where(Note.file_id == file_id, or_(Note.status == domain.GREEN, Note.author == viewer))
            .order_by(case((Note.status == domain.GREEN, 0), else_=1), Note.first_paragraph, Note.created_at)
        ).scalars().all()


class CorrespondenceRepository(Repository):
    def ids(self, file_id: str) -> set[str]:
        return set(self.session.execute(select(CorrespondenceItem.id).where(CorrespondenceItem.file_id == file_id)).scalars())

    def next_position(self, file_id: str) -> int:
        return (self.session.execute(
            select(func.max(CorrespondenceItem.position)).where(CorrespondenceItem.file_id == file_id)
        ).scalar_one() or 0) + 1

    def receipts_in(self, file_id: str) -> list[CorrespondenceItem]:
        return self.session.execute(
            select(CorrespondenceItem).where(CorrespondenceItem.file_id == file_id, CorrespondenceItem.kind == "receipt")
        ).scalars().all()

    def items_of(self, file_id: str) -> list[CorrespondenceItem]:
        return self.session.execute(
            select(CorrespondenceItem).where(CorrespondenceItem.file_id == file_id).order_by(CorrespondenceItem.position)
        ).scalars().all()

    def of_file(self, file_id: str) -> list[tuple[CorrespondenceItem, list[CorrespondenceDocument]]]:
        items = self.session.execute(
            select(CorrespondenceItem).where(CorrespondenceItem.file_id == file_id).order_by(CorrespondenceItem.position)
        ).scalars().all()
        documents = {}
        if items:
            for document in self.session.execute(
                select(CorrespondenceDocument)
                .where(CorrespondenceDocument.item_id.in_([i.id for i in items]))
                .order_by(CorrespondenceDocument.position)
            ).scalars():
                documents.setdefault(document.item_id, []).append(document)
        return [(item, documents.get(item.id, [])) for item in items]

    def document(self, file_id: str, item_id: str, position: int) -> tuple[CorrespondenceItem, CorrespondenceDocument]:
        item = self._in_file(CorrespondenceItem, item_id, file_id, CorrespondenceNotFound(f"correspondence {item_id} is not in file {file_id}"))
        document = self.session.execute(
            select(CorrespondenceDocument).where(CorrespondenceDocument.item_id == item_id, CorrespondenceDocument.position == position)
        ).scalar_one_or_none()
        if document is None:
            raise CorrespondenceNotFound(f"correspondence {item_id} has no document {position}", reason="document_not_found")
        return item, document

    def referenced_keys(self) -> set[str]:
        return set(self.session.execute(select(CorrespondenceDocument.key).distinct()).scalars())


class DraftRepository(Repository):
    def get(self, file_id: str, draft_id: str) -> Draft:
        return self._in_file(Draft, draft_id, file_id, DraftNotFound(f"draft {draft_id} is not in file {file_id}"))

    def find(self, draft_id: str) -> Draft | None:
        return self.session.get(Draft, draft_id)

    def of_file(self, file_id: str) -> list[Draft]:
        return self.session.execute(select(Draft).where(Draft.file_id == file_id).order_by(Draft.created_at)).scalars().all()

    def versions(self, draft_id: str) -> list[DraftVersion]:
        return self.session.execute(select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(DraftVersion.version)).scalars().all()

    def version(self, draft_id: str, version: int) -> DraftVersion:
        found = self.session.get(DraftVersion, (draft_id, version))
        if found is None:
            raise DraftNotFound(f"draft {draft_id} has no version {version}", reason="version_not_found")
        return found

    def comments(self, draft_id: str) -> list[DraftComment]:
        return self.session.execute(select(DraftComment).where(DraftComment.draft_id == draft_id).order_by(DraftComment.id)).scalars().all()

    def next_comment_id(self) -> int:
        return self._next_id("draft_comments")

class DispatchRepository(Repository):
    """Each addressee's dispatch of an issued letter (written through File.issue_draft)."""

    def get(self, dispatch_id: str) -> Dispatch | None:
        """The dispatch, its row locked for this transaction: dak's and notify's news of it arrive concurrently."""
        return self.session.execute(select(Dispatch).where(Dispatch.id == dispatch_id).with_for_update()).scalar_one_or_none()

    def of_draft(self, draft_id: str) -> list[Dispatch]:
        return list(self.session.execute(select(Dispatch).where(Dispatch.draft_id == draft_id).order_by(Dispatch.position)).scalars())

    def register(self, office_code: str, query) -> tuple[list, int]:
        """The dispatch register: an office's dispatches, newest first, with their draft and file:
        [(dispatch, draft, file)], total."""
        filters = [Dispatch.office_code == office_code, *_day_range(Dispatch.issued_at, query.date_from, query.date_to)]
        if query.dispatch_mode:
            filters.append(Dispatch.mode == query.dispatch_mode)
        if query.status:
            filters.append(Dispatch.status == query.status)
        rows = select(Dispatch, Draft, File).join(Draft, Draft.id == Dispatch.draft_id).join(File, File.id == Dispatch.file_id)
        return _page(self.session, rows, filters, [Dispatch.issued_at.desc(), Dispatch.position], query.page, query.per_page)


# --- the directory copy and numbering heads -----------------------------------------------------------------

class DirectoryRepository(Repository):
    def user(self, user_id: str) -> User:
        """An active user of the directory copy."""
        user = self.session.get(User, user_id)
        if user is None or not user.active:
            raise UnknownUser(f"user {user_id} is not in the directory")
        return user

    def find_user(self, user_id: str | None) -> User | None:
        """A user of the directory copy, active or not (an officer who left is kept), or None."""
        return self.session.get(User, user_id) if user_id else None

    def find_office(self, code: str | None) -> Office | None:
        return self.session.get(Office, code) if code else None

    def people_and_acting(self, user_ids, addressee: str | None, day) -> tuple[dict, str | None]:
        """people() of `user_ids` and of whoever holds charge on `day` for `addressee`, who is away,
        and who that is (None if nobody): one read on every movement."""
        rows = self.session.connection().execute(_PEOPLE_AND_ACTING, {"ids": [u for u in set(user_ids) if u], "addressee": addressee, "day": day}).all()
        return {row.id: row for row in rows}, rows[0].acting_for_addressee if rows else None

    def record_acting_charge(self, charge_id: str, absent_user: str, acting_user: str, from_date, to_date, ended: bool) -> None:
        record_acting_charge(self.session, ActingCharge, charge_id, absent_user, acting_user, from_date, to_date, ended)

    def reporting_officer_of(self, user_id: str) -> str | None:
        return self.session.execute(select(User.reporting_officer_id).where(User.id == user_id)).scalar_one_or_none()

    def office(self, code: str) -> Office:
        office = self.session.get(Office, code)
        if office is None:
            raise UnknownOffice(f"office {code} is not in the directory")
        return office

    def people(self, user_ids) -> dict:
        """Names, designations and whether active, of the given users (for display and recipients)."""
        ids = [u for u in set(user_ids) if u]
        if not ids:
            return {}
        return {u.id: u for u in self.session.connection().execute(_USERS_BY_ID, {"ids": ids})}

    def heads_of(self, office_code: str) -> list[FileHead]:
        return self.session.execute(
            select(FileHead).where(FileHead.office_code == office_code).order_by(FileHead.main_code, FileHead.sub_code)
        ).scalars().all()

    def head(self, head_id: int, office_code: str) -> FileHead:
        head = self.session.get(FileHead, head_id)
        if head is None or head.office_code != office_code or not head.active:
            raise UnknownHead(f"head {head_id} is not a head of {office_code}", fields={"head_id": "not a head of your office"})
        return head

    def head_exists(self, office_code: str, main_code: str, sub_code: str) -> bool:
        return self.session.execute(
            select(FileHead.id).where(FileHead.office_code == office_code, FileHead.main_code == main_code, FileHead.sub_code == sub_code)
        ).first() is not None

    def add_head(self, head: FileHead) -> None:
        self.session.add(head)
        self.session.flush()  # its id, for the answer


# --- the unit of work ----------------------------------------------------------------------------------------

class FilesUnitOfWork:
    """The repositories over one eoffice_common UnitOfWork: state, audit entries and the events the
    tracked files recorded commit together."""

    def __init__(self, uow, owns_transaction: bool = True):
        self._uow = uow
        self._owns_transaction = owns_transaction
        self.files = FileRepository(uow)
        self.notes = NoteRepository(uow)
        self.correspondence = CorrespondenceRepository(uow)
        self.drafts = DraftRepository(uow)
        self.dispatches = DispatchRepository(uow)
        self.directory = DirectoryRepository(uow)

    @classmethod
    def within(cls, uow) -> FilesUnitOfWork:
        """Over a unit of work the event pipeline opened (apply_once): its commit only writes the
        changes; the pipeline commits them with the event's tracking row."""
        return cls(uow, owns_transaction=False)

    def __enter__(self) -> FilesUnitOfWork:
        if self._owns_transaction:
            self._uow.__enter__()
        return self

    def __exit__(self, *exc_info):
        if self._owns_transaction:
            self._uow.__exit__(*exc_info)

    def emit(self, event):
        return self._uow.emit(event)

    def commit(self, answer=None) -> None:
        if not (self._owns_transaction and self._written_in_one_statement()):
            self.flush()
        if self._owns_transaction:
            self._uow.commit(answer)

    def _written_in_one_statement(self) -> bool:
        """On PostgreSQL, the changes with their events in one statement when they are of the kinds
        one_statement writes (docs/decisions/0005); False when the ORM is to flush them."""
        session = self._uow.session
        if session.bind.dialect.name != "postgresql":
            return False
        changes = one_statement.changes_of(session)
        if changes is None:
            return False
        _, rows = self._uow.outbox_rows(self._uow.recorded_events())
        with _conflicts_named():
            changes.write(session, rows)
        return True

    def flush(self) -> None:
        """Write what the session holds."""
        with _conflicts_named():
            self._uow.flush()


@contextmanager
def _conflicts_named():
    """A file row changed since it was read, or a second current movement, is a conflict (409); a
    free-form number taken meanwhile, a duplicate; any other refusal of the database is a fault."""
    try:
        yield
    except (StaleDataError, one_statement.StaleRow):
        raise VersionConflict("the file changed meanwhile; reload it") from None
    except IntegrityError as error:
        constraint = _constraint_of(error)
        if constraint == "uq_movements_one_current":
            raise VersionConflict("the file was moved meanwhile; reload it") from error
        if constraint == "uq_file_number":
            raise DuplicateFileNumber("the file number is already used", fields={"file_number": "already used in your office"}) from error
        raise


# SQLite names the columns of the constraint it refused, PostgreSQL the constraint.
_SQLITE_CONSTRAINTS = {"movements.file_id": "uq_movements_one_current", "files.office_code, files.number_key": "uq_file_number"}


def _constraint_of(error: IntegrityError) -> str | None:
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:
        return diagnostics.constraint_name
    message = str(error.orig)
    return next((name for columns, name in _SQLITE_CONSTRAINTS.items() if message.endswith(columns)), None)
