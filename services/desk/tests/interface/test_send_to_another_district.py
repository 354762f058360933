"""Sending to an officer of another district takes a confirmation step, server-side (so it works
without JavaScript): the desk names the officer and their district and sends nothing until confirmed."""
from ..conftest import RECEIPT_LINK


def diarised(clerk):
    response = clerk.post("/diarise", {"kind": "physical", "delivery_mode": "post", "sender_name": "रमेश चंद्र",
                                       "subject": "हैंडपंप की मरम्मत", "action": "generate"})
    return RECEIPT_LINK.search(response.url).group(1)


def test_a_send_to_another_district_is_sent_only_once_confirmed(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    receipt_id = diarised(clerk)
    asked = clerk.post(f"/receipts/{receipt_id}/send", {"to": ["so.jhs", "so.lko"], "remarks": "शीघ्र", "priority": "urgent"})
    assert asked.status_code == 409
    assert 'data-other-district="so.lko"' in asked.text and 'data-other-district="so.jhs"' not in asked.text
    assert "लखनऊ ज़िले में हैं" in asked.text and "पुष्टि करें और भेजें" in asked.text
    assert 'name="confirm_district" value="so.lko"' in asked.text and "शीघ्र" in asked.text  # the remarks are kept
    page = clerk.get(f"/receipts/{receipt_id}")
    assert f'action="/receipts/{receipt_id}/pull_back"' not in page.text  # nothing was sent

    sent = clerk.post(f"/receipts/{receipt_id}/send", {"to": ["so.jhs", "so.lko"], "confirm_district": "so.lko",
                                                        "remarks": "शीघ्र", "priority": "urgent"})
    assert sent.status_code == 200 and sent.url.endswith(f"/receipts/{receipt_id}")
    assert f'action="/receipts/{receipt_id}/pull_back"' in sent.text  # sent: its sender may pull it back


def test_a_send_within_the_district_needs_no_confirmation(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    receipt_id = diarised(clerk)
    sent = clerk.post(f"/receipts/{receipt_id}/send", {"to": "so.jhs"})
    assert sent.status_code == 200 and sent.url.endswith(f"/receipts/{receipt_id}")


def test_a_bulk_send_from_the_inbox_to_another_district_is_confirmed_first(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    receipts = [diarised(clerk), diarised(clerk)]
    asked = clerk.post("/inbox/receipts", {"bulk_action": "send", "receipt": receipts, "to": "so.lko", "remarks": "शीघ्र"})
    assert asked.status_code == 409 and 'data-other-district="so.lko"' in asked.text
    assert all(f'name="receipt" value="{r}"' in asked.text for r in receipts)
    assert f'action="/receipts/{receipts[0]}/pull_back"' not in clerk.get(f"/receipts/{receipts[0]}").text  # nothing sent
    sent = clerk.post("/inbox/receipts", {"bulk_action": "send", "receipt": receipts, "to": "so.lko", "confirm_district": "so.lko",
                                          "remarks": "शीघ्र"})
    assert sent.status_code == 200 and sent.url.endswith("/inbox")
    assert all(f'action="/receipts/{r}/pull_back"' in clerk.get(f"/receipts/{r}").text for r in receipts)
