"""A classified receipt goes only to whoever is cleared for it (normal < confidential < secret < top_secret),
as use cases on the in-memory unit of work: a refusal changes and announces nothing."""
from dataclasses import replace

import pytest

from dak import commands, exceptions, usecases
from dak.events import ReceiptSent
from dak.model import Dispatch

from .test_pull_back_acting_and_address_book import on_leave, pull_back
from .test_usecases import LETTER, diarised, sent

SECRET = replace(LETTER, classification="secret", subject="गोपनीय जाँच")


def test_a_secret_receipt_is_not_sent_to_an_officer_cleared_for_normal_only_and_nothing_changes(uow):
    receipt = diarised(uow, letter=SECRET)
    events_before = len(uow.committed_events)
    with pytest.raises(exceptions.RecipientNotCleared) as refused:
        sent(uow, receipt, to=["clerk.jhs"])
    assert refused.value.to_dict() | {"message": None} == {
        "error": "recipient_not_cleared", "message": None, "fields": {"to": "not cleared for secret: clerk.jhs"},
        "classification": "secret", "refused": [{"recipient": "clerk.jhs", "clearance": "normal", "acting_for": None}],
    }
    stored = uow.receipts.get(receipt.id)
    assert (stored.holder_id, stored.movements, len(uow.committed_events)) == ("diarist.jhs", [], events_before)
    assert sent(uow, receipt, to=["so.jhs"]).holder_id == "so.jhs"


def test_a_receipt_marked_to_several_is_refused_if_any_of_them_is_not_cleared(uow):
    receipt = diarised(uow, letter=replace(LETTER, classification="confidential"))
    with pytest.raises(exceptions.RecipientNotCleared) as refused:
        sent(uow, receipt, to=["so.jhs", "clerk.jhs", "adm.jhs"])
    assert [r["recipient"] for r in refused.value.refused] == ["clerk.jhs"]
    assert uow.receipts.get(receipt.id).movements == []
    sent(uow, receipt, to=["so.jhs", "adm.jhs"])
    assert uow.events_of(ReceiptSent)[-1].copies_to == ["adm.jhs"]


def test_generate_and_send_of_a_secret_letter_to_an_officer_not_cleared_diarises_nothing(uow):
    with pytest.raises(exceptions.RecipientNotCleared):
        diarised(uow, letter=SECRET, send=Dispatch(to=["clerk.jhs"]))
    assert uow.receipts.stored == {} and uow.committed_events == []


def test_a_receipt_for_an_officer_away_is_refused_when_the_acting_officer_is_not_cleared(uow):
    on_leave(uow, absent="so.jhs", acting_user="clerk.jhs")
    receipt = diarised(uow, letter=SECRET)
    with pytest.raises(exceptions.RecipientNotCleared) as refused:
        sent(uow, receipt, to=["so.jhs"])
    assert refused.value.refused == [{"recipient": "clerk.jhs", "clearance": "normal", "acting_for": "so.jhs"}]
    assert uow.receipts.get(receipt.id).holder_id == "diarist.jhs"


def test_a_receipt_is_not_pulled_back_or_replied_to_an_officer_whose_clearance_was_lowered(uow):
    receipt = sent(uow, diarised(uow, user="so.jhs", letter=SECRET), by="so.jhs", to=["adm.jhs"])
    uow.directory.officers["so.jhs"] = replace(uow.directory.officers["so.jhs"], clearance="confidential")
    with pytest.raises(exceptions.RecipientNotCleared):
        pull_back(uow, receipt, by="so.jhs")
    with pytest.raises(exceptions.RecipientNotCleared):
        usecases.reply(commands.ReplyToReceipt(receipt.id, "adm.jhs", "COLL-JHS", remarks="देखा"), uow)
    assert uow.receipts.get(receipt.id).holder_id == "adm.jhs"


def test_receipts_above_the_acting_officers_clearance_stay_with_the_officer_going_on_leave(uow):
    normal = sent(uow, diarised(uow))
    secret = sent(uow, diarised(uow, letter=SECRET))
    on_leave(uow, absent="so.jhs", acting_user="clerk.jhs", hand_over=True)
    assert (uow.receipts.get(normal.id).holder_id, uow.receipts.get(secret.id).holder_id) == ("clerk.jhs", "so.jhs")


def test_a_transfer_leaves_receipts_above_the_successors_clearance_with_the_officer_leaving(uow):
    normal = sent(uow, diarised(uow))
    secret = sent(uow, diarised(uow, letter=SECRET))
    assert usecases.transfer_receipts(commands.TransferReceipts("so.jhs", "clerk.jhs", "admin.jhs"), uow) == 1
    assert (uow.receipts.get(normal.id).holder_id, uow.receipts.get(secret.id).holder_id) == ("clerk.jhs", "so.jhs")
