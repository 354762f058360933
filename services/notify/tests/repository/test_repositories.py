"""notify's repositories on both databases they run on: PostgreSQL (tests and production) and SQLite
(`make run`). Where the two need different SQL (the upserts, marking a batch sent, the inbox and digest
locks), the difference is inside one repository method; this suite holds both sides to the same behaviour."""
import os
import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from select import select as wait_readable
from time import monotonic

import psycopg2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice_common.db import UnitOfWork
from eoffice_common.testing import empty, repository_database
from notify import domain, models
from notify.exceptions import DeadLetterNotFound, NotificationNotFound
from notify.repository import INBOX_CHANNEL, NotifyUnitOfWork, backlog, reminders_due
from notify.schemas import UserRecorded

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = datetime(2026, 12, 7, 4, 30, tzinfo=timezone.utc)  # 10:00 in Jhansi
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
DM = {
    "user_id": "dm.jhs", "office": "COLL-JHS", "district": "JHS", "name_en": "Ravi Kumar", "name_hi": "रवि कुमार",
    "designation_en": "District Magistrate", "designation_hi": "ज़िलाधिकारी", "email": "dm.jhs@up.example.in",
    "mobile": "9876500001", "reporting_officer": "commr.jhs", "roles": ["officer"], "language": "hi",
}
ADMIN_JLN = {**DM, "user_id": "admin.jln", "office": "COLL-JLN", "district": "JLN", "name_en": "Jalaun Admin",
             "name_hi": "जालौन प्रशासक", "email": None, "mobile": None}


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def migrated(request, tmp_path_factory):
    with repository_database(request.param, SERVICE_DIR, "notify", tmp_path_factory) as database:
        yield database


@pytest.fixture
def engine(migrated):
    """The migrated database, emptied after each test: the sending passes and counts read whole tables."""
    engine, tables = migrated
    yield engine
    empty(engine, tables)


@pytest.fixture
def new_uow(engine):
    def make():
        return NotifyUnitOfWork(UnitOfWork(engine, actor="tester", correlation_id=None))

    return make


def is_postgres(engine):
    return engine.engine.dialect.name == "postgresql"


def notification(user_id, source_event_id, title="फ़ाइल प्राप्त हुई", occurred_at=T0):
    return domain.InboxNotification(
        id=str(uuid.uuid4()), user_id=user_id, kind="file_sent", source_event_id=source_event_id, title=title,
        body="अपर ज़िलाधिकारी ने फ़ाइल N-11016/6/2026 भेजी: भूमि अभिलेख", item_type="file", item_id="F-1",
        priority="normal", occurred_at=occurred_at, created_at=T0,
    )


def delivery(source_event_id, recipient="dm.jhs", channel=domain.EMAIL, status=domain.PENDING, next_attempt_at=T0,
             notification_id=None):
    return domain.Delivery(
        id=str(uuid.uuid4()), source_event_id=source_event_id, recipient=recipient, channel=channel, kind="file_sent",
        address="dm.jhs@up.example.in" if channel == domain.EMAIL else "9876500001",
        subject="फ़ाइल प्राप्त हुई", body="भूमि अभिलेख में नाम संशोधन", status=status, due_at=T0,
        next_attempt_at=next_attempt_at, created_at=T0, notification_id=notification_id,
    )


def stored(engine, delivery_id):
    with Session(engine.engine) as session:
        return session.get(models.Delivery, delivery_id)


def dead_letters(engine):
    with Session(engine.engine) as session:
        return session.execute(select(models.DeliveryDeadLetter).order_by(models.DeliveryDeadLetter.id)).scalars().all()


def claimed(new_uow, deliveries, now=T0, by="courier-1"):
    """`deliveries` written and claimed by `by`; returns them as claimed."""
    with new_uow() as uow:
        uow.deliveries.add(deliveries)
        taken = uow.deliveries.claim_due(now, len(deliveries), by)
        uow.commit()
    return sorted(taken, key=lambda d: [x.id for x in deliveries].index(d.id))


def test_a_user_is_read_back_as_recorded_and_an_older_record_changes_nothing(new_uow):
    with new_uow() as uow:
        uow.directory.record_user(UserRecorded(**DM), T0, T0)
        uow.commit()
    with new_uow() as uow:
        uow.directory.record_user(UserRecorded(**{**DM, "name_hi": "पुराना नाम", "active": False}), T0 - HOUR, T0)
        uow.commit()
    with new_uow() as uow:
        person = domain.Person(
            user_id="dm.jhs", name_en="Ravi Kumar", name_hi="रवि कुमार", designation_en="District Magistrate",
            designation_hi="ज़िलाधिकारी", email="dm.jhs@up.example.in", mobile="9876500001", language="hi",
            reporting_officer="commr.jhs", office="COLL-JHS", district="JHS", active=True,
        )
        assert uow.directory.people_and_preferences(["dm.jhs", "nobody", None, ""]) == {
            "dm.jhs": (person, domain.DEFAULT_PREFERENCES)}
        assert uow.directory.people(["dm.jhs"]) == {"dm.jhs": person} and uow.directory.people([None]) == {}


def test_preferences_are_written_once_and_then_replaced(new_uow):
    with new_uow() as uow:
        uow.directory.record_user(UserRecorded(**DM), T0, T0)
        assert uow.directory.preferences("dm.jhs") == domain.DEFAULT_PREFERENCES
        uow.directory.save_preferences("dm.jhs", {"file_sent": ["email"]}, domain.DEFAULT_PREFERENCES, T0)
        uow.commit()
    chosen = domain.Preferences(quiet_start=time(21, 0), quiet_end=time(7, 0), digest=True, digest_time=time(8, 30))
    with new_uow() as uow:
        uow.directory.save_preferences("dm.jhs", {"file_sent": ["sms"], "overdue": []}, chosen, T0 + MINUTE)
        uow.commit()
    with new_uow() as uow:
        preferences = uow.directory.preferences("dm.jhs")
        assert (preferences.channels_for("file_sent"), preferences.channels_for("overdue"),
                preferences.channels_for("receipt_sent")) == ({"sms"}, frozenset(), {"email"})
        assert (preferences.quiet_start, preferences.quiet_end, preferences.digest, preferences.digest_time) == (
            time(21, 0), time(7, 0), True, time(8, 30))
        assert uow.directory.people_and_preferences(["dm.jhs"])["dm.jhs"][1] == preferences


def test_an_acting_charge_counts_on_the_days_it_covers_until_it_ends(new_uow):
    with new_uow() as uow:
        uow.directory.record_acting_charge("c-1", "dm.jhs", "adm.jhs", date(2026, 12, 1), date(2026, 12, 10), False)
        uow.directory.record_acting_charge("c-2", "so.jhs", "clerk.jhs", date(2026, 12, 1), date(2026, 12, 10), False)
        uow.commit()
    with new_uow() as uow:
        uow.directory.record_acting_charge("c-2", "so.jhs", "clerk.jhs", date(2026, 12, 1), date(2026, 12, 10), True)
        uow.commit()
    with new_uow() as uow:
        assert uow.directory.acting_for(["dm.jhs", "so.jhs", None], date(2026, 12, 10)) == {"dm.jhs": "adm.jhs"}
        assert uow.directory.acting_for(["dm.jhs"], date(2026, 12, 11)) == {} and uow.directory.acting_for([], T0) == {}


def test_notifications_are_written_once_per_source_and_user_and_read_newest_first(new_uow, engine):
    first = [notification("dm.jhs", "ev-2"), notification("adm.jhs", "ev-1"), notification("dm.jhs", "ev-1")]
    listener = None
    if is_postgres(engine):
        listener = psycopg2.connect(engine.engine.url.render_as_string(hide_password=False).replace("+psycopg2", ""))
        listener.autocommit = True
        listener.cursor().execute(f"LISTEN {INBOX_CHANNEL}")
    with new_uow() as uow:
        assert uow.inbox.add(first) == {n.id for n in first}
        uow.commit()
    if listener is not None:  # PostgreSQL wakes the written users' streams in every replica
        deadline = monotonic() + 5
        while len(listener.notifies) < 2 and monotonic() < deadline:
            wait_readable([listener], [], [], 0.1)
            listener.poll()
        assert sorted(n.payload for n in listener.notifies) == ["adm.jhs", "dm.jhs"]
        listener.close()
    again = [notification("dm.jhs", "ev-2", title="दोबारा"), notification("dm.jhs", "ev-3", title="नई सूचना")]
    with new_uow() as uow:
        assert uow.inbox.add(again) == {again[1].id} and uow.inbox.add([]) == set()
        uow.commit()
    with new_uow() as uow:
        page, total = uow.inbox.page("dm.jhs", False, 1, 2)
        assert total == 3 and [n.source_event_id for n in page] == ["ev-3", "ev-2"]
        assert replace(page[1], seq=0) == first[0]  # as written, Devanagari and timestamps alike
        (oldest,), _ = uow.inbox.page("dm.jhs", False, 2, 2)
        assert oldest.source_event_id == "ev-1" and oldest.seq < page[1].seq < page[0].seq
        assert [n.source_event_id for n in uow.inbox.after("dm.jhs", oldest.seq, 10)] == ["ev-2", "ev-3"]
        assert uow.inbox.after("dm.jhs", oldest.seq, 1)[0].source_event_id == "ev-2"
        assert (uow.inbox.last_seq("dm.jhs"), uow.inbox.last_seq("nobody")) == (page[0].seq, 0)
        with pytest.raises(NotificationNotFound):
            uow.inbox.own("adm.jhs", oldest.id)  # someone else's
        read = uow.inbox.own("dm.jhs", oldest.id)
        read.mark_read(T0 + MINUTE)
        uow.inbox.save_read(read)
        uow.commit()
    with new_uow() as uow:
        assert uow.inbox.own("dm.jhs", oldest.id).read_at == T0 + MINUTE
        assert uow.inbox.unread_count("dm.jhs") == 2 and uow.inbox.page("dm.jhs", True, 1, 50)[1] == 2
        assert uow.inbox.mark_all_read("dm.jhs", T0 + HOUR) == 2
        uow.commit()
    with new_uow() as uow:
        assert (uow.inbox.unread_count("dm.jhs"), uow.inbox.unread_count("adm.jhs")) == (0, 1)
        assert uow.inbox.own("dm.jhs", oldest.id).read_at == T0 + MINUTE  # marked read once, when first read


def test_a_message_is_written_once_and_claimed_once_earliest_first(new_uow, engine):
    later, earliest = delivery("ev-1", next_attempt_at=T0 - MINUTE), delivery("ev-2", channel=domain.SMS, next_attempt_at=T0 - HOUR)
    not_due = delivery("ev-3", recipient="adm.jhs", next_attempt_at=T0 + HOUR)
    with new_uow() as uow:
        uow.deliveries.add([later, not_due, earliest])
        uow.deliveries.add([delivery("ev-1")])  # (source, recipient, channel) written already: skipped
        assert uow.deliveries.add_one(delivery("ev-1")) is False
        assert uow.deliveries.add_one(delivery("ev-4", channel=domain.SMS, next_attempt_at=T0 + HOUR)) is True
        uow.commit()
    with new_uow() as uow:
        (first,) = uow.deliveries.claim_due(T0, 1, "courier-1")
        assert (first.id, first.status, first.attempts, first.claimed_by, first.claimed_at) == (earliest.id, "sending", 1, "courier-1", T0)
        assert replace(first, status=domain.PENDING, attempts=0, claimed_by=None, claimed_at=None) == earliest
        assert [d.id for d in uow.deliveries.claim_due(T0, 10, "courier-2")] == [later.id]
        assert uow.deliveries.claim_due(T0, 10, "courier-3") == []
        uow.commit()
    assert stored(engine, not_due.id).status == domain.PENDING
    with Session(engine.engine) as session:
        assert len(session.execute(select(models.Delivery.id)).scalars().all()) == 4


def test_outcomes_are_saved_only_for_the_claims_of_whoever_sent(new_uow, engine):
    one, two, three, four = claimed(new_uow, [delivery(f"ev-{i}") for i in range(4)], by="courier-1")
    with new_uow() as uow:
        assert [d.id for d in uow.deliveries.claim_due(T0, 10, "courier-2")] == []
    one.delivered(T0 + MINUTE, None)
    two.delivered(T0 + 2 * MINUTE, None)
    three.failed(domain.TRANSIENT, "SMTP 451 अस्थायी त्रुटि", T0 + MINUTE, domain.Settings(), None)
    four.dead_letter("permanent after 1 attempt(s): 550 no such mailbox", None)
    with engine.engine.begin() as connection:  # an admin's retry of `two` cleared its claim meanwhile
        connection.execute(models.Delivery.__table__.update().where(models.Delivery.id == two.id).values(claimed_by=None))
    with new_uow() as uow:
        uow.deliveries.save_outcomes([one, two, three, four], "courier-1", T0 + 2 * MINUTE)
        uow.commit()
    rows = {d.id: stored(engine, d.id) for d in (one, two, three, four)}
    assert (rows[one.id].status, rows[one.id].sent_at, rows[one.id].last_error) == ("sent", T0 + MINUTE, None)
    assert rows[two.id].status == "sending"
    assert (rows[three.id].status, rows[three.id].next_attempt_at, rows[three.id].last_error) == (
        domain.PENDING, T0 + MINUTE + timedelta(seconds=30), "SMTP 451 अस्थायी त्रुटि")
    assert rows[four.id].status == "dead"
    assert [(letter.delivery_id, letter.reason) for letter in dead_letters(engine)] == [(four.id, four.last_error)]

    (five,) = claimed(new_uow, [delivery("ev-5")], by="courier-1")
    five.failed(domain.PERMANENT, "550", T0, domain.Settings(), None)
    with new_uow() as uow:
        uow.deliveries.save_outcomes([five], "courier-2", T0)  # not courier-2's claim: nothing written
        uow.commit()
    assert stored(engine, five.id).status == "sending" and five.collect_events() == []


def test_a_message_left_sending_past_its_lease_is_dead_lettered(new_uow, engine):
    (left,) = claimed(new_uow, [delivery("ev-1")], now=T0)
    with new_uow() as uow:
        assert uow.deliveries.interrupted(T0 + 4 * MINUTE, lease_seconds=300) == []
        (found,) = uow.deliveries.interrupted(T0 + 6 * MINUTE, lease_seconds=300)
        assert (found.id, found.claimed_by, found.claimed_at) == (left.id, "courier-1", T0)
        found.interrupted(None)
        uow.deliveries.save_interrupted([found], T0 + 6 * MINUTE)
        uow.commit()
    assert stored(engine, left.id).status == "dead"
    ((letter_id, reason, created_at),) = [(x.delivery_id, x.reason, x.created_at) for x in dead_letters(engine)]
    assert (letter_id, created_at) == (left.id, T0 + 6 * MINUTE) and "courier-1" in reason


def test_the_digest_takes_a_users_held_messages_oldest_first(new_uow, engine):
    earlier, later = notification("dm.jhs", "ev-1", "पहली सूचना", T0 - HOUR), notification("dm.jhs", "ev-2", "दूसरी सूचना", T0 - 2 * HOUR)
    held = [delivery("ev-1", status=domain.DIGEST, next_attempt_at=T0, notification_id=earlier.id),
            delivery("ev-2", status=domain.DIGEST, next_attempt_at=T0, notification_id=later.id),
            delivery("ev-3", status=domain.DIGEST, next_attempt_at=T0 - MINUTE)]
    with new_uow() as uow:
        uow.inbox.add([earlier, later])
        uow.deliveries.add(held + [delivery("ev-1", recipient="adm.jhs", status=domain.DIGEST, next_attempt_at=T0 + HOUR)])
        uow.commit()
    with new_uow() as uow, new_uow() as other:
        assert uow.deliveries.digest_recipients(T0) == ["dm.jhs"]
        assert uow.deliveries.lock_digest("dm.jhs") is True
        # PostgreSQL: one replica makes a user's digest at a time; SQLite has one writer anyway.
        assert other.deliveries.lock_digest("dm.jhs") is not is_postgres(engine)
        taken = uow.deliveries.held_for_digest("dm.jhs", T0)
        # ev-3 has no notification: it counts as happening when it was written (T0)
        assert [(d.id, title, at) for d, title, at in taken] == [
            (held[1].id, "दूसरी सूचना", T0 - 2 * HOUR), (held[0].id, "पहली सूचना", T0 - HOUR), (held[2].id, None, None)]
        uow.deliveries.fold_into_digest([held[0].id, held[1].id], "digest-1")
        given_up = taken[2][0]
        given_up.give_up_held("no email address")
        uow.deliveries.save_given_up([given_up], T0)
        uow.commit()
    assert [(stored(engine, d.id).status, stored(engine, d.id).digest_id) for d in held] == [
        ("digested", "digest-1"), ("digested", "digest-1"), ("dead", None)]
    assert [letter.delivery_id for letter in dead_letters(engine)] == [held[2].id]
    with new_uow() as uow:
        assert uow.deliveries.digest_recipients(T0) == [] and uow.deliveries.digest_recipients(T0 + HOUR) == ["adm.jhs"]


def dead(new_uow, deliveries):
    """`deliveries` written, claimed and dead-lettered; returns them in order."""
    taken = claimed(new_uow, deliveries)
    for d in taken:
        d.dead_letter("permanent after 1 attempt(s): 550 मेलबॉक्स नहीं मिला", None)
    with new_uow() as uow:
        uow.deliveries.save_outcomes(taken, "courier-1", T0)
        uow.commit()
    return taken


def test_dead_letters_are_listed_for_their_recipients_office_and_retried_once(new_uow, engine):
    with new_uow() as uow:
        uow.directory.record_user(UserRecorded(**DM), T0, T0)
        uow.directory.record_user(UserRecorded(**ADMIN_JLN), T0, T0)
        uow.commit()
    first, second, elsewhere = dead(new_uow, [delivery("ev-1"), delivery("ev-2"), delivery("ev-3", recipient="admin.jln")])
    with new_uow() as uow:
        letters, total = uow.dead_letters.page("COLL-JHS", False, 1, 50)
        assert total == 2 and [letter.delivery.id for letter in letters] == [second.id, first.id]
        assert letters[0].reason == "permanent after 1 attempt(s): 550 मेलबॉक्स नहीं मिला"
        assert letters[0].delivery == second
        assert [letter.delivery.id for letter in uow.dead_letters.page("COLL-JLN", False, 1, 50)[0]] == [elsewhere.id]
        with pytest.raises(DeadLetterNotFound):
            uow.dead_letters.get(letters[0].id, "COLL-JLN")
        letter = uow.dead_letters.get(letters[0].id, "COLL-JHS")
        letter.retry("admin.jhs", T0 + HOUR)
        uow.dead_letters.save_retry(letter)
        uow.commit()
    with new_uow() as uow:
        assert [x.delivery.id for x in uow.dead_letters.page("COLL-JHS", False, 1, 50)[0]] == [first.id]
        letters, total = uow.dead_letters.page("COLL-JHS", True, 1, 1)
        assert total == 2 and (letters[0].retried_at, letters[0].retried_by) == (T0 + HOUR, "admin.jhs")
        assert (letters[0].delivery.status, letters[0].delivery.attempts, letters[0].delivery.next_attempt_at,
                letters[0].delivery.claimed_by) == (domain.PENDING, 0, T0 + HOUR, None)
        assert [d.id for d in uow.deliveries.claim_due(T0 + HOUR, 10, "courier-1")] == [second.id]


def notice(item_id, user_id="dm.jhs", moved_at=T0, due_date=date(2026, 12, 10)):
    return domain.Notice("file_sent", user_id, f"moved-{item_id}-{moved_at.isoformat()}", moved_at, "file", item_id,
                         number=f"N-11016/{item_id}/2026-COLL-JHS", subject="भूमि अभिलेख में नाम संशोधन",
                         due_date=due_date, priority="urgent", classification="confidential")


def reminders(engine):
    with Session(engine.engine) as session:
        return {(r.item_id, r.kind): (r.status, r.user_id) for r in session.execute(select(models.Reminder)).scalars()}


def test_only_an_items_latest_movement_counts_and_it_cancels_the_reminders_of_earlier_ones(new_uow, engine):
    with new_uow() as uow:
        assert uow.movements.record([
            {"item_type": "file", "item_id": "F-1", "moved_at": T0, "due_date": date(2026, 12, 10)},
            {"item_type": "receipt", "item_id": "R-1", "moved_at": T0, "due_date": None},
        ]) == {("file", "F-1"), ("receipt", "R-1")}
        uow.reminders.schedule([(notice("F-1"), [("due_soon", T0 + HOUR), ("overdue", T0 + 2 * HOUR)])], T0)
        uow.commit()
    with new_uow() as uow:  # an earlier movement consumed late
        assert uow.movements.record([{"item_type": "file", "item_id": "F-1", "moved_at": T0 - HOUR,
                                      "due_date": date(2026, 12, 1)}]) == set()
        assert uow.movements.record([]) == set()
        uow.commit()
    assert reminders(engine) == {("F-1", "due_soon"): ("scheduled", "dm.jhs"), ("F-1", "overdue"): ("scheduled", "dm.jhs")}
    with new_uow() as uow:  # sent on without a due date: the file's reminders are the old holder's no more
        assert uow.movements.record([
            {"item_type": "file", "item_id": "F-1", "moved_at": T0 + MINUTE, "due_date": None},
            {"item_type": "receipt", "item_id": "R-1", "moved_at": T0 + MINUTE, "due_date": None},
        ]) == {("file", "F-1"), ("receipt", "R-1")}
        uow.commit()
    assert set(reminders(engine).values()) == {("cancelled", "dm.jhs")}
    with Session(engine.engine) as session:
        assert {(m.item_id, m.moved_at, m.due_date) for m in session.execute(select(models.ItemMovement)).scalars()} == {
            ("F-1", T0 + MINUTE, date(2026, 12, 10)), ("R-1", T0 + MINUTE, None)}


def test_reminders_fire_in_time_order_and_follow_a_transfer(new_uow, engine):
    with new_uow() as uow:
        uow.reminders.schedule([
            (notice("F-1"), [("due_soon", T0 + HOUR), ("overdue", T0 + 2 * HOUR)]),
            (notice("F-2", user_id="so.jhs"), [("overdue", T0 + 30 * MINUTE)]),
        ], T0)
        uow.reminders.schedule([], T0)
        uow.commit()
    with new_uow() as uow, engine.engine.connect() as connection:
        due = uow.reminders.due(T0 + 90 * MINUTE, 10)
        assert [(r.item_id, r.kind) for r in due] == [("F-2", "overdue"), ("F-1", "due_soon")]
        assert (due[1].item_number, due[1].subject, due[1].due_date, due[1].priority, due[1].classification,
                due[1].fire_at, due[1].occurrence) == ("N-11016/F-1/2026-COLL-JHS", "भूमि अभिलेख में नाम संशोधन",
                                                      date(2026, 12, 10), "urgent", "confidential", T0 + HOUR, 0)
        assert [r.item_id for r in uow.reminders.due(T0 + 3 * HOUR, 1)] == ["F-2"]
        assert reminders_due(connection, T0 + 90 * MINUTE) == 2
        fired = due[1]
        fired.occurrence, fired.last_fired_at, fired.status = 1, T0 + 90 * MINUTE, "done"
        overdue = due[0]
        overdue.occurrence, overdue.last_fired_at, overdue.fire_at = 1, T0 + 90 * MINUTE, T0 + 25 * HOUR
        uow.reminders.save_fired([fired, overdue])
        uow.commit()
    with new_uow() as uow:
        assert [(r.item_id, r.kind) for r in uow.reminders.due(T0 + 3 * HOUR, 10)] == [("F-1", "overdue")]
        (later,) = uow.reminders.due(T0 + 25 * HOUR, 10)[1:]
        assert (later.item_id, later.occurrence, later.last_fired_at) == ("F-2", 1, T0 + 90 * MINUTE)
        assert uow.reminders.transfer(["F-1", "F-2"], "dm.jhs", "adm.jhs", T0 - MINUTE) == 0  # sent after the transfer
        assert uow.reminders.transfer(["F-1", "F-2"], "dm.jhs", "adm.jhs", T0) == 1  # the done one stays as it was
        uow.commit()
    assert reminders(engine) == {("F-1", "due_soon"): ("done", "dm.jhs"), ("F-1", "overdue"): ("scheduled", "adm.jhs"),
                                 ("F-2", "overdue"): ("scheduled", "so.jhs")}


def test_a_drafts_author_is_its_latest_versions_and_waiting_notices_are_taken_once(new_uow):
    with new_uow() as uow:
        uow.drafts.lock("D-1")
        assert uow.drafts.author("D-1") is None
        uow.drafts.wait_for_author("ev-approved", "draft_approved", "D-1", T0, {"remarks": "स्वीकृत", "version": 2})
        uow.drafts.record("D-1", "F-1", "clerk.jhs", 2)
        uow.commit()
    with new_uow() as uow:
        uow.drafts.record("D-1", "F-1", "so.jhs", 1)  # an older version consumed late
        uow.commit()
    with new_uow() as uow:
        assert uow.drafts.author("D-1") == "clerk.jhs"
        uow.drafts.record("D-1", "F-1", "so.jhs", 3)
        waiting = [(w.event_id, w.event_type, w.occurred_at, w.data) for w in uow.drafts.take_waiting("D-1")]
        assert waiting == [("ev-approved", "draft_approved", T0, {"remarks": "स्वीकृत", "version": 2})]
        uow.commit()
    with new_uow() as uow:
        assert uow.drafts.author("D-1") == "so.jhs" and uow.drafts.take_waiting("D-1") == []


def test_the_backlog_counts_messages_not_sent_by_channel_and_state(new_uow, engine):
    with new_uow() as uow:
        uow.deliveries.add([
            delivery("ev-1"), delivery("ev-2", channel=domain.SMS, next_attempt_at=T0 + HOUR),
            delivery("ev-3", status=domain.DIGEST), delivery("ev-4", channel=domain.SMS, status="sending"),
            delivery("ev-5", status="dead"), delivery("ev-6", status="sent"), delivery("ev-7", channel=domain.SMS),
        ])
        uow.commit()
    with engine.engine.connect() as connection:
        assert backlog(connection, T0) == {("email", "due"): 1, ("sms", "due"): 1, ("sms", "held"): 1,
                                           ("email", "digest"): 1, ("sms", "sending"): 1, ("email", "dead"): 1}
