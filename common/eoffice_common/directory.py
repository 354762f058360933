"""A service's copy of the organisation directory, kept from dak's office_recorded and user_recorded
events (or, for an empty copy, from RPC `dak.directory_snapshot()`). The rules are written here once:

- The newer record wins. Each row keeps when dak recorded it (the event's occurred_at); a record
  older than the one held changes nothing, whatever order the broker delivers them in (two events
  of one user are redelivered, retried and dead-lettered independently).
- A user whose record names no language gets DEFAULT_LANGUAGE.
- A user who leaves is kept, inactive, never deleted: old files and letters still name them.

Each service keeps its own table, with the columns it needs: a CopyTable maps the record's fields
to them. The upsert is one INSERT ... ON CONFLICT DO UPDATE ... WHERE older, so two consumers
recording the same user at once cannot both insert, and the older cannot overwrite the newer."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Boolean, Column, Date, String, Table, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .events import Envelope, MalformedEvent

DEFAULT_LANGUAGE = "hi"
LANGUAGES = ("hi", "en")
# The highest classification a user may read (the classifications of DOMAIN.md, lowest first).
CLEARANCES = ("normal", "confidential", "secret", "top_secret")
DEFAULT_CLEARANCE = "normal"

USER_FIELDS = (
    "user_id", "office", "district", "name_en", "name_hi", "designation_en", "designation_hi", "section",
    "email", "mobile", "reporting_officer", "roles", "language", "clearance", "active",
)
OFFICE_FIELDS = (
    "office", "district", "name_en", "name_hi", "department", "department_name_en", "department_name_hi",
    "district_name_en", "district_name_hi", "state", "sections",
)
_REQUIRED_USER_FIELDS = ("user_id", "office", "name_en", "name_hi")
_REQUIRED_OFFICE_FIELDS = ("office", "district", "name_en", "name_hi")
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def user_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a user_recorded record, with the one set of defaults."""
    _require(data, _REQUIRED_USER_FIELDS)
    roles = data.get("roles") or []
    if not isinstance(roles, list):
        raise MalformedEvent("roles must be a list")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise MalformedEvent("active must be true or false")
    language = data.get("language") or DEFAULT_LANGUAGE
    if language not in LANGUAGES:
        raise MalformedEvent(f"language must be one of {', '.join(LANGUAGES)}")
    clearance = data.get("clearance") or DEFAULT_CLEARANCE
    if clearance not in CLEARANCES:
        raise MalformedEvent(f"clearance must be one of {', '.join(CLEARANCES)}")
    values = {name: data.get(name) for name in USER_FIELDS}
    values.update(
        designation_en=data.get("designation_en") or "", designation_hi=data.get("designation_hi") or "",
        roles=[str(role) for role in roles], language=language, clearance=clearance, active=active,
    )
    return values


def office_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of an office_recorded record, with the one set of defaults."""
    _require(data, _REQUIRED_OFFICE_FIELDS)
    sections = data.get("sections") or []
    if not isinstance(sections, list) or not all(isinstance(s, Mapping) and s.get("code") for s in sections):
        raise MalformedEvent("sections must be a list of {code, name_en, name_hi}")
    values = {name: data.get(name) for name in OFFICE_FIELDS}
    values["sections"] = [{"code": s["code"], "name_en": s.get("name_en", ""), "name_hi": s.get("name_hi", "")} for s in sections]
    return values


def _require(data: Mapping[str, Any], names: tuple[str, ...]) -> None:
    if not isinstance(data, Mapping):
        raise MalformedEvent("a directory record must be an object")
    missing = [name for name in names if not isinstance(data.get(name), str) or not data.get(name)]
    if missing:
        raise MalformedEvent(f"missing or not text: {', '.join(missing)}")


@dataclass(frozen=True)
class Recorded:
    """What recording one record did: `applied` is False when the copy held a newer one.
    `previous` is the row as it was before (its columns by name), None for a new one."""

    applied: bool
    values: dict[str, Any]
    previous: Mapping[str, Any] | None = None

    @property
    def created(self) -> bool:
        return self.applied and self.previous is None

    def changed(self, *fields: str) -> bool:
        """Whether applying changed any of these fields (every kept field when none is named)."""
        if not self.applied:
            return False
        if self.previous is None:
            return True
        return any(self.previous[name] != value for name, value in self.values.items() if not fields or name in fields)


@dataclass(frozen=True)
class CopyTable:
    """A service's table of directory users or offices: `columns` maps each record field it keeps
    to its column; `recorded_at` names the column keeping when dak recorded the row; `derived`, if
    given, makes the service's own columns from a record (a search form of the names, say)."""

    table: Table
    key: str
    columns: Mapping[str, str]
    recorded_at: str = "recorded_at"
    derived: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    @classmethod
    def of(cls, table: Table, fields: tuple[str, ...], key: str, renamed: Mapping[str, str] | None = None,
           recorded_at: str = "recorded_at",
           derived: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None) -> CopyTable:
        """The fields of `fields` that `table` has a column for, under their own name or `renamed`."""
        renamed = renamed or {}
        columns = {name: renamed.get(name, name) for name in fields if renamed.get(name, name) in table.c}
        if key not in columns:
            raise ValueError(f"{table.name} has no column for {key}")
        return cls(table, key, columns, recorded_at, derived)

    def record(self, connection, values: Mapping[str, Any], recorded_at: datetime, **columns: Any) -> Recorded:
        """Insert or update the row of `values` unless the copy holds a record newer than `recorded_at`.
        `columns` are other columns of the service's own to write with it."""
        table, key_column = self.table, self.table.c[self.columns[self.key]]
        kept = {name: values[name] for name in self.columns}
        previous = connection.execute(
            select(*[table.c[column] for column in self.columns.values()], table.c[self.recorded_at])
            .where(key_column == kept[self.key]).with_for_update()
        ).mappings().first()
        if previous is not None and previous[self.recorded_at] is not None and _utc(previous[self.recorded_at]) >= recorded_at:
            return Recorded(False, kept, _by_field(previous, self.columns))
        row = {self.columns[name]: value for name, value in kept.items()} | columns | {self.recorded_at: recorded_at}
        if self.derived is not None:
            row |= self.derived(values)
        statement = _UPSERTS[_dialect_of(connection)](table).values(row)
        stored_at = table.c[self.recorded_at]
        statement = statement.on_conflict_do_update(
            index_elements=[key_column],
            set_={column: statement.excluded[column] for column in row if column != key_column.name},
            where=or_(stored_at.is_(None), stored_at < statement.excluded[self.recorded_at]),
        ).returning(key_column)
        applied = connection.execute(statement).first() is not None
        return Recorded(applied, kept, _by_field(previous, self.columns) if previous is not None else None)


def _dialect_of(connection) -> str:
    """The dialect's name, from a Session or a Connection."""
    return connection.get_bind().dialect.name if isinstance(connection, Session) else connection.dialect.name


def _by_field(row: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    return {name: row[column] for name, column in columns.items()}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def occurred_at(envelope: Envelope) -> datetime:
    """When dak recorded what an event announces."""
    return _utc(datetime.fromisoformat(envelope.occurred_at))


def snapshot_taken_at(snapshot: Mapping[str, Any]) -> datetime:
    """When dak took a directory_snapshot() (one from before it said so: now)."""
    return _utc(datetime.fromisoformat(snapshot["taken_at"])) if snapshot.get("taken_at") else datetime.now(timezone.utc)


@dataclass(frozen=True)
class DirectoryCopy:
    """The tables a service keeps its copy of the directory in (either may be None: not kept)."""

    users: CopyTable | None = None
    offices: CopyTable | None = None
    events: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        kept = (("user_recorded", self.users), ("office_recorded", self.offices))
        object.__setattr__(self, "events", tuple(event for event, table in kept if table is not None))

    def record_user(self, connection, data: Mapping[str, Any], recorded_at: datetime, **columns: Any) -> Recorded:
        return self.users.record(connection, user_values(data), recorded_at, **columns)

    def record_office(self, connection, data: Mapping[str, Any], recorded_at: datetime, **columns: Any) -> Recorded:
        return self.offices.record(connection, office_values(data), recorded_at, **columns)

    def record_event(self, connection, envelope: Envelope, **columns: Any) -> Recorded:
        """Record a consumed office_recorded or user_recorded event, as of its occurred_at."""
        if envelope.type == "user_recorded" and self.users is not None:
            return self.record_user(connection, envelope.data, occurred_at(envelope), **columns)
        if envelope.type == "office_recorded" and self.offices is not None:
            return self.record_office(connection, envelope.data, occurred_at(envelope), **columns)
        raise MalformedEvent(f"this copy of the directory does not keep {envelope.type} events")

    def record_snapshot(self, connection, snapshot: Mapping[str, Any], **columns: Any) -> dict[str, int]:
        """A whole directory (dak.directory_snapshot()) as of its `taken_at` (else as of now): for an
        empty copy at start. Returns how many offices and users it applied."""
        taken_at = snapshot_taken_at(snapshot)
        offices = sum(self.record_office(connection, data, taken_at, **columns).applied
                      for data in snapshot["offices"]) if self.offices else 0
        users = sum(self.record_user(connection, data, taken_at, **columns).applied
                    for data in snapshot["users"]) if self.users else 0
        return {"offices": offices, "users": users}


class ActingChargeColumns:
    """The columns of a service's copy of dak's acting charges, as acting_charge_set and
    acting_charge_ended announce them: in force from from_date to to_date (IST days) unless ended.
    A declarative mixin: each service maps its own `acting_charges` table in its own database."""

    __tablename__ = "acting_charges"
    id = Column(String(36), primary_key=True)
    absent_user = Column(String(64), nullable=False, index=True)
    acting_user = Column(String(64), nullable=False)
    from_date = Column(Date, nullable=False)
    to_date = Column(Date, nullable=False)
    ended = Column(Boolean, nullable=False, default=False)


def record_acting_charge(session: Session, model: type, charge_id: str, absent_user: str, acting_user: str,
                         from_date, to_date, ended: bool) -> None:
    """Keep dak's charge as announced in `model` (an ActingChargeColumns mapping). Once ended it stays
    ended: its acting_charge_set arriving after its acting_charge_ended (a redelivery) changes nothing."""
    row = session.get(model, charge_id)
    if row is None:
        row = model(id=charge_id, ended=False)
        session.add(row)
    row.absent_user, row.acting_user, row.from_date, row.to_date = absent_user, acting_user, from_date, to_date
    row.ended = bool(row.ended) or ended
