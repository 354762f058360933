"""The letters pages that use dak's address book, its acknowledgement setting and hand-over on leave,
without JavaScript: the diarise form offers the office's correspondents, /address-book suggests them
whatever the Hindi spelling, an admin turns acknowledgements off and on, and an officer going on leave
hands over the receipts they hold."""
import re
from datetime import datetime, timedelta

from desk.domain import IST

from ..conftest import RECEIPT_LINK

JSON = {"Accept": "application/json"}


def diarise(browser, sender_name, subject, **fields):
    answer = browser.post("/diarise", {"kind": "physical", "delivery_mode": "post", "sender_name": sender_name,
                                       "subject": subject, "action": "generate", **fields})
    assert answer.status_code == 200, answer.text[:500]
    return RECEIPT_LINK.search(answer.url).group(1)


def test_the_diarise_form_offers_the_address_book_and_suggests_correspondents_however_spelt(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    diarise(clerk, "सुनीता देवी", "वृद्धावस्था पेंशन हेतु आवेदन", sender_organisation="ग्राम पंचायत बड़ागाँव",
            sender_email="pradhan.badagaon@gp.example.in", sender_address="ग्राम बड़ागाँव, तहसील मऊरानीपुर")
    form = clerk.get("/diarise").text
    assert '<datalist id="address-book-names"><option value="सुनीता देवी" label="ग्राम पंचायत बड़ागाँव">' in form
    assert 'list=address-book-names autocomplete=off data-address-book=sender' in form
    assert '<option value="ग्राम पंचायत बड़ागाँव"></option>' in form

    # Typed without the nukta and with an anusvara for the chandrabindu: the same correspondent.
    found = clerk.get("/address-book", params={"q": "बडागांव पंचायत"}, headers=JSON)
    assert found.status_code == 200
    [sunita] = found.json()["correspondents"]
    assert (sunita["name"], sunita["email"], sunita["address"]) == (
        "सुनीता देवी", "pradhan.badagaon@gp.example.in", "ग्राम बड़ागाँव, तहसील मऊरानीपुर")
    assert clerk.get("/address-book", params={"q": "nobody"}, headers=JSON).json() == {"correspondents": []}
    # Each office has its own book.
    elsewhere = browser()
    elsewhere.sign_in("sto.jhs")
    assert elsewhere.get("/address-book", params={"q": "सुनीता"}, headers=JSON).json() == {"correspondents": []}


def test_an_admin_turns_the_acknowledgement_to_senders_off_and_on(browser):
    admin = browser()
    admin.sign_in("admin.jhs")
    page = admin.get("/admin")
    assert page.status_code == 200 and 'data-acknowledgements="on"' in page.text
    assert 'action="/admin/acknowledgements"' in page.text
    refused = admin.post("/admin/acknowledgements", {})
    assert refused.status_code == 422 and 'id="e-enabled"' in refused.text
    off = admin.post("/admin/acknowledgements", {"enabled": "off"})
    assert off.status_code == 200 and off.url.endswith("/admin#acknowledgements")
    assert 'data-acknowledgements="off"' in off.text
    assert 'value="off" checked' in off.text
    on = admin.post("/admin/acknowledgements", {"enabled": "on"})
    assert 'data-acknowledgements="on"' in on.text
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    assert clerk.get("/admin").status_code == 404
    assert clerk.post("/admin/acknowledgements", {"enabled": "off"}).status_code == 404


def test_an_officer_going_on_leave_ticks_hand_over_and_the_receipts_they_hold_go_to_the_acting_officer(browser):
    today = datetime.now(IST).date()
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    receipt_id = diarise(clerk, "रमेश चंद्र", "भूमि विवाद प्रकरण")
    assert clerk.post(f"/receipts/{receipt_id}/send", {"to": "so.jhs"}).status_code == 200

    officer = browser()
    officer.sign_in("so.jhs")
    form = officer.get("/leave")
    assert 'name="hand_over"' in form.text
    later = officer.post("/leave", {"acting_user": "cm.jhs", "from_date": (today + timedelta(days=1)).isoformat(),
                                    "to_date": (today + timedelta(days=2)).isoformat(), "hand_over": "yes"})
    assert later.status_code == 422 and 'id="e-hand_over"' in later.text
    assert 'name="hand_over" value="yes" checked' in later.text
    done = officer.post("/leave", {"acting_user": "cm.jhs", "from_date": today.isoformat(),
                                   "to_date": (today + timedelta(days=1)).isoformat(), "hand_over": "yes"})
    assert done.status_code == 200 and done.url.endswith("/leave")

    acting = browser()
    acting.sign_in("cm.jhs")
    page = acting.get(f"/receipts/{receipt_id}")
    assert page.status_code == 200
    assert '<li data-movement="hand_over">' in page.text and "अवकाश पर सौंपी गई" in page.text
    assert "के लिए, जो अनुपस्थित हैं" in page.text  # held for the absent officer
    assert 'href="?dialog=send#send"' in page.text  # the acting officer holds it now


def test_a_clerk_adds_finds_by_a_spelling_variant_and_corrects_a_correspondent_on_the_address_book_page(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    page = clerk.get("/correspondents")
    assert page.status_code == 200 and 'href="/correspondents" aria-current="page"' in page.text
    added = clerk.post("/correspondents", {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव", "pincode": "284204",
                                           "mobile": "9876543210", "email": ""})
    assert added.status_code == 200 and "/correspondents?q=" in added.url
    found = clerk.get("/correspondents", params={"q": "बडागांव"}).text
    [entry_id] = re.findall(r'data-correspondent="(\d+)"', found)
    assert "सुनीता देवी" in found and 'data-letters="0"' in found

    duplicate = clerk.post("/correspondents", {"name": "सुनीता  देवी", "organisation": "ग्राम पंचायत बडागाँव"})
    assert duplicate.status_code == 409 and 'id="e-name"' in duplicate.text
    assert f'data-correspondent="{entry_id}"' in duplicate.text  # the entry there already, to edit instead
    invalid = clerk.post("/correspondents", {"name": "राम प्रसाद", "pincode": "2842", "mobile": "12345", "email": "x@"})
    assert invalid.status_code == 422 and all(f'id="e-{name}"' in invalid.text for name in ("pincode", "mobile", "email"))
    assert 'value="राम प्रसाद"' in invalid.text

    editing = clerk.get("/correspondents", params={"q": "सुनीता", "edit": entry_id}).text
    assert f'action="/correspondents/{entry_id}?q=' in editing and 'value="284204"' in editing
    saved = clerk.post(f"/correspondents/{entry_id}", {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव",
                                                       "address": "पोस्ट रानीपुर", "pincode": "284205"})
    assert saved.status_code == 200 and "पोस्ट रानीपुर, 284205" in saved.text

    elsewhere = browser()
    elsewhere.sign_in("clerk.llp")
    assert 'data-correspondent=' not in elsewhere.get("/correspondents", params={"q": "सुनीता"}).text
    refused = elsewhere.post(f"/correspondents/{entry_id}", {"name": "बदला हुआ नाम"})
    assert refused.status_code == 404
