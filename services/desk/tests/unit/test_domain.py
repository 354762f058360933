from datetime import date, datetime, timedelta, timezone

import pytest

from desk import domain
from desk.domain import FieldError

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def test_a_session_ends_at_its_expiry_or_when_left_idle():
    times = domain.new_session_times(NOW, ttl_seconds=8 * 3600)
    assert domain.session_is_live(times, NOW + timedelta(minutes=30), idle_seconds=3600)
    assert not domain.session_is_live(times, NOW + timedelta(minutes=61), idle_seconds=3600)
    kept_busy = domain.SessionTimes(NOW, NOW + timedelta(hours=8, minutes=-1), times.expires_at)
    assert not domain.session_is_live(kept_busy, NOW + timedelta(hours=8), idle_seconds=3600)


def test_last_seen_is_written_at_most_once_a_minute():
    times = domain.new_session_times(NOW, 3600)
    assert not domain.should_touch(times, NOW + timedelta(seconds=59))
    assert domain.should_touch(times, NOW + timedelta(seconds=60))


@pytest.mark.parametrize("target, expected", [
    ("/files/abc?tab=drafts", "/files/abc?tab=drafts"), ("/search?q=भूमि", "/search?q=भूमि"), (None, "/"), ("", "/"),
    ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil.example", "/"), ("/\t/evil.example", "/"),
    ("/\n/evil.example", "/"), ("/\r\nSet-Cookie: a=b", "/"), ("/%09/evil.example", "/"), ("/%2F%2Fevil.example", "/"),
    ("/%5Cevil.example", "/"), ("%2F%2Fevil.example", "/"), ("javascript:alert(1)", "/"), ("/\x7f/evil.example", "/"),
    ("/\u0085/evil.example", "/"), ("evil.example", "/"),
])
def test_after_sign_in_only_a_path_of_this_site_is_followed(target, expected):
    assert domain.safe_next(target) == expected


def test_a_sixth_attempt_within_the_window_waits_until_the_oldest_leaves_it():
    limit = domain.AttemptLimit("account", 5, timedelta(minutes=15))
    minutes_ago = [NOW - timedelta(minutes=m) for m in (14, 10, 6, 3, 1)]
    assert domain.seconds_to_wait(minutes_ago[1:], limit, NOW) == 0
    assert domain.seconds_to_wait(minutes_ago, limit, NOW) == 60
    assert domain.seconds_to_wait(minutes_ago + [NOW - timedelta(minutes=20)], limit, NOW) == 60
    # attempts made at the same moment, beyond the limit: the wait is until enough have left
    assert domain.seconds_to_wait(minutes_ago + [NOW, NOW], limit, NOW) == 9 * 60


@pytest.mark.parametrize("remote, forwarded, proxies, expected", [
    ("10.0.0.7", None, 0, "10.0.0.7"),
    ("10.0.0.7", "203.0.113.9", 0, "10.0.0.7"),  # no proxy trusted: the header is the client's own word
    ("10.0.0.7", "198.51.100.1, 203.0.113.9", 1, "203.0.113.9"),  # the ingress appended the client's address
    ("10.0.0.7", "", 1, "10.0.0.7"),
])
def test_the_client_address_is_taken_only_from_trusted_proxies(remote, forwarded, proxies, expected):
    assert domain.client_address(remote, forwarded, proxies) == expected


def test_the_page_language_is_the_users_choice_then_the_directorys_then_hindi():
    assert domain.page_language("en", "hi") == "en"
    assert domain.page_language(None, "en") == "en"
    assert domain.page_language(None, None) == "hi"
    assert domain.page_language("fr", "xx") == "hi"


def test_an_older_directory_announcement_does_not_undo_a_newer_one():
    assert domain.is_newer(None, NOW)
    assert domain.is_newer(NOW, NOW + timedelta(seconds=1))
    assert not domain.is_newer(NOW, NOW - timedelta(seconds=1))


def test_names_show_in_the_page_language_with_the_designation():
    officer = {"id": "so.jhs", "name_en": "Ramesh Kumar", "name_hi": "रमेश कुमार", "designation_en": "Section Officer",
               "designation_hi": "अनुभाग अधिकारी"}
    assert domain.person_name(officer, "hi") == "रमेश कुमार (अनुभाग अधिकारी)"
    assert domain.person_name(officer, "en") == "Ramesh Kumar (Section Officer)"
    assert domain.person_name({"id": "x.jhs", "name_en": "X"}, "hi") == "X"


def test_service_field_reasons_land_beside_the_form_fields():
    errors = domain.field_errors({
        "sender.name": "String should have at least 1 character",
        "sender.pincode": "String should match pattern '^[1-9][0-9]{5}$'",
        "send.to.0": "unknown: ghost",
        "body": "Value error, letter_date is after received_date",
        "subject": "something new the desk has no words for",
    })
    assert errors["sender_name"] == FieldError("required", "String should have at least 1 character")
    assert errors["sender_pincode"].key == "format"
    assert errors["send_to"].key == "unknown_user"
    assert errors["letter_date"].key == "letter_after_received"
    assert errors["subject"] == FieldError("invalid", "something new the desk has no words for")


def test_a_recipient_not_cleared_is_said_beside_the_officers_field_naming_whom_the_service_named():
    dak = domain.field_errors({"to": "not cleared for secret: clerk.jhs, asst.jhs"})["to"]
    files = domain.field_errors({"to": "not cleared for confidential"})["to"]
    assert (dak.key, dak.named, files.key, files.named) == ("not_cleared", "clerk.jhs, asst.jhs", "not_cleared", "")


def test_a_reason_without_fields_goes_to_the_field_its_message_names_or_the_whole_form():
    assert set(domain.field_errors({}, "received_date is in the future")) == {"received_date"}
    assert domain.field_errors({}, "")== {}
    assert domain.field_errors({"subject": "Field required"}, aliases={"subject": "file_subject"}).keys() == {"file_subject"}


def test_the_inbox_puts_overdue_first_then_priority_then_newest():
    today = date(2026, 11, 22)
    items = [
        domain.InboxItem("file", "a", "F/1", "s", "normal", "normal", None, "2026-11-22T09:00:00+00:00"),
        domain.InboxItem("receipt", "b", "R/1", "s", "normal", "urgent", None, "2026-11-20T09:00:00+00:00"),
        domain.InboxItem("file", "c", "F/2", "s", "normal", "normal", date(2026, 11, 21), "2026-11-01T09:00:00+00:00"),
        domain.InboxItem("receipt", "d", "R/2", "s", "normal", "most_immediate", None, "2026-11-19T09:00:00+00:00"),
        domain.InboxItem("file", "e", "F/3", "s", "normal", "normal", None, "2026-11-22T10:00:00+00:00"),
    ]
    assert [i.id for i in domain.inbox_order(items, today)] == ["c", "d", "b", "e", "a"]
    assert domain.inbox_counts(items, today) == {"total": 5, "overdue": 1, "urgent": 2, "unread": 0}


def test_inbox_items_carry_the_priority_and_due_date_of_the_last_hand_over():
    receipt = {"id": "r", "receipt_number": "1/2026/COLL-JHS", "subject": "प्रार्थना पत्र", "classification": "secret",
               "created_at": "2026-11-20T00:00:00+00:00", "vip": True, "sender": {"name": "A"}}
    item = domain.receipt_item(receipt, {"priority": "urgent", "due_date": date(2026, 11, 21), "sent_at": "2026-11-21T00:00:00+00:00"})
    assert (item.priority, item.due_date, item.vip) == ("urgent", date(2026, 11, 21), True)
    file = domain.file_item({"id": "f", "file_number": "N-11016/1/2026", "subject": "s", "classification": "normal",
                             "current_movement": {"priority": "most_immediate", "due_date": "2026-12-01", "sent_at": "x", "opened_at": None}})
    assert (file.priority, file.due_date, file.unread) == ("most_immediate", date(2026, 12, 1), True)


def test_only_the_holder_of_an_open_receipt_gets_actions():
    receipt = {"holder": "so.jhs", "status": "open", "kind": "physical", "received_at": None,
               "movements": [{"from": "diarist.jhs", "to": "so.jhs", "copy": False}]}
    assert domain.receipt_actions(receipt, "so.jhs") == ["receive", "send", "reply", "put_in_file", "close", "copy"]
    assert domain.receipt_actions(receipt, "dm.jhs") == []
    assert domain.receipt_actions({**receipt, "status": "in_file"}, "so.jhs") == []


def test_file_buttons_follow_custodian_owner_and_officer():
    file = {"status": "open", "custodian": {"id": "so.jhs"}, "owner": {"id": "clerk.jhs"},
            "current_movement": {"from": {"id": "clerk.jhs"}, "to": {"id": "so.jhs"}, "opened_at": None}}
    assert domain.file_actions(file, "so.jhs", officer=True) >= {"note", "draft", "send", "approve", "return"}
    assert "approve" not in domain.file_actions(file, "so.jhs", officer=False)
    # The owner closes only while holding the file (files answers not_custodian otherwise): no Close button.
    assert domain.file_actions(file, "clerk.jhs", officer=False) == {"pull_back", "part"}
    assert "close" in domain.file_actions({**file, "custodian": {"id": "clerk.jhs"}}, "clerk.jhs", officer=False)
    assert domain.file_actions({**file, "status": "closed", "custodian": {"id": "clerk.jhs"}}, "clerk.jhs", False) == {"reopen"}


def test_green_notes_are_numbered_from_their_first_paragraph():
    note = {"text": "पहला अनुच्छेद।\n\nदूसरा अनुच्छेद।\n\n\n", "first_paragraph": 4}
    assert domain.numbered_paragraphs(note) == [(4, "पहला अनुच्छेद।"), (5, "दूसरा अनुच्छेद।")]


def test_the_score_chart_places_weeks_left_to_right_and_scores_bottom_to_top():
    chart = domain.line_chart([("2026-W45", 0), ("2026-W46", 10), ("2026-W47", 5)], width=200, height=100, pad=10)
    assert chart.dots == [(10, 90, "2026-W45", 0), (100, 10, "2026-W46", 10), (190, 50, "2026-W47", 5)]
    assert domain.line_chart([]) is None


# --- report charts and scopes ----------------------------------------------------------------------

def test_the_pendency_chart_adds_up_each_age_bucket_over_the_rows():
    report = {"columns": ["office", "days_0-7", "days_8-15", "days_16-30", "days_31+", "total"],
              "rows": [{"office": "A", "days_0-7": 4, "days_8-15": 0, "days_16-30": 1, "days_31+": None},
                       {"office": "B", "days_0-7": 4, "days_8-15": 2, "days_16-30": 0, "days_31+": 2}]}
    assert [(b.key, b.value, b.percent) for b in domain.pendency_chart(report)] == [
        ("days_0-7", 8, 100.0), ("days_8-15", 2, 25.0), ("days_16-30", 1, 12.5), ("days_31+", 2, 25.0)]
    assert domain.pendency_chart({"columns": ["office", "files_closed"], "rows": []}) is None


def test_the_monthly_chart_draws_the_totals_of_each_month_on_one_scale():
    counts = dict.fromkeys(domain.MONTHLY_SERIES, 0)
    report = {"columns": ["month", "office", *domain.MONTHLY_SERIES], "rows": [
        {"month": "2026-10", "office": "A", **counts, "files_created": 99},
        {"month": "2026-10", "office": "ALL", **counts, "files_created": 10, "files_forwarded": 40},
        {"month": "2026-11", "office": "ALL", **counts, "files_created": 20},
    ]}
    chart = domain.monthly_chart(report)
    assert [month for month, _ in chart] == ["2026-10", "2026-11"]
    assert [(b.key, b.percent) for b in chart[0][1] if b.value] == [("files_created", 25.0), ("files_forwarded", 100.0)]
    assert chart[1][1][0].percent == 50.0
    assert domain.monthly_chart({"columns": ["month"], "rows": []}) is None


def test_the_rank_chart_puts_the_first_rank_at_the_top():
    chart = domain.rank_chart([("2026-W47", 3), ("2026-W48", 1), ("2026-W49", 2)], height=100, pad=10)
    assert [(y, rank) for _, y, _, rank in chart.dots] == [(90.0, 3), (10.0, 1), (50.0, 2)]
    assert domain.rank_chart([("2026-W49", 1)]).dots[0][1] == 28  # one rank: at the top
    assert domain.rank_chart([]) is None


def test_a_chosen_report_scope_becomes_the_metrics_parameter():
    assert domain.report_scope("district:JJR") == {"district": "JJR"}
    assert domain.report_scope("office:HR-JJR-DC1") == {"office": "HR-JJR-DC1"}
    assert domain.report_scope("state:HR") == domain.report_scope("") == domain.report_scope(None) == {}
    assert domain.report_scope("holder:someone") == domain.report_scope("district:") == {}


def test_the_dispatch_report_is_asked_per_the_unit_chosen_and_charted_from_its_totals():
    from werkzeug.datastructures import MultiDict

    from desk.usecases.reports import report_params

    chosen = MultiDict({"by": "district", "scope": "district:JJR", "from": "2026-11-01"})
    assert report_params("dispatch", chosen) == {"by": "district", "district": "JJR", "from": "2026-11-01"}
    assert "by" not in report_params("pendency", chosen)
    assert "by" not in report_params("dispatch", MultiDict({"by": "ward"}))
    report = {"columns": ["week", "district", "district_name_en", "district_name_hi", "issued", "inside", "reached", "opened",
                          "by_email", "emailed", "bounced", "posted", "awaiting"],
              "rows": [{"week": "2026-W47", "district": "JJR", "issued": 9, "reached": 4},
                       {"week": "2026-W47", "district": "ALL", "issued": 9, "reached": 4, "awaiting": 3},
                       {"week": "2026-W48", "district": "ALL", "issued": 1, "posted": 1}]}
    bars = {bar.key: (bar.value, bar.percent) for bar in domain.dispatch_chart(report)}
    assert bars["issued"] == (10, 100.0) and bars["reached"] == (4, 40.0) and bars["awaiting"] == (3, 30.0)
    assert domain.dispatch_chart({"columns": ["office"], "rows": []}) is None


def test_only_officers_of_another_district_not_yet_confirmed_need_confirming():
    from desk.domain import unconfirmed_elsewhere

    chosen = [{"id": "so.jhs", "own_district": True}, {"id": "so.lko", "own_district": False}, {"id": "so.llp", "own_district": False}]
    assert [p["id"] for p in unconfirmed_elsewhere(chosen, set())] == ["so.lko", "so.llp"]
    assert [p["id"] for p in unconfirmed_elsewhere(chosen, {"so.lko"})] == ["so.llp"]
    assert unconfirmed_elsewhere(chosen, {"so.lko", "so.llp"}) == []


def test_the_user_form_becomes_daks_record_with_blanks_as_none_and_roles_as_ticked():
    from werkzeug.datastructures import MultiDict

    from desk.domain import directory_user_body, directory_user_values

    form = MultiDict([("name_en", " Kamla Devi "), ("name_hi", "कमला देवी"), ("office", "COLL-JHS"), ("section", ""),
                      ("roles", "clerk"), ("roles", "officer"), ("email", "")])
    body = directory_user_body(form)
    assert (body["name_en"], body["name_hi"], body["section"], body["email"]) == ("Kamla Devi", "कमला देवी", None, None)
    assert (body["roles"], body["clearance"], body["language"]) == (["clerk", "officer"], "normal", "hi")
    values = directory_user_values({"name_hi": "कमला देवी", "roles": ["clerk", "officer"], "office": "COLL-JHS"})
    assert values.getlist("roles") == ["clerk", "officer"] and values["name_hi"] == "कमला देवी" and values["section"] == ""
