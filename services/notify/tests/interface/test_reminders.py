"""Reminders live in the database: they survive restarts, two replicas never both fire one, and
they stop when the file moves on. Time is moved with CLOCK_SHIFT_SECONDS or past due dates."""
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import eventlet
from sqlalchemy import select

from notify.domain import IST, as_display_date
from notify.models import Delivery, Notification, Reminder

DAY = 24 * 3600


def today():
    return datetime.now(IST).date()


def test_two_replicas_on_one_database_send_nothing_twice(start_notify, directory, publish, helpers, mail_drop,
                                                         sms_gateway, db):
    start_notify(SEND_CONCURRENCY=4, DISPATCH_BATCH=5)
    start_notify(SEND_CONCURRENCY=4, DISPATCH_BATCH=5)
    directory()
    holders = ["dm.jhs", "adm.jhs", "clerk.jhs"]
    events = [
        helpers.envelope("file_sent", helpers.file_sent(
            to_user=holders[n % 3], from_user="admin.jhs", file_number=f"N-{n}/2026",
            due_date=(today() - timedelta(days=5)).isoformat(),
        ))
        for n in range(24)
    ]
    publish.raw("files", events + events[:6])  # some delivered twice, as after a broker hiccup
    # Per event: the holder is told it was sent, then overdue; their reporting officer gets an escalation.
    assert helpers.wait_until(lambda: db.count(Notification) >= 72, timeout=20)
    emails = db.count(Delivery, Delivery.channel == "email")
    sms = db.count(Delivery, Delivery.channel == "sms")
    assert (emails, sms) == (72, 48)  # email for all three; SMS by default for overdue and escalation
    mail_drop.wait_for(emails, timeout=20)
    assert helpers.wait_until(lambda: len(sms_gateway.accepted) >= sms, timeout=20)
    eventlet.sleep(1)  # time for any duplicate to arrive

    assert Counter(n.kind for n in db.rows(select(Notification))) == {"file_sent": 24, "overdue": 24, "escalation": 24}
    message_ids = [m["Message-ID"] for m in mail_drop.messages]
    assert len(message_ids) == len(set(message_ids)) == emails
    references = [body["reference"] for body in sms_gateway.accepted]
    assert len(references) == len(set(references)) == sms
    escalated_to = Counter(n.user_id for n in db.rows(select(Notification).where(Notification.kind == "escalation")))
    assert escalated_to == {"commr.jhs": 8, "dm.jhs": 8, "adm.jhs": 8}
    reminders = db.rows(select(Reminder))
    assert Counter((r.kind, r.status, r.occurrence) for r in reminders) == {
        ("overdue", "scheduled", 1): 24, ("escalation", "done", 1): 24,
    }
    assert all(r.fire_at > datetime.now(timezone.utc) for r in reminders if r.kind == "overdue")  # again tomorrow
    claimers = {d.claimed_by for d in db.rows(select(Delivery))}
    assert len(claimers) == 2  # both replicas sent


def test_a_reminder_fires_after_a_restart(start_notify, directory, publish, helpers, mail_drop, db):
    first = start_notify()
    directory()
    due = today() + timedelta(days=3)
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-9/2026", due_date=due.isoformat()))
    assert helpers.wait_until(lambda: db.count(Reminder) == 3)
    mail_drop.wait_for(1)
    first.stop()

    start_notify(CLOCK_SHIFT_SECONDS=2 * DAY)  # a new process, two days later
    assert helpers.wait_until(lambda: db.count(Notification, Notification.kind == "due_soon") == 1)
    [reminder] = db.rows(select(Notification).where(Notification.kind == "due_soon"))
    assert reminder.title == f"फ़ाइल N-9/2026 की नियत तिथि {as_display_date(due)} है"
    assert reminder.user_id == "dm.jhs"
    [_, email] = mail_drop.wait_for(2)
    assert email["Subject"] == f"ई-ऑफिस: फ़ाइल N-9/2026 की नियत तिथि {as_display_date(due)} है"
    states = {r.kind: r.status for r in db.rows(select(Reminder))}
    assert states == {"due_soon": "done", "overdue": "scheduled", "escalation": "scheduled"}


def test_a_movement_consumed_after_a_later_one_schedules_nothing(notify, publish, helpers, db):
    file_id, sent_at = str(uuid.uuid4()), datetime.now(timezone.utc) - timedelta(minutes=10)
    due = (today() + timedelta(days=4)).isoformat()
    for minutes, due_date, to_user in ((5, None, "clerk.jhs"), (0, due, "dm.jhs")):  # the later one first
        publish("files", "file_sent", helpers.file_sent(file_id=file_id, to_user=to_user, due_date=due_date),
                occurred_at=sent_at + timedelta(minutes=minutes))
    assert helpers.wait_until(lambda: db.count(Notification) == 2)
    # Whichever of the two was applied first, nothing is left scheduled: the file is with clerk.jhs, with no due date.
    assert db.count(Reminder, Reminder.status == "scheduled") == 0


def test_reminders_stop_when_the_file_moves_on_or_closes(notify, publish, helpers, db):
    file_id = str(uuid.uuid4())
    due = (today() + timedelta(days=4)).isoformat()
    sent_at = datetime.now(timezone.utc) - timedelta(minutes=10)
    later = publish("files", "file_sent", helpers.file_sent(
        file_id=file_id, from_user="dm.jhs", to_user="clerk.jhs", due_date=due), occurred_at=sent_at + timedelta(minutes=5))
    earlier = publish("files", "file_sent", helpers.file_sent(
        file_id=file_id, from_user="adm.jhs", to_user="dm.jhs", due_date=due), occurred_at=sent_at)
    assert helpers.wait_until(lambda: db.count(Notification) == 2)
    # Whichever was consumed first, only the later movement's reminders stand.
    scheduled = Reminder.status == "scheduled"
    assert {(r.user_id, r.source_event_id) for r in db.rows(select(Reminder).where(scheduled))} == {("clerk.jhs", later["id"])}
    assert db.count(Reminder, scheduled, Reminder.source_event_id == earlier["id"]) == 0

    publish("files", "file_pulled_back", {"file_id": file_id, "file_number": "N-1", "movement_id": later["data"]["movement_id"],
                                          "by_user": "dm.jhs", "from_user": "clerk.jhs"})
    assert helpers.wait_until(lambda: db.count(Reminder, scheduled) == 0)
    publish("files", "file_sent", helpers.file_sent(file_id=file_id, from_user="dm.jhs", to_user="adm.jhs", due_date=due))
    assert helpers.wait_until(lambda: db.count(Reminder, scheduled, Reminder.user_id == "adm.jhs") == 3)
    publish("files", "file_closed", {"file_id": file_id, "file_number": "N-1", "by_user": "dm.jhs"})
    assert helpers.wait_until(lambda: db.count(Reminder, scheduled) == 0)


def test_a_transfer_hands_the_reminders_to_the_successor(notify, publish, helpers, db):
    sent = publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", due_date=(today() + timedelta(days=4)).isoformat()))
    assert helpers.wait_until(lambda: db.count(Reminder, Reminder.user_id == "dm.jhs") == 3)
    publish("files", "file_transferred", {"from_user": "dm.jhs", "to_user": "clerk.jhs", "by_user": "admin.jhs",
                                          "file_ids": [sent["data"]["file_id"], "another-file"]})
    assert helpers.wait_until(lambda: db.count(Reminder, Reminder.user_id == "clerk.jhs", Reminder.status == "scheduled") == 3)
