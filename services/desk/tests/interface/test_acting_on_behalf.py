"""Leave and acting charge through the desk beside the real dak: the Send dialog marks the officer on
leave and who holds charge (from dak's acting_charge_set, copied by the desk), and what the acting
officer sends on is shown as sent on the absent officer's behalf."""
from datetime import datetime, timedelta

from desk.domain import IST

from ..conftest import RECEIPT_LINK, wait_for


def test_the_send_dialog_marks_an_officer_on_leave_and_the_acting_officer_acts_on_their_behalf(browser):
    today = datetime.now(IST).date()
    officer = browser()
    officer.sign_in("so.jhs")
    done = officer.post("/leave", {"acting_user": "cm.jhs", "from_date": today.isoformat(),
                                   "to_date": (today + timedelta(days=1)).isoformat(), "reason": "अर्जित अवकाश"})
    assert done.status_code == 200

    clerk = browser()
    clerk.sign_in("diarist.jhs")
    diarised = clerk.post("/diarise", {"kind": "physical", "delivery_mode": "post", "sender_name": "रमेश चंद्र",
                                       "subject": "पेंशन प्रकरण में अनुस्मारक", "action": "generate"})
    receipt_id = RECEIPT_LINK.search(diarised.url).group(1)
    dialog = wait_for(lambda: (page := clerk.get(f"/receipts/{receipt_id}?dialog=send&q=अनुभाग")).text.count('data-away="so.jhs"') and page,
                      what="the acting charge reaching the desk")
    until = (today + timedelta(days=1)).strftime("%d-%m-%Y")
    assert f"{until} तक अवकाश पर; मोहम्मद आरिफ़ ख़ान (नगर मजिस्ट्रेट) प्रभार में हैं" in dialog.text
    listed = clerk.get("/people", params={"q": "अनुभाग"}, headers={"Accept": "application/json"}).json()["people"]
    [away] = [p for p in listed if p["id"] == "so.jhs"]  # the sentence the dialog's script shows as one types
    assert away["away_text"] == f"{until} तक अवकाश पर; मोहम्मद आरिफ़ ख़ान (नगर मजिस्ट्रेट) प्रभार में हैं"
    assert clerk.post(f"/receipts/{receipt_id}/send", {"to": "so.jhs"}).status_code == 200

    acting = browser()
    acting.sign_in("cm.jhs")
    assert acting.post(f"/receipts/{receipt_id}/send", {"to": "diarist.jhs"}).status_code == 200
    shown = clerk.get(f"/receipts/{receipt_id}")
    assert 'data-on-behalf-of="so.jhs"' in shown.text and "की ओर से" in shown.text
