"""dak's repositories, one per aggregate: the only place its SQL lives. Each works on a unit of
work (eoffice_common.db.UnitOfWork) or, for reads, on a Reading; on PostgreSQL and SQLite."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, datetime, time
from time import monotonic
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from eoffice_common.db import INSERT_OUTBOX
from eoffice_common.repository import RepositoryUnitOfWork
from eoffice_common.search import contains, search_words

from . import acting, address_book, domain, letters
from .directory import office_recorded, user_recorded
from .directory_admin import DirectoryAdmin, PlacedOffice
from .events import OfficeRecorded, UserRecorded
from .exceptions import ChargeNotFound, CorrespondentExists, CorrespondentNotFound, ReceiptNotFound, UnknownUser
from .model import Diarist, Movement, Receipt, Scan, number_placeholder
from .models import (
    AcknowledgementSetting,
    ActingCharge,
    Correspondent,
    Department,
    District,
    Office,
    ReceiptMovement,
    ReceiptScan,
    ReceiptSerial,
    Section,
    User,
)
from .models import Receipt as ReceiptRow

_receipts, _movements, _scans = ReceiptRow.__table__, ReceiptMovement.__table__, ReceiptScan.__table__
_users, _offices, _serials = User.__table__, Office.__table__, ReceiptSerial.__table__
_NUMBERED = ("serial", "receipt_number")
_OUTBOX_COLUMNS = ("event_id", "event_type", "aggregate_type", "aggregate_id", "envelope")
# What an action may change of a stored receipt.
_CHANGEABLE = ("status", "holder_id", "updated_at", "received_at", "file_id", "closed_by", "closed_at", "closing_remarks",
               "opened_at")

# The next serial of an office's year, gap-free: one upsert takes it under the counter row's lock,
# held until the transaction ends, and a failed transaction gives it back.
_NEXT_SERIAL = {
    name: dialect.insert(_serials)
    .values(office_code=bindparam("office"), year=bindparam("year"), last_serial=1)
    .on_conflict_do_update(index_elements=["office_code", "year"], set_={"last_serial": _serials.c.last_serial + 1})
    .returning(_serials.c.last_serial)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# PostgreSQL: in one statement the serial is taken, the receipt written with it, and its events
# written to the outbox with the number in place of number_placeholder(receipt id). The serial's
# row lock is then held for this statement and the commit only: every diarisation in an office waits
# for it (docs/decisions/0002-dak-numbering-in-one-statement.md). Column lists come from the table.
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

_RECEIPT_WITH_DISTRICT = select(_receipts, _offices.c.district_code.label("district")).join(
    _offices, _offices.c.code == _receipts.c.office_code, isouter=True,
)
_INSERTS = {table.name: insert(table) for table in (_receipts, _movements, _scans)}


class Reading:
    """What the repositories need of a unit of work, for reads only: a session, nothing committed."""

    def __init__(self, session: Session):
        self.session = session

    @property
    def connection(self):
        return self.session.connection()


class ReceiptRepository:
    def __init__(self, uow):
        self._uow = uow

    # --- writing ---------------------------------------------------------------------------------

    def add(self, receipt: Receipt) -> None:
        """Store a new receipt with the next serial of its office and year, its scans and movements,
        and the events it recorded so far (their number in place)."""
        uow = self._uow
        connection = uow.connection
        if connection.dialect.name == "postgresql":
            _, rows = uow.outbox_rows(receipt.collect_events())
            values = {c.key: getattr(receipt, c.key) for c in _receipts.columns if c.key not in _NUMBERED}
            suffix = domain.receipt_number("", receipt.year, receipt.office_code)
            serial = connection.execute(INSERT_NUMBERED_RECEIPT, {
                **values, "number_suffix": suffix, "placeholder": number_placeholder(receipt.id),
                **{f"{column}s": [row[column] for row in rows] for column in _OUTBOX_COLUMNS},
            }).scalar_one()
            receipt.serial, receipt.receipt_number = serial, domain.receipt_number(serial, receipt.year, receipt.office_code)
        else:
            receipt.number(self.next_serial(receipt.office_code, receipt.year))
            self._insert(_receipts, [receipt])
            _, rows = uow.outbox_rows(receipt.collect_events())
            if rows:
                connection.execute(INSERT_OUTBOX, rows)
        self._insert(_scans, receipt.scans)
        self._insert(_movements, receipt.movements)

    def next_serial(self, office_code: str, year: int) -> int:
        connection = self._uow.connection
        return connection.execute(_NEXT_SERIAL[connection.dialect.name], {"office": office_code, "year": year}).scalar_one()

    def save(self, receipt: Receipt) -> None:
        """Store what an action changed: the receipt's state, its new movements, those opened."""
        connection = self._uow.connection
        connection.execute(update(_receipts).where(_receipts.c.id == receipt.id).values(
            {name: getattr(receipt, name) for name in _CHANGEABLE}))
        self._insert(_movements, [m for m in receipt.movements if m.id is None])
        if receipt.opened_now:
            connection.execute(
                update(_movements).where(_movements.c.id == bindparam("movement_id"), _movements.c.opened_at.is_(None))
                .values(opened_at=bindparam("at")),
                [{"movement_id": m.id, "at": m.opened_at} for m in receipt.opened_now],
            )
            receipt.opened_now.clear()

    def _insert(self, table, objects: list) -> None:
        """Insert new rows with one cached Core statement (an ORM flush costs several times more)."""
        if not objects:
            return
        columns = [c.key for c in table.columns if not (c.primary_key and getattr(objects[0], c.key, None) is None)]
        self._uow.connection.execute(_INSERTS[table.name], [{key: getattr(obj, key) for key in columns} for obj in objects])

    # --- reading ---------------------------------------------------------------------------------

    def get(self, receipt_id: str, for_update: bool = False) -> Receipt:
        query = _RECEIPT_WITH_DISTRICT.where(_receipts.c.id == receipt_id)
        if for_update:
            query = query.with_for_update(of=_receipts)
        row = self._uow.connection.execute(query).mappings().first()
        if row is None:
            raise ReceiptNotFound(f"receipt {receipt_id} was not found")
        return self._receipt_of(row)

    def held_by(self, user_id: str) -> list[Receipt]:
        """The open receipts a user holds, oldest first, locked for a hand-over."""
        rows = self._uow.connection.execute(
            _RECEIPT_WITH_DISTRICT.where(_receipts.c.holder_id == user_id, _receipts.c.status == domain.OPEN)
            .order_by(_receipts.c.created_at).with_for_update(of=_receipts)
        ).mappings().all()
        return [self._receipt_of(row) for row in rows]

    def in_file(self, file_id: str) -> list[Receipt]:
        """The receipts put in a file, locked to follow it into another."""
        rows = self._uow.connection.execute(
            _RECEIPT_WITH_DISTRICT.where(_receipts.c.file_id == file_id).order_by(_receipts.c.created_at).with_for_update(of=_receipts)
        ).mappings().all()
        return [self._receipt_of(row) for row in rows]

    def _receipt_of(self, row) -> Receipt:
        connection = self._uow.connection
        receipt = Receipt(**row)
        receipt.movements = [Movement(**m) for m in connection.execute(
            select(_movements).where(_movements.c.receipt_id == receipt.id).order_by(_movements.c.id)).mappings()]
        receipt.scans = [Scan(**s) for s in connection.execute(
            select(_scans).where(_scans.c.receipt_id == receipt.id).order_by(_scans.c.position)).mappings()]
        return receipt

    def duplicates_of(self, sender_organisation: str | None, letter_number: str | None, letter_date: date | None) -> list[str]:
        """Numbers of receipts of the same letter: organisation, letter number and date alike."""
        if not domain.possible_duplicate(sender_organisation, letter_number, letter_date):
            return []
        return self._uow.connection.execute(select(_receipts.c.receipt_number).where(
            func.lower(_receipts.c.sender_organisation) == sender_organisation.lower(),
            func.lower(_receipts.c.letter_number) == letter_number.lower(),
            _receipts.c.letter_date == letter_date,
        ).limit(5)).scalars().all()

    def referenced_scan_keys(self) -> set[str]:
        return set(self._uow.connection.execute(select(_scans.c.key).distinct()).scalars())

    def for_dispatch(self, dispatch_id: str) -> str | None:
        """The id of the receipt a dispatch of an issued letter became, if it did."""
        return self._uow.connection.execute(
            select(_receipts.c.id).where(_receipts.c.source_dispatch_id == dispatch_id)).scalar_one_or_none()

    def listed_for(self, user_id: str, office: str | None, query) -> tuple[list[Any], int]:
        """A user's inbox, sent, created or closed list, or every receipt of the user's office they may
        see (box "office": the registry's search), filtered and paged: (rows, total)."""
        def sent_to_me(*also):
            return exists().where(_movements.c.receipt_id == _receipts.c.id, _movements.c.to_user == user_id, *also)

        condition = {
            "inbox": lambda: or_(and_(_receipts.c.holder_id == user_id, _receipts.c.status == domain.OPEN),
                                 sent_to_me(_movements.c.copy.is_(True))),
            "sent": lambda: exists().where(_movements.c.receipt_id == _receipts.c.id, _movements.c.from_user == user_id),
            "created": lambda: _receipts.c.created_by == user_id,
            "closed": lambda: _receipts.c.closed_by == user_id,
            "office": lambda: and_(_receipts.c.office_code == office, or_(
                _receipts.c.classification.not_in(domain.RESTRICTED), _receipts.c.created_by == user_id, sent_to_me())),
        }[query.box]()
        filters = [condition]
        for word in search_words(query.q or ""):
            filters.append(contains(_receipts.c.subject_search, word))
        if query.number:
            filters.append(contains(func.lower(_receipts.c.receipt_number), query.number.strip().lower()))
        if query.letter_number:
            filters.append(contains(func.lower(_receipts.c.letter_number), query.letter_number.strip().lower()))
        if query.status:
            filters.append(_receipts.c.status == query.status)
        if query.classification:
            filters.append(_receipts.c.classification == query.classification)
        if query.date_from:
            filters.append(_receipts.c.created_at >= datetime.combine(query.date_from, time.min, domain.IST))
        if query.date_to:
            filters.append(_receipts.c.created_at < datetime.combine(query.date_to, time.max, domain.IST))
        for word in search_words(query.sender or ""):
            filters.append(contains(_receipts.c.sender_search, word))
        if query.category:
            filters.append(or_(_receipts.c.main_category == query.category, _receipts.c.sub_category == query.category))
        connection = self._uow.connection
        total = connection.execute(select(func.count()).select_from(_receipts).where(*filters)).scalar_one()
        rows = connection.execute(
            select(_receipts).where(*filters)
            .order_by(_receipts.c.vip.desc(), _receipts.c.created_at.desc())
            .offset((query.page - 1) * query.per_page).limit(query.per_page)
        ).all()
        return rows, total


_ACTING_USER = (
    select(_users.c.id, _users.c.office_code, _offices.c.district_code)
    .join(_offices, _offices.c.code == _users.c.office_code)
    .where(_users.c.id == bindparam("user_id"), _users.c.active.is_(True))
)
ACTING_USER_TTL_SECONDS = 30


class DirectoryRepository:
    """The organisation directory dak is the master of: who may diarise, and to whom one may send."""

    # The directory changes by rare imports, and a bearer token outlives that delay anyway.
    _acting: dict[str, tuple[Diarist, float]] = {}

    def __init__(self, uow):
        self._uow = uow

    def diarist(self, user_id: str) -> Diarist:
        """An active user, remembered for ACTING_USER_TTL_SECONDS."""
        cached = self._acting.get(user_id)
        now = monotonic()
        if cached and cached[1] > now:
            return cached[0]
        row = self._uow.connection.execute(_ACTING_USER, {"user_id": user_id}).first()
        if row is None:
            raise UnknownUser(f"user {user_id} is not in the directory")
        diarist = Diarist(row.id, row.office_code, row.district_code)
        self._acting[user_id] = (diarist, now + ACTING_USER_TTL_SECONDS)
        return diarist

    def active_user_ids(self, user_ids: Iterable[str]) -> set[str]:
        user_ids = list(user_ids)
        if not user_ids:
            return set()
        return set(self._uow.connection.execute(
            select(_users.c.id).where(_users.c.id.in_(user_ids), _users.c.active.is_(True))).scalars())

    def active_clearances(self, user_ids: Iterable[str]) -> dict[str, str]:
        """{id: clearance} of the active users among `user_ids`."""
        user_ids = list(user_ids)
        if not user_ids:
            return {}
        return dict(self._uow.connection.execute(
            select(_users.c.id, _users.c.clearance).where(_users.c.id.in_(user_ids), _users.c.active.is_(True))).all())

    def user(self, user_id: str) -> User:
        user = self._uow.session.get(User, user_id)
        if user is None or not user.active:
            raise UnknownUser(f"user {user_id} is not in the directory")
        return user

    def person(self, user_id: str) -> User | None:
        """A user of the directory, active or not."""
        return self._uow.session.get(User, user_id)

    def office(self, code: str) -> Office | None:
        return self._uow.session.get(Office, code)

    def colleagues_in(self, office_code: str) -> list[letters.Colleague]:
        """The active users of an office, for choosing who receives its letters."""
        users = self._uow.connection.execute(
            select(_users).where(_users.c.office_code == office_code, _users.c.active.is_(True))).all()
        return [letters.Colleague(u.id, u.office_code, u.section_code, tuple(u.roles or ()), u.reporting_officer_id) for u in users]

    def search(self, text: str | None, office: str | None, limit: int) -> list[User]:
        query = select(User).where(User.active.is_(True))
        if office:
            query = query.where(User.office_code == office)
        for word in search_words(text or ""):
            query = query.where(contains(User.search_text, word))
        return self._uow.session.execute(query.order_by(User.office_code, User.name_en).limit(limit)).scalars().all()

    def offices_and_users(self) -> tuple[list[Office], list[User]]:
        session = self._uow.session
        return session.query(Office).all(), session.query(User).all()

    def officer(self, user_id: str | None) -> acting.Officer | None:
        """A user of the directory, active or not, as the rules of acting charge see them."""
        user = self._uow.session.get(User, user_id) if user_id else None
        return None if user is None else acting.Officer(user.id, user.office_code, tuple(user.roles or ()), user.active)

    # --- an admin's edits (directory_usecases) ---------------------------------------------------

    def admin(self, user_id: str) -> DirectoryAdmin | None:
        """An active user as the rules of directory edits see them."""
        user = self._uow.session.get(User, user_id)
        if user is None or not user.active:
            return None
        return DirectoryAdmin(user.id, self._uow.session.get(Office, user.office_code).district_code, tuple(user.roles or ()))

    def placed_office(self, code: str | None) -> PlacedOffice | None:
        office = self._uow.session.get(Office, code) if code else None
        if office is None:
            return None
        sections = self._uow.session.execute(select(Section.code).where(Section.office_code == code)).scalars()
        return PlacedOffice(office.code, office.district_code, frozenset(sections))

    def district_exists(self, code: str) -> bool:
        return self._uow.session.get(District, code) is not None

    def department_exists(self, code: str) -> bool:
        return self._uow.session.get(Department, code) is not None

    def office_of_section(self, code: str) -> str | None:
        section = self._uow.session.get(Section, code)
        return None if section is None else section.office_code

    def user_ids_in(self, office_code: str) -> list[str]:
        return list(self._uow.session.execute(select(User.id).where(User.office_code == office_code).order_by(User.id)).scalars())

    def put_office(self, code: str, values: dict[str, Any]) -> None:
        _put(self._uow.session, Office, code, values)

    def put_section(self, code: str, values: dict[str, Any]) -> None:
        _put(self._uow.session, Section, code, values)

    def put_user(self, user_id: str, values: dict[str, Any]) -> None:
        """Add or change a user; the search form of their names follows."""
        user = _put(self._uow.session, User, user_id, values)
        user.search_text = domain.user_search_text({"id": user.id, "name_en": user.name_en, "name_hi": user.name_hi,
                                                    "designation_en": user.designation_en, "designation_hi": user.designation_hi})
        self._acting.pop(user_id, None)

    def office_recorded(self, code: str) -> OfficeRecorded:
        session = self._uow.session
        session.flush()
        return office_recorded(session, session.get(Office, code))

    def user_recorded(self, user_id: str) -> UserRecorded:
        session = self._uow.session
        session.flush()
        user = session.get(User, user_id)
        return user_recorded(user, session.get(Office, user.office_code).district_code)

    def offices_kept_by(self, district: str | None) -> list[tuple[Office, list[Section]]]:
        """The offices of a district (every office for None) with their sections, for an admin's pages."""
        session = self._uow.session
        query = select(Office).order_by(Office.district_code, Office.code)
        offices = session.execute(query if district is None else query.where(Office.district_code == district)).scalars().all()
        sections = session.execute(select(Section).where(Section.office_code.in_([o.code for o in offices])).order_by(Section.code)).scalars()
        by_office: dict[str, list[Section]] = {}
        for section in sections:
            by_office.setdefault(section.office_code, []).append(section)
        return [(office, by_office.get(office.code, [])) for office in offices]

    def users_kept_by(self, district: str | None, office: str | None) -> list[User]:
        """Every user, active or not, of a district's offices (or of one office), for an admin's pages."""
        query = select(User).join(Office, Office.code == User.office_code).order_by(User.office_code, User.name_en)
        if district is not None:
            query = query.where(Office.district_code == district)
        if office:
            query = query.where(User.office_code == office)
        return self._uow.session.execute(query).scalars().all()


def _put(session: Session, model, key: str, values: dict[str, Any]):
    """The row of `key`, added or changed to `values`."""
    row = session.get(model, key)
    if row is None:
        row = model(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


class ActingChargeRepository:
    """Leave and acting charge: who holds charge for whom, on which days."""

    def __init__(self, uow):
        self._uow = uow

    def add(self, charge: ActingCharge) -> None:
        self._uow.session.add(charge)

    def get(self, charge_id: str, for_update: bool = False) -> ActingCharge:
        query = select(ActingCharge).where(ActingCharge.id == charge_id)
        charge = self._uow.session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
        if charge is None:
            raise ChargeNotFound(f"acting charge {charge_id} was not found")
        return charge

    def overlaps(self, absent_user: str, from_date: date, to_date: date) -> bool:
        return self._uow.session.execute(select(exists().where(
            ActingCharge.absent_user == absent_user, ActingCharge.ended_at.is_(None),
            ActingCharge.from_date <= to_date, ActingCharge.to_date >= from_date,
        ))).scalar()

    def acting_for(self, user_ids: Iterable[str], day: date) -> dict[str, str]:
        """{absent officer: acting officer} of the charges in force on `day` among `user_ids`."""
        user_ids = list(user_ids)
        if not user_ids:
            return {}
        rows = self._uow.connection.execute(select(ActingCharge.absent_user, ActingCharge.acting_user).where(
            ActingCharge.absent_user.in_(user_ids), ActingCharge.ended_at.is_(None),
            ActingCharge.from_date <= day, ActingCharge.to_date >= day,
        ))
        return dict(rows.all())

    def around(self, user_id: str, office_code: str, day: date) -> list[tuple[ActingCharge, User, User]]:
        """Charges not over by `day` that involve the user, or any officer of their office: [(charge, absent, acting)]."""
        absent, acting_officer = aliased(User), aliased(User)
        rows = self._uow.session.execute(
            select(ActingCharge, absent, acting_officer)
            .join(absent, absent.id == ActingCharge.absent_user).join(acting_officer, acting_officer.id == ActingCharge.acting_user)
            .where(ActingCharge.ended_at.is_(None), ActingCharge.to_date >= day,
                   or_(ActingCharge.office_code == office_code, ActingCharge.absent_user == user_id, ActingCharge.acting_user == user_id))
            .order_by(ActingCharge.from_date, ActingCharge.absent_user)
        )
        return [tuple(row) for row in rows.all()]


_correspondents = Correspondent.__table__


def _correspondent_upsert(dialect_insert):
    """Built once per dialect (built per letter, it was half the CPU of a diarisation): what this letter
    gives replaces what is known, what it leaves out (NULL) keeps what was known."""
    fields = (*address_book.SENDER_FIELDS, "search_text")
    statement = dialect_insert(_correspondents).values(
        office_code=bindparam("office_code"), key=bindparam("key"), letters=1, last_letter_at=bindparam("at"),
        **{name: bindparam(name) for name in fields},
    )
    return statement.on_conflict_do_update(index_elements=["office_code", "key"], set_={
        **{name: func.coalesce(statement.excluded[name], _correspondents.c[name]) for name in fields},
        "letters": _correspondents.c.letters + 1, "last_letter_at": statement.excluded.last_letter_at,
    }).returning(*(_correspondents.c[name] for name in ("id", *fields)))


_CORRESPONDENT_UPSERTS = {"postgresql": _correspondent_upsert(postgresql.insert), "sqlite": _correspondent_upsert(sqlite.insert)}


class AddressBookRepository:
    """Each office's outside correspondents, and whether it acknowledges letters to their senders."""

    def __init__(self, uow):
        self._uow = uow

    def remember(self, office_code: str, entry: dict[str, Any], at: datetime) -> None:
        """Add the sender to the office's address book, or bring their entry up to date: what this letter
        says replaces what is known, what it leaves out keeps what was known. One upsert (and an update
        of its search text when the letter left out something it had)."""
        connection = self._uow.connection
        kept = connection.execute(_CORRESPONDENT_UPSERTS[connection.dialect.name], {
            **{name: entry.get(name) or None for name in address_book.SENDER_FIELDS},
            "search_text": address_book.search_text(entry), "office_code": office_code,
            "key": address_book.correspondent_key(entry["name"], entry.get("organisation")), "at": at,
        }).one()
        # A letter that leaves out what the entry knew (its email, say) keeps it: it stays searchable too.
        search_text = address_book.search_text(kept._mapping)
        if search_text != kept.search_text:
            connection.execute(update(_correspondents).where(_correspondents.c.id == kept.id).values(search_text=search_text))

    def find(self, office_code: str, text: str | None, limit: int) -> list[Correspondent]:
        query = select(Correspondent).where(Correspondent.office_code == office_code)
        for word in search_words(text or ""):
            query = query.where(contains(Correspondent.search_text, word))
        return self._uow.session.execute(query.order_by(Correspondent.letters.desc(), Correspondent.name).limit(limit)).scalars().all()

    def holder_of(self, office_code: str, key: str) -> int | None:
        """The id of the office's entry under this correspondent_key, if any."""
        return self._uow.session.execute(select(Correspondent.id).where(
            Correspondent.office_code == office_code, Correspondent.key == key)).scalar_one_or_none()

    def get(self, office_code: str, correspondent_id: int, for_update: bool = False) -> Correspondent:
        query = select(Correspondent).where(Correspondent.id == correspondent_id, Correspondent.office_code == office_code)
        entry = self._uow.session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
        if entry is None:
            raise CorrespondentNotFound(f"correspondent {correspondent_id} is not in the office's address book")
        return entry

    def add(self, office_code: str, entry: address_book.Entry) -> Correspondent:
        added = Correspondent(office_code=office_code, letters=0, **self._columns(entry))
        with self._unless_in_book(office_code, entry):
            self._uow.session.add(added)
        return added

    def change(self, stored: Correspondent, entry: address_book.Entry) -> Correspondent:
        with self._unless_in_book(stored.office_code, entry):
            for column, value in self._columns(entry).items():
                setattr(stored, column, value)
        return stored

    @contextmanager
    def _unless_in_book(self, office_code: str, entry: address_book.Entry):
        """Write under a savepoint: the same correspondent written meanwhile by another transaction
        (after the use case looked) is refused as the duplicate it is, and this transaction goes on."""
        session = self._uow.session
        try:
            with session.begin_nested():
                yield
                session.flush()
        except IntegrityError:
            holder = self.holder_of(office_code, entry.key)
            if holder is None:
                raise
            raise CorrespondentExists(f"{entry.name} is in the address book already (entry {holder})", holder) from None

    @staticmethod
    def _columns(entry: address_book.Entry) -> dict[str, Any]:
        fields = entry.fields()
        return {**fields, "key": entry.key, "search_text": address_book.search_text(fields)}

    def acknowledges_senders(self, office_code: str) -> bool:
        setting = self._uow.session.get(AcknowledgementSetting, office_code)
        return True if setting is None else setting.enabled

    def set_acknowledgements(self, office_code: str, enabled: bool) -> None:
        self._uow.session.merge(AcknowledgementSetting(office_code=office_code, enabled=enabled))


class DakUnitOfWork(RepositoryUnitOfWork):
    """dak's repositories over a unit of work (eoffice_common.repository.RepositoryUnitOfWork)."""

    def __init__(self, uow, present: Callable[[Any], Any] | None = None):
        super().__init__(uow, present)
        self.receipts = ReceiptRepository(uow)
        self.directory = DirectoryRepository(uow)
        self.acting_charges = ActingChargeRepository(uow)
        self.address_book = AddressBookRepository(uow)
