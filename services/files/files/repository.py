"""Reading and writing the files service's tables: the SQL side of each use case."""
import json
from datetime import datetime, time
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, case, exists, func, insert, literal_column, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from eoffice_common.db import INSERT_OUTBOX
from eoffice_common.prepared import PreparedStatement
from eoffice_common.search import contains

from . import domain
from .exceptions import (
    CorrespondenceNotFound, DraftNotFound, FileNotFound, NoteNotFound, UnknownHead, UnknownOffice, UnknownUser,
    VersionConflict,
)
from .models import (
    COMPUTER_NUMBERS, AuditEntry, CorrespondenceDocument, CorrespondenceItem, Counter, Draft, DraftComment,
    DraftVersion, File, FileHead, FileSerial, IssueSerial, Movement, Note, Office, User,
)

_files, _movements, _notes, _users, _audit = (model.__table__ for model in (File, Movement, Note, User, AuditEntry))
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
    _record_actions_on(session.connection(), file, actor, actions, now, mover, **values)


def _record_actions_on(connection, file, actor, actions, now, mover=None, **values):
    rows, seq, head = audit_rows(file, actor, actions, now)
    if rows:
        connection.execute(_INSERT_AUDIT, rows)  # one statement, however many entries
    values = {**values, "version": file.version + 1, "audit_seq": seq, "audit_head": head, "updated_at": now}
    statement = _file_update(tuple(sorted(values)), mover is not None)
    if connection.execute(statement, {**values, "file_id_read": file.id, "version_read": file.version, "mover": mover}).rowcount != 1:
        raise VersionConflict("the file changed meanwhile; reload it")
    set_loaded(file, **values)


def set_loaded(row, **values):
    """Record values already written to the database on a row read earlier: a plain row, or an ORM
    object (without making it dirty)."""
    if isinstance(row, SimpleNamespace):
        vars(row).update(values)
        return
    for name, value in values.items():
        set_committed_value(row, name, value)


# --- movements --------------------------------------------------------------------------------------

def _plain(keys, values):
    return SimpleNamespace(**dict(zip(keys, values)))


FILE_KEYS = [c.key for c in _files.columns]
MOVEMENT_KEYS = [c.key for c in _movements.columns]
_custodian_has_yellow_notes = exists().where(
    _notes.c.file_id == _files.c.id, _notes.c.status == domain.YELLOW, _notes.c.author == _files.c.custodian_id
).label("has_yellow_notes")
_file_with_current = (
    select(_files, _movements, _custodian_has_yellow_notes)
    .outerjoin(_movements, and_(_movements.c.file_id == _files.c.id, _movements.c.is_current.is_(True)))
    .where(_files.c.id == bindparam("file_id"))
)
_FILE_FOR_ACTION = {False: _file_with_current, True: _file_with_current.with_for_update(of=_files)}
_actor, _counterpart = _users.alias("actor"), _users.alias("counterpart")
# The id the next movement will have, reserved in the read so that its audit entry (which names it) can be
# hashed before anything is written. SQLite hands out max + 1 itself, and its writers take turns.
_NEXT_MOVEMENT_ID = {
    "postgresql": literal_column("nextval('movements_id_seq')"),
    "sqlite": select(func.coalesce(func.max(_movements.c.id), 0) + 1).scalar_subquery(),
}
# The other officer of a move besides the actor: the recipient of a send (by default the actor's reporting
# officer), whoever sent the file to the one returning it, and the custodian a file is pulled back from.
_COUNTERPART = {
    domain.SEND: func.coalesce(bindparam("recipient"), _actor.c.reporting_officer_id),
    domain.RETURN: _movements.c.from_user,
    domain.PULL_BACK: _movements.c.to_user,
}
_FILE_FOR_MOVE = {
    action: PreparedStatement(
        f"files_read_for_{action}",
        *[
            _file_with_current.add_columns(*[_actor.c[k] for k in PERSON_KEYS], *[_counterpart.c[k] for k in PERSON_KEYS], next_id)
            .outerjoin(_actor, _actor.c.id == bindparam("actor"))
            .outerjoin(_counterpart, _counterpart.c.id == counterpart)
            .with_for_update(of=_files)
            for next_id in (_NEXT_MOVEMENT_ID["postgresql"], _NEXT_MOVEMENT_ID["sqlite"])
        ],
    )
    for action, counterpart in _COUNTERPART.items()
}


def _file_and_current(row):
    """(file, current movement or None, whether its custodian has yellow notes, the remaining columns)"""
    files_end = len(FILE_KEYS)
    movements_end = files_end + len(MOVEMENT_KEYS)
    current = _plain(MOVEMENT_KEYS, row[files_end:movements_end]) if row[files_end] is not None else None
    return _plain(FILE_KEYS, row[:files_end]), current, row[movements_end], row[movements_end + 1:]


def file_for_action(session, file_id, lock=True):
    """In one round trip: the file (locked for this transaction if `lock`), its current movement, and
    whether its custodian has yellow notes on it (they turn green when the file leaves them); as plain rows."""
    row = session.connection().execute(_FILE_FOR_ACTION[lock], {"file_id": file_id}).first()
    if row is None:
        raise FileNotFound(f"file {file_id} was not found")
    return _file_and_current(row)[:3]


def file_for_move(connection, action, file_id, actor, recipient=None):
    """file_for_action's locked read for a move, with in the same round trip the actor and the other officer
    of the move (_COUNTERPART) as rows of PERSON_KEYS (None if not in the directory), and the id reserved for
    the new movement: (file, current, has_yellow_notes, actor, counterpart, movement_id)."""
    row = _FILE_FOR_MOVE[action].execute(connection, {"file_id": file_id, "actor": actor, "recipient": recipient}).first()
    if row is None:
        raise FileNotFound(f"file {file_id} was not found")
    file, current, has_yellow_notes, rest = _file_and_current(row)
    width = len(PERSON_KEYS)
    actor_row, counterpart_row = rest[:width], rest[width:2 * width]
    return (
        file, current, has_yellow_notes, _plain(PERSON_KEYS, actor_row) if actor_row[0] is not None else None,
        _plain(PERSON_KEYS, counterpart_row) if counterpart_row[0] is not None else None, rest[2 * width],
    )


def next_movement_id(session):
    return session.connection().execute(select(_NEXT_MOVEMENT_ID[session.bind.dialect.name])).scalar_one()


_CURRENT_MOVEMENT = select(_movements).where(_movements.c.file_id == bindparam("file_id"), _movements.c.is_current.is_(True))


def current_movement(session, file_id):
    row = session.connection().execute(_CURRENT_MOVEMENT, {"file_id": file_id}).first()
    return None if row is None else _plain(MOVEMENT_KEYS, row)


def movement_view(movement):
    if movement is None:
        return None
    return domain.MovementView(movement.id, movement.action, movement.from_user, movement.to_user, movement.opened_at is not None)


_MARK_OPENED = update(_movements).where(_movements.c.id == bindparam("movement_id")).values(opened_at=bindparam("opened_at"))


def mark_opened(session, movement, now):
    session.connection().execute(_MARK_OPENED, {"movement_id": movement.id, "opened_at": now})
    set_loaded(movement, opened_at=now)


def new_movement(movement_id, file_id, move, now, remarks=None, due_date=None, priority="normal", opened_at=None):
    """The row a move adds, as a plain row: the file's current movement from now on."""
    return SimpleNamespace(
        id=movement_id, file_id=file_id, action=move.action, from_user=move.from_user, to_user=move.to_user, remarks=remarks,
        due_date=due_date, priority=priority, sent_at=now, opened_at=opened_at, pulled_back_at=None, is_current=True,
    )


# PostgreSQL: a move in one statement. The file row changes only if it still has the version and custodian read;
# if it did not, the statement fails (raise_conflict, migration 0003), writing nothing, and so it can carry the
# transaction's COMMIT when it is the last (PreparedStatement, `last`). Its values travel as one JSON
# document: psycopg2 adapts each parameter in Python (2-7 µs each; the move had 31 of them and 10 arrays,
# 136 µs a movement), and json.dumps writes the whole in a few.
_MOVE_IN_ONE_STATEMENT = PreparedStatement("files_move", text("""
WITH move AS (
    SELECT * FROM jsonb_to_record(CAST(:move AS jsonb)) AS move (
        file_id varchar, version integer, mover varchar, to_user varchar, owner_id varchar, last_paragraph integer,
        audit_seq integer, audit_head text, now timestamptz, left_id bigint, left_opened_at timestamptz,
        left_pulled_back_at timestamptz, movement_id bigint, action text, from_user text, remarks text,
        due_date date, priority text, opened_at timestamptz, actor text, audit jsonb, events jsonb)
), moved AS (
    UPDATE files SET custodian_id = move.to_user, owner_id = coalesce(move.owner_id, files.owner_id),
        last_paragraph = move.last_paragraph, version = move.version + 1, audit_seq = move.audit_seq,
        audit_head = move.audit_head, updated_at = move.now
    FROM move
    WHERE files.id = move.file_id AND files.version = move.version AND files.custodian_id = move.mover
    RETURNING files.id
), left_behind AS (
    UPDATE movements SET is_current = false, opened_at = move.left_opened_at, pulled_back_at = move.left_pulled_back_at
    FROM move
    WHERE movements.id = move.left_id
    RETURNING movements.id
), arrived AS (
    INSERT INTO movements (id, file_id, action, from_user, to_user, remarks, due_date, priority, sent_at, opened_at, is_current)
    SELECT move.movement_id, moved.id, move.action, move.from_user, move.to_user, move.remarks, move.due_date, move.priority,
        move.now, move.opened_at, true
    FROM moved, move
    -- Sub-statements of a WITH run in no set order; counting left_behind first ends the old current
    -- movement before the new one enters uq_movements_one_current.
    WHERE (SELECT count(*) FROM left_behind) >= 0
), audited AS (
    INSERT INTO audit_log (file_id, seq, action, actor, at, details, prev_hash, hash)
    SELECT moved.id, entry.seq, entry.action, move.actor, move.now, entry.details, entry.prev_hash, entry.hash
    FROM moved, move, jsonb_to_recordset(move.audit) AS entry (seq integer, action text, details text, prev_hash text, hash text)
), announced AS (
    INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, envelope, created_at)
    SELECT event.event_id, event.event_type, event.aggregate_type, event.aggregate_id, event.envelope, move.now
    FROM moved, move,
        ROWS FROM (jsonb_to_recordset(move.events) AS (event_id text, event_type text, aggregate_type text, aggregate_id text, envelope text))
        WITH ORDINALITY AS event (event_id, event_type, aggregate_type, aggregate_id, envelope, position)
    ORDER BY event.position
)
SELECT CASE WHEN count(*) = 1 THEN 1 ELSE raise_conflict('the file changed meanwhile; reload it') END FROM moved
"""))
CONFLICT = "EO409"  # raise_conflict's SQLSTATE
_CLOSE_MOVEMENT = update(_movements).where(_movements.c.id == bindparam("movement_id")).values(
    is_current=False, opened_at=bindparam("opened_at"), pulled_back_at=bindparam("pulled_back_at"),
)
_ADD_MOVEMENT = insert(_movements)


def record_move(connection, file, current, movement, actor, actions, now, last_paragraph, outbox_rows, owner_id=None, last=False):
    """Write a move: `current`, with what happened to it in memory (opened, pulled back), no longer current;
    `movement` the current one; `actions` [(action, details)] appended to the audit log; the file row
    with its new custodian (and `owner_id`), only if it still has the version read and `movement.from_user`
    holds it, so that a writer that slipped past the row lock cannot make a second custodian; and the
    move's events (`outbox_rows`, from UnitOfWork.outbox_rows). `last`: the transaction's last statement,
    which on PostgreSQL commits it (PreparedStatement.execute)."""
    values = {"custodian_id": movement.to_user, "last_paragraph": last_paragraph, **({"owner_id": owner_id} if owner_id else {})}
    try:
        if connection.dialect.name == "postgresql":
            _record_move_in_one_statement(connection, file, current, movement, actor, actions, now, values, outbox_rows, last)
        else:
            if current is not None:
                connection.execute(_CLOSE_MOVEMENT, {"movement_id": current.id, "opened_at": current.opened_at, "pulled_back_at": current.pulled_back_at})
            connection.execute(_ADD_MOVEMENT, vars(movement))
            _record_actions_on(connection, file, actor, actions, now, mover=movement.from_user, **values)
            if outbox_rows:
                connection.execute(INSERT_OUTBOX, outbox_rows)
    except IntegrityError:
        # uq_movements_one_current: another move of this file committed first.
        raise VersionConflict("the file was moved meanwhile; reload it")
    except DBAPIError as error:
        if getattr(error.orig, "pgcode", None) == CONFLICT:
            raise VersionConflict("the file changed meanwhile; reload it")
        raise
    if current is not None:
        set_loaded(current, is_current=False)


def _record_move_in_one_statement(connection, file, current, movement, actor, actions, now, values, outbox_rows, last):
    rows, seq, head = audit_rows(file, actor, actions, now)
    move = {
        "file_id": file.id, "version": file.version, "mover": movement.from_user, "to_user": movement.to_user,
        "owner_id": values.get("owner_id"), "last_paragraph": values["last_paragraph"], "audit_seq": seq, "audit_head": head,
        "now": domain.as_iso(now), "left_id": current.id if current else None,
        "left_opened_at": domain.as_iso(current.opened_at) if current else None,
        "left_pulled_back_at": domain.as_iso(current.pulled_back_at) if current else None,
        "movement_id": movement.id, "action": movement.action, "from_user": movement.from_user, "remarks": movement.remarks,
        "due_date": domain.as_iso(movement.due_date), "priority": movement.priority, "opened_at": domain.as_iso(movement.opened_at), "actor": actor,
        "audit": [{key: row[key] for key in ("seq", "action", "details", "prev_hash", "hash")} for row in rows],
        "events": [{key: row[key] for key in ("event_id", "event_type", "aggregate_type", "aggregate_id", "envelope")}
                   for row in outbox_rows],
    }
    _MOVE_IN_ONE_STATEMENT.execute(connection, {"move": json.dumps(move, ensure_ascii=False)}, last=last)
    set_loaded(file, **values, version=file.version + 1, audit_seq=seq, audit_head=head, updated_at=now)


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
