"""The rules of notify, with plain values: no broker, no database."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from notify import domain, schemas
from notify.domain import IST, Notice, Person, Preferences

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)  # 11:30 IST

PEOPLE = {
    "dm.jhs": Person("dm.jhs", "Ravi Kumar", "रवि कुमार", "District Magistrate", "ज़िलाधिकारी",
                     email="dm@up.example.in", mobile="9876500001", language="hi", reporting_officer="commr.jhs"),
    "adm.jhs": Person("adm.jhs", "Anita Verma", "अनीता वर्मा", "Additional District Magistrate", "अपर ज़िलाधिकारी",
                      email="adm@up.example.in", mobile="+91 98765-00002", language="en", reporting_officer="dm.jhs"),
}


def file_sent(**fields):
    data = {"file_id": "f-1", "file_number": "N-11016/6/2026-COLL-JHS", "movement_id": 3, "action": "send",
            "from_user": "adm.jhs", "to_user": "dm.jhs", "remarks": "कृपया देखें", "due_date": "2026-11-25",
            "priority": "normal", "subject": "भूमि अभिलेख", "classification": "normal"}
    data.update(fields)
    return schemas.FileSent.model_validate(data)


def notice(**fields):
    return Notice(**{"kind": "file_sent", "user_id": "dm.jhs", "source_id": "e-1", "occurred_at": NOW,
                     "item_type": "file", "item_id": "f-1", "number": "N-1/2026", "by": "adm.jhs",
                     "subject": "भूमि अभिलेख", **fields})


# --- who is told --------------------------------------------------------------------------------


def test_a_file_sent_tells_its_recipient_and_a_return_is_called_a_return():
    [sent] = domain.file_sent_notices("e-1", NOW, file_sent())
    assert (sent.kind, sent.user_id, sent.by, sent.due_date, sent.source_id) == ("file_sent", "dm.jhs", "adm.jhs", date(2026, 11, 25), "e-1")
    assert [n.kind for n in domain.file_sent_notices("e-2", NOW, file_sent(action="return"))] == ["file_returned"]
    assert domain.file_sent_notices("e-3", NOW, file_sent(to_user="adm.jhs")) == []


def test_a_receipt_tells_the_holder_and_each_copy_once_but_never_the_sender():
    data = schemas.ReceiptSent.model_validate({
        "receipt_id": "r-1", "receipt_number": "12/2026/COLL-JHS", "from_user": "clerk.jhs", "to_user": "dm.jhs",
        "copies_to": ["adm.jhs", "adm.jhs", "clerk.jhs", "dm.jhs"], "due_date": "2026-11-30",
    })
    notices = domain.receipt_sent_notices("e-1", NOW, data)
    assert [(n.kind, n.user_id, n.due_date) for n in notices] == [
        ("receipt_sent", "dm.jhs", date(2026, 11, 30)), ("receipt_copied", "adm.jhs", None),
    ]


def test_pull_backs_drafts_and_signatures_tell_the_right_person():
    pulled = schemas.FilePulledBack.model_validate({"file_id": "f", "file_number": "N", "movement_id": 4, "by_user": "adm.jhs", "from_user": "dm.jhs"})
    assert [n.user_id for n in domain.file_pulled_back_notices("e", NOW, pulled)] == ["dm.jhs"]
    approved = schemas.DraftApproved.model_validate({"file_id": "f", "file_number": "N", "draft_id": "d", "version": 2, "approver": "dm.jhs"})
    assert [n.user_id for n in domain.draft_approved_notices("e", NOW, approved, "clerk.jhs")] == ["clerk.jhs"]
    assert domain.draft_approved_notices("e", NOW, approved, "dm.jhs") == []  # approving one's own draft
    assert domain.draft_approved_notices("e", NOW, approved, None) == []  # author never announced
    issued = schemas.DraftIssued.model_validate({"file_id": "f", "file_number": "N", "draft_id": "d", "version": 2,
                                                 "issue_number": "I-1", "issued_by": "adm.jhs"})
    assert domain.draft_issued_notices("e", NOW, issued, "clerk.jhs")[0].extra == {"version": 2, "issue_number": "I-1"}
    failed = schemas.SignatureFailed.model_validate({"signature_id": "s", "document_kind": "note", "document_id": "n",
                                                     "file_id": "f", "signer": "dm.jhs", "reason": "eSign OTP expired"})
    [told] = domain.signature_failed_notices("e", NOW, failed)
    assert domain.title_of(told, "hi", PEOPLE) == "टिप्पणी पर हस्ताक्षर विफल: eSign OTP expired"


# --- in which words -----------------------------------------------------------------------------


def test_titles_name_people_in_the_readers_language():
    assert domain.title_of(notice(), "hi", PEOPLE) == "फ़ाइल N-1/2026 अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा आपको भेजी गई"
    assert domain.title_of(notice(), "en", PEOPLE) == "File N-1/2026 sent to you by Anita Verma (Additional District Magistrate)"
    assert domain.title_of(notice(by="ghost.user"), "en", PEOPLE).endswith("by ghost.user")
    assert domain.title_of(notice(by="system"), "hi", PEOPLE).endswith("ई-ऑफिस द्वारा आपको भेजी गई")


def test_a_classified_subject_is_shown_in_app_but_never_leaves_by_email_or_sms():
    secret = notice(classification="secret", subject="गोपनीय आख्या", remarks="शीघ्र")
    assert "विषय: गोपनीय आख्या" in domain.render_inapp(secret, "hi", PEOPLE)[1]
    subject, body = domain.render_email(secret, PEOPLE["dm.jhs"], PEOPLE, "https://e.example.in")
    assert "गोपनीय आख्या" not in subject + body
    assert "विषय: (गोपनीय: पढ़ने के लिए ई-ऑफिस खोलें)" in body
    assert "गोपनीय आख्या" not in domain.render_sms(secret, PEOPLE["dm.jhs"], PEOPLE)
    _, normal_body = domain.render_email(notice(), PEOPLE["dm.jhs"], PEOPLE, "https://e.example.in")
    assert "विषय: भूमि अभिलेख" in normal_body


def test_an_email_greets_marks_priority_and_links_to_the_item():
    subject, body = domain.render_email(notice(priority="most_immediate", due_date=date(2026, 11, 25)),
                                        PEOPLE["adm.jhs"], PEOPLE, "https://e.example.in/")
    assert subject == "[Most Immediate] eOffice: File N-1/2026 sent to you by Anita Verma (Additional District Magistrate)"
    lines = body.splitlines()
    assert lines[0] == "Dear Anita Verma (Additional District Magistrate),"
    assert "Priority: Most Immediate" in lines and "Due date: 25-11-2026" in lines
    assert "Open: https://e.example.in/files/f-1" in lines


def test_an_item_reaching_the_acting_officer_says_for_whom_or_that_it_was_handed_over_in_both_languages():
    [held] = domain.file_sent_notices("e-1", NOW, file_sent(to_user="dm.jhs", for_user="adm.jhs", from_user="clerk.jhs"))
    assert (held.user_id, held.extra) == ("dm.jhs", {"for_user": "adm.jhs"})
    assert domain.title_of(held, "hi", PEOPLE) == (
        "फ़ाइल N-11016/6/2026-COLL-JHS clerk.jhs द्वारा आपको भेजी गई (अनीता वर्मा (अपर ज़िलाधिकारी) के लिए, जो अनुपस्थित हैं)"
    )
    assert domain.title_of(held, "en", PEOPLE).endswith(" (for Anita Verma (Additional District Magistrate), who is away)")
    subject, body = domain.render_email(held, PEOPLE["dm.jhs"], PEOPLE, "https://e.example.in")
    assert subject.endswith("(अनीता वर्मा (अपर ज़िलाधिकारी) के लिए, जो अनुपस्थित हैं)")
    assert "के लिए, जो अनुपस्थित हैं" in body
    receipt = schemas.ReceiptSent.model_validate({"receipt_id": "r-1", "receipt_number": "12/2026/COLL-JHS", "from_user": "clerk.jhs",
                                                  "to_user": "adm.jhs", "for_user": "dm.jhs", "copies_to": ["clerk.jhs"]})
    [to_acting] = domain.receipt_sent_notices("e-2", NOW, receipt)
    assert domain.title_of(to_acting, "en", PEOPLE).endswith("(for Ravi Kumar (District Magistrate), who is away)")
    # Sent to the officer themselves, or handed over by the absent officer: nothing to add.
    [plain] = domain.file_sent_notices("e-3", NOW, file_sent())
    assert "अनुपस्थित" not in domain.title_of(plain, "hi", PEOPLE)
    [handed_over] = domain.file_sent_notices("e-4", NOW, file_sent(from_user="adm.jhs", to_user="dm.jhs", for_user="adm.jhs",
                                                                   action="hand_over", remarks="handed over on leave"))
    assert domain.title_of(handed_over, "hi", PEOPLE) == (
        "फ़ाइल N-11016/6/2026-COLL-JHS अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा अवकाश पर जाते समय आपको सौंपी गई")
    assert domain.title_of(handed_over, "en", PEOPLE) == (
        "File N-11016/6/2026-COLL-JHS handed over to you by Anita Verma (Additional District Magistrate), who is going on leave")
    assert "handed over on leave" not in domain.render_email(handed_over, PEOPLE["dm.jhs"], PEOPLE, "https://e.example.in")[1]
    receipt = schemas.ReceiptSent.model_validate({"receipt_id": "r-2", "receipt_number": "13/2026/COLL-JHS", "action": "hand_over",
                                                  "from_user": "adm.jhs", "to_user": "dm.jhs", "for_user": "adm.jhs"})
    assert domain.title_of(domain.receipt_sent_notices("e-5", NOW, receipt)[0], "hi", PEOPLE) == (
        "प्राप्ति 13/2026/COLL-JHS अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा अवकाश पर जाते समय आपको सौंपी गई")


def test_reminder_titles_count_days_and_name_the_holder():
    overdue = notice(kind="overdue", due_date=date(2026, 11, 17), extra={"days": 3})
    assert domain.title_of(overdue, "hi", PEOPLE) == "फ़ाइल N-1/2026 नियत तिथि 17-11-2026 के बाद 3 दिन से लंबित है"
    escalation = notice(kind="escalation", user_id="commr.jhs", due_date=date(2026, 11, 17), extra={"days": 3, "holder": "dm.jhs"})
    assert domain.title_of(escalation, "en", PEOPLE) == (
        "File N-1/2026 with Ravi Kumar (District Magistrate) is overdue by 3 day(s) (due 17-11-2026)"
    )


def test_a_digest_lists_the_days_notifications_oldest_first():
    subject, body = domain.render_digest(PEOPLE["dm.jhs"], [(NOW, "पहली"), (NOW + timedelta(hours=1), "दूसरी")], "https://e")
    assert subject == "ई-ऑफिस: आज की 2 सूचनाएँ"
    assert "- 20-11-2026 11:30  पहली\n- 20-11-2026 12:30  दूसरी" in body


# --- on which channel, and when -------------------------------------------------------------------


def test_by_default_email_goes_at_once_and_sms_only_for_overdue_and_escalation():
    plan = domain.plan_outgoing(notice(), PEOPLE["dm.jhs"], domain.DEFAULT_PREFERENCES, NOW, {"email", "sms"})
    assert plan == [domain.Outgoing("email", "dm@up.example.in", "pending", NOW)]
    plan = domain.plan_outgoing(notice(kind="overdue"), PEOPLE["adm.jhs"], domain.DEFAULT_PREFERENCES, NOW, {"email", "sms"})
    assert [(o.channel, o.address) for o in plan] == [("email", "adm@up.example.in"), ("sms", "+919876500002")]
    assert domain.plan_outgoing(notice(kind="receipt_copied"), PEOPLE["dm.jhs"], domain.DEFAULT_PREFERENCES, NOW, {"email"}) == []


def test_chosen_channels_missing_addresses_unconfigured_channels_and_inactive_users():
    sms_only = Preferences(channels={**domain.DEFAULT_CHANNELS, "file_sent": frozenset({"sms"})})
    assert [o.channel for o in domain.plan_outgoing(notice(), PEOPLE["dm.jhs"], sms_only, NOW, {"email", "sms"})] == ["sms"]
    assert domain.plan_outgoing(notice(), PEOPLE["dm.jhs"], sms_only, NOW, {"email"}) == []
    no_email = Person("x", email=None, mobile="12345")
    assert domain.plan_outgoing(notice(kind="overdue"), no_email, domain.DEFAULT_PREFERENCES, NOW, {"email", "sms"}) == []
    gone = Person("x", email="x@y.in", active=False)
    assert domain.plan_outgoing(notice(), gone, domain.DEFAULT_PREFERENCES, NOW, {"email"}) == []
    assert domain.plan_outgoing(notice(), None, domain.DEFAULT_PREFERENCES, NOW, {"email"}) == []


@pytest.mark.parametrize("start, end, at_ist, quiet", [
    (time(21), time(7), time(23, 0), True),
    (time(21), time(7), time(6, 59), True),
    (time(21), time(7), time(7, 0), False),
    (time(21), time(7), time(12, 0), False),
    (time(13), time(14), time(13, 30), True),
    (time(13), time(14), time(14, 30), False),
    (None, None, time(23, 0), False),
])
def test_quiet_hours_may_wrap_midnight(start, end, at_ist, quiet):
    moment = datetime.combine(date(2026, 11, 20), at_ist, IST)
    assert domain.in_quiet_hours(moment, start, end) is quiet


def test_quiet_hours_hold_messages_until_they_end_unless_most_immediate():
    night = datetime(2026, 11, 20, 23, 0, tzinfo=IST)
    prefs = Preferences(quiet_start=time(21), quiet_end=time(7))
    [held] = domain.plan_outgoing(notice(), PEOPLE["dm.jhs"], prefs, night, {"email"})
    assert (held.status, held.not_before) == ("pending", datetime(2026, 11, 21, 7, 0, tzinfo=IST))
    [urgent] = domain.plan_outgoing(notice(priority="most_immediate"), PEOPLE["dm.jhs"], prefs, night, {"email"})
    assert urgent.not_before == night


def test_the_digest_holds_email_until_the_digest_time_but_not_sms():
    prefs = Preferences(channels={**domain.DEFAULT_CHANNELS, "file_sent": frozenset({"email", "sms"})}, digest=True,
                        digest_time=time(9))
    plan = domain.plan_outgoing(notice(), PEOPLE["dm.jhs"], prefs, NOW, {"email", "sms"})  # 11:30 IST
    assert [(o.channel, o.status, o.not_before) for o in plan] == [
        ("email", "digest", datetime(2026, 11, 21, 9, 0, tzinfo=IST)), ("sms", "pending", NOW),
    ]


@pytest.mark.parametrize("mobile, number", [
    ("9876500001", "+919876500001"), ("+91 98765 00002", "+919876500002"), ("919876500003", "+919876500003"),
    ("098765", None), ("5876500001", None), (None, None),
])
def test_sms_numbers_are_indian_mobiles(mobile, number):
    assert domain.sms_number(mobile) == number


# --- when a message fails -------------------------------------------------------------------------


def test_retries_back_off_exponentially_up_to_a_cap():
    delays = [domain.retry_delay(n, 30, 3600).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_only_a_transient_failure_is_retried_and_only_while_attempts_remain():
    assert domain.after_failure("transient", 1, 6) == "retry"
    assert domain.after_failure("transient", 6, 6) == "dead"
    assert domain.after_failure("permanent", 1, 6) == "dead"
    assert domain.after_failure("unknown", 1, 6) == "dead"  # it may have arrived: at most once


# --- reminders ---------------------------------------------------------------------------------


SETTINGS = domain.ReminderSettings(due_soon_days=2, escalate_after_days=3, hour=10)


def at_ten(day):
    return datetime.combine(day, time(10), IST)


def test_reminders_of_a_due_date():
    plans = domain.plan_reminders(date(2026, 11, 30), NOW, SETTINGS)
    assert plans == [("due_soon", at_ten(date(2026, 11, 28))), ("overdue", at_ten(date(2026, 12, 1))),
                     ("escalation", at_ten(date(2026, 12, 3)))]
    soon = domain.plan_reminders(date(2026, 11, 21), NOW, SETTINGS)  # due tomorrow: "due soon" has passed
    assert [kind for kind, _ in soon] == ["overdue", "escalation"]
    never_escalate = domain.ReminderSettings(due_soon_days=0, escalate_after_days=0)
    assert [kind for kind, _ in domain.plan_reminders(date(2026, 11, 30), NOW, never_escalate)] == ["overdue"]


def reminder(kind, due=date(2026, 11, 17), occurrence=0):
    return domain.Reminder("rem-1", kind, "file", "f-1", "N-1/2026", "dm.jhs", due, occurrence=occurrence)


def test_an_overdue_reminder_repeats_daily_at_the_reminder_hour():
    [told], next_at = domain.fire_reminder(reminder("overdue", occurrence=2), NOW, PEOPLE["dm.jhs"], SETTINGS)
    assert (told.kind, told.user_id, told.extra["days"], told.source_id) == ("overdue", "dm.jhs", 3, "reminder:rem-1:3")
    assert next_at == at_ten(date(2026, 11, 21))  # 11:30 IST now: tomorrow at ten
    _, before_ten = domain.fire_reminder(reminder("overdue"), datetime(2026, 11, 20, 9, 0, tzinfo=IST), None, SETTINGS)
    assert before_ten == at_ten(date(2026, 11, 20))


def test_escalation_goes_to_the_reporting_officer_once():
    [told], next_at = domain.fire_reminder(reminder("escalation"), NOW, PEOPLE["dm.jhs"], SETTINGS)
    assert (told.kind, told.user_id, told.extra["holder"], next_at) == ("escalation", "commr.jhs", "dm.jhs", None)
    assert domain.fire_reminder(reminder("escalation"), NOW, Person("dm.jhs"), SETTINGS) == ([], None)
    assert domain.fire_reminder(reminder("escalation"), NOW, None, SETTINGS) == ([], None)


def test_a_due_soon_reminder_fired_late_stays_silent():
    assert domain.fire_reminder(reminder("due_soon", due=date(2026, 11, 22)), NOW, None, SETTINGS)[0][0].kind == "due_soon"
    assert domain.fire_reminder(reminder("due_soon", due=date(2026, 11, 19)), NOW, None, SETTINGS) == ([], None)
