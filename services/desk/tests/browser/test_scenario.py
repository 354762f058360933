"""The issue's scenario in a real headless Chromium, every service running: a clerk diarises a receipt
with a scan and puts it in a new file, writes a note in Hindi and sends the file to the section
officer, who sees the notification arrive without reloading, opens the file, approves and signs the
draft; the signature verifies; a user without rights gets no access to a Secret receipt.
Screenshots at phone and desktop width are saved under artifacts/screenshots/."""
import base64
import re
import time

from .test_every_page_on_a_phone import sign_in


def letter_pdf():
    """A small valid one-page PDF (so the scan viewer shows it), written out with its xref table."""
    text = b"BT /F1 18 Tf 72 760 Td (Gram Panchayat Badagaon: application for mutation) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


PDF = letter_pdf()
NOTE = "प्रार्थी का आवेदन पत्राचार में है। भू-अभिलेख में नाम संशोधन की संस्तुति की जाती है।\n\nकृपया अवलोकन कर आदेश हेतु प्रस्तुत करें।"
DRAFT = "सेवा में,\nश्रीमती सुनीता देवी,\nग्राम बड़ागाँव।\n\nआपके प्रार्थना पत्र पर खतौनी में नाम संशोधन स्वीकृत किया जाता है।"


def until(check, timeout=30, what="the page to show it"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"waited {timeout}s for {what}")


def test_a_receipt_goes_into_a_file_to_the_section_officer_who_approves_and_signs(eoffice, chromium, tmp_path):
    base = eoffice.desk
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(PDF)

    officer = chromium.page("so")
    sign_in(officer, base, "so.jhs")
    officer.wait_for_selector("body[data-live]")  # the bell's live stream is open

    clerk = chromium.page("clerk", 360, 740)  # the clerk works on a phone
    sign_in(clerk, base, "clerk.jhs")
    clerk.goto(f"{base}/diarise")
    clerk.set_input_files("#f-scans", str(scan))
    # a second scan dropped on the drop zone, as a file dragged from the desktop
    clerk.evaluate("""() => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3, 4])], "पृष्ठ-2.png", {type: "image/png"}));
        document.querySelector("[data-dropzone]").dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
    }""")
    assert clerk.inner_text("[data-chosen]").count("\n") == 1 and "पृष्ठ-2.png" in clerk.inner_text("[data-chosen]")
    clerk.fill("#f-subject", "खतौनी में नाम संशोधन हेतु प्रार्थना पत्र")
    clerk.fill("#f-sender_name", "सुनीता देवी")
    clerk.fill("#f-sender_organisation", "ग्राम पंचायत बड़ागाँव")
    clerk.shoot("diarise")
    clerk.click("button[value=generate]")
    clerk.wait_for_url("**/receipts/*")
    number = re.search(r"\d+/\d{4}/COLL-JHS", clerk.inner_text("main")).group(0)
    assert f"प्राप्ति {number} डायरी की गई।" in clerk.inner_text(".flash")
    assert "खतौनी में नाम संशोधन हेतु प्रार्थना पत्र" in clerk.inner_text("h1")
    assert "letter.pdf" in clerk.inner_text(".documents") and "पृष्ठ-2.png" in clerk.inner_text(".documents")
    clerk.shoot("receipt")

    clerk.click("a[href='?dialog=put_in_file#put-in-file']")
    clerk.click("#put-in-file button[type=submit]")
    clerk.wait_for_url("**/files/*")
    file_url = clerk.url().split("?")[0]

    def correspondence_arrived():
        clerk.goto(file_url)
        return number in clerk.inner_text("main")

    until(correspondence_arrived, what="the receipt in the file's correspondence")
    clerk.fill("form[action$='/note'] textarea", NOTE)
    clerk.click("form[action$='/note'] button[type=submit]")
    clerk.wait_for_selector("form[action$='/note_save']")
    clerk.goto(f"{file_url}?tab=drafts")
    clerk.fill("#f-draft_subject", "नाम संशोधन की स्वीकृति")
    clerk.fill("form[action$='/draft'] textarea", DRAFT)
    clerk.click("form[action$='/draft'] button[type=submit]")
    clerk.wait_for_selector("article.draft")

    clerk.goto(f"{file_url}?dialog=send#send")
    clerk.fill("#f-q", "अनुभाग अधिकारी")
    clerk.wait_for_selector("#people-list input[value='so.jhs']")
    clerk.check("#people-list input[value='so.jhs']")
    clerk.select_option("#f-priority", "urgent")
    clerk.fill("#send textarea[name=remarks]", "कृपया अवलोकन करें")
    clerk.shoot("send-dialog")
    clerk.click("#send button.primary")
    clerk.wait_for_selector(".flash")
    assert "फ़ाइल भेजी गई।" in clerk.inner_text(".flash")

    # The officer's inbox, not reloaded: the bell counts it and a notice links to the file.
    officer.wait_for_selector("[data-toast]:not([hidden])")
    assert int(officer.text_content("[data-unread]")) >= 1
    officer.shoot("inbox-notified")
    officer.click("[data-toast] a")
    officer.wait_for_url(f"{file_url}*")
    noting = officer.inner_text("#noting")
    assert "प्रार्थी का आवेदन पत्राचार में है।" in noting and "कृपया अवलोकन कर आदेश हेतु प्रस्तुत करें।" in noting
    assert re.search(r"1\.\s*प्रार्थी", noting) and re.search(r"2\.\s*कृपया", noting)  # green, paragraphs numbered
    officer.shoot("file")

    officer.goto(f"{file_url}?tab=drafts")
    officer.click("form[action$='/approve'] button")
    officer.wait_for_selector("form[action^='/sign/draft/'] button")
    officer.click("form[action^='/sign/draft/'] button")
    officer.wait_for_url("**/signatures/*")
    assert officer.get_attribute("[data-signature-status]", "data-signature-status") == "signed"
    assert officer.get_attribute("[data-verification]", "data-verification") == "valid"
    assert "Rajesh Kumar Tripathi" in officer.inner_text("main") or "राजेश" in officer.inner_text("main")
    officer.shoot("signature")

    # The signed PDF, downloaded through the desk, verifies on the Verify page too.
    pdf_path = officer.get_attribute("a[href$='/pdf']", "href")
    signed = base64.b64decode(officer.evaluate(
        "async (u) => { const b = new Uint8Array(await (await fetch(u)).arrayBuffer()); let s = '';"
        " for (const x of b) s += String.fromCharCode(x); return btoa(s); }", pdf_path))
    assert signed.startswith(b"%PDF")
    signed_file = tmp_path / "signed.pdf"
    signed_file.write_bytes(signed)
    officer.goto(f"{base}/verify")
    officer.set_input_files("#f-file", str(signed_file))
    officer.click("form[action='/verify'] button[type=submit]")
    officer.wait_for_selector("[data-verification]")
    assert officer.get_attribute("[data-verification]", "data-verification") == "valid"
    officer.shoot("verify")


def test_a_user_without_rights_gets_no_access_to_a_secret_receipt(eoffice, chromium):
    base = eoffice.desk
    clerk = chromium.page("clerk", 360, 740)
    sign_in(clerk, base, "clerk.jhs")
    clerk.goto(f"{base}/diarise")
    clerk.check("input[name=kind][value=physical]")
    clerk.fill("#f-subject", "गोपनीय जाँच आख्या")
    clerk.fill("#f-sender_name", "पुलिस अधीक्षक")
    clerk.select_option("#f-classification", "secret")
    clerk.click("button[value=generate]")
    clerk.wait_for_url("**/receipts/*")
    secret_url = clerk.url()
    assert "गुप्त" in clerk.inner_text("main")

    other = chromium.page("dm")
    sign_in(other, base, "dm.jhs")
    other.goto(secret_url)
    page = other.inner_text("main")
    assert "नहीं मिला" in other.inner_text("h1") and "गोपनीय जाँच आख्या" not in page
    other.shoot("secret-refused")
    other.goto(f"{base}/inbox")
    other.shoot("inbox")
    until(lambda: other.goto(f"{base}/scoreboard") or "झाँसी" in other.inner_text("main"), what="the week's scores")
    other.shoot("scoreboard")
    other.goto(f"{base}/reports?report=pendency")
    other.shoot("reports")
