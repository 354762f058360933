"""Tables every service carries in its own database: the outbox, tracking records, dead letters,
the answers kept under requests' idempotency keys.

The outbox holds only events not yet published: the relay deletes each row once the broker has
confirmed it, so the table stays as small as the backlog.

Each service's Alembic env.py targets `[its Base.metadata, PLUMBING]`, so these are migrated with it.
"""
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

from .types import UtcDateTime

PLUMBING = MetaData()

# BIGINT in PostgreSQL, but INTEGER in SQLite so that it is the autoincrementing rowid.
_serial = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "outbox",
    PLUMBING,
    Column("seq", _serial, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(80), nullable=False),
    Column("aggregate_type", String(40), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

processed_events = Table(
    "processed_events",
    PLUMBING,
    Column("consumer", String(120), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", UtcDateTime(), nullable=False),
)

dead_letters = Table(
    "dead_letters",
    PLUMBING,
    Column("id", _serial, primary_key=True, autoincrement=True),
    Column("consumer", String(120), nullable=False),
    Column("event_id", String(64)),
    Column("event_type", String(80)),
    Column("payload", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("retried_at", UtcDateTime()),
)

# A write's answer under the Idempotency-Key its request carried (eoffice_common.idempotency): the row
# is taken by the write's transaction and holds its answer when that transaction commits.
idempotency_keys = Table(
    "idempotency_keys",
    PLUMBING,
    Column("user_id", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer),
    Column("body", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)
