"""The address book page in Chromium at 360 px and 1366 px: a clerk adds a correspondent on a phone,
finds them by another Hindi spelling, corrects the entry; the list is cards on a phone, a table on a
desk, and nothing scrolls sideways."""
from .test_letters_forms import overflow_at_both_widths, sign_in


def test_a_clerk_adds_a_correspondent_finds_them_by_a_spelling_variant_and_corrects_them(eoffice, chromium):
    base = eoffice.desk
    clerk = chromium.page("clerk", 360, 740)
    sign_in(clerk, base, "clerk.jhs")
    clerk.click("[data-nav-button]")
    clerk.click("#nav a[href='/correspondents']")
    clerk.wait_for_url("**/correspondents")
    assert overflow_at_both_widths(clerk) == {}

    clerk.fill("#f-name", "सुनीता देवी")
    clerk.fill("#f-designation", "प्रधान")
    clerk.fill("#f-organisation", "ग्राम पंचायत बड़ागाँव, विकास खण्ड मऊरानीपुर, जनपद झाँसी")
    clerk.fill("#f-address", "ग्राम बड़ागाँव, पोस्ट रानीपुर, तहसील मऊरानीपुर, जनपद झाँसी, उत्तर प्रदेश")
    clerk.fill("#f-pincode", "284204")
    clerk.fill("#f-email", "pradhan.gram.panchayat.badagaon.mauranipur@gp.up.example.in")
    clerk.fill("#f-mobile", "9876543210")
    clerk.click("#entry button.primary")
    clerk.wait_for_selector("tr[data-correspondent]")
    assert "सुनीता देवी" in clerk.inner_text(".flash")

    # Typed without the nukta and with an anusvara for the chandrabindu: the same correspondent.
    clerk.fill("#f-q", "बडागांव")
    clerk.click("form[role=search] button[type=submit]")
    clerk.wait_for_url("**/correspondents?q=*")
    assert clerk.evaluate("document.querySelectorAll('tr[data-correspondent]').length") == 1 and "सुनीता देवी" in clerk.inner_text("tr[data-correspondent]")
    assert clerk.get_attribute("td[data-letters]", "data-letters") == "0"
    # A card on a phone (its cells one under another), a row of a table on a desk.
    assert clerk.evaluate("getComputedStyle(document.querySelector('tr[data-correspondent]')).display") == "block"
    assert overflow_at_both_widths(clerk) == {}
    clerk.shoot("address-book")
    clerk.set_viewport_size({"width": 1366, "height": 900})
    assert clerk.evaluate("getComputedStyle(document.querySelector('tr[data-correspondent]')).display") == "table-row"
    clerk.shoot("address-book")
    clerk.set_viewport_size({"width": 360, "height": 740})

    clerk.click("tr[data-correspondent] a[href*='edit=']")
    clerk.wait_for_selector("form#entry[action^='/correspondents/']")
    assert clerk.input_value("#f-pincode") == "284204"
    clerk.fill("#f-pincode", "28420")
    clerk.click("#entry button.primary")
    clerk.wait_for_selector("#e-pincode")
    assert overflow_at_both_widths(clerk) == {}
    clerk.fill("#f-pincode", "284205")
    clerk.click("#entry button.primary")
    clerk.wait_for_selector("form#entry[action^='/correspondents?'], form#entry[action='/correspondents']")
    assert "284205" in clerk.inner_text("tr[data-correspondent]")
