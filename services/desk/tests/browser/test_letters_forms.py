"""The letters forms in Chromium at 360 px and 1366 px: the diarise form suggests a regular correspondent
from the address book as the name is typed in another Hindi spelling and fills their sender block, the
issue form fills an outside addressee from it; the admin area turns the acknowledgement to senders off;
an officer going on leave hands over what they hold, and the Send dialog then says they are away.
Nothing scrolls sideways."""
import time
from datetime import datetime, timedelta

import requests

from desk.domain import IST
from eoffice_common.auth import Principal, issue_token
from eoffice_common.testing import TEST_JWT_PRIVATE_KEY

from .test_every_page_on_a_phone import DESKTOP, PHONE, sign_in


def overflow_at_both_widths(page):
    """{width: pixels wider than the window} where the page scrolls sideways."""
    wide = {}
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if extra > 0:
            wide[size["width"]] = extra
    page.set_viewport_size(PHONE)
    return wide


def diarise(page, base, sender_name, **fields):
    page.goto(f"{base}/diarise")
    page.check("input[name=kind][value=physical]")
    page.fill("#f-subject", "वृद्धावस्था पेंशन हेतु आवेदन")
    page.fill("#f-sender_name", sender_name)
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)
    page.click("button[value=generate]")
    page.wait_for_url("**/receipts/*")


def test_letters_forms_suggest_correspondents_set_acknowledgements_and_hand_over_on_a_phone(eoffice, chromium):
    base = eoffice.desk
    clerk = chromium.page("clerk", 360, 740)
    sign_in(clerk, base, "clerk.jhs")
    diarise(clerk, base, "सुनीता देवी", sender_organisation="ग्राम पंचायत बड़ागाँव", sender_email="pradhan.badagaon@gp.example.in",
            sender_address="ग्राम बड़ागाँव, तहसील मऊरानीपुर", sender_pincode="284204")
    receipt_url = clerk.url().split("?")[0]

    # The next letter from her: typed without the nukta and with an anusvara, she is suggested, and chosen.
    clerk.goto(f"{base}/diarise")
    assert clerk.get_attribute("#f-sender_name", "list") is None  # the suggestions replace the browser's own list
    clerk.fill("#f-sender_name", "बडागांव")
    clerk.wait_for_selector("#f-sender_name-suggestions button")
    assert "सुनीता देवी — ग्राम पंचायत बड़ागाँव" in clerk.inner_text("#f-sender_name-suggestions")
    assert overflow_at_both_widths(clerk) == {}
    clerk.shoot("diarise-address-book")
    clerk.click("#f-sender_name-suggestions button")
    filled = {name: clerk.input_value(f"#f-{name}") for name in ("sender_name", "sender_organisation", "sender_email", "sender_pincode", "sender_address")}
    assert filled == {"sender_name": "सुनीता देवी", "sender_organisation": "ग्राम पंचायत बड़ागाँव",
                      "sender_email": "pradhan.badagaon@gp.example.in", "sender_pincode": "284204",
                      "sender_address": "ग्राम बड़ागाँव, तहसील मऊरानीपुर"}
    assert not clerk.is_visible("#f-sender_name-suggestions")

    # The admin turns the acknowledgement to senders off, in the admin area, on a phone.
    admin = chromium.page("admin", 360, 740)
    sign_in(admin, base, "admin.jhs")
    admin.goto(f"{base}/admin#acknowledgements")
    assert admin.get_attribute("[data-acknowledgements]", "data-acknowledgements") == "on"
    assert overflow_at_both_widths(admin) == {}
    admin.check("#acknowledgements input[name=enabled][value=off]")
    admin.click("#acknowledgements button[type=submit]")
    admin.wait_for_selector("[data-acknowledgements='off']")
    admin.shoot("admin-acknowledgements")

    # The section officer replies to her: the issue form's outside addressee is filled from the address book.
    officer_entry = next(u for u in eoffice.demo_master["users"] if u["id"] == "so.jhs")
    headers = {"Authorization": "Bearer " + issue_token(TEST_JWT_PRIVATE_KEY, Principal("so.jhs", "COLL-JHS", tuple(officer_entry["roles"]), officer_entry["name_en"]))}
    file = requests.post(f"{eoffice.urls['files']}/files", headers=headers, timeout=30, json={
        "numbering": "non_sfs", "file_number": "REV/पेंशन/2026/7", "subject": "वृद्धावस्था पेंशन"}).json()
    requests.post(f"{eoffice.urls['files']}/files/{file['id']}/drafts", headers=headers, timeout=30, json={
        "subject": "पेंशन स्वीकृति", "content": "आपका आवेदन स्वीकृत किया गया है।"}).raise_for_status()
    officer = chromium.page("so", 360, 740)
    sign_in(officer, base, "so.jhs")
    officer.goto(f"{base}/files/{file['id']}?tab=drafts")
    officer.click("form[action$='/approve'] button")
    officer.wait_for_selector("form[action$='/issue']", state="attached")
    officer.click("form[action$='/issue'] >> xpath=.. >> summary")
    officer.fill("#f-recipient_name", "सुनीता")
    officer.wait_for_selector("#f-recipient_name-suggestions button")
    assert overflow_at_both_widths(officer) == {}
    officer.click("#f-recipient_name-suggestions button")
    assert officer.input_value("#f-recipient_name") == "सुनीता देवी"
    assert officer.input_value("#f-recipient_email") == "pradhan.badagaon@gp.example.in"
    assert officer.input_value("#f-recipient_address") == "ग्राम पंचायत बड़ागाँव, ग्राम बड़ागाँव, तहसील मऊरानीपुर, 284204"

    # The section officer is sent the letter, then goes on leave handing over what they hold.
    clerk.goto(f"{receipt_url}?dialog=send#send")
    clerk.fill("#f-q", "अनुभाग")
    clerk.wait_for_selector("#people-list input[value='so.jhs']")
    clerk.check("#people-list input[value='so.jhs']")
    clerk.click("#send button.primary")
    clerk.wait_for_selector("li[data-movement='send']")
    officer.goto(f"{base}/leave")
    assert overflow_at_both_widths(officer) == {}
    today = datetime.now(IST).date()
    officer.fill("#f-acting_user", "adm.jhs")
    officer.fill("#f-from_date", today.isoformat())
    officer.fill("#f-to_date", (today + timedelta(days=2)).isoformat())
    officer.check("input[name=hand_over]")
    officer.click("form[action='/leave'] button[type=submit]")
    officer.wait_for_selector("tr[data-charge='so.jhs']")
    assert overflow_at_both_widths(officer) == {}
    officer.shoot("leave-hand-over")
    officer.goto(receipt_url)
    assert officer.is_visible("li[data-movement='hand_over']")
    assert "अवकाश पर सौंपी गई" in officer.inner_text("li[data-movement='hand_over']")
    assert overflow_at_both_widths(officer) == {}

    # A new letter's Send dialog, listed as one types, says the section officer is away and who holds charge.
    diarise(clerk, base, "रमेश चंद्र")
    new_receipt_url = clerk.url().split("?")[0]

    def away_listed():
        clerk.goto(f"{new_receipt_url}?dialog=send#send")
        clerk.fill("#f-q", "अनुभाग")
        clerk.wait_for_selector("#people-list input[value='so.jhs']")
        return clerk.is_visible("#people-list [data-away='so.jhs']")

    deadline = time.time() + 30  # the acting charge reaches the desk by dak's event
    while not away_listed():
        assert time.time() < deadline, "the Send dialog never said the section officer is away"
        time.sleep(0.5)
    assert "सुनीता वर्मा (अपर ज़िलाधिकारी) प्रभार में हैं" in clerk.inner_text("#people-list [data-away='so.jhs']")
    assert overflow_at_both_widths(clerk) == {}
