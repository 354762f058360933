"""Email over real SMTP and SMS through an HTTP gateway, in each user's language and as their
preferences say: channels per kind, quiet hours, a daily digest."""
from datetime import datetime, timedelta

import eventlet
from sqlalchemy import select

from notify.domain import IST
from notify.models import Delivery


def test_an_email_arrives_with_hindi_subject_and_body_intact(client, publish, helpers, mail_drop, db):
    event = publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", due_date="2036-12-05", priority="most_immediate"))
    [message] = mail_drop.wait_for(1, address="dm.jhs@up.example.in")
    assert message["Subject"] == "[अति तत्काल] ई-ऑफिस: फ़ाइल N-11016/6/2026-COLL-JHS अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा आपको भेजी गई"
    assert message["From"].addresses[0].display_name == "ई-ऑफिस"
    assert message["From"].addresses[0].addr_spec == "noreply@eoffice.example.in"
    body = message.get_content().replace("\r\n", "\n")
    assert body.startswith("नमस्कार रवि कुमार (ज़िलाधिकारी),\n")
    assert "विषय: भूमि अभिलेख में नाम संशोधन" in body
    assert "नियत तिथि: 05-12-2036" in body
    assert f"खोलें: https://eoffice.example.in/files/{event['data']['file_id']}" in body
    assert helpers.wait_until(lambda: db.count(Delivery, Delivery.status == "sent") == 1)  # recorded after the send
    [delivery] = db.rows(select(Delivery).where(Delivery.channel == "email"))
    assert message["Message-ID"] == f"<{delivery.id}@eoffice.example.in>"
    assert (delivery.status, delivery.attempts, delivery.source_event_id) == ("sent", 1, event["id"])


def test_english_speakers_get_english_and_a_classified_subject_stays_inside(client, publish, helpers, mail_drop):
    publish("files", "file_sent", helpers.file_sent(to_user="adm.jhs", from_user="dm.jhs", classification="secret",
                                                    subject="गोपनीय जाँच आख्या"))
    [message] = mail_drop.wait_for(1, address="adm.jhs@up.example.in")
    assert message["Subject"] == "eOffice: File N-11016/6/2026-COLL-JHS sent to you by Ravi Kumar (District Magistrate)"
    body = message.get_content().replace("\r\n", "\n")
    assert "Subject: (classified: open eOffice to read it)" in body
    assert "गोपनीय जाँच आख्या" not in body
    [inapp] = client.wait_inbox("adm.jhs")
    assert "Subject: गोपनीय जाँच आख्या" in inapp["body"]


def test_a_file_reaching_the_acting_officer_says_for_whom_in_app_and_by_email(client, publish, helpers, mail_drop):
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", from_user="clerk.jhs", for_user="adm.jhs"))
    [message] = mail_drop.wait_for(1, address="dm.jhs@up.example.in")
    assert message["Subject"] == ("ई-ऑफिस: फ़ाइल N-11016/6/2026-COLL-JHS पूजा यादव (लिपिक) द्वारा आपको भेजी गई"
                                  " (अनीता वर्मा (अपर ज़िलाधिकारी) के लिए, जो अनुपस्थित हैं)")
    [inapp] = client.wait_inbox("dm.jhs")
    assert inapp["title"].endswith("(अनीता वर्मा (अपर ज़िलाधिकारी) के लिए, जो अनुपस्थित हैं)")
    # An officer going on leave handed a file over (action hand_over): consumed, and said so.
    publish("files", "file_sent", helpers.file_sent(to_user="adm.jhs", from_user="clerk.jhs", for_user="clerk.jhs",
                                                    action="hand_over", remarks="handed over on leave"))
    [handed] = client.wait_inbox("adm.jhs")
    assert handed["title"] == "File N-11016/6/2026-COLL-JHS handed over to you by Pooja Yadav (Clerk), who is going on leave"


def test_sms_goes_through_the_gateway_when_chosen(client, publish, helpers, sms_gateway, mail_drop, db):
    response = client.put("/preferences", "dm.jhs", json={"channels": {"file_sent": ["sms"]}})
    assert response.status_code == 200, response.text
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs"))
    assert helpers.wait_until(lambda: sms_gateway.accepted)
    [request] = sms_gateway.received
    [delivery] = db.rows(select(Delivery).where(Delivery.channel == "sms"))
    assert request["authorization"] == "Bearer sms-test-key"
    assert request["body"] == {
        "to": "+919876500001", "sender": "EOFFIC", "reference": delivery.id, "unicode": True,
        "message": "ई-ऑफिस: फ़ाइल N-11016/6/2026-COLL-JHS अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा आपको भेजी गई",
    }
    client.wait_inbox("dm.jhs")
    eventlet.sleep(0.5)  # give a wrong message time to arrive
    assert mail_drop.to("dm.jhs@up.example.in") == []  # email was switched off for this kind


def test_preferences_are_validated_and_kept(client):
    defaults = client.get("/preferences", "clerk.jhs").json()
    assert defaults["channels"]["file_sent"] == ["email"]
    assert defaults["channels"]["overdue"] == ["email", "sms"]
    assert (defaults["quiet_hours"], defaults["digest"], defaults["digest_time"]) == (None, False, "09:00")
    bad = client.put("/preferences", "clerk.jhs", json={
        "channels": {"file_sent": ["pigeon"], "gossip": ["email"]}, "quiet_hours": {"start": "25:00", "end": "07:00"},
    })
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"channels.file_sent.0", "channels.gossip.[key]", "quiet_hours.start"}
    same = client.put("/preferences", "clerk.jhs", json={"quiet_hours": {"start": "07:00", "end": "07:00"}})
    assert (same.status_code, list(same.json()["fields"])) == (422, ["quiet_hours"])
    saved = client.put("/preferences", "clerk.jhs", json={
        "channels": {"file_sent": ["sms", "email", "sms"], "due_soon": []},
        "quiet_hours": {"start": "21:30", "end": "07:00"}, "digest": True, "digest_time": "18:00",
    }).json()
    assert client.get("/preferences", "clerk.jhs").json() == saved
    assert saved["channels"]["file_sent"] == ["email", "sms"]
    assert saved["channels"]["due_soon"] == []
    assert saved["channels"]["overdue"] == ["email", "sms"]
    assert saved["quiet_hours"] == {"start": "21:30", "end": "07:00"}
    assert (saved["digest"], saved["digest_time"]) == (True, "18:00")


def hh_mm(moment):
    return moment.astimezone(IST).strftime("%H:%M")


def test_quiet_hours_hold_email_until_they_end_but_not_most_immediate(notify, client, publish, helpers, mail_drop,
                                                                      start_notify, db):
    now = datetime.now(IST)
    client.put("/preferences", "dm.jhs", json={"quiet_hours": {"start": hh_mm(now - timedelta(hours=1)),
                                                               "end": hh_mm(now + timedelta(hours=1))}})
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-1/2026"))
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-2/2026", priority="most_immediate"))
    client.wait_inbox("dm.jhs", 2)
    [urgent] = mail_drop.wait_for(1)
    assert "N-2/2026" in urgent["Subject"]
    eventlet.sleep(0.5)  # give a wrong message time to arrive
    assert len(mail_drop.messages) == 1
    [held] = db.rows(select(Delivery).where(Delivery.status == "pending"))
    assert hh_mm(held.next_attempt_at) == hh_mm(now + timedelta(hours=1))

    notify.stop()
    start_notify(CLOCK_SHIFT_SECONDS=2 * 3600)  # two hours later
    messages = mail_drop.wait_for(2)
    assert "N-1/2026" in messages[1]["Subject"]


def test_a_daily_digest_replaces_instant_email(notify, client, publish, helpers, mail_drop, start_notify, db):
    digest_time = hh_mm(datetime.now(IST) + timedelta(hours=1))
    client.put("/preferences", "dm.jhs", json={"digest": True, "digest_time": digest_time})
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-1/2026"))
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-2/2026"))
    client.wait_inbox("dm.jhs", 2)
    eventlet.sleep(0.5)  # give a wrong message time to arrive
    assert mail_drop.messages == []
    assert len(db.rows(select(Delivery).where(Delivery.status == "digest"))) == 2

    notify.stop()
    start_notify(CLOCK_SHIFT_SECONDS=2 * 3600)
    [digest] = mail_drop.wait_for(1)
    eventlet.sleep(0.5)  # give a wrong message time to arrive
    assert len(mail_drop.messages) == 1
    assert digest["Subject"] == "ई-ऑफिस: आज की 2 सूचनाएँ"
    body = digest.get_content().replace("\r\n", "\n")
    assert body.index("फ़ाइल N-1/2026") < body.index("फ़ाइल N-2/2026")
    statuses = sorted(d.status for d in db.rows(select(Delivery)))
    assert statuses == ["digested", "digested", "sent"]
