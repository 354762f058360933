"""Every notify use case on the in-memory unit of work: what it leaves in the repositories and
which events it commits."""
from datetime import date, datetime, time, timedelta

import pytest

from notify import domain, usecases
from notify.events import NotificationDelivered, NotificationFailed
from notify.exceptions import AlreadyRetried, DeadLetterNotFound, NotificationNotFound
from notify.usecases import (
    ApplyEvents,
    ClaimDue,
    DeadLetterQuery,
    FireReminders,
    InboxQuery,
    MakeDigest,
    MarkAllRead,
    MarkRead,
    Page,
    RecordOutcomes,
    RecoverInterrupted,
    RetryDeadLetter,
    SavePreferences,
    SendOutcome,
)

from .conftest import NOW, SETTINGS, consumed, file_sent


def apply(uow, *events, now=NOW):
    """Apply a batch, then commit as the event pipeline does."""
    told = usecases.apply_events(ApplyEvents(list(events), SETTINGS, now), uow)
    uow.commit()
    return told


# --- consumed events ------------------------------------------------------------------------------

def test_a_file_sent_is_told_in_the_recipients_language_with_an_email_and_an_sms_planned(uow):
    envelope, event = consumed("file_sent", file_sent(priority="urgent"))
    [(notice, written_at)] = apply(uow, (envelope, event))
    assert (notice.user_id, notice.kind, written_at) == ("dm.jhs", "file_sent", NOW)
    [notification] = uow.inbox.of("dm.jhs")
    assert notification.title == "फ़ाइल N-11016/6/2026-COLL-JHS अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा आपको भेजी गई"
    assert "विषय: भूमि अभिलेख में नाम संशोधन" in notification.body
    [email] = uow.deliveries.of("dm.jhs", domain.EMAIL)
    assert (email.address, email.status, email.notification_id) == ("dm@up.example.in", domain.PENDING, notification.id)
    assert uow.deliveries.of("dm.jhs", domain.SMS) == []  # file_sent is email only by default
    [announced] = uow.events_of(NotificationDelivered)
    assert (announced.notification_id, announced.user, announced.channel, announced.office) == (
        notification.id, "dm.jhs", domain.INAPP, "COLL-JHS")
    assert uow.causes == [envelope]  # the announcement carries the consumed event's actor and correlation


def test_an_event_applied_again_tells_nobody_twice(uow):
    event = consumed("file_sent", file_sent())
    apply(uow, event)
    assert apply(uow, event) == []
    assert len(uow.inbox.of("dm.jhs")) == 1 and len(uow.deliveries.of("dm.jhs")) == 1
    assert len(uow.events_of(NotificationDelivered)) == 1


def test_nobody_is_told_of_their_own_act_and_a_deactivated_user_is_not_told(uow):
    apply(uow, consumed("file_sent", file_sent(to_user="adm.jhs", from_user="adm.jhs")),
          consumed("file_sent", file_sent(to_user="gone.jhs")))
    assert uow.inbox.rows == {} and uow.deliveries.rows == {} and uow.committed_events == []


def test_a_receipt_sent_with_copies_tells_the_holder_and_those_copied(uow):
    data = {"receipt_id": "r-1", "receipt_number": "81829/2026/COLL-JHS", "from_user": "clerk.jhs",
            "to_user": "dm.jhs", "copies_to": ["adm.jhs", "dm.jhs"], "subject": "पेंशन प्रकरण", "due_date": "2026-11-25"}
    apply(uow, consumed("receipt_sent", data))
    assert [n.kind for n in uow.inbox.of("dm.jhs")] == ["receipt_sent"]
    assert [n.kind for n in uow.inbox.of("adm.jhs")] == ["receipt_copied"]
    assert uow.reminders.of("r-1") == ["due_soon", "escalation", "overdue"]  # only the holder is reminded


def test_a_due_date_schedules_reminders_and_a_later_movement_cancels_them(uow):
    apply(uow, consumed("file_sent", file_sent(file_id="f-1", due_date="2026-11-25")))
    assert uow.reminders.of("f-1") == ["due_soon", "escalation", "overdue"]
    apply(uow, consumed("file_sent", file_sent(file_id="f-1", to_user="adm.jhs", from_user="dm.jhs"),
                        occurred_at=NOW + timedelta(hours=1)))
    assert uow.reminders.of("f-1") == [] and uow.reminders.of("f-1", "cancelled") == ["due_soon", "escalation", "overdue"]


def test_a_movement_consumed_after_a_later_one_schedules_no_reminders(uow):
    apply(uow, consumed("file_sent", file_sent(file_id="f-1"), occurred_at=NOW))
    apply(uow, consumed("file_sent", file_sent(file_id="f-1", due_date="2026-11-25"),
                        occurred_at=NOW - timedelta(hours=1)))
    assert uow.reminders.of("f-1") == []
    assert len(uow.inbox.of("dm.jhs")) == 2  # still told: it did happen


def test_a_transfer_hands_the_reminders_of_files_sent_before_it_to_the_successor(uow):
    apply(uow, consumed("file_sent", file_sent(file_id="f-1", due_date="2026-11-25")))
    apply(uow, consumed("file_transferred", {"from_user": "dm.jhs", "to_user": "adm.jhs", "file_ids": ["f-1"]},
                        occurred_at=NOW + timedelta(minutes=5)))
    assert {r.user_id for r in uow.reminders.rows.values()} == {"adm.jhs"}


def test_an_approval_arriving_before_the_draft_waits_for_its_author(uow):
    approved = {"file_id": "f-1", "file_number": "N-1/2026", "draft_id": "d-1", "version": 2, "approver": "dm.jhs",
                "subject": "भूमि आवंटन", "classification": "normal"}
    assert apply(uow, consumed("draft_approved", approved)) == []
    [(notice, _)] = apply(uow, consumed("draft_versioned",
                                        {"file_id": "f-1", "draft_id": "d-1", "version": 2, "author": "clerk.jhs"}))
    assert (notice.kind, notice.user_id, notice.extra["version"]) == ("draft_approved", "clerk.jhs", 2)
    assert uow.drafts.waiting == []
    [(issued, _)] = apply(uow, consumed("draft_issued", {
        "file_id": "f-1", "file_number": "N-1/2026", "draft_id": "d-1", "version": 2, "issue_number": "COLL-JHS/2026/17",
        "issued_by": "adm.jhs"}))
    assert (issued.kind, issued.user_id) == ("draft_issued", "clerk.jhs")


def test_a_user_recorded_is_copied_and_told_in_their_language(uow):
    apply(uow, consumed("user_recorded", {
        "user_id": "so.jhs", "office": "COLL-JHS", "name_en": "Meena Singh", "name_hi": "मीना सिंह",
        "designation_en": "Section Officer", "designation_hi": "अनुभाग अधिकारी", "email": "so@up.example.in",
        "language": "en"}))
    assert uow.directory.records["so.jhs"].language == "en"
    apply(uow, consumed("signature_failed", {
        "signature_id": "s-1", "document_kind": "note", "document_id": "n-1", "file_id": "f-1", "signer": "so.jhs",
        "reason": "token_unavailable"}))
    [notification] = uow.inbox.of("so.jhs")
    assert notification.kind == "signature_failed" and notification.title.isascii()


# --- the inbox ------------------------------------------------------------------------------------

def test_the_inbox_lists_newest_first_and_marks_read_only_the_callers_own(uow):
    apply(uow, *(consumed("file_sent", file_sent(to_user="clerk.jhs")) for _ in range(3)))
    notifications, total, unread = usecases.inbox(InboxQuery("clerk.jhs", False, Page(1, 2)), uow)
    assert (len(notifications), total, unread) == (2, 3, 3)
    assert notifications[0].seq > notifications[1].seq
    read = usecases.mark_read(MarkRead("clerk.jhs", notifications[0].id, NOW), uow)
    assert read.read_at == NOW and uow.inbox.rows[read.id].read_at == NOW
    assert usecases.unread_count("clerk.jhs", uow) == 2
    with pytest.raises(NotificationNotFound):
        usecases.mark_read(MarkRead("dm.jhs", notifications[1].id, NOW), uow)
    assert usecases.mark_all_read(MarkAllRead("clerk.jhs", NOW), uow) == 2
    assert usecases.unread_count("clerk.jhs", uow) == 0
    assert [n.seq for n in usecases.notifications_after("clerk.jhs", 1, 10, uow)] == [2, 3]
    assert usecases.last_seq("clerk.jhs", uow) == 3


def test_preferences_keep_what_was_chosen_and_the_defaults_for_the_rest(uow):
    saved = usecases.save_preferences(SavePreferences(
        "dm.jhs", {"file_sent": ["sms"]}, time(21, 0), time(7, 0), True, time(9, 30), NOW), uow)
    assert saved.channels_for("file_sent") == {"sms"} and saved.channels_for("overdue") == {"email", "sms"}
    assert uow.directory.chosen["dm.jhs"] == {"file_sent": ["sms"]}
    assert usecases.preferences_of("dm.jhs", uow) == saved
    assert uow.commits == 1


# --- sending --------------------------------------------------------------------------------------

def sent_notice(uow, to_user="dm.jhs", **fields):
    apply(uow, consumed("file_sent", file_sent(to_user=to_user, **fields)))
    return usecases.claim_due(ClaimDue(NOW, 100, "notify-1"), uow)


def test_a_sent_message_is_recorded_and_announced(uow):
    [claimed] = sent_notice(uow)
    assert (claimed.status, claimed.attempts) == ("sending", 1)
    at = NOW + timedelta(seconds=1)
    usecases.record_outcomes(RecordOutcomes([claimed], [SendOutcome(claimed.id, sent_at=at)], "notify-1", SETTINGS, at), uow)
    assert (uow.deliveries.rows[claimed.id].status, uow.deliveries.rows[claimed.id].sent_at) == ("sent", at)
    [delivered] = [e for e in uow.events_of(NotificationDelivered) if e.channel == domain.EMAIL]
    assert (delivered.notification_id, delivered.delivered_at) == (claimed.id, at.isoformat())


def test_a_transient_failure_is_retried_later_and_a_permanent_one_is_dead_lettered(uow):
    [first] = sent_notice(uow)
    [second] = sent_notice(uow, to_user="commr.jhs")
    outcomes = [SendOutcome(first.id, failure=domain.TRANSIENT, error="421 busy"),
                SendOutcome(second.id, failure=domain.PERMANENT, error="550 no such user")]
    usecases.record_outcomes(RecordOutcomes([first, second], outcomes, "notify-1", SETTINGS, NOW), uow)
    retried = uow.deliveries.rows[first.id]
    assert (retried.status, retried.next_attempt_at, retried.last_error) == (domain.PENDING, NOW + timedelta(seconds=30), "421 busy")
    assert uow.deliveries.rows[second.id].status == "dead"
    [letter] = uow.deliveries.dead_letters
    assert letter.reason == "permanent after 1 attempt(s): 550 no such user"
    [failed] = uow.events_of(NotificationFailed)
    assert (failed.notification_id, failed.user, failed.office) == (second.id, "commr.jhs", "COMMR-JHS")


def test_an_unknown_outcome_is_never_sent_again_on_its_own(uow):
    [claimed] = sent_notice(uow)
    usecases.record_outcomes(RecordOutcomes([claimed], [SendOutcome(claimed.id, failure=domain.UNKNOWN, error="lost")],
                                            "notify-1", SETTINGS, NOW), uow)
    assert uow.deliveries.rows[claimed.id].status == "dead"
    assert usecases.claim_due(ClaimDue(NOW + timedelta(days=1), 100, "notify-1"), uow) == []


def test_a_failure_after_an_admin_retry_cleared_the_claim_records_nothing(uow):
    [claimed] = sent_notice(uow)
    uow.deliveries.rows[claimed.id].claimed_by = None  # the admin's retry cleared it meanwhile
    usecases.record_outcomes(RecordOutcomes([claimed], [SendOutcome(claimed.id, failure=domain.PERMANENT, error="550")],
                                            "notify-1", SETTINGS, NOW), uow)
    assert uow.deliveries.rows[claimed.id].status == "sending" and uow.events_of(NotificationFailed) == []


def test_a_message_left_sending_past_its_lease_is_dead_lettered_as_interrupted(uow):
    [claimed] = sent_notice(uow)
    assert usecases.recover_interrupted(RecoverInterrupted(NOW + timedelta(seconds=30), 60), uow) == []
    [stuck] = usecases.recover_interrupted(RecoverInterrupted(NOW + timedelta(seconds=61), 60), uow)
    assert stuck.id == claimed.id and uow.deliveries.rows[claimed.id].status == "dead"
    assert "it may or may not have reached the recipient" in uow.events_of(NotificationFailed)[0].reason


def test_an_admin_retries_a_dead_letter_of_their_own_office_once(uow):
    [claimed] = sent_notice(uow)
    usecases.record_outcomes(RecordOutcomes([claimed], [SendOutcome(claimed.id, failure=domain.PERMANENT, error="550")],
                                            "notify-1", SETTINGS, NOW), uow)
    [listed], total = usecases.dead_letters(DeadLetterQuery("COLL-JHS", False, Page(1, 50)), uow)
    with pytest.raises(DeadLetterNotFound):
        usecases.retry_dead_letter(RetryDeadLetter(listed.id, "COLL-JLN", "admin.jln", NOW), uow)
    later = NOW + timedelta(hours=1)
    letter = usecases.retry_dead_letter(RetryDeadLetter(listed.id, "COLL-JHS", "admin.jhs", later), uow)
    assert (letter.retried_by, letter.delivery.status, letter.delivery.attempts) == ("admin.jhs", domain.PENDING, 0)
    assert uow.answers[-1] is letter
    assert uow.deliveries.rows[claimed.id].next_attempt_at == later
    assert usecases.dead_letters(DeadLetterQuery("COLL-JHS", False, Page(1, 50)), uow) == ([], 0)
    with pytest.raises(AlreadyRetried):
        usecases.retry_dead_letter(RetryDeadLetter(listed.id, "COLL-JHS", "admin.jhs", later), uow)
    [again] = usecases.claim_due(ClaimDue(later, 100, "notify-2"), uow)
    assert again.id == claimed.id


# --- reminders and the digest ---------------------------------------------------------------------

def test_an_overdue_reminder_tells_the_holder_and_comes_back_tomorrow(uow):
    apply(uow, consumed("file_sent", file_sent(file_id="f-1", due_date="2026-11-18")), now=NOW - timedelta(days=5))
    fired, told = usecases.fire_reminders(FireReminders(NOW, 100, SETTINGS), uow)
    assert sorted(r.kind for r in fired) == ["due_soon", "overdue"]
    [(notice, _)] = told  # due soon, fired late, stays silent
    assert (notice.kind, notice.user_id, notice.extra["days"]) == ("overdue", "dm.jhs", 2)
    assert uow.reminders.of("f-1", "done") == ["due_soon"]
    overdue = next(uow.reminders.rows[r.id] for r in fired if r.kind == "overdue")
    assert (overdue.occurrence, overdue.status, overdue.fire_at) == (1, "scheduled",
                                                                     datetime(2026, 11, 21, 10, tzinfo=domain.IST))
    assert any(n.kind == "overdue" for n in uow.inbox.of("dm.jhs"))


def test_escalation_goes_to_the_reporting_officer_once(uow):
    apply(uow, consumed("file_sent", file_sent(file_id="f-1", due_date="2026-11-15")), now=NOW - timedelta(days=8))
    fired, told = usecases.fire_reminders(FireReminders(NOW, 100, SETTINGS), uow)
    assert sorted(r.kind for r in fired) == ["due_soon", "escalation", "overdue"]
    assert {(n.kind, n.user_id) for n, _ in told} == {("escalation", "commr.jhs"), ("overdue", "dm.jhs")}
    assert uow.reminders.of("f-1", "done") == ["due_soon", "escalation"]


def test_a_digest_folds_the_days_held_emails_into_one(uow):
    usecases.save_preferences(SavePreferences("dm.jhs", {}, None, None, True, time(9, 0), NOW), uow)
    for _ in range(2):
        apply(uow, consumed("file_sent", file_sent()))
    held = uow.deliveries.of("dm.jhs", domain.EMAIL)
    assert {d.status for d in held} == {domain.DIGEST}
    tomorrow = NOW + timedelta(days=1)
    assert usecases.digest_recipients(tomorrow, uow) == ["dm.jhs"]
    assert usecases.make_digest(MakeDigest("dm.jhs", tomorrow, SETTINGS), uow) is True
    [digest] = [d for d in uow.deliveries.of("dm.jhs", domain.EMAIL) if d.kind == "digest"]
    assert (digest.status, digest.address) == (domain.PENDING, "dm@up.example.in")
    assert {d.status for d in held} == {"digested"} and {d.digest_id for d in held} == {digest.id}
    assert "2" in digest.subject and digest.body.count("फ़ाइल N-11016/6/2026-COLL-JHS") == 2


def test_a_digest_for_someone_without_email_any_more_gives_the_held_messages_up(uow):
    usecases.save_preferences(SavePreferences("dm.jhs", {}, None, None, True, time(9, 0), NOW), uow)
    apply(uow, consumed("file_sent", file_sent()))
    uow.directory.records["dm.jhs"] = domain.Person("dm.jhs", "Ravi Kumar", office="COLL-JHS", email=None)
    assert usecases.make_digest(MakeDigest("dm.jhs", NOW + timedelta(days=1), SETTINGS), uow) is False
    [held] = uow.deliveries.of("dm.jhs", domain.EMAIL)
    assert held.status == "dead" and uow.events_of(NotificationFailed) == []


def test_reminders_due_soon_are_planned_only_for_dates_not_yet_passed():
    assert [kind for kind, _ in domain.plan_reminders(date(2026, 11, 21), NOW, SETTINGS.reminders)] == ["overdue", "escalation"]
