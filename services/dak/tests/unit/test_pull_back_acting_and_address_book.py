"""Pull back, sends to an officer on leave, the address book and the sender's acknowledgement, as
use cases on the in-memory unit of work: state and committed events."""
from dataclasses import replace
from datetime import timedelta

import pytest

from dak import acting, acting_usecases, commands, domain, exceptions, usecases
from dak.events import (
    ActingChargeEnded,
    ActingChargeSet,
    ReceiptClosed,
    ReceiptDiarised,
    ReceiptPulledBack,
    ReceiptSent,
)
from dak.model import Dispatch

from .test_usecases import LETTER, diarised, sent

TODAY = domain.today_ist()


def pull_back(uow, receipt, by="diarist.jhs"):
    return usecases.pull_back(commands.PullBack(receipt.id, by, "COLL-JHS"), uow)


def on_leave(uow, absent="so.jhs", acting_user="clerk.jhs", by=None, days=2, hand_over=False, starts_in=0):
    return acting_usecases.set_acting_charge(acting_usecases.SetActingCharge(
        by=by or absent, absent_user=absent, acting_user=acting_user, from_date=TODAY + timedelta(days=starts_in),
        to_date=TODAY + timedelta(days=starts_in + days), reason="अर्जित अवकाश / earned leave", hand_over=hand_over), uow)


# --- pull back -----------------------------------------------------------------------------------

def test_the_sender_pulls_back_a_receipt_its_holder_has_not_opened(uow):
    receipt = sent(uow, diarised(uow))
    pull_back(uow, receipt)
    stored = uow.receipts.get(receipt.id)
    assert stored.holder_id == "diarist.jhs"
    assert [(m.action, m.from_user, m.to_user) for m in stored.movements][-1] == ("pull_back", "so.jhs", "diarist.jhs")
    (event,) = uow.events_of(ReceiptPulledBack)
    assert (event.by_user, event.from_user, event.receipt_number) == ("diarist.jhs", "so.jhs", receipt.receipt_number)


def test_once_the_holder_opens_it_the_receipt_is_not_pulled_back(uow):
    receipt = sent(uow, diarised(uow))
    usecases.open_receipt(commands.OnReceipt(receipt.id, "so.jhs", "COLL-JHS"), uow)
    with pytest.raises(exceptions.ReceiptAlreadyOpened):
        pull_back(uow, receipt)
    assert uow.receipts.get(receipt.id).holder_id == "so.jhs" and uow.events_of(ReceiptPulledBack) == []


def test_only_whoever_sent_it_pulls_it_back(uow):
    receipt = sent(uow, diarised(uow))
    with pytest.raises(exceptions.NotSender):
        pull_back(uow, receipt, by="adm.jhs")
    with pytest.raises(exceptions.NotSender):
        pull_back(uow, diarised(uow))  # never sent: its diarist holds it
    assert uow.receipts.get(receipt.id).holder_id == "so.jhs"


# --- acting charge -------------------------------------------------------------------------------

def test_a_receipt_sent_to_an_officer_on_leave_reaches_the_acting_officer_marked_for_them(uow):
    charge = on_leave(uow)
    assert isinstance(uow.committed_events[-1], ActingChargeSet) and uow.committed_events[-1].district == "JHS"
    receipt = sent(uow, diarised(uow), to=["so.jhs", "adm.jhs"])
    stored = uow.receipts.get(receipt.id)
    assert stored.holder_id == "clerk.jhs"
    assert [(m.to_user, m.for_user, m.copy) for m in stored.movements] == [("clerk.jhs", "so.jhs", False), ("adm.jhs", None, True)]
    event = uow.events_of(ReceiptSent)[-1]
    assert (event.to_user, event.for_user, event.copies_to) == ("clerk.jhs", "so.jhs", ["adm.jhs"])
    acting_usecases.end_acting_charge(acting_usecases.EndActingCharge("so.jhs", charge.id), uow)
    assert isinstance(uow.committed_events[-1], ActingChargeEnded)
    again = sent(uow, diarised(uow))
    assert uow.receipts.get(again.id).holder_id == "so.jhs" and uow.events_of(ReceiptSent)[-1].for_user is None


def test_what_the_acting_officer_does_with_a_receipt_held_for_the_absent_officer_is_on_their_behalf(uow):
    on_leave(uow)
    receipt = sent(uow, diarised(uow))  # clerk.jhs holds it for so.jhs
    sent(uow, receipt, by="clerk.jhs", to=["adm.jhs"])
    assert uow.events_of(ReceiptSent)[-1].on_behalf_of == "so.jhs"
    pull_back(uow, receipt, by="clerk.jhs")
    usecases.close(commands.CloseReceipt(receipt.id, "clerk.jhs", "COLL-JHS", "निस्तारित"), uow)
    moves = [(m.action, m.from_user, m.to_user, m.for_user, m.on_behalf_of) for m in uow.receipts.get(receipt.id).movements]
    assert moves == [("send", "diarist.jhs", "clerk.jhs", "so.jhs", None), ("send", "clerk.jhs", "adm.jhs", None, "so.jhs"),
                     ("pull_back", "adm.jhs", "clerk.jhs", "so.jhs", "so.jhs")]
    assert uow.events_of(ReceiptClosed)[-1].on_behalf_of == "so.jhs"
    other = sent(uow, diarised(uow), to=["adm.jhs"])  # adm.jhs is not away: nothing on anyone's behalf
    usecases.close(commands.CloseReceipt(other.id, "adm.jhs", "COLL-JHS", "निस्तारित"), uow)
    assert uow.events_of(ReceiptClosed)[-1].on_behalf_of is None


def test_generate_and_send_to_an_officer_on_leave_goes_to_the_acting_officer(uow):
    on_leave(uow)
    receipt = diarised(uow, send=Dispatch(to=["so.jhs"]))
    assert uow.receipts.get(receipt.id).holder_id == "clerk.jhs"
    assert (uow.events_of(ReceiptSent)[-1].to_user, uow.events_of(ReceiptSent)[-1].for_user) == ("clerk.jhs", "so.jhs")


def test_a_reply_to_an_officer_on_leave_goes_to_the_acting_officer(uow):
    receipt = sent(uow, diarised(uow))
    on_leave(uow, absent="diarist.jhs", acting_user="adm.jhs")
    usecases.reply(commands.ReplyToReceipt(receipt.id, "so.jhs", "COLL-JHS"), uow)
    assert uow.receipts.get(receipt.id).holder_id == "adm.jhs"
    assert uow.events_of(ReceiptSent)[-1].for_user == "diarist.jhs"


def test_only_the_officer_or_their_admin_sets_their_leave_and_overlaps_are_refused(uow):
    with pytest.raises(acting.NotYourCharge):
        on_leave(uow, by="adm.jhs")
    on_leave(uow)
    with pytest.raises(acting.ChargeOverlaps):
        on_leave(uow, acting_user="adm.jhs")
    assert len(uow.events_of(ActingChargeSet)) == 1


def test_an_officer_going_on_leave_who_chose_to_hands_the_receipts_they_hold_to_the_acting_officer(uow):
    held = [sent(uow, diarised(uow), due_date=TODAY + timedelta(days=5), priority="urgent"), sent(uow, diarised(uow))]
    closed = sent(uow, diarised(uow))
    usecases.close(commands.CloseReceipt(closed.id, "so.jhs", "COLL-JHS", "निस्तारित"), uow)
    elsewhere = diarised(uow)
    on_leave(uow, hand_over=True)
    (announced,) = uow.events_of(ActingChargeSet)
    assert announced.hand_over is True
    for receipt in held:
        stored = uow.receipts.get(receipt.id)
        assert stored.holder_id == "clerk.jhs"
        last = stored.movements[-1]
        assert (last.action, last.from_user, last.to_user, last.for_user, last.remarks) == (
            "hand_over", "so.jhs", "clerk.jhs", "so.jhs", "handed over on leave")
    handed = [e for e in uow.events_of(ReceiptSent) if e.action == "hand_over"]
    assert sorted(e.receipt_id for e in handed) == sorted(r.id for r in held)
    assert all((e.from_user, e.to_user, e.for_user) == ("so.jhs", "clerk.jhs", "so.jhs") for e in handed)
    # Due when it was due to the absent officer: reminders follow the acting one.
    assert sorted((e.due_date or "", e.priority) for e in handed) == sorted([((TODAY + timedelta(days=5)).isoformat(), "urgent"), ("", "normal")])
    assert uow.receipts.get(closed.id).holder_id == "so.jhs" and uow.receipts.get(elsewhere.id).holder_id == "diarist.jhs"


def test_without_the_choice_the_absent_officers_receipts_wait_and_a_leave_to_come_hands_over_nothing(uow):
    receipt = sent(uow, diarised(uow))
    on_leave(uow)
    assert uow.receipts.get(receipt.id).holder_id == "so.jhs"
    assert uow.events_of(ActingChargeSet)[-1].hand_over is False
    with pytest.raises(acting.ChargeRefused) as refused:
        on_leave(uow, absent="adm.jhs", acting_user="so.jhs", hand_over=True, starts_in=3)
    assert refused.value.fields == {"hand_over": "the leave has not begun"}
    assert len(uow.events_of(ActingChargeSet)) == 1


# --- the address book and the acknowledgement ----------------------------------------------------

def test_every_diarisation_but_a_copy_remembers_its_sender(uow):
    receipt = diarised(uow, letter=replace(LETTER, sender_email="ram.prasad@example.in"))
    diarised(uow, letter=replace(LETTER, sender_name="राम  प्रसाद", sender_mobile="9876543210"))
    usecases.copy_receipt(commands.OnReceipt(receipt.id, "diarist.jhs", "COLL-JHS"), uow)
    (entry,) = uow.address_book.correspondents.values()
    assert (entry.letters, entry.email, entry.mobile) == (2, "ram.prasad@example.in", "9876543210")


def test_the_sender_is_acknowledged_at_their_email_unless_the_office_or_the_diarist_says_no(uow):
    diarised(uow, letter=replace(LETTER, sender_email="ram.prasad@example.in"))
    assert uow.events_of(ReceiptDiarised)[-1].acknowledge_to == {
        "email": "ram.prasad@example.in", "mobile": None, "name": "राम प्रसाद", "subject": LETTER.subject}
    diarised(uow, letter=replace(LETTER, sender_email="ram.prasad@example.in"), acknowledge=False)
    diarised(uow)  # no email, no mobile: nobody to tell
    usecases.set_acknowledgements(commands.SetAcknowledgements("COLL-JHS", False), uow)
    diarised(uow, letter=replace(LETTER, sender_mobile="9876543210"))
    diarised(uow, letter=replace(LETTER, sender_mobile="9876543210"), acknowledge=True)
    assert [e.acknowledge_to is not None for e in uow.events_of(ReceiptDiarised)] == [True, False, False, False, True]
