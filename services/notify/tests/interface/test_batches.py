"""Events are applied a batch at a time (one transaction per batch): a redelivered batch takes
effect once, a bad event is set aside without its batch, two replicas share the queue without
telling anyone twice, and the embedded SQLite database works the same way."""
import json
import os
from collections import Counter

from sqlalchemy import create_engine, func, select

from eoffice_common.migrations import upgrade
from eoffice_common.tables import dead_letters, outbox, processed_events
from notify.models import Delivery, Notification

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Long enough that everything one test publishes at once is read into one batch.
ONE_BATCH = {"INGEST_BATCH_SIZE": 500, "INGEST_BATCH_WAIT_SECONDS": 0.5}


def files_sent(helpers, count, **fields):
    holders = ["dm.jhs", "adm.jhs", "clerk.jhs"]
    return [helpers.envelope("file_sent", helpers.file_sent(to_user=holders[n % 3], from_user="admin.jhs",
                                                            file_number=f"N-{n}/2026", **fields))
            for n in range(count)]


def inapp_announcements(tap, db, helpers):
    """How many times notify announced each in-app delivery, once its outbox has been published."""
    assert helpers.wait_until(lambda: db.count(outbox) == 0)
    return Counter(e["data"]["source_event_id"] for e in tap.events("notification_delivered") if e["data"]["channel"] == "inapp")


def test_a_batch_delivered_twice_takes_effect_once(start_notify, directory, publish, helpers, mail_drop, db, event_tap):
    tap = event_tap("notify")
    start_notify(**ONE_BATCH)
    directory()
    events = files_sent(helpers, 12)
    publish.raw("files", events + events[:4])  # duplicates inside the batch
    mail_drop.wait_for(12)
    publish.raw("files", events)  # the whole batch again, as after a crash before its acknowledgement
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-last/2026"))
    mail_drop.wait_for(13)

    assert db.count(Notification) == 13
    assert db.count(Delivery) == 13
    assert db.count(processed_events) == 13 + len(helpers.users)  # and the directory's user_recorded
    assert len(mail_drop.messages) == 13
    assert inapp_announcements(tap, db, helpers) == {row.source_event_id: 1 for row in db.rows(select(Notification))}
    [told] = db.rows(select(Notification).where(Notification.source_event_id == events[0]["id"]))
    assert told.user_id == "dm.jhs" and "N-0/2026" in told.title


def test_bad_events_in_a_batch_are_dead_lettered_and_the_rest_of_it_applies(
    start_notify, directory, publish, helpers, mail_drop, db
):
    start_notify(**ONE_BATCH)
    directory()
    good = files_sent(helpers, 6)
    malformed = helpers.envelope("file_sent", helpers.file_sent(due_date="31-12-2026"))
    refused = helpers.envelope("file_sent", helpers.file_sent(file_id="f" * 65))  # longer than the database keeps
    publish.raw("files", good[:3] + [malformed, refused] + good[3:])

    assert helpers.wait_until(lambda: len(db.rows(select(dead_letters))) == 2 and db.count(Notification) == 6)
    letters = {json.loads(row.payload)["id"]: row for row in db.rows(select(dead_letters))}
    assert letters[malformed["id"]].reason.startswith("ValidationError") and "due_date" in letters[malformed["id"]].reason
    assert letters[refused["id"]].reason.startswith("DataError") and "too long" in letters[refused["id"]].reason
    assert {row.consumer for row in letters.values()} == {"notify.apply_events"}
    told = {row.source_event_id for row in db.rows(select(Notification))}
    assert told == {e["id"] for e in good}
    mail_drop.wait_for(6)
    tracked = {row.event_id for row in db.rows(select(processed_events))}
    assert {e["id"] for e in good} <= tracked and not {malformed["id"], refused["id"]} & tracked


def test_two_replicas_share_the_events_and_tell_each_recipient_once(
    start_notify, directory, publish, helpers, mail_drop, db, event_tap
):
    tap = event_tap("notify")
    start_notify(INGEST_BATCH_SIZE=5)
    start_notify(INGEST_BATCH_SIZE=5)
    directory()
    events = files_sent(helpers, 30)
    # Each event twice in a row: the copies are read by both replicas, at the same time.
    publish.raw("files", [e for event in events for e in (event, event)])
    mail_drop.wait_for(30, timeout=20)
    assert helpers.wait_until(lambda: db.count(Notification) == 30
                              and db.count(processed_events) == 30 + len(helpers.users))

    assert db.count(Delivery) == 30
    message_ids = [m["Message-ID"] for m in mail_drop.messages]
    assert len(message_ids) == len(set(message_ids)) == 30
    announcements = inapp_announcements(tap, db, helpers)
    assert set(announcements.values()) == {1} and len(announcements) == 30
    assert Counter(row.user_id for row in db.rows(select(Notification))) == {"dm.jhs": 10, "adm.jhs": 10, "clerk.jhs": 10}


def test_the_embedded_sqlite_database_applies_batches_too(start_notify, publish, helpers, mail_drop, tmp_path):
    url = f"sqlite:///{tmp_path / 'notify.db'}"
    upgrade(SERVICE_DIR, url)
    notify = start_notify(DB_URL=url, **ONE_BATCH)
    engine = create_engine(url)

    def count(model):
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar()

    try:
        for user_id, data in helpers.users.items():
            publish("dak", "user_recorded", {"user_id": user_id, "active": True, **data},
                    aggregate_type="user", aggregate_id=user_id)
        events = files_sent(helpers, 6)
        malformed = helpers.envelope("file_sent", helpers.file_sent(due_date="31-12-2026"))
        publish.raw("files", events + [malformed] + events[:2])
        mail_drop.wait_for(6)
        assert helpers.wait_until(lambda: count(Notification) == 6 and count(dead_letters) == 1)
        assert count(Delivery) == 6
        client = helpers.Client(notify.base_url)
        assert client.inbox("dm.jhs")["total"] == 2
    finally:
        engine.dispose()
