"""Each (event, recipient, channel) is delivered at most once: retried with back-off while the
SMTP server or SMS gateway is down, dead-lettered when it cannot be, never sent twice when an
event is redelivered or the service dies in the middle of sending."""
import eventlet
from sqlalchemy import select

from notify.models import Delivery, DeliveryDeadLetter, Notification


def email_of(db):
    [delivery] = db.rows(select(Delivery).where(Delivery.channel == "email"))
    return delivery


def test_smtp_down_is_retried_with_backoff_and_delivered_once(notify, publish, helpers, mail_drop, db, event_tap):
    tap = event_tap("notify")
    mail_drop.stop()
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs"))
    assert helpers.wait_until(lambda: email_of(db).attempts >= 2 if db.count(Delivery) else False)
    waiting = email_of(db)
    assert waiting.status in ("pending", "sending")  # between attempts, or in the next one
    assert "cannot reach the SMTP server" in waiting.last_error
    mail_drop.start()
    mail_drop.wait_for(1)
    eventlet.sleep(1)  # time for a second copy, if there were one
    assert len(mail_drop.messages) == 1
    delivered = email_of(db)
    assert (delivered.status, delivered.last_error) == ("sent", None)
    assert delivered.attempts >= 3
    assert db.count(DeliveryDeadLetter) == 0
    events = tap.wait_for_count("notification_delivered", 2)
    assert {(e["data"]["channel"], e["data"]["user"]) for e in events} == {("inapp", "dm.jhs"), ("email", "dm.jhs")}


def test_a_refused_address_is_dead_lettered_and_an_admin_of_that_office_retries_it(
    client, publish, helpers, mail_drop, db, event_tap
):
    tap = event_tap("notify")
    mail_drop.refused["dm.jhs@up.example.in"] = "550 5.1.1 mailbox unavailable"
    event = publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs"))
    failed = tap.wait_for("notification_failed")
    assert failed["data"]["channel"] == "email" and failed["data"]["source_event_id"] == event["id"]
    assert "550 5.1.1 mailbox unavailable" in failed["data"]["reason"]
    assert email_of(db).attempts == 1  # a permanent refusal is not retried

    assert client.get("/dead-letters", "clerk.jhs").json()["error"] == "admin_only"
    assert client.get("/dead-letters", "admin.jln").json()["total"] == 0  # another office's admin
    listed = client.get("/dead-letters", "admin.jhs").json()
    [letter] = listed["dead_letters"]
    assert letter["reason"].startswith("permanent after 1 attempt(s): SMTP RCPT TO refused: 550")
    assert (letter["delivery"]["recipient"], letter["delivery"]["channel"]) == ("dm.jhs", "email")
    assert letter["delivery"]["subject"].startswith("ई-ऑफिस: फ़ाइल")
    assert client.post(f"/dead-letters/{letter['id']}/retry", "admin.jln").json()["error"] == "dead_letter_not_found"
    assert client.post(f"/dead-letters/{letter['id']}/retry", "clerk.jhs").status_code == 403

    del mail_drop.refused["dm.jhs@up.example.in"]
    retried = client.post(f"/dead-letters/{letter['id']}/retry", "admin.jhs")
    assert retried.status_code == 202, retried.text
    assert retried.json()["retried_by"] == "admin.jhs"
    mail_drop.wait_for(1)
    again = client.post(f"/dead-letters/{letter['id']}/retry", "admin.jhs")
    assert (again.status_code, again.json()["error"]) == (409, "already_retried")
    assert client.get("/dead-letters", "admin.jhs").json()["total"] == 0
    assert client.get("/dead-letters?include_retried=true", "admin.jhs").json()["total"] == 1
    assert helpers.wait_until(lambda: email_of(db).status == "sent")


def test_the_sms_gateway_busy_is_retried_and_a_rejection_is_dead_lettered(client, publish, helpers, sms_gateway, db):
    for user in ("dm.jhs", "adm.jhs"):
        client.put("/preferences", user, json={"channels": {"file_sent": ["sms"]}})
    sms_gateway.answers = [503]
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs"))
    assert helpers.wait_until(lambda: sms_gateway.accepted)
    assert [r["status"] for r in sms_gateway.received] == [503, 200]
    assert sms_gateway.received[0]["body"]["reference"] == sms_gateway.received[1]["body"]["reference"]

    sms_gateway.answers = [400]
    publish("files", "file_sent", helpers.file_sent(to_user="adm.jhs", from_user="dm.jhs"))
    assert helpers.wait_until(lambda: db.count(DeliveryDeadLetter) == 1)
    [letter] = db.rows(select(DeliveryDeadLetter))
    assert letter.reason.startswith("permanent after 1 attempt(s): SMS gateway answered 400")
    assert sms_gateway.received[-1]["body"]["message"] == (
        "eOffice: File N-11016/6/2026-COLL-JHS sent to you by Ravi Kumar (District Magistrate)"
    )


def test_a_message_whose_acceptance_was_not_heard_is_not_sent_again(notify, publish, helpers, mail_drop, db):
    mail_drop.lose_reply = True  # the server takes the message, then the connection drops
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs"))
    assert helpers.wait_until(lambda: db.count(DeliveryDeadLetter) == 1)
    eventlet.sleep(1)
    assert len(mail_drop.messages) == 1
    delivery = email_of(db)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    assert delivery.last_error.startswith("unknown after 1 attempt(s): SMTP connection lost waiting for the reply")


def test_a_send_cut_short_by_a_crash_is_dead_lettered_for_review_not_resent(
    start_notify, directory, publish, helpers, mail_drop, db
):
    first = start_notify()
    directory()
    mail_drop.delay = 2  # the server sits on the message while notify dies
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs"))
    assert helpers.wait_until(lambda: db.count(Delivery, Delivery.status == "sending") == 1)
    first.kill()
    start_notify(SENDING_LEASE_SECONDS=1)
    assert helpers.wait_until(lambda: db.count(DeliveryDeadLetter) == 1, timeout=10)
    delivery = email_of(db)
    assert (delivery.status, delivery.attempts) == ("dead", 1)
    [letter] = db.rows(select(DeliveryDeadLetter))
    assert letter.reason.startswith("interrupted while sending (claimed by ")
    assert "it may or may not have reached the recipient" in letter.reason
    eventlet.sleep(2.5)
    assert len(mail_drop.messages) <= 1  # whatever the dead process handed over, nothing more


def test_a_redelivered_event_is_told_once_even_across_a_restart(notify, start_notify, publish, helpers, mail_drop, db):
    event = helpers.envelope("file_sent", helpers.file_sent(to_user="dm.jhs"))
    publish.raw("files", [event, event, event])
    mail_drop.wait_for(1)
    notify.stop()
    start_notify()
    publish.raw("files", [event])
    eventlet.sleep(1)
    assert db.count(Notification) == 1
    assert db.count(Delivery) == 1
    assert len(mail_drop.messages) == 1
