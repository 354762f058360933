"""Consuming every service's events on the real RabbitMQ into PostgreSQL: once each, attributed
through the directory, malformed ones dead-lettered while the rest go on."""
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import amqp
import eventlet
from kombu import Connection
from sqlalchemy import create_engine, text

from eoffice_common.metrics import EVENTS_CONSUMED
from eoffice_common.testing import ADMIN_PG_URL
from metrics.domain import week_of

DIRECTORY_SIZE = 4


def directory(events_factory):
    return [
        events_factory.office("COLL-JHS", "JHS", "REV", "ज़िलाधिकारी कार्यालय, झाँसी", sections=["COLL-JHS-CR"]),
        events_factory.user("clerk.jhs", "COLL-JHS"),
        events_factory.user("so.jhs", "COLL-JHS", name_hi="सुनीता देवी", roles=("officer",)),
        events_factory.user("dm.jhs", "COLL-JHS", name_hi="रवि कुमार शर्मा", roles=("officer",)),
    ]


def applied(db):
    return db.scalar("SELECT count(*) FROM processed_events")


def test_events_of_every_service_are_applied_once_and_placed_in_their_office(events, events_factory, metrics_db, wait):
    now = datetime.now(timezone.utc)
    flow = [
        events_factory.make("receipt_diarised", {"receipt_id": "r-1", "receipt_number": "1/2026/COLL-JHS", "kind": "electronic", "holder": "clerk.jhs"}),
        events_factory.make("file_created", {"file_id": "f-1", "kind": "electronic", "section": "COLL-JHS-CR", "created_by": "clerk.jhs"}),
        events_factory.make("receipt_put_in_file", {"receipt_id": "r-1", "file_id": "f-1"}),
        events_factory.make("file_sent", {"file_id": "f-1", "from_user": "clerk.jhs", "to_user": "so.jhs", "due_date": "2099-01-01"}),
        events_factory.make("note_confirmed", {"file_id": "f-1", "note_id": "n-1"}, actor="so.jhs"),
        # signing and notify name a user, not an office: the directory places them
        events_factory.make("document_signed", {"signature_id": "s-1", "document_kind": "note", "document_id": "n-1", "file_id": "f-1", "signer": "so.jhs"}, office="", actor="so.jhs"),
        events_factory.make("notification_delivered", {"notification_id": "m-1", "user": "so.jhs", "channel": "inapp"}, office="", actor="system"),
    ]
    events.publish(directory(events_factory) + flow)
    events.publish(flow)  # every event delivered twice
    assert wait(lambda: applied(metrics_db) == DIRECTORY_SIZE + len(flow))
    assert metrics_db.scalar("SELECT count(*) FROM facts") == len(flow)
    assert metrics_db.scalar("SELECT count(*) FROM facts WHERE office = 'COLL-JHS'") == len(flow)
    day = metrics_db.rows("SELECT * FROM daily_counts WHERE office = 'COLL-JHS'")
    assert len(day) == 1
    counts = day[0]._mapping
    assert (counts["receipts_diarised"], counts["e_receipts_diarised"], counts["files_created"]) == (1, 1, 1)
    assert (counts["files_forwarded"], counts["files_received"], counts["notes_confirmed"], counts["notes_signed"]) == (1, 1, 1, 1)
    assert (counts["receipts_put_in_file"], counts["notifications_delivered"]) == (1, 1)
    items = {r.item_id: r for r in metrics_db.rows("SELECT * FROM items")}
    assert items["f-1"].holder == "so.jhs" and items["f-1"].closed_at is None and items["f-1"].movements == 1
    assert items["r-1"].closed_at is not None
    active = metrics_db.rows("SELECT user_id FROM weekly_active_users WHERE week = :w", w=week_of(now))
    assert sorted(r.user_id for r in active) == ["clerk.jhs", "so.jhs"]
    assert metrics_db.scalar("SELECT name_hi FROM offices") == "ज़िलाधिकारी कार्यालय, झाँसी"


def publish_raw(amqp_uri, exchange, routing_key, body):
    with Connection(amqp_uri) as connection:
        channel = connection.connection.channel()
        channel.basic_publish(amqp.Message(body=body, content_type="application/json"), exchange=exchange, routing_key=routing_key)


def test_malformed_events_are_dead_lettered_and_the_rest_applied(events, events_factory, metrics_db, metrics_config, wait):
    events.publish(directory(events_factory))
    assert wait(lambda: applied(metrics_db) == DIRECTORY_SIZE)
    missing_time = events_factory.make("file_created", {"file_id": "f-bad-1", "kind": "electronic"})
    del missing_time["occurred_at"]
    no_file = events_factory.make("file_sent", {"to_user": "so.jhs"})
    wrong_kind = events_factory.make("file_created", {"file_id": "f-bad-2", "kind": "paper"})
    # passes every check here, but PostgreSQL's integer refuses it: found by applying the batch one by one
    too_many_levels = events_factory.make("file_closed", {"file_id": "f-bad-3", "movement_count": 10 ** 10})
    good = [events_factory.make("file_created", {"file_id": f"f-{i}", "kind": "physical", "created_by": "clerk.jhs"}) for i in range(3)]
    events.publish([missing_time, good[0], no_file, wrong_kind, good[1], too_many_levels, good[2]])
    publish_raw(metrics_config["AMQP_URI"], "files.events", "file_sent", b"{not json")
    assert wait(lambda: metrics_db.scalar("SELECT count(*) FROM dead_letters") == 5)
    assert wait(lambda: metrics_db.scalar("SELECT count(*) FROM facts") == 3)
    reasons = {r.event_id: r.reason for r in metrics_db.rows("SELECT event_id, reason FROM dead_letters")}
    assert "occurred_at" in reasons[missing_time["id"]]
    assert reasons[no_file["id"]] == "MalformedEvent: data.file_id is missing"
    assert "kind must be one of" in reasons[wrong_kind["id"]]
    assert reasons[too_many_levels["id"]].startswith("DataError")
    assert reasons[None].startswith("MalformedEvent: an event must be a JSON object")
    stored = metrics_db.rows("SELECT payload FROM dead_letters WHERE event_id IS NULL")
    assert json.loads(stored[0].payload) == "{not json"  # the shared pipeline keeps every payload as JSON
    assert sorted(r.item_id for r in metrics_db.rows("SELECT item_id FROM facts")) == ["f-0", "f-1", "f-2"]


def test_an_event_of_a_user_unknown_yet_is_placed_once_the_user_is_recorded(events, events_factory, metrics_db, wait):
    events.publish(directory(events_factory)[:1])
    signed = events_factory.make(
        "document_signed", {"signature_id": "s-9", "document_kind": "note", "document_id": "n-9", "signer": "new.jhs"},
        office="", actor="new.jhs",
    )
    events.publish([signed])
    assert wait(lambda: metrics_db.scalar("SELECT count(*) FROM facts WHERE office IS NULL") == 1)
    assert metrics_db.scalar("SELECT coalesce(sum(notes_signed), 0) FROM daily_counts") == 0
    events.publish([events_factory.user("new.jhs", "COLL-JHS", name_hi="नया अधिकारी")])
    assert wait(lambda: metrics_db.scalar("SELECT coalesce(sum(notes_signed), 0) FROM daily_counts WHERE office = 'COLL-JHS'") == 1)
    assert metrics_db.scalar("SELECT count(*) FROM facts WHERE office IS NULL") == 0


def test_a_late_event_changes_its_own_week_and_no_other(events, events_factory, metrics_db, wait):
    now = datetime.now(timezone.utc)
    three_weeks_ago = now - timedelta(days=21)
    events.publish(directory(events_factory))
    events.publish([
        events_factory.make("file_created", {"file_id": "f-now", "kind": "electronic", "created_by": "clerk.jhs"}),
        events_factory.make("file_created", {"file_id": "f-old", "kind": "electronic", "created_by": "clerk.jhs"}, at=three_weeks_ago - timedelta(hours=1)),
    ])
    old_week, this_week = week_of(three_weeks_ago), week_of(now)

    def movements(week):
        return metrics_db.scalar(
            "SELECT components FROM unit_scores WHERE week = :w AND level = 'office' AND unit = 'COLL-JHS'", w=week
        )

    assert wait(lambda: movements(old_week) and movements(this_week))
    before = {w: metrics_db.scalar("SELECT score FROM unit_scores WHERE week = :w AND level = 'office'", w=w) for w in (old_week, this_week)}
    late = events_factory.make("file_sent", {"file_id": "f-old", "to_user": "so.jhs"}, at=three_weeks_ago)
    events.publish([late])

    def old_week_movements():
        components = json.loads(movements(old_week)) if isinstance(movements(old_week), str) else movements(old_week)
        return next(c for c in components if c["component"] == "movements_per_active_user")["numerator"] == 1

    assert wait(old_week_movements)
    after = {w: metrics_db.scalar("SELECT score FROM unit_scores WHERE week = :w AND level = 'office'", w=w) for w in (old_week, this_week)}
    assert after[old_week] > before[old_week]
    assert after[this_week] == before[this_week]


def consumed_files():
    return sum(s.value for m in EVENTS_CONSUMED.collect() for s in m.samples
               if s.name.endswith("_total") and s.labels.get("event_type") == "file_created" and s.labels.get("outcome") == "applied")


def allow_connections(database, allowed):
    """Open or close this test's own database to every client (closing also ends their sessions)."""
    engine = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": database})
    engine.dispose()


def test_events_wait_in_the_queue_while_the_database_is_away(events, events_factory, metrics_db, wait):
    events.publish(directory(events_factory))
    assert wait(lambda: applied(metrics_db) == DIRECTORY_SIZE)
    database = urlparse(metrics_db.url).path.lstrip("/")
    before = consumed_files()
    allow_connections(database, False)
    try:
        events.publish([events_factory.make("file_created", {"file_id": f"f-{i}", "kind": "electronic", "created_by": "clerk.jhs"}) for i in range(50)])
        eventlet.sleep(2)
        assert consumed_files() == before  # tried, refused, back in the queue
    finally:
        allow_connections(database, True)
    assert wait(lambda: applied(metrics_db) == DIRECTORY_SIZE + 50, timeout=30)
    assert metrics_db.scalar("SELECT count(*) FROM facts") == 50
    assert metrics_db.scalar("SELECT sum(files_created) FROM daily_counts") == 50
    assert metrics_db.scalar("SELECT count(*) FROM dead_letters") == 0


def test_an_office_moved_to_another_district_is_scored_there_in_past_weeks(events, events_factory, metrics_db, wait):
    last_week = datetime.now(timezone.utc) - timedelta(days=7)
    events.publish(directory(events_factory) + [
        events_factory.office("TRY-JHS", "JHS", "TRS", "ज़िला कोषागार, झाँसी"),
        events_factory.make("file_created", {"file_id": "f-1", "kind": "electronic", "created_by": "clerk.jhs"}, at=last_week),
    ])
    week = week_of(last_week)

    def districts():
        return {r.unit for r in metrics_db.rows("SELECT unit FROM unit_scores WHERE week = :w AND level = 'district'", w=week)}

    assert wait(lambda: districts() == {"JHS"})
    events.publish([events_factory.office("COLL-JHS", "JLN", "REV", "ज़िलाधिकारी कार्यालय, झाँसी", district_name_hi="जालौन")])
    assert wait(lambda: districts() == {"JHS", "JLN"})
    moved = metrics_db.rows("SELECT components FROM unit_scores WHERE week = :w AND level = 'district' AND unit = 'JLN'", w=week)[0]
    e_files = next(c for c in moved.components if c["component"] == "e_file_share")
    assert (e_files["numerator"], e_files["denominator"]) == (1, 1)
