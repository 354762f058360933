"""Reading and writing the files service's tables: the SQL side of each use case."""
import json
from datetime import datetime, time

from sqlalchemy import and_, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from eoffice_common.search import contains

from . import domain, letters
from .exceptions import (
    CorrespondenceNotFound,
    DraftNotFound,
    FileNotFound,
    NoteNotFound,
    UnknownHead,
    UnknownOffice,
    UnknownUser,
    VersionConflict,
)
from .models import (
    COMPUTER_NUMBERS,
    ActingCharge,
    AuditEntry,
    CorrespondenceDocument,
    CorrespondenceItem,
    Counter,
    Dispatch,
    Draft,
    DraftComment,
    DraftVersion,
    File,
    FileHead,
    FileSerial,
    IssueSerial,
    Movement,
    Note,
    Office,
    User,
)

_files, _users, _audit = (model.__table__ for model in (File, User, AuditEntry))
# What the answers show of an officer (schemas.person), and whether they may receive a file.
PERSON_KEYS = ("id", "name_en", "name_hi", "designation_en", "designation_hi", "active")


def _insert(session):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def _next_serial(session, model, keys):
    """The next value of a counter row, gap-free: taken under the row's lock, so it rolls back with
    the transaction that took it."""
    session.execute(_insert(session)(model).values(**keys, last_serial=0).on_conflict_do_nothing(index_elements=list(keys)))
    return session.execute(
        update(model)
        .where(*[getattr(model, k) == v for k, v in keys.items()])
        .values(last_serial=model.last_serial + 1)
        .returning(model.last_serial)
    ).scalar_one()


def next_file_serial(session, head_id, year):
    return _next_serial(session, FileSerial, {"head_id": head_id, "year": year})


def next_issue_serial(session, office_code, year):
    return _next_serial(session, IssueSerial, {"office_code": office_code, "year": year})


def next_computer_number(session):
    """Unique across the deployment (not gap-free: a PostgreSQL sequence does not roll back)."""
    if session.bind.dialect.name == "postgresql":
        return session.execute(select(COMPUTER_NUMBERS.next_value())).scalar_one()
    session.execute(_insert(session)(Counter).values(name="computer_number", value=0).on_conflict_do_nothing(index_elements=["name"]))
    return session.execute(
        update(Counter).where(Counter.name == "computer_number").values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()


# --- directory --------------------------------------------------------------------------------------

def get_user(session, user_id):
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise UnknownUser(f"user {user_id} is not in the directory")
    return user


def get_office(session, code):
    office = session.get(Office, code)
    if office is None:
        raise UnknownOffice(f"office {code} is not in the directory")
    return office


def find_user(session, user_id):
    """A user of the directory copy, active or not (an officer who left is kept), or None."""
    return session.get(User, user_id)


def active_user(session, user_id):
    user = session.get(User, user_id) if user_id else None
    return user if user is not None and user.active else None


_USERS_BY_ID = select(*[_users.c[k] for k in PERSON_KEYS]).where(_users.c.id.in_(bindparam("ids", expanding=True)))


def users_by_id(session, user_ids):
    """Names, designations and whether active, of the given users (for display and recipients)."""
    ids = [u for u in set(user_ids) if u]
    if not ids:
        return {}
    return {u.id: u for u in session.connection().execute(_USERS_BY_ID, {"ids": ids})}


def user_view(user):
    return None if user is None else domain.UserView(user.id, user.office_code, tuple(user.roles or ()), user.active)


# --- heads ------------------------------------------------------------------------------------------

def heads_of(session, office_code):
    return session.execute(
        select(FileHead).where(FileHead.office_code == office_code).order_by(FileHead.main_code, FileHead.sub_code)
    ).scalars().all()


def head_for(session, head_id, office_code):
    head = session.get(FileHead, head_id)
    if head is None or head.office_code != office_code or not head.active:
        raise UnknownHead(f"head {head_id} is not a head of {office_code}", fields={"head_id": "not a head of your office"})
    return head


def head_exists(session, office_code, main_code, sub_code):
    return session.execute(
        select(FileHead.id).where(FileHead.office_code == office_code, FileHead.main_code == main_code, FileHead.sub_code == sub_code)
    ).first() is not None


# --- files ------------------------------------------------------------------------------------------

def find_file(session, file_id, for_update=False):
    query = select(File).where(File.id == file_id)
    if for_update:
        # populate_existing: a row read earlier in this session is refreshed, not served from memory.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.execute(query).scalar_one_or_none()


def load_file(session, file_id, for_update=False):
    file = find_file(session, file_id, for_update)
    if file is None:
        raise FileNotFound(f"file {file_id} was not found")
    return file


def file_view(file):
    return domain.FileView(
        id=file.id, office=file.office_code, created_by=file.created_by, owner=file.owner_id,
        custodian=file.custodian_id, status=file.status, kind=file.kind, classification=file.classification,
        version=file.version, relation=file.relation,
    )


def was_sent_to(db, file_id, user_id):
    """Whether the file was ever sent to the user; `db` a session or a connection."""
    return db.execute(
        select(Movement.id).where(Movement.file_id == file_id, Movement.to_user == user_id).limit(1)
    ).first() is not None


def number_taken(session, office_code, key):
    return session.execute(select(File.id).where(File.office_code == office_code, File.number_key == key)).first() is not None


def related_files(session, file):
    """The file's volumes and parts, and the file it belongs to."""
    root = file.parent_file_id if file.relation == "volume" else file.id
    conditions = [File.parent_file_id == file.id, File.parent_file_id == root, File.id == root]
    if file.parent_file_id:
        conditions.append(File.id == file.parent_file_id)
    return session.execute(
        select(File).where(or_(*conditions), File.id != file.id).order_by(File.volume, File.part, File.created_at)
    ).scalars().all()


def next_volume(session, root_id):
    return session.execute(
        select(func.max(File.volume)).where(or_(File.id == root_id, and_(File.parent_file_id == root_id, File.relation == "volume")))
    ).scalar_one() + 1


def next_part(session, parent_id):
    return (session.execute(
        select(func.max(File.part)).where(File.parent_file_id == parent_id, File.relation == "part")
    ).scalar_one() or 0) + 1


def _audit_row(file_id, seq, prev_hash, actor, action, details, now):
    # Hashed as stored and read back: dates become strings (canonical JSON re-encodes to itself).
    stored_details = domain.canonical_json(details)
    digest = domain.audit_hash(prev_hash, file_id, seq, action, actor, now, json.loads(stored_details))
    row = {
        "file_id": file_id, "seq": seq, "action": action, "actor": actor, "at": now,
        "details": stored_details, "prev_hash": prev_hash, "hash": digest,
    }
    return row, digest


def new_audit_log(file, actor, details, now):
    """The first entry ("created") of a new file's audit log. The file row carries the chain's head,
    so this is called before the row is written; the entry is added once the row exists."""
    row, file.audit_head = _audit_row(file.id, 1, None, actor, "created", details, now)
    file.audit_seq = 1
    return AuditEntry(**row)


def audit_rows(file, actor, actions, now):
    """The audit entries of `actions` [(action, details)] chained on from the file's head: (rows, last seq, last hash)."""
    seq, head, rows = file.audit_seq, file.audit_head, []
    for action, details in actions:
        seq += 1
        row, head = _audit_row(file.id, seq, head, actor, action, details, now)
        rows.append(row)
    return rows, seq, head


_INSERT_AUDIT = insert(_audit)
_FILE_UPDATES = {}


def _file_update(columns, with_mover):
    """UPDATE files SET `columns` WHERE id and version are those read [and the custodian is the mover]."""
    key = (columns, with_mover)
    if key not in _FILE_UPDATES:
        conditions = [_files.c.id == bindparam("file_id_read"), _files.c.version == bindparam("version_read")]
        if with_mover:
            conditions.append(_files.c.custodian_id == bindparam("mover"))
        _FILE_UPDATES[key] = update(_files).where(*conditions).values({column: bindparam(column) for column in columns})
    return _FILE_UPDATES[key]


def record_actions(session, file, actor, actions, now, mover=None, **values):
    """Append `actions` [(action, details)] to the file's audit log and write `values` to its row in one
    conditional UPDATE: it applies only to the version read (and, for a move, only while `mover` holds
    the file), so a writer that slipped past the row lock still cannot make a second custodian."""
    connection = session.connection()
    rows, seq, head = audit_rows(file, actor, actions, now)
    if rows:
        connection.execute(_INSERT_AUDIT, rows)  # one statement, however many entries
    values = {**values, "version": file.version + 1, "audit_seq": seq, "audit_head": head, "updated_at": now}
    statement = _file_update(tuple(sorted(values)), mover is not None)
    if connection.execute(statement, {**values, "file_id_read": file.id, "version_read": file.version, "mover": mover}).rowcount != 1:
        raise VersionConflict("the file changed meanwhile; reload it")
    set_loaded(file, **values)


def set_loaded(row, **values):
    """Record values already written to the database on an ORM object read earlier, without making it dirty."""
    for name, value in values.items():
        set_committed_value(row, name, value)


# --- movements --------------------------------------------------------------------------------------

_custodian_has_yellow_notes = exists().where(
    Note.file_id == File.id, Note.status == domain.YELLOW, Note.author == File.custodian_id
).label("has_yellow_notes")


def file_for_action(session, file_id, lock=True):
    """In one round trip: the file (locked for this transaction if `lock`), its current movement, and
    whether its custodian has yellow notes on it (they turn green when the file leaves them)."""
    query = (
        select(File, Movement, _custodian_has_yellow_notes)
        .outerjoin(Movement, and_(Movement.file_id == File.id, Movement.is_current.is_(True)))
        .where(File.id == file_id)
        # populate_existing: a row read earlier in this session is refreshed, not served from memory.
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=File)  # PostgreSQL; SQLite's writers take turns (DatabaseEngine.write_turn)
    row = session.execute(query).first()
    if row is None:
        raise FileNotFound(f"file {file_id} was not found")
    return tuple(row)


def file_for_move(session, action, file_id, actor, recipient=None):
    """file_for_action's locked read for a move, with the actor and the other officer of the move (the
    recipient of a send, by default the actor's reporting officer; whoever sent the file to the one
    returning it; the custodian a file is pulled back from), each None if not in the directory:
    (file, current, has_yellow_notes, actor, counterpart)."""
    file, current, has_yellow_notes = file_for_action(session, file_id)
    acting = session.get(User, actor)
    if action == domain.SEND:
        counterpart = recipient or (acting.reporting_officer_id if acting else None)
    elif current is None:
        counterpart = None
    else:
        counterpart = current.from_user if action == domain.RETURN else current.to_user
    return file, current, has_yellow_notes, acting, session.get(User, counterpart) if counterpart else None


def current_movement(session, file_id):
    return session.execute(select(Movement).where(Movement.file_id == file_id, Movement.is_current.is_(True))).scalar_one_or_none()


def custodian_at(session, file, moment):
    """Who held the file at `moment`: the recipient of its last movement by then, else its creator."""
    holder = session.execute(
        select(Movement.to_user).where(Movement.file_id == file.id, Movement.sent_at <= moment)
        .order_by(Movement.sent_at.desc(), Movement.id.desc()).limit(1)
    ).scalar_one_or_none()
    return holder or file.created_by


def movement_view(movement):
    if movement is None:
        return None
    return domain.MovementView(movement.id, movement.action, movement.from_user, movement.to_user, movement.opened_at is not None)


def add_movement(session, file_id, current, move, now, remarks=None, due_date=None, priority="normal", opened_at=None, for_user=None):
    """The movement that makes `move.to_user` the file's custodian, written (so that it has its id) in
    place of `current`, which is no longer current. Only a move of the same file committed meanwhile can
    make a second current movement (uq_movements_one_current): that is a conflict, any other refusal a fault."""
    movement = Movement(
        file_id=file_id, action=move.action, from_user=move.from_user, to_user=move.to_user, remarks=remarks,
        due_date=due_date, priority=priority, sent_at=now, opened_at=opened_at, is_current=True, for_user=for_user,
    )
    try:
        if current is not None:
            current.is_current = False
            session.flush()  # out of uq_movements_one_current before the new movement enters it
        session.add(movement)
        session.flush()
    except IntegrityError as error:
        if _second_current_movement(error):
            raise VersionConflict("the file was moved meanwhile; reload it") from error
        raise
    return movement


def _second_current_movement(error):
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:  # PostgreSQL names the index
        return diagnostics.constraint_name == "uq_movements_one_current"
    return "movements.file_id" in str(error.orig)  # SQLite names its columns


def movements_of(session, file_id):
    return session.execute(select(Movement).where(Movement.file_id == file_id).order_by(Movement.id)).scalars().all()


def counted_movements(session, file_id):
    return session.execute(
        select(func.count()).select_from(Movement).where(Movement.file_id == file_id, Movement.action.in_(domain.COUNTED_MOVES))
    ).scalar_one()


def files_held_or_owned_by(session, user_id):
    """Every file an officer holds or owns, locked, in a fixed order so that two transfers cannot deadlock."""
    return session.execute(
        select(File).where(or_(File.custodian_id == user_id, File.owner_id == user_id)).order_by(File.id).with_for_update()
    ).scalars().all()


# --- lists and search -------------------------------------------------------------------------------

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
    query = select(File, current).outerjoin(current, and_(current.file_id == File.id, current.is_current.is_(True)))
    return query, current


def list_files(session, user_id, query):
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
    return _page(session, select_files, filters, order, query.page, query.per_page)


def search_files(session, user_id, user_office, query):
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
    return _page(session, select_files, filters, [File.created_at.desc()], query.page, query.per_page)


# --- notes ------------------------------------------------------------------------------------------

def load_note(session, file_id, note_id):
    note = session.get(Note, note_id)
    if note is None or note.file_id != file_id:
        raise NoteNotFound(f"note {note_id} is not in file {file_id}")
    return note


def note_view(note):
    return domain.NoteView(note.id, note.author, note.status)


def yellow_notes_of(session, file_id, author):
    return session.execute(
        select(Note).where(Note.file_id == file_id, Note.status == domain.YELLOW, Note.author == author).order_by(Note.created_at)
    ).scalars().all()


def notes_for(session, file_id, viewer):
    """Green notes in paragraph order, then the viewer's own yellow notes (nobody else sees those)."""
    return session.execute(
        select(Note)
        .where(Note.file_id == file_id, or_(Note.status == domain.GREEN, Note.author == viewer))
        .order_by(case((Note.status == domain.GREEN, 0), else_=1), Note.first_paragraph, Note.created_at)
    ).scalars().all()


# --- correspondence ---------------------------------------------------------------------------------

def item_view(item):
    return domain.ItemView(item.kind, item.classification, item.receipt_office, tuple(item.cleared or ()), item.linked_after_movement)


def last_movement_to(session, file_id, user_id):
    """The id of the latest movement that brought the file to the user, or None."""
    return session.execute(
        select(func.max(Movement.id)).where(Movement.file_id == file_id, Movement.to_user == user_id)
    ).scalar_one()


def correspondence_ids(session, file_id):
    return set(session.execute(select(CorrespondenceItem.id).where(CorrespondenceItem.file_id == file_id)).scalars())


def receipts_in(session, file_id):
    return session.execute(
        select(CorrespondenceItem).where(CorrespondenceItem.file_id == file_id, CorrespondenceItem.kind == "receipt")
    ).scalars().all()


def next_correspondence_position(session, file_id):
    return (session.execute(
        select(func.max(CorrespondenceItem.position)).where(CorrespondenceItem.file_id == file_id)
    ).scalar_one() or 0) + 1


def correspondence_of(session, file_id):
    items = session.execute(
        select(CorrespondenceItem).where(CorrespondenceItem.file_id == file_id).order_by(CorrespondenceItem.position)
    ).scalars().all()
    documents = {}
    if items:
        for document in session.execute(
            select(CorrespondenceDocument)
            .where(CorrespondenceDocument.item_id.in_([i.id for i in items]))
            .order_by(CorrespondenceDocument.position)
        ).scalars():
            documents.setdefault(document.item_id, []).append(document)
    return [(item, documents.get(item.id, [])) for item in items]


def document_of(session, file_id, item_id, position):
    item = session.get(CorrespondenceItem, item_id)
    if item is None or item.file_id != file_id:
        raise CorrespondenceNotFound(f"correspondence {item_id} is not in file {file_id}")
    document = session.execute(
        select(CorrespondenceDocument).where(CorrespondenceDocument.item_id == item_id, CorrespondenceDocument.position == position)
    ).scalar_one_or_none()
    if document is None:
        raise CorrespondenceNotFound(f"correspondence {item_id} has no document {position}", reason="document_not_found")
    return item, document


def referenced_document_keys(session):
    return set(session.execute(select(CorrespondenceDocument.key).distinct()).scalars())


# --- drafts -----------------------------------------------------------------------------------------

def load_draft(session, file_id, draft_id):
    draft = session.get(Draft, draft_id)
    if draft is None or draft.file_id != file_id:
        raise DraftNotFound(f"draft {draft_id} is not in file {file_id}")
    return draft


def draft_view(draft):
    return domain.DraftView(draft.id, draft.status, draft.current_version)


def drafts_of(session, file_id):
    return session.execute(select(Draft).where(Draft.file_id == file_id).order_by(Draft.created_at)).scalars().all()


def versions_of(session, draft_id):
    return session.execute(select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(DraftVersion.version)).scalars().all()


def version_of(session, draft_id, version):
    found = session.get(DraftVersion, (draft_id, version))
    if found is None:
        raise DraftNotFound(f"draft {draft_id} has no version {version}", reason="version_not_found")
    return found


def comments_of(session, draft_id):
    return session.execute(select(DraftComment).where(DraftComment.draft_id == draft_id).order_by(DraftComment.id)).scalars().all()


def dispatch_register(session, office_code, query):
    """Issued drafts of an office, newest first, with their file: [(draft, file)], total."""
    filters = [Draft.office_code == office_code, Draft.issue_number.is_not(None)]
    filters += _day_range(Draft.issued_at, query.date_from, query.date_to)
    if query.dispatch_mode:
        filters.append(Draft.dispatch_mode == query.dispatch_mode)
    select_rows = select(Draft, File).join(File, File.id == Draft.file_id)
    return _page(session, select_rows, filters, [Draft.issued_at.desc()], query.page, query.per_page)


# --- audit ------------------------------------------------------------------------------------------

def audit_records(session, file_id):
    return [
        domain.AuditRecord(e.seq, e.action, e.actor, e.at, json.loads(e.details), e.prev_hash, e.hash)
        for e in session.execute(select(AuditEntry).where(AuditEntry.file_id == file_id).order_by(AuditEntry.seq)).scalars()
    ]


# --- dispatches of issued letters -------------------------------------------------------------------

class Dispatches:
    """Each addressee's dispatch of an issued letter."""

    def __init__(self, session):
        self.session = session

    def add_all(self, dispatches):
        self.session.add_all(dispatches)

    def get(self, dispatch_id, for_update=False):
        query = select(Dispatch).where(Dispatch.id == dispatch_id)
        if for_update:
            query = query.with_for_update()
        return self.session.execute(query).scalar_one_or_none()

    def of_drafts(self, draft_ids):
        """{draft id: [dispatch, ...] in addressee order}."""
        found = {draft_id: [] for draft_id in draft_ids}
        if draft_ids:
            query = select(Dispatch).where(Dispatch.draft_id.in_(list(draft_ids))).order_by(Dispatch.draft_id, Dispatch.position)
            for dispatch in self.session.execute(query).scalars():
                found[dispatch.draft_id].append(dispatch)
        return found

    def register(self, office_code, query):
        """An office's dispatches, newest first, with their file: [(dispatch, draft, file)], total."""
        filters = [Dispatch.office_code == office_code, *_day_range(Dispatch.issued_at, query.date_from, query.date_to)]
        if query.dispatch_mode:
            filters.append(Dispatch.mode == query.dispatch_mode)
        if getattr(query, "status", None):
            filters.append(Dispatch.status == query.status)
        rows = select(Dispatch, Draft, File).join(Draft, Draft.id == Dispatch.draft_id).join(File, File.id == Dispatch.file_id)
        return _page(self.session, rows, filters, [Dispatch.issued_at.desc(), Dispatch.position], query.page, query.per_page)


class DirectoryCopy:
    """The directory as files' copy of it holds it, for the rules of letters (files.letters.Directory)."""

    def __init__(self, session):
        self.session = session

    def user(self, user_id):
        user = self.session.get(User, user_id)
        return None if user is None else letters.DirectoryUser(user.id, user.office_code, user.name_en, user.name_hi, user.designation_en, user.active)

    def office(self, code):
        office = self.session.get(Office, code) if code else None
        return None if office is None else letters.DirectoryOffice(office.code, office.name_en, office.name_hi)


# --- acting charges (dak's, copied) -----------------------------------------------------------------

def acting_for(session, user_id, day):
    """The officer holding charge on `day` for `user_id`, who is away, or None."""
    return session.execute(select(ActingCharge.acting_user).where(
        ActingCharge.absent_user == user_id, ActingCharge.ended.is_(False),
        ActingCharge.from_date <= day, ActingCharge.to_date >= day,
    ).limit(1)).scalar_one_or_none()
