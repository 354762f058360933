"""Reading and writing dak's tables: the SQL side of each use case."""
from datetime import datetime, time, timezone

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from . import domain
from .exceptions import ReceiptNotFound, UnknownOffice, UnknownUser
from .models import Office, Receipt, ReceiptMovement, ReceiptScan, ReceiptSerial, User


def next_receipt_serial(session, office_code, year):
    """The next serial of an office's year, gap-free: it is taken under the counter row's lock and
    rolls back with the receipt if the transaction fails."""
    dialect_insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    session.execute(
        dialect_insert(ReceiptSerial)
        .values(office_code=office_code, year=year, last_serial=0)
        .on_conflict_do_nothing(index_elements=["office_code", "year"])
    )
    return session.execute(
        update(ReceiptSerial)
        .where(ReceiptSerial.office_code == office_code, ReceiptSerial.year == year)
        .values(last_serial=ReceiptSerial.last_serial + 1)
        .returning(ReceiptSerial.last_serial)
    ).scalar_one()


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


def list_receipts(session, user_id, query):
    """A user's inbox, sent, created or closed list, filtered and paged; returns (rows, total)."""
    sent_to_me_as_copy = exists().where(
        ReceiptMovement.receipt_id == Receipt.id, ReceiptMovement.to_user == user_id, ReceiptMovement.copy.is_(True)
    )
    if query.box == "inbox":
        condition = or_(and_(Receipt.holder_id == user_id, Receipt.status == domain.OPEN), sent_to_me_as_copy)
    elif query.box == "sent":
        condition = exists().where(ReceiptMovement.receipt_id == Receipt.id, ReceiptMovement.from_user == user_id)
    elif query.box == "created":
        condition = Receipt.created_by == user_id
    else:
        condition = Receipt.closed_by == user_id
    filters = [condition]
    if query.status:
        filters.append(Receipt.status == query.status)
    if query.classification:
        filters.append(Receipt.classification == query.classification)
    if query.date_from:
        filters.append(Receipt.created_at >= datetime.combine(query.date_from, time.min, domain.IST))
    if query.date_to:
        filters.append(Receipt.created_at < datetime.combine(query.date_to, time.max, domain.IST))
    if query.sender:
        pattern = f"%{query.sender.lower()}%"
        filters.append(or_(func.lower(Receipt.sender_name).like(pattern), func.lower(Receipt.sender_organisation).like(pattern)))
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
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(User.name_en).like(pattern),
                User.name_hi.like(f"%{text}%"),
                func.lower(User.designation_en).like(pattern),
                User.designation_hi.like(f"%{text}%"),
                func.lower(User.id).like(pattern),
            )
        )
    return session.execute(query.order_by(User.office_code, User.name_en).limit(limit)).scalars().all()
