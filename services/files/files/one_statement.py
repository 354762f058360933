"""On PostgreSQL, what a unit of work changed in a file is written with its outbox rows in one
statement, instead of the ORM's flush of one statement per row kind (docs/decisions/0005-a-file-move-in-one-statement.md).

It takes only what a move, a note or an audit entry leaves in the session: rows of `UPDATABLE`
changed by primary key (a versioned row also `WHERE version = <the version read>`), and new rows of
`INSERTABLE` whose keys nobody else in the same flush needs. For anything else (a deletion, a new
draft whose generated id its versions take) `changes_of` gives None and the ORM flushes it."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Table, bindparam, cast, func, inspect, literal, select, union_all
from sqlalchemy.orm import Session

from eoffice_common.tables import outbox

from .model import AuditEntry, File, Movement, Note

UPDATABLE = frozenset({File, Movement, Note})
INSERTABLE = frozenset({Movement, AuditEntry, Note})


class StaleRow(Exception):
    """A versioned row had changed since it was read: no row matched its version."""


class Changes:
    """The rows a unit of work changed and made, as one statement will write them."""

    def __init__(self, updates: list[tuple[Table, dict, dict, bool]], inserts: dict[Table, list[tuple[int, dict]]]):
        self.updates = updates
        self.inserts = inserts

    def write(self, session: Session, outbox_rows: list[dict]) -> None:
        """Write them and `outbox_rows` in one statement, then detach the rows written from the
        session (the unit of work only commits after this)."""
        inserts = dict(self.inserts)
        if outbox_rows:
            inserts[outbox] = list(enumerate(outbox_rows))
        if self.updates or inserts:
            statement = _statement(
                tuple((table, tuple(sorted(values)), versioned) for table, values, _, versioned in self.updates),
                tuple((table, tuple(rows[0][1]), len(rows)) for table, rows in inserts.items()),
            )
            parameters = {}
            for u, (_, values, key, _) in enumerate(self.updates):
                parameters.update({f"u{u}_{name}": value for name, value in values.items()})
                parameters.update({f"u{u}_key_{name}": value for name, value in key.items()})
            for t, rows in enumerate(inserts.values()):
                for r, (_, values) in enumerate(rows):
                    parameters.update({f"i{t}_{r}_{name}": value for name, value in values.items()})
            matched = session.connection().execute(statement, parameters).scalar_one()
            if matched != sum(1 for *_, versioned in self.updates if versioned):
                raise StaleRow()
        session.expunge_all()


def changes_of(session: Session) -> Changes | None:
    """What the session would flush, if all of it is of the kinds one statement writes; else None."""
    if session.deleted:
        return None
    updates, inserts = [], {}
    for instance in session.dirty:
        if type(instance) not in UPDATABLE:
            return None
        changed = _update_of(instance)
        if changed is not None:
            updates.append(changed)
    for instance in session.new:
        if type(instance) not in INSERTABLE:
            return None
        row = _insert_of(instance)
        if row is None:
            return None
        inserts.setdefault(instance.__table__, []).append(row)
    for rows in inserts.values():  # in the order they were made: the audit chain's
        if len({tuple(values) for _, values in rows}) > 1:
            return None  # one INSERT a table: its rows must give the same columns
        rows.sort(key=lambda row: row[0])
    # In a fixed order, so that changes of the same kinds are the same statement, built once.
    updates.sort(key=lambda update: (update[0].name, sorted(update[1])))
    return Changes(updates, dict(sorted(inserts.items(), key=lambda item: item[0].name)))


def _update_of(instance) -> tuple[Table, dict, dict, bool] | None:
    """(table, changed columns, primary key [+ version read], versioned) of a changed row, or None.
    The session keeps the value read of every attribute set since (`committed_state`)."""
    state = inspect(instance)
    mapper = state.mapper
    columns = mapper.columns
    values = {columns[key].key: state.dict[key] for key in state.committed_state if key in columns}
    if not values:
        return None
    key = {column.key: state.committed_state.get(column.key, getattr(instance, column.key)) for column in mapper.primary_key}
    version = mapper.version_id_col
    if version is not None:
        key[version.key] = state.committed_state.get(version.key, getattr(instance, version.key))
    return mapper.local_table, values, key, version is not None


def _insert_of(instance) -> tuple[int, dict] | None:
    """(order made, values of every column) of a new row, or None if a column needs what only the
    ORM gives (a default computed in Python, a generated key another row refers to)."""
    state = inspect(instance)
    values = {}
    for column in state.mapper.local_table.columns:
        value = getattr(instance, column.key)
        if value is None:
            if (column.primary_key and column.autoincrement is True) or column.server_default is not None:
                continue  # the database gives it (no row of this flush refers to a generated key: INSERTABLE)
            if column.default is not None:
                if not column.default.is_scalar:
                    return None
                value = column.default.arg
        values[column.key] = value
    return state.insert_order, values


@lru_cache(maxsize=128)
def _statement(update_shapes, insert_shapes):
    """One WITH statement per shape of change, built once: each UPDATE returns the rows it matched;
    each table's INSERT runs after that table's UPDATEs (a movement stops being current before the
    next one becomes current: the partial unique index checks each row as it is written); the
    statement answers how many versioned rows matched."""
    updated = {}
    ctes, versioned = [], []
    for u, (table, columns, versioned_row) in enumerate(update_shapes):
        key_columns = [c for c in table.primary_key.columns] + ([table.c.version] if versioned_row else [])
        cte = (
            table.update()
            .where(*[column == bindparam(f"u{u}_key_{column.key}", type_=column.type) for column in key_columns])
            .values({name: bindparam(f"u{u}_{name}", type_=table.c[name].type) for name in columns})
            .returning(table.primary_key.columns[0])
            .cte(f"u{u}")
        )
        ctes.append(cte)
        updated.setdefault(table.name, []).append(cte)
        if versioned_row:
            versioned.append(cte)
    for t, (table, columns, count) in enumerate(insert_shapes):
        after = [select(func.count()).select_from(cte).scalar_subquery() >= 0 for cte in updated.get(table.name, [])]
        rows = [
            # Typed: a bare parameter in a SELECT list would be text, which no column but text takes.
            select(*[cast(bindparam(f"i{t}_{r}_{name}", type_=table.c[name].type), table.c[name].type) for name in columns]).where(*after)
            for r in range(count)
        ]
        source = rows[0] if count == 1 else union_all(*rows)
        ctes.append(table.insert().from_select(list(columns), source).cte(f"i{t}"))
    matched = [select(func.count()).select_from(cte).scalar_subquery() for cte in versioned]
    total = sum(matched[1:], matched[0]) if matched else literal(0)
    return select(total).add_cte(*ctes)
