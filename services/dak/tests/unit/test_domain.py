from datetime import date, datetime, timedelta, timezone

import pytest

from dak import domain
from dak.domain import Move, ReceiptView
from dak.exceptions import (
    AlreadyReceived,
    InvalidRecipients,
    NothingToReplyTo,
    NotHolder,
    NotPhysical,
    ReceiptNotFound,
    ReceiptNotOpen,
    ScansRequired,
)


def receipt(**overrides):
    values = dict(
        id="r1", office="COLL-JHS", created_by="diarist.jhs", holder="diarist.jhs", status="open",
        kind="physical", classification="normal", received=False, movements=[],
    )
    values.update(overrides)
    return ReceiptView(**values)


def test_receipt_numbers_read_serial_year_office():
    assert domain.receipt_number(81829, 2023, "ARC-DARPG") == "81829/2023/ARC-DARPG"


def test_the_diary_year_turns_at_midnight_in_india():
    new_years_eve_utc = datetime(2025, 12, 31, 18, 45, tzinfo=timezone.utc)  # 00:15 on 1 Jan in IST
    assert domain.diary_year(new_years_eve_utc) == 2026
    assert domain.diary_year(new_years_eve_utc - timedelta(hours=1)) == 2025


def test_language_is_detected_from_devanagari():
    assert domain.detect_language("भूमि अभिलेख") == "hi"
    assert domain.detect_language("Land records") == "en"


def test_those_cleared_for_a_receipt_are_its_creator_and_everyone_it_was_sent_to():
    r = receipt(classification="secret", movements=[Move("diarist.jhs", "so.jhs"), Move("diarist.jhs", "adm.jhs", copy=True),
                                                    Move("so.jhs", "clerk.jhs")])
    assert domain.cleared_for(r) == {"diarist.jhs", "so.jhs", "adm.jhs", "clerk.jhs"}


@pytest.mark.parametrize("classification", ["secret", "top_secret"])
def test_restricted_receipts_are_seen_only_by_creator_and_recipients(classification):
    r = receipt(classification=classification, movements=[Move("diarist.jhs", "so.jhs")])
    assert domain.can_view(r, "diarist.jhs", "COLL-JHS")
    assert domain.can_view(r, "so.jhs", "COLL-JHS")
    assert not domain.can_view(r, "dm.jhs", "COLL-JHS")
    with pytest.raises(ReceiptNotFound):
        domain.ensure_visible(r, "dm.jhs", "COLL-JHS")


def test_normal_receipts_are_seen_within_the_office_only():
    r = receipt()
    assert domain.can_view(r, "dm.jhs", "COLL-JHS")
    assert not domain.can_view(r, "sto.jhs", "TRY-JHS")


def test_only_the_holder_sends_and_the_first_recipient_becomes_holder():
    r = receipt()
    moves = domain.plan_send(r, "diarist.jhs", ["so.jhs", "adm.jhs"], {"so.jhs", "adm.jhs"})
    assert moves == [Move("diarist.jhs", "so.jhs"), Move("diarist.jhs", "adm.jhs", copy=True)]
    with pytest.raises(NotHolder):
        domain.plan_send(r, "so.jhs", ["adm.jhs"], {"adm.jhs"})


@pytest.mark.parametrize(
    "recipients, known",
    [([], set()), (["so.jhs", "so.jhs"], {"so.jhs"}), (["diarist.jhs"], {"diarist.jhs"}), (["ghost"], set())],
)
def test_bad_recipient_lists_are_refused(recipients, known):
    with pytest.raises(InvalidRecipients):
        domain.plan_send(receipt(), "diarist.jhs", recipients, known)


def test_a_closed_or_filed_receipt_does_not_move():
    for status in ("closed", "in_file"):
        with pytest.raises(ReceiptNotOpen):
            domain.plan_send(receipt(status=status), "diarist.jhs", ["so.jhs"], {"so.jhs"})


def test_a_reply_goes_back_to_who_sent_it_not_to_a_copy_sender():
    r = receipt(
        holder="so.jhs",
        movements=[Move("diarist.jhs", "so.jhs"), Move("adm.jhs", "so.jhs", copy=True)],
    )
    assert domain.reply_target(r, "so.jhs") == "diarist.jhs"
    with pytest.raises(NothingToReplyTo):
        domain.reply_target(receipt(), "diarist.jhs")


def test_only_an_unreceived_physical_receipt_is_received():
    domain.check_receive(receipt(), "diarist.jhs")
    with pytest.raises(NotPhysical):
        domain.check_receive(receipt(kind="electronic"), "diarist.jhs")
    with pytest.raises(AlreadyReceived):
        domain.check_receive(receipt(received=True), "diarist.jhs")


def test_electronic_receipts_need_a_scan_or_a_body_and_physical_ones_carry_none():
    with pytest.raises(ScansRequired):
        domain.check_new_receipt("electronic", 0)
    domain.check_new_receipt("electronic", 0, has_body_text=True)
    domain.check_new_receipt("electronic", 2)
    with pytest.raises(ScansRequired):
        domain.check_new_receipt("physical", 1)


def test_duplicates_are_checked_only_when_the_letter_is_identified():
    assert domain.possible_duplicate("DARPG", "A-12/2026", date(2026, 11, 1))
    assert not domain.possible_duplicate("DARPG", None, date(2026, 11, 1))
