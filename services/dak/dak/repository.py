"""Reading and writing dak's tables: the SQL side of each use case."""
from datetime import datetime, time, timezone
from time import monotonic
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from eoffice_common.db import INSERT_OUTBOX
from eoffice_common.search import contains, search_words

from . import acting, address_book, domain, letters
from .exceptions import ChargeNotFound, ReceiptNotFound, UnknownUser
from .models import (
    AcknowledgementSetting,
    ActingCharge,
    Correspondent,
    Office,
    Receipt,
    ReceiptMovement,
    ReceiptScan,
    ReceiptSerial,
    User,
)

_SERIAL_UPSERTS = {}


def next_receipt_serial(session, office_code, year):
    """The next serial of an office's year, gap-free: one upsert takes it under the counter row's
    lock, held until the transaction ends, and a failed transaction gives it back."""
    dialect = session.bind.dialect.name
    if dialect not in _SERIAL_UPSERTS:
        dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _SERIAL_UPSERTS[dialect] = (
            dialect_insert(ReceiptSerial.__table__)
            .values(office_code=bindparam("office"), year=bindparam("year"), last_serial=1)
            .on_conflict_do_update(
                index_elements=["office_code", "year"], set_={"last_serial": ReceiptSerial.__table__.c.last_serial + 1}
            )
            .returning(ReceiptSerial.__table__.c.last_serial)
        )
    # Core statements go straight to the connection: the ORM's statement handling is not needed here.
    return session.connection().execute(_SERIAL_UPSERTS[dialect], {"office": office_code, "year": year}).scalar_one()


def number_placeholder(receipt_id):
    """What stands for a receipt's number in its events until the number is taken."""
    return f"@receipt-number:{receipt_id}@"


_receipts = Receipt.__table__
_NUMBERED = ("serial", "receipt_number")
_OUTBOX_COLUMNS = ("event_id", "event_type", "aggregate_type", "aggregate_id", "envelope")
# PostgreSQL: in one statement the serial is taken, the receipt written with it, and its events
# written to the outbox with the number in place of number_placeholder(receipt id). The serial's
# row lock is then held for this statement and the commit only: every diarisation in an office waits for it.
INSERT_NUMBERED_RECEIPT = text(f"""
WITH serial AS (
    INSERT INTO receipt_serials (office_code, year, last_serial) VALUES (:office_code, :year, 1)
    ON CONFLICT (office_code, year) DO UPDATE SET last_serial = receipt_serials.last_serial + 1
    RETURNING last_serial
), announced AS (
    INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, envelope, created_at)
    SELECT event.id, event.type, event.aggregate_type, event.aggregate_id,
        replace(event.envelope, :placeholder, serial.last_serial || :number_suffix), :created_at
    FROM serial, unnest(CAST(:event_ids AS text[]), CAST(:event_types AS text[]), CAST(:aggregate_types AS text[]),
                        CAST(:aggregate_ids AS text[]), CAST(:envelopes AS text[]))
                 WITH ORDINALITY AS event (id, type, aggregate_type, aggregate_id, envelope, position)
    ORDER BY event.position
)
INSERT INTO receipts ({", ".join(c.name for c in _receipts.columns)})
SELECT {", ".join(f":{c.key}" if c.key not in _NUMBERED else "last_serial" if c.key == "serial" else "last_serial || :number_suffix"
                  for c in _receipts.columns)}
FROM serial
RETURNING serial
""").bindparams(*[bindparam(c.key, type_=c.type) for c in _receipts.columns if c.key not in _NUMBERED])


def insert_numbered_receipt(session, receipt, outbox_rows):
    """Give `receipt` (a new_row) the next serial of its office and year, insert it, and write its
    events (`outbox_rows`, from UnitOfWork.outbox_rows, made with number_placeholder(receipt.id) for
    the number) with the number in place."""
    receipt.subject_search, receipt.sender_search = domain.receipt_search_texts(receipt)
    suffix = domain.receipt_number("", receipt.year, receipt.office_code)
    placeholder = number_placeholder(receipt.id)
    connection = session.connection()
    if session.bind.dialect.name == "postgresql":
        values = {c.key: getattr(receipt, c.key) for c in _receipts.columns if c.key not in _NUMBERED}
        receipt.serial = connection.execute(INSERT_NUMBERED_RECEIPT, {
            **values, "number_suffix": suffix, "placeholder": placeholder,
            **{f"{column}s": [row[column] for row in outbox_rows] for column in _OUTBOX_COLUMNS},
        }).scalar_one()
        receipt.receipt_number = domain.receipt_number(receipt.serial, receipt.year, receipt.office_code)
        return
    receipt.serial = next_receipt_serial(session, receipt.office_code, receipt.year)
    receipt.receipt_number = domain.receipt_number(receipt.serial, receipt.year, receipt.office_code)
    insert_new(session, Receipt, [receipt])
    if outbox_rows:
        connection.execute(INSERT_OUTBOX, [
            {**row, "envelope": row["envelope"].replace(placeholder, receipt.receipt_number)} for row in outbox_rows
        ])


_users, _offices = User.__table__, Office.__table__
ACTING_USER = (
    select(_users.c.id, _users.c.office_code, _offices.c.district_code)
    .join(_offices, _offices.c.code == _users.c.office_code)
    .where(_users.c.id == bindparam("user_id"), _users.c.active.is_(True))
)


ACTING_USER_TTL_SECONDS = 30
_acting_users = {}


def acting_user(session, user_id):
    """(id, office_code, district_code) of an active user. Remembered for a few seconds: the
    directory changes by rare imports, and a bearer token outlives that delay anyway."""
    cached = _acting_users.get(user_id)
    now = monotonic()
    if cached and cached[1] > now:
        return cached[0]
    row = session.connection().execute(ACTING_USER, {"user_id": user_id}).first()
    if row is None:
        raise UnknownUser(f"user {user_id} is not in the directory")
    _acting_users[user_id] = (row, now + ACTING_USER_TTL_SECONDS)
    return row


_INSERTS = {}


def new_row(model, **values):
    """A new row's values as a plain object with every column of `model` (unset ones None):
    cheaper than an ORM instance, and read the same way by the response and event builders."""
    return SimpleNamespace(**{**{column.key: None for column in model.__table__.columns}, **values})


def insert_new(session, model, rows):
    """Insert new rows with one cached Core statement (an ORM flush costs several times more)."""
    if not rows:
        return
    table = model.__table__
    if table.name not in _INSERTS:
        _INSERTS[table.name] = insert(table)
    columns = [c.key for c in table.columns if not (c.primary_key and getattr(rows[0], c.key) is None)]
    session.connection().execute(_INSERTS[table.name], [{key: getattr(row, key) for key in columns} for row in rows])


def get_user(session, user_id):
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise UnknownUser(f"user {user_id} is not in the directory")
    return user


def active_user_ids(session, user_ids):
    return set(session.execute(select(User.id).where(User.id.in_(user_ids), User.active.is_(True))).scalars())


def load_receipt(session, receipt_id, for_update=False):
    query = select(Receipt).where(Receipt.id == receipt_id)
    if for_update:
        query = query.with_for_update()
    receipt = session.execute(query).scalar_one_or_none()
    if receipt is None:
        raise ReceiptNotFound(f"receipt {receipt_id} was not found")
    return receipt


def movements_of(session, receipt_id):
    return session.execute(
        select(ReceiptMovement).where(ReceiptMovement.receipt_id == receipt_id).order_by(ReceiptMovement.id)
    ).scalars().all()


def scans_of(session, receipt_id):
    return session.execute(
        select(ReceiptScan).where(ReceiptScan.receipt_id == receipt_id).order_by(ReceiptScan.position)
    ).scalars().all()


def view_of(receipt, movements):
    return domain.ReceiptView(
        id=receipt.id,
        office=receipt.office_code,
        created_by=receipt.created_by,
        holder=receipt.holder_id,
        status=receipt.status,
        kind=receipt.kind,
        classification=receipt.classification,
        received=receipt.received_at is not None,
        movements=[domain.Move(m.from_user, m.to_user, m.copy) for m in movements],
    )


def find_duplicates(session, sender_organisation, letter_number, letter_date, exclude_id=None):
    if not domain.possible_duplicate(sender_organisation, letter_number, letter_date):
        return []
    query = select(Receipt.receipt_number).where(
        func.lower(Receipt.sender_organisation) == sender_organisation.lower(),
        func.lower(Receipt.letter_number) == letter_number.lower(),
        Receipt.letter_date == letter_date,
    )
    if exclude_id:
        query = query.where(Receipt.id != exclude_id)
    return session.execute(query.limit(5)).scalars().all()


def referenced_scan_keys(session):
    return set(session.execute(select(ReceiptScan.key).distinct()).scalars())


def list_receipts(session, user_id, office, query):
    """A user's inbox, sent, created or closed list, or every receipt of the user's office they may see
    (`office`: the registry's search), filtered and paged; returns (rows, total)."""
    sent_to_me_as_copy = exists().where(
        ReceiptMovement.receipt_id == Receipt.id, ReceiptMovement.to_user == user_id, ReceiptMovement.copy.is_(True)
    )
    if query.box == "inbox":
        condition = or_(and_(Receipt.holder_id == user_id, Receipt.status == domain.OPEN), sent_to_me_as_copy)
    elif query.box == "sent":
        condition = exists().where(ReceiptMovement.receipt_id == Receipt.id, ReceiptMovement.from_user == user_id)
    elif query.box == "created":
        condition = Receipt.created_by == user_id
    elif query.box == "closed":
        condition = Receipt.closed_by == user_id
    else:
        sent_to_me = exists().where(ReceiptMovement.receipt_id == Receipt.id, ReceiptMovement.to_user == user_id)
        condition = and_(Receipt.office_code == office,
                         or_(Receipt.classification.not_in(domain.RESTRICTED), Receipt.created_by == user_id, sent_to_me))
    filters = [condition]
    for word in search_words(query.q or ""):
        filters.append(contains(Receipt.subject_search, word))
    if query.number:
        filters.append(contains(func.lower(Receipt.receipt_number), query.number.strip().lower()))
    if query.letter_number:
        filters.append(contains(func.lower(Receipt.letter_number), query.letter_number.strip().lower()))
    if query.status:
        filters.append(Receipt.status == query.status)
    if query.classification:
        filters.append(Receipt.classification == query.classification)
    if query.date_from:
        filters.append(Receipt.created_at >= datetime.combine(query.date_from, time.min, domain.IST))
    if query.date_to:
        filters.append(Receipt.created_at < datetime.combine(query.date_to, time.max, domain.IST))
    for word in search_words(query.sender or ""):
        filters.append(contains(Receipt.sender_search, word))
    if query.category:
        filters.append(or_(Receipt.main_category == query.category, Receipt.sub_category == query.category))
    total = session.execute(select(func.count()).select_from(Receipt).where(*filters)).scalar_one()
    rows = session.execute(
        select(Receipt)
        .where(*filters)
        .order_by(Receipt.vip.desc(), Receipt.created_at.desc())
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    ).scalars().all()
    return rows, total


def receipts_held_by(session, user_id):
    return session.execute(
        select(Receipt).where(Receipt.holder_id == user_id, Receipt.status == domain.OPEN).order_by(Receipt.created_at).with_for_update()
    ).scalars().all()


def mark_opened(session, receipt_id, user_id):
    session.execute(
        update(ReceiptMovement)
        .where(ReceiptMovement.receipt_id == receipt_id, ReceiptMovement.to_user == user_id, ReceiptMovement.opened_at.is_(None))
        .values(opened_at=datetime.now(timezone.utc))
    )


def search_users(session, text, office, limit):
    query = select(User).where(User.active.is_(True))
    if office:
        query = query.where(User.office_code == office)
    for word in search_words(text or ""):
        query = query.where(contains(User.search_text, word))
    return session.execute(query.order_by(User.office_code, User.name_en).limit(limit)).scalars().all()


def colleagues_in(session, office_code):
    """The active users of an office, for choosing who receives its letters."""
    users = session.execute(select(User).where(User.office_code == office_code, User.active.is_(True))).scalars()
    return [letters.Colleague(u.id, u.office_code, u.section_code, tuple(u.roles or ()), u.reporting_officer_id) for u in users]


def receipt_for_dispatch(session, dispatch_id):
    return session.execute(select(Receipt.id).where(Receipt.source_dispatch_id == dispatch_id)).scalar_one_or_none()


# --- leave and acting charge ------------------------------------------------------------------------

def officer(session, user_id):
    user = session.get(User, user_id) if user_id else None
    return None if user is None else acting.Officer(user.id, user.office_code, tuple(user.roles or ()), user.active)


def charge_overlaps(session, absent_user, from_date, to_date):
    return session.execute(select(exists().where(
        ActingCharge.absent_user == absent_user, ActingCharge.ended_at.is_(None),
        ActingCharge.from_date <= to_date, ActingCharge.to_date >= from_date,
    ))).scalar()


def load_charge(session, charge_id):
    charge = session.execute(select(ActingCharge).where(ActingCharge.id == charge_id).with_for_update()).scalar_one_or_none()
    if charge is None:
        raise ChargeNotFound(f"acting charge {charge_id} was not found")
    return charge


def acting_for(session, user_ids, day):
    """{absent officer: acting officer} of the charges in force on `day` among `user_ids`."""
    if not user_ids:
        return {}
    rows = session.execute(select(ActingCharge.absent_user, ActingCharge.acting_user).where(
        ActingCharge.absent_user.in_(list(user_ids)), ActingCharge.ended_at.is_(None),
        ActingCharge.from_date <= day, ActingCharge.to_date >= day,
    ))
    return dict(rows.all())


def charges_around(session, user_id, office_code, day):
    """Charges not over by `day` that involve the user, or any officer of their office: [(charge, absent, acting)]."""
    absent, acting_officer = aliased(User), aliased(User)
    rows = session.execute(
        select(ActingCharge, absent, acting_officer)
        .join(absent, absent.id == ActingCharge.absent_user).join(acting_officer, acting_officer.id == ActingCharge.acting_user)
        .where(ActingCharge.ended_at.is_(None), ActingCharge.to_date >= day,
               or_(ActingCharge.office_code == office_code, ActingCharge.absent_user == user_id, ActingCharge.acting_user == user_id))
        .order_by(ActingCharge.from_date, ActingCharge.absent_user)
    )
    return rows.all()


def last_handover(session, receipt_id):
    """The last movement that made someone the receipt's holder (not a copy), or None."""
    return session.execute(
        select(ReceiptMovement).where(ReceiptMovement.receipt_id == receipt_id, ReceiptMovement.copy.is_(False))
        .order_by(ReceiptMovement.id.desc()).limit(1)
    ).scalar_one_or_none()


# --- the address book -------------------------------------------------------------------------------

_correspondents = Correspondent.__table__


def remember_correspondent(session, office_code, entry, at):
    """Add the sender to the office's address book, or bring their entry up to date: what this letter
    says replaces what is known, what it leaves out keeps what was known. One upsert."""
    values = {**{k: v for k, v in entry.items() if v}, "search_text": address_book.search_text(entry)}
    key = address_book.correspondent_key(entry["name"], entry.get("organisation"))
    dialect_insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(_correspondents).values(office_code=office_code, key=key, letters=1, last_letter_at=at, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["office_code", "key"],
        set_={**{k: statement.excluded[k] for k in values}, "letters": _correspondents.c.letters + 1, "last_letter_at": at},
    )
    session.connection().execute(statement)


def find_correspondents(session, office_code, text, limit):
    query = select(Correspondent).where(Correspondent.office_code == office_code)
    for word in search_words(text or ""):
        query = query.where(contains(Correspondent.search_text, word))
    return session.execute(query.order_by(Correspondent.letters.desc(), Correspondent.name).limit(limit)).scalars().all()


def acknowledges_senders(session, office_code):
    setting = session.get(AcknowledgementSetting, office_code)
    return True if setting is None else setting.enabled
