"""Diarising through the desk and acting on receipts: forms relayed to dak as the signed-in user,
errors beside their fields in the user's language, what was typed kept."""
import re

from eoffice_common.storage import s3_client

from ..conftest import RECEIPT_LINK


def diarise(b, files=None, **fields):
    form = {"kind": "electronic", "delivery_mode": "post", "sender_name": "सुनीता देवी",
            "sender_organisation": "ग्राम पंचायत बड़ागाँव", "subject": "वृद्धावस्था पेंशन स्वीकृति हेतु आवेदन",
            "action": "generate", **fields}
    return b.post("/diarise", form, files=files)


def test_a_clerk_diarises_a_receipt_with_two_scans_and_sees_it_with_its_number(browser, pdf, png):
    b = browser()
    b.sign_in("diarist.jhs")
    response = diarise(b, files=[("scans", ("पत्र.pdf", pdf, "application/pdf")), ("scans", ("photo.png", png, "image/png"))])
    assert response.status_code == 200 and "/receipts/" in response.url
    page = response.text
    assert "वृद्धावस्था पेंशन स्वीकृति हेतु आवेदन" in page and "ग्राम पंचायत बड़ागाँव" in page
    number = re.search(r"(\d+/\d{4}/COLL-JHS)", page).group(1)
    assert f"प्राप्ति {number} डायरी की गई।" in page
    receipt_id = RECEIPT_LINK.search(response.url).group(1)
    first = b.get(f"/receipts/{receipt_id}/scans/1")
    assert first.content == pdf and "%E0%A4%AA%E0%A4%A4%E0%A5%8D%E0%A4%B0.pdf" in first.headers["Content-Disposition"]
    assert "पत्र.pdf" in page
    scan = b.get(f"/receipts/{receipt_id}/scans/2")
    assert scan.content == png and scan.headers["Content-Type"] == "image/png"


def test_a_refused_diarisation_shows_each_reason_beside_its_field_and_keeps_what_was_typed(browser):
    b = browser()
    b.sign_in("diarist.jhs")
    response = diarise(b, kind="electronic", sender_pincode="12", letter_date="2020-01-02", received_date="2020-01-01",
                       subject="भूमि विवाद — ग्राम बड़ागाँव")
    assert response.status_code == 422
    page = response.text
    assert 'id="e-sender_pincode"' in page and "यह सही प्रारूप में नहीं है।" in page
    assert 'value="12"' in page and "भूमि विवाद — ग्राम बड़ागाँव" in page and 'value="2020-01-02"' in page
    # the scans are refused next (dak checks the fields first): an electronic receipt needs one
    response = diarise(b, kind="electronic")
    assert response.status_code == 422 and 'id="e-scans"' in response.text
    assert "इलेक्ट्रॉनिक प्राप्ति के लिए कम से कम एक स्कैन आवश्यक है।" in response.text


def test_errors_come_in_english_for_a_user_who_chose_english(browser):
    b = browser()
    b.sign_in("diarist.jhs")
    b.post("/language", {"language": "en", "next": "/diarise"})
    response = diarise(b, kind="physical", letter_date="2020-01-02", received_date="2020-01-01")
    assert response.status_code == 422
    assert "The letter date is after the date it was received." in response.text


def test_the_javascript_upload_gets_json_errors_and_a_location(browser, pdf):
    b = browser()
    b.sign_in("diarist.jhs")
    headers = {"Accept": "application/json", "X-CSRF-Token": b.csrf}
    refused = b.post("/diarise", {"kind": "electronic", "delivery_mode": "post", "sender_name": "A", "subject": "x"},
                     csrf=False, headers=headers)
    assert refused.status_code == 422 and refused.json()["fields"] == {"scans": "इलेक्ट्रॉनिक प्राप्ति के लिए कम से कम एक स्कैन आवश्यक है।"}
    done = b.post("/diarise", {"kind": "electronic", "delivery_mode": "post", "sender_name": "A", "subject": "x",
                               "action": "generate_send"}, files=[("scans", ("a.pdf", pdf, "application/pdf"))],
                  csrf=False, headers=headers)
    assert done.status_code == 201
    assert done.json()["location"] == f"/receipts/{done.json()['receipt']['id']}?dialog=send"


def test_generate_and_copy_keeps_the_sender_for_the_next_letter(browser):
    b = browser()
    b.sign_in("diarist.jhs")
    response = diarise(b, kind="physical", action="generate_copy", main_category="राजस्व", letter_number="GP/1")
    assert response.status_code == 200 and "/diarise" in response.url
    assert 'value="सुनीता देवी"' in response.text and 'value="राजस्व"' in response.text
    assert 'value="GP/1"' not in response.text and "डायरी की गई" in response.text


def test_send_finds_an_officer_by_hindi_designation_and_the_receipt_moves(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    receipt_id = RECEIPT_LINK.search(diarise(clerk, kind="physical", action="generate_send").url).group(1)
    dialog = clerk.get(f"/receipts/{receipt_id}?dialog=send&q=अनुभाग")
    assert 'name="to" value="so.jhs"' in dialog.text
    people = clerk.get("/people?q=section", headers={"Accept": "application/json"}).json()["people"]
    assert "so.jhs" in [p["id"] for p in people]
    sent = clerk.post(f"/receipts/{receipt_id}/send", {"to": "so.jhs", "remarks": "कृपया देखें", "priority": "urgent",
                                                        "due_date": "2099-01-01"})
    assert "प्राप्ति भेजी गई।" in sent.text
    officer = browser()
    officer.sign_in("so.jhs")
    inbox = officer.get("/inbox").text
    assert receipt_id in inbox and "is-urgent" in inbox and "01-01-2099" in inbox


def test_a_refused_send_keeps_the_remarks_and_says_why(browser):
    b = browser()
    b.sign_in("diarist.jhs")
    receipt_id = RECEIPT_LINK.search(diarise(b, kind="physical").url).group(1)
    response = b.post(f"/receipts/{receipt_id}/send", {"remarks": "तत्काल प्रस्तुत करें", "due_date": "2001-01-01"})
    assert response.status_code == 422
    assert "तत्काल प्रस्तुत करें" in response.text and 'id="e-to"' in response.text


def test_a_user_without_rights_gets_no_access_to_a_secret_receipt(browser):
    b = browser()
    b.sign_in("diarist.jhs")
    receipt_id = RECEIPT_LINK.search(diarise(b, kind="physical", classification="secret", subject="गोपनीय जाँच").url).group(1)
    other = browser()
    other.sign_in("dm.jhs")
    response = other.get(f"/receipts/{receipt_id}")
    assert response.status_code == 404 and "गोपनीय जाँच" not in response.text
    assert "यह प्राप्ति मौजूद नहीं है, या आपको इसकी अनुमति नहीं है।" in response.text
    assert other.get(f"/receipts/{receipt_id}/scans/1").status_code == 404


def test_a_secret_receipt_sent_to_an_officer_not_cleared_for_it_is_refused_in_hindi_and_english(browser):
    b = browser()
    b.sign_in("diarist.jhs")
    receipt_id = RECEIPT_LINK.search(diarise(b, kind="physical", classification="secret", subject="गोपनीय जाँच").url).group(1)
    refused = b.post(f"/receipts/{receipt_id}/send", {"to": ["so.jhs", "clerk.jhs"], "remarks": "गोपनीय — स्वयं देखें"})
    assert refused.status_code == 422
    page = refused.text
    assert 'id="e-to"' in page and "इस वर्गीकरण के लिए अधिकृत नहीं" in page and "(clerk.jhs)" in page
    assert "गोपनीय — स्वयं देखें" in page  # what was typed is kept
    b.post("/language", {"language": "en", "next": f"/receipts/{receipt_id}"})
    refused = b.post(f"/receipts/{receipt_id}/send", {"to": ["clerk.jhs"]})
    assert refused.status_code == 422 and "Not cleared for its classification: choose an officer" in refused.text
    sent = b.post(f"/receipts/{receipt_id}/send", {"to": ["so.jhs"]})  # a section officer, cleared for secret
    assert sent.status_code == 200 and "/receipts/" in sent.url


def test_the_holder_closes_a_receipt_with_remarks_and_its_actions_are_gone(browser):
    b = browser()
    b.sign_in("diarist.jhs")
    receipt_id = RECEIPT_LINK.search(diarise(b, kind="physical").url).group(1)
    assert "प्राप्त करें" in b.last.text  # a physical receipt is received at the desk
    refused = b.post(f"/receipts/{receipt_id}/close", {"remarks": ""})
    assert refused.status_code == 422 and 'id="e-remarks"' in refused.text
    closed = b.post(f"/receipts/{receipt_id}/close", {"remarks": "निस्तारित"})
    assert "प्राप्ति बंद की गई।" in closed.text and 'action="/receipts/' + receipt_id + '/copy"' not in closed.text


def test_a_scan_gone_from_the_store_is_shown_as_missing_in_both_languages_not_as_a_broken_image(desk_system, browser, pdf, png):
    b = browser()
    b.sign_in("diarist.jhs")
    response = diarise(b, files=[("scans", ("पत्र.pdf", pdf, "application/pdf")), ("scans", ("photo.png", png, "image/png"))])
    receipt_id = RECEIPT_LINK.search(response.url).group(1)
    config = desk_system["config"]["dak"]
    store = s3_client(config)
    for stored in store.list_objects_v2(Bucket=config["S3_BUCKET"], Prefix="dak/scans/")["Contents"]:
        store.delete_object(Bucket=config["S3_BUCKET"], Key=stored["Key"])

    # what Chromium asks for an <img>, and for the viewer's <iframe> (or a link opened in a tab)
    image = b.get(f"/receipts/{receipt_id}/scans/2", headers={"Accept": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"})
    framed = b.get(f"/receipts/{receipt_id}/scans/1", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})

    assert (image.status_code, image.headers["Content-Type"]) == (404, "image/svg+xml; charset=utf-8")
    assert image.text.startswith("<svg") and "दस्तावेज़ उपलब्ध नहीं" in image.text and "Document missing" in image.text
    assert (framed.status_code, framed.headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert 'class="document-missing"' in framed.text and "दस्तावेज़ उपलब्ध नहीं" in framed.text and "Document missing" in framed.text
    assert b.get(f"/receipts/{receipt_id}").status_code == 200


def test_a_section_officer_finds_a_letter_of_the_office_never_held_by_number_words_sender_and_letter_number(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    page = diarise(clerk, kind="physical", subject="बड़ागाँव में हैंडपंप की मरम्मत", letter_number="ग्रा.प./2026/45").text
    number = re.search(r"(\d+/\d{4}/COLL-JHS)", page).group(1)
    receipt_id = RECEIPT_LINK.search(page).group(1)
    officer = browser()
    officer.sign_in("so.jhs")
    for query in ({"number": number}, {"q": "हैंडपम्प"}, {"q": "बड़ागांव"}, {"sender": "बडागाँव"}, {"letter_number": "2026/45"}):
        found = officer.get("/search", params={"what": "receipts", "go": "1", **query})
        assert found.status_code == 200 and f"/receipts/{receipt_id}" in found.text, query
    assert f"/receipts/{receipt_id}" not in officer.get("/search", params={"what": "receipts", "go": "1", "q": "पेंशन"}).text
    treasury = browser()
    treasury.sign_in("sto.jhs")  # another office
    assert f"/receipts/{receipt_id}" not in treasury.get("/search", params={"what": "receipts", "go": "1", "number": number}).text


def test_unknown_routes_answer_the_documented_json_404(browser, desk_system):
    b = browser()
    b.sign_in("clerk.jhs")
    for path in ("/api/no-such-route", "/people/x/y", "/receipts/x/scans/not-a-number"):
        response = b.get(path, headers={"Accept": "application/json"})
        assert (response.status_code, response.headers["Content-Type"]) == (404, "application/json"), path
        assert response.json()["error"] == "route_not_found"
    dak = desk_system["config"]["desk"]["DAK_URL"]
    response = __import__("requests").get(f"{dak}/no-such-route", timeout=10)
    assert (response.status_code, response.json()["error"]) == (404, "route_not_found")


def test_several_receipts_of_the_inbox_are_sent_or_closed_together_and_each_refusal_is_named(browser):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    ids = [RECEIPT_LINK.search(diarise(clerk, kind="physical", subject=f"पत्र संख्या {n}").url).group(1) for n in range(3)]
    inbox = clerk.get("/inbox").text
    assert all(f'name="receipt" value="{i}"' in inbox for i in ids)
    sent = clerk.post("/inbox/receipts", {"bulk_action": "send", "receipt": ids[:2], "to": "so.jhs", "remarks": "कृपया देखें"})
    assert "2 प्राप्तियाँ भेजी गईं।" in sent.text
    officer = browser()
    officer.sign_in("so.jhs")
    assert all(i in officer.get("/inbox").text for i in ids[:2])
    # the third is still the clerk's; the first two are not any more: refused, each named with its reason
    closed = clerk.post("/inbox/receipts", {"bulk_action": "close", "receipt": ids, "remarks": "निस्तारित"})
    assert closed.status_code in (403, 409) and "1 हो गईं, 2 अस्वीकृत" in closed.text
    assert all(f'href="/receipts/{i}"' in closed.text.split("data-bulk-refused")[1].split("</div>")[0] for i in ids[:2])
    assert officer.get(f"/receipts/{ids[2]}").status_code == 200 and "बंद" in clerk.get(f"/receipts/{ids[2]}").text


def test_a_pile_of_letters_is_diarised_with_a_scan_each_in_the_order_of_the_rows(browser, pdf, png):
    clerk = browser()
    clerk.sign_in("diarist.jhs")
    form = {"kind": "electronic", "delivery_mode": "post", "sender_name": "तहसीलदार मऊरानीपुर", "sender_organisation": "तहसील मऊरानीपुर",
            "subject_1": "खसरा संख्या 12 का सीमांकन", "letter_number_1": "त./12", "subject_2": "खसरा संख्या 13 का सीमांकन",
            "subject_3": "बिना स्कैन का पत्र"}
    files = [("scans_1", ("पत्र-1.pdf", pdf, "application/pdf")), ("scans_2", ("पत्र-2.png", png, "image/png"))]
    refused = clerk.post("/diarise/bulk", form, files=files)
    # the third (electronic, no scan) is refused in its row; the first two have their numbers, in order
    assert refused.status_code == 422 and 'id="e-scans_3"' in refused.text or 'data-letter="3"' in refused.text
    numbers = [int(n) for n in re.findall(r"(\d+)/\d{4}/COLL-JHS", refused.text.split("data-made")[1].split("</p>")[0])]
    assert len(numbers) == 2 and numbers[1] == numbers[0] + 1
    assert 'value="बिना स्कैन का पत्र"' in refused.text and 'value="खसरा संख्या 12 का सीमांकन"' not in refused.text
    assert 'value="तहसीलदार मऊरानीपुर"' in refused.text  # the shared sender kept for the next pile
    done = clerk.post("/diarise/bulk", {**{k: v for k, v in form.items() if not k.endswith(("_1", "_2"))}, "kind": "physical"})
    assert "डायरी की गईं:" in done.text and "/COLL-JHS" in done.text
