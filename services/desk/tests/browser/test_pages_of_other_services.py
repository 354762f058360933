"""Pages over files, notify, signing and metrics, without JavaScript (every service running):
forms relayed, refusals beside their fields, Hindi kept, documents served from the desk's origin."""
import re

FILE_LINK = re.compile(r"/files/([0-9a-f-]{36})")


def new_file(b, subject="भूमि विवाद — ग्राम बड़ागाँव", **fields):
    form = b.get("/files/new").text
    head = re.search(r'<option value="(\d+)"', form).group(1)
    response = b.post("/files/new", {"numbering": "sfs", "head_id": head, "file_subject": subject, "file_kind": "electronic", **fields})
    assert response.status_code == 200, response.text[:500]
    return FILE_LINK.search(response.url).group(1)


def test_a_file_is_created_noted_on_and_its_refusals_shown_beside_their_fields(eoffice, browser_for):
    clerk = browser_for(eoffice.desk)
    clerk.sign_in("clerk.jhs")
    refused = clerk.post("/files/new", {"numbering": "non_sfs", "file_subject": "", "file_number": "विविध/1"})
    assert refused.status_code == 422 and 'id="e-file_subject"' in refused.text and "विविध/1" in refused.text
    file_id = new_file(clerk)
    assert "फ़ाइल" in clerk.last.text and "बनाई गई" in clerk.last.text
    clerk.post(f"/files/{file_id}/note", {"text": "पहला अनुच्छेद।\n\nदूसरा अनुच्छेद।"})
    note_id = re.search(r'name="note_id" value="([^"]+)"', clerk.last.text).group(1)
    confirmed = clerk.post(f"/files/{file_id}/note_confirm", {"note_id": note_id, "text": "पहला अनुच्छेद।\n\nदूसरा अनुच्छेद।"})
    assert "टिप्पणी पुष्ट हुई।" in confirmed.text
    assert re.search(r'<span class="paras">1\.</span> पहला अनुच्छेद।', confirmed.text)
    assert re.search(r'<span class="paras">2\.</span> दूसरा अनुच्छेद।', confirmed.text)
    # a file goes to one officer: none chosen is refused beside the recipients, the remarks kept
    refused = clerk.post(f"/files/{file_id}/send", {"remarks": "शीघ्र प्रस्तुत", "priority": "urgent"})
    assert refused.status_code == 422 and 'id="e-to"' in refused.text and "शीघ्र प्रस्तुत" in refused.text
    movements = clerk.get(f"/files/{file_id}?tab=movements").text
    assert "फ़ाइल अभी कहीं नहीं भेजी गई।" in movements


def test_an_attached_scan_is_served_from_the_desk_and_a_stranger_cannot_open_the_file(eoffice, browser_for):
    clerk = browser_for(eoffice.desk)
    clerk.sign_in("clerk.jhs")
    file_id = new_file(clerk, subject="गोपनीय प्रकरण", classification="secret")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    missing = clerk.post(f"/files/{file_id}/attach", {"title": "स्थल निरीक्षण आख्या"})
    assert missing.status_code == 422 and 'id="e-documents"' in missing.text
    clerk.post(f"/files/{file_id}/attach", {"title": "स्थल निरीक्षण आख्या"}, files=[("documents", ("site.png", png, "image/png"))])
    document = re.search(rf'/files/{file_id}/correspondence/[0-9a-f-]+/documents/1', clerk.last.text).group(0)
    served = clerk.get(document)
    assert served.status_code == 200 and served.content == png and served.headers["Content-Type"] == "image/png"
    stranger = browser_for(eoffice.desk)
    stranger.sign_in("dm.jhs")
    assert stranger.get(f"/files/{file_id}").status_code == 404
    assert stranger.get(document).status_code == 404


def test_notifications_are_listed_and_reading_one_opens_its_file(eoffice, browser_for):
    clerk = browser_for(eoffice.desk)
    clerk.sign_in("clerk.jhs")
    file_id = new_file(clerk, subject="वृद्धावस्था पेंशन")
    clerk.post(f"/files/{file_id}/send", {"to": "so.jhs", "remarks": "कृपया देखें"})
    officer = browser_for(eoffice.desk)
    officer.sign_in("so.jhs")
    deadline_text = None
    for _ in range(50):
        deadline_text = officer.get("/notifications").text
        if file_id in deadline_text or "वृद्धावस्था पेंशन" in deadline_text:
            break
    assert "वृद्धावस्था पेंशन" in deadline_text
    assert officer.get("/notifications/unread-count", headers={"Accept": "application/json"}).json()["unread"] >= 1
    notification_id = re.search(r'name="id" value="([^"]+)"', deadline_text).group(1)
    opened = officer.post("/notifications/read", {"id": notification_id})
    assert opened.url.endswith(f"/files/{file_id}")
    assert officer.get("/notifications/unread-count", headers={"Accept": "application/json"}).json()["unread"] == 0


def test_notification_settings_are_saved_and_a_refusal_keeps_what_was_ticked(eoffice, browser_for):
    officer = browser_for(eoffice.desk)
    officer.sign_in("so.jhs")
    saved = officer.post("/notifications/preferences", {"ch.file_sent": ["email", "sms"], "quiet_start": "21:00", "quiet_end": "07:00"})
    assert "आपकी सेटिंग सहेजी गई।" in saved.text
    assert re.search(r'name="ch.file_sent" value="sms"[^>]*checked', saved.text)
    assert 'value="21:00"' in saved.text
    refused = officer.post("/notifications/preferences", {"ch.overdue": "sms", "quiet_start": "25:99", "quiet_end": "07:00"})
    assert refused.status_code == 422 and 'value="25:99"' in refused.text
    assert re.search(r'name="ch.overdue" value="sms"[^>]*checked', refused.text)


def test_search_reports_and_the_scoreboard_answer_in_hindi(eoffice, browser_for):
    clerk = browser_for(eoffice.desk)
    clerk.sign_in("clerk.jhs")
    new_file(clerk, subject="नामांतरण वाद संख्या 12")
    found = clerk.get("/search", params={"what": "files", "go": "1", "q": "नामांतरण"}).text
    assert "नामांतरण वाद संख्या 12" in found and "1 मिले" in found
    report = clerk.get("/reports?report=pendency")
    assert report.status_code == 200 and "एमआईएस रिपोर्ट" in report.text
    csv = clerk.get("/reports/pendency.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert 'name="scope"' not in report.text  # a clerk reads their own office only: nothing to choose
    # The DM chooses among the district and the office; the report and its CSV follow the choice.
    dm = browser_for(eoffice.desk)
    dm.sign_in("dm.jhs")
    scoped = dm.get("/reports", params={"report": "pendency", "scope": "office:COLL-JHS"})
    assert scoped.status_code == 200 and 'role="alert"' not in scoped.text
    assert re.findall(r'<option value="([^"]+)"( selected)?>', scoped.text) == [("district:JHS", ""), ("office:COLL-JHS", " selected")]
    assert "अवधि के अनुसार लंबित मामले" in scoped.text  # the pendency chart
    assert dm.get("/reports/pendency.csv", params={"scope": "district:JHS"}).status_code == 200
    beyond = clerk.get("/reports", params={"report": "pendency", "scope": "district:JHS"})
    assert 'role="alert"' in beyond.text and "<table" not in beyond.text
    for _ in range(60):  # metrics scores the week a moment after the events
        board = clerk.get("/scoreboard?level=district")
        if "झाँसी" in board.text:
            break
        __import__("time").sleep(0.5)
    assert board.status_code == 200 and "झाँसी" in board.text and "<polyline" in board.text
    assert "नई फ़ाइलों में ई-फ़ाइलों का अंश" in board.text and "data-contribution" in board.text


def test_an_officer_registers_the_dsc_on_the_token_and_signs_a_green_note(eoffice, browser_for):
    clerk = browser_for(eoffice.desk)
    clerk.sign_in("clerk.jhs")
    assert "आपका अभी कोई हस्ताक्षर प्रमाणपत्र नहीं है।" in clerk.get("/certificates").text
    refused = clerk.post("/certificates", {"source": "dsc", "key_label": "nobody.jhs"})
    assert refused.status_code == 422 and 'value="nobody.jhs"' in refused.text and 'role="alert"' in refused.text
    registered = clerk.post("/certificates", {"source": "dsc", "key_label": "clerk.jhs"})
    assert "प्रमाणपत्र पंजीकृत हुआ।" in registered.text and "Pooja Yadav" in registered.text
    file_id = new_file(clerk, subject="निरीक्षण टिप्पणी")
    clerk.post(f"/files/{file_id}/note", {"text": "स्थल निरीक्षण किया गया।"})
    note_id = re.search(r'name="note_id" value="([^"]+)"', clerk.last.text).group(1)
    clerk.post(f"/files/{file_id}/note_confirm", {"note_id": note_id})
    signed = clerk.post(f"/sign/note/{note_id}", {"file_id": file_id})
    assert "/signatures/" in signed.url and 'data-signature-status="signed"' in signed.text
    assert 'data-verification="valid"' in signed.text
    pdf = clerk.get(re.search(r'href="(/documents/note/[^"]+/pdf)"', signed.text).group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_secret_receipt_in_a_normal_file_shows_only_as_restricted_to_an_officer_not_cleared_for_it(eoffice, browser_for):
    clerk = browser_for(eoffice.desk)
    clerk.sign_in("clerk.jhs")
    subject = "गोपनीय: थाना मऊरानीपुर की जाँच आख्या"
    clerk.get("/diarise")
    diarised = clerk.post("/diarise", {"kind": "electronic", "delivery_mode": "post", "sender_name": "पुलिस अधीक्षक",
                                       "subject": subject, "classification": "secret"},
                          files=[("scans", ("आख्या.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "application/pdf"))])
    receipt_id = re.search(r"/receipts/([0-9a-f-]{36})", diarised.url).group(1)
    head = re.search(r'<option value="(\d+)"', clerk.get(f"/receipts/{receipt_id}?dialog=put_in_file").text).group(1)
    put = clerk.post(f"/receipts/{receipt_id}/put_in_file", {
        "file_choice": "new", "numbering": "sfs", "head_id": head, "file_subject": "थाना भवन की मरम्मत",
        "classification": "normal", "file_kind": "electronic"})
    file_id = FILE_LINK.search(put.url).group(1)
    for _ in range(100):
        if subject in clerk.get(f"/files/{file_id}").text:
            break
        __import__("time").sleep(0.2)
    document = re.search(rf'/files/{file_id}/correspondence/[0-9a-f-]+/documents/1', clerk.last.text).group(0)
    item_id = re.search(r"item=([0-9a-f-]{36})", clerk.last.text).group(1)
    assert clerk.get(document).status_code == 200

    officer = browser_for(eoffice.desk)  # same office, may open the Normal file, outside the receipt's chain
    officer.sign_in("so.jhs")
    assert officer.get(f"/receipts/{receipt_id}").status_code == 404
    page = officer.get(f"/files/{file_id}")
    assert page.status_code == 200 and "थाना भवन की मरम्मत" in page.text
    assert "प्रतिबंधित: वर्गीकृत प्राप्ति" in page.text and "badge secret" in page.text
    assert subject not in page.text and "पुलिस अधीक्षक" not in page.text and "/documents/" not in page.text
    assert officer.get(document).status_code == 404
    shown = officer.get(f"/files/{file_id}?item={item_id}")
    assert shown.status_code == 200 and subject not in shown.text and "/documents/" not in shown.text


def test_a_receipt_put_in_a_file_its_holder_does_not_hold_stays_with_them_and_the_dialog_says_why(eoffice, browser_for):
    officer = browser_for(eoffice.desk)
    officer.sign_in("so.jhs")
    officers_file = new_file(officer, subject="अन्य अधिकारी की फ़ाइल")
    clerk = browser_for(eoffice.desk)
    clerk.sign_in("clerk.jhs")
    clerk.get("/diarise")
    diarised = clerk.post("/diarise", {"kind": "physical", "delivery_mode": "post", "sender_name": "राम प्रसाद", "subject": "भूमि विवाद"})
    receipt_id = re.search(r"/receipts/([0-9a-f-]{36})", diarised.url).group(1)
    clerk.get(f"/receipts/{receipt_id}?dialog=put_in_file")
    refused = clerk.post(f"/receipts/{receipt_id}/put_in_file", {"file_choice": "existing", "file_id": officers_file})
    assert refused.status_code == 403 and 'id="put-in-file"' in refused.text and 'role="alert"' in refused.text
    missing = clerk.post(f"/receipts/{receipt_id}/put_in_file", {"file_choice": "existing", "file_id": "no-such-file"})
    assert missing.status_code == 404 and 'id="put-in-file"' in missing.text and 'role="alert"' in missing.text
    receipt_page = clerk.get(f"/receipts/{receipt_id}").text
    assert "?dialog=put_in_file" in receipt_page  # still the holder's to act on
