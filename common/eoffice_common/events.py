"""The envelope every event travels in, and the base of every service's event dataclasses."""
import os
import time
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from functools import cache
from typing import ClassVar

REQUIRED_FIELDS = ("id", "type", "schema_version", "occurred_at", "actor", "office", "data")


def time_ordered_id():
    """A UUID version 7 (RFC 9562): Unix milliseconds in the first 48 bits, then random bits.

    Every consumer keeps the ids it applied in a B-tree (processed_events). Random (version 4)
    ids put each new one on a random page of an index that soon outgrows memory: a page read and
    a full-page image in the WAL per event. Ids made later sort later, so new ones land together
    at the index's right edge (docs/decisions/0008)."""
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (
        (time.time_ns() // 1_000_000) << 80
        | 0x7 << 76
        | (random_bits >> 68) << 64
        | 0b10 << 62
        | random_bits & ((1 << 62) - 1)
    )
    return str(uuid.UUID(int=value))


@cache
def field_names(cls):
    """A dataclass's field names (dataclasses.fields builds its answer anew on every call)."""
    return tuple(f.name for f in fields(cls))


class MalformedEvent(ValueError):
    """An event that can never be applied; it goes to the dead-letter store with this reason."""


@dataclass(frozen=True)
class DomainEvent:
    """Subclasses name the event (past tense) and the aggregate it belongs to."""

    event_type: ClassVar[str]
    aggregate_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @property
    def aggregate_id(self):
        raise NotImplementedError

    def data(self):
        # Shallow on purpose: event fields hold plain values, lists and dicts already.
        return {name: getattr(self, name) for name in field_names(type(self))}


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    schema_version: int
    occurred_at: str
    actor: str
    office: str
    district: str | None
    correlation_id: str | None
    aggregate_type: str
    aggregate_id: str
    data: dict

    @classmethod
    def wrap(cls, event, actor, correlation_id=None):
        return cls(
            id=time_ordered_id(),
            type=event.event_type,
            schema_version=event.schema_version,
            occurred_at=datetime.now(timezone.utc).isoformat(),
            actor=actor,
            office=getattr(event, "office", "") or "",
            district=getattr(event, "district", None),
            correlation_id=correlation_id,
            aggregate_type=event.aggregate_type,
            aggregate_id=str(event.aggregate_id),
            data=event.data(),
        )

    @classmethod
    def parse(cls, payload):
        if not isinstance(payload, dict):
            raise MalformedEvent(f"an event must be a JSON object, got {type(payload).__name__}")
        missing = [name for name in REQUIRED_FIELDS if payload.get(name) in (None, "") and name != "office"]
        if "office" not in payload:
            missing.append("office")
        if missing:
            raise MalformedEvent(f"missing fields: {', '.join(missing)}")
        if not isinstance(payload["data"], dict):
            raise MalformedEvent("data must be an object")
        try:
            datetime.fromisoformat(payload["occurred_at"])
        except (TypeError, ValueError):
            raise MalformedEvent("occurred_at is not an ISO 8601 timestamp") from None
        return cls(
            id=str(payload["id"]),
            type=payload["type"],
            schema_version=int(payload["schema_version"]),
            occurred_at=payload["occurred_at"],
            actor=payload["actor"],
            office=payload["office"] or "",
            district=payload.get("district"),
            correlation_id=payload.get("correlation_id"),
            aggregate_type=payload.get("aggregate_type", ""),
            aggregate_id=str(payload.get("aggregate_id", "")),
            data=payload["data"],
        )

    def to_dict(self):
        return {name: getattr(self, name) for name in field_names(Envelope)}
