"""Leave and pull back through the desk: an officer sets who acts for them, a receipt sent to them
reaches the acting officer, and its sender pulls it back before it is opened."""
from datetime import datetime, timedelta

from desk.domain import IST

from ..conftest import RECEIPT_LINK


def test_an_officer_sets_leave_and_a_receipt_sent_to_them_is_pulled_back_from_the_acting_officer(browser):
    today = datetime.now(IST).date()
    officer = browser()
    officer.sign_in("so.jhs")
    assert officer.get("/leave").status_code == 200
    refused = officer.post("/leave", {"acting_user": "nobody.jhs", "from_date": today.isoformat(), "to_date": today.isoformat()})
    assert refused.status_code == 422 and 'id="e-acting_user"' in refused.text
    done = officer.post("/leave", {"acting_user": "cm.jhs", "from_date": today.isoformat(),
                                   "to_date": (today + timedelta(days=1)).isoformat(), "reason": "अर्जित अवकाश"})
    assert done.status_code == 200 and done.url.endswith("/leave")
    assert 'data-charge="so.jhs" data-in-force="yes"' in done.text

    clerk = browser()
    clerk.sign_in("diarist.jhs")
    diarised = clerk.post("/diarise", {"kind": "physical", "delivery_mode": "post", "sender_name": "रमेश चंद्र",
                                       "subject": "पेंशन प्रकरण में अनुस्मारक", "action": "generate"})
    receipt_id = RECEIPT_LINK.search(diarised.url).group(1)
    sent = clerk.post(f"/receipts/{receipt_id}/send", {"to": "so.jhs", "remarks": "अवलोकनार्थ"})
    assert sent.status_code == 200
    assert f'action="/receipts/{receipt_id}/pull_back"' in sent.text  # not opened yet: the sender may pull it back
    pulled = clerk.post(f"/receipts/{receipt_id}/pull_back")
    assert pulled.status_code == 200 and "प्राप्ति वापस ली गई।" in pulled.text
    assert f'action="/receipts/{receipt_id}/pull_back"' not in pulled.text
