"""Idempotent consumption: a redelivered event takes effect once; a malformed one is dead-lettered
and the consumer keeps going."""
import json
import uuid

from sqlalchemy import create_engine, select

from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.tables import dead_letters, processed_events
from eoffice_common.testing import wait_until


def envelope(note_id, event_id=None, **overrides):
    body = {
        "id": event_id or str(uuid.uuid4()),
        "type": "note_written",
        "schema_version": 1,
        "occurred_at": "2026-11-20T10:00:00+05:30",
        "actor": "clerk.jhs",
        "office": "COLL-JHS",
        "district": "JHS",
        "correlation_id": "c-1",
        "aggregate_type": "note",
        "aggregate_id": note_id,
        "data": {"note_id": note_id, "text": "x"},
    }
    body.update(overrides)
    return body


def rows(url, query):
    engine = create_engine(url)
    with engine.connect() as conn:
        result = conn.execute(query).all()
    engine.dispose()
    return result


def test_a_redelivered_event_takes_effect_once(container_factory, reader_service, reader_config, test_tables):
    container = container_factory(reader_service, reader_config)
    container.start()
    publisher = ConfirmingPublisher(reader_config["AMQP_URI"], "writer")
    event = envelope("n-1")
    assert publisher.publish([event, event, event]) == 3
    assert publisher.publish([envelope("n-2")]) == 1
    publisher.close()
    tally = test_tables["tally"]
    url = reader_config["DB_URL"]
    assert wait_until(lambda: len(rows(url, select(tally))) == 2 and len(rows(url, select(processed_events))) == 2)
    assert dict(rows(url, select(tally.c.note_id, tally.c.times))) == {"n-1": 1, "n-2": 1}


def test_malformed_events_are_dead_lettered_and_consumption_goes_on(
    container_factory, reader_service, reader_config, test_tables
):
    container = container_factory(reader_service, reader_config)
    container.start()
    publisher = ConfirmingPublisher(reader_config["AMQP_URI"], "writer")
    missing_fields = envelope("bad-1")
    del missing_fields["occurred_at"]
    bad_data = envelope("bad-2", data={"text": "no note id"})
    publisher.publish([missing_fields, bad_data, envelope("good")])
    publisher.close()
    url = reader_config["DB_URL"]
    assert wait_until(lambda: len(rows(url, select(dead_letters))) == 2 and rows(url, select(test_tables["tally"])))
    reasons = sorted(r.reason for r in rows(url, select(dead_letters)))
    assert reasons[0].startswith("KeyError") and "note_id" in reasons[0]
    assert reasons[1].startswith("MalformedEvent") and "occurred_at" in reasons[1]
    stored = [json.loads(r.payload) for r in rows(url, select(dead_letters))]
    assert {p["aggregate_id"] for p in stored} == {"bad-1", "bad-2"}
    assert [r.note_id for r in rows(url, select(test_tables["tally"]))] == ["good"]
