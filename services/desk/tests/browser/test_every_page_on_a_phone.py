"""Every page of the desk at 360 px and 1366 px in Chromium, in Hindi and English: nothing scrolls
sideways on a phone or a desk, the navigation folds into a Menu button there, and the flows of issue 21 (receipt
search, send dialog with office and district, volumes, draft comments, the audit chain, the admin area)
work in the browser. Screenshots go to artifacts/screenshots/ (the ones in services/desk/docs/ come from here)."""
import re

PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1366, "height": 900}


def sign_in(page, base, user_id):
    page.goto(f"{base}/sign-in")
    page.fill("#f-user_id", user_id)
    page.fill("#f-password", "eoffice-demo")
    page.click("form[action='/sign-in'] button[type=submit]")
    page.wait_for_url("**/inbox")


def overflow(page):
    """How many pixels the page is wider than the window (0: nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def switch_language(page):
    page.click("form[action='/language'] button")
    page.wait_for_load_state()


def check_every_page(page, paths, language):
    """Each page at 360 px, then at 1366 px: nothing wider than the window."""
    wide = {}
    for path in paths:
        page.goto(path)
        assert page.evaluate("document.documentElement.lang") == language, path
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            if overflow(page) > 0:
                wide[(path, size["width"])] = overflow(page)
        page.set_viewport_size(PHONE)
    assert wide == {}, f"pages wider than the window ({language}): {wide}"


def test_a_clerks_day_fits_a_phone_in_both_languages(eoffice, chromium):
    base = eoffice.desk
    clerk = chromium.page("clerk", 360, 740)
    sign_in(clerk, base, "clerk.jhs")

    # The menu folds on a phone and opens on a tap; a desk shows it whole.
    assert not clerk.is_visible("#nav") and clerk.is_visible("[data-nav-button]")
    clerk.click("[data-nav-button]")
    assert clerk.is_visible("#nav a[href='/diarise']")
    clerk.set_viewport_size(DESKTOP)
    assert clerk.is_visible("#nav a[href='/diarise']") and not clerk.is_visible("[data-nav-button]")
    clerk.set_viewport_size(PHONE)

    # A letter diarised, put in a new file, noted on, a draft commented, a volume opened.
    clerk.goto(f"{base}/diarise")
    clerk.check("input[name=kind][value=physical]")
    clerk.fill("#f-subject", "बड़ागाँव में हैंडपंप की मरम्मत")
    clerk.fill("#f-sender_name", "सुनीता देवी")
    clerk.fill("#f-letter_number", "ग्रा.प./2026/45")
    clerk.click("button[value=generate]")
    clerk.wait_for_url("**/receipts/*")
    receipt_url = clerk.url().split("?")[0]
    number = re.search(r"\d+/\d{4}/COLL-JHS", clerk.inner_text("main")).group(0)
    clerk.goto(f"{receipt_url}?dialog=send#send")
    clerk.fill("#f-q", "ज़िलाधिकारी")
    clerk.wait_for_selector("#people-list input[value='dm.jhs']")
    listed = clerk.inner_text("#people-list")
    assert "ज़िलाधिकारी कार्यालय, झाँसी" in listed and "लखनऊ" in listed
    assert clerk.evaluate("[...document.querySelectorAll('#people-list input')].slice(0, 2).map(i => i.value).sort().join()") == "adm.jhs,dm.jhs"
    assert overflow(clerk) <= 0
    clerk.shoot("send-dialog-districts")
    clerk.goto(f"{receipt_url}?dialog=put_in_file#put-in-file")
    clerk.click("#put-in-file button[type=submit]")
    clerk.wait_for_url("**/files/*")
    file_url = clerk.url().split("?")[0]
    clerk.fill("form[action$='/note'] textarea", "प्रार्थी का आवेदन पत्राचार में है।\n\nकृपया अवलोकन करें।")
    clerk.click("form[action$='/note'] button[type=submit]")
    clerk.wait_for_selector("form[action$='/note_save']")
    clerk.goto(f"{file_url}?tab=drafts")
    clerk.fill("#f-draft_subject", "मरम्मत की स्वीकृति")
    clerk.fill("form[action$='/draft'] textarea", "सेवा में,\nग्राम प्रधान, बड़ागाँव।")
    clerk.click("form[action$='/draft'] button[type=submit]")
    clerk.wait_for_selector("article.draft")
    clerk.fill("form[action$='/draft_comment'] textarea", "दिनांक जोड़ें।")
    clerk.click("form[action$='/draft_comment'] button")
    clerk.wait_for_selector(".comments")
    assert "दिनांक जोड़ें।" in clerk.inner_text(".comments")
    clerk.goto(f"{file_url}?tab=audit&verify=1")
    assert clerk.get_attribute("[data-chain]", "data-chain") == "valid"
    clerk.shoot("audit-chain")
    clerk.goto(file_url)
    clerk.click("form[action$='/volume'] button")
    clerk.wait_for_selector("[data-related], a[href^='/files/']")
    volume_url = clerk.url().split("?")[0]
    assert volume_url != file_url and "Vol.2" in clerk.inner_text("main")

    # The registry's search finds the letter by its number and in another spelling.
    officer = chromium.page("so", 360, 740)
    sign_in(officer, base, "so.jhs")
    for query in (f"number={number}", "q=हैंडपम्प", "q=बड़ागांव"):
        officer.goto(f"{base}/search?what=receipts&go=1&{query}")
        assert number in officer.inner_text("main"), query
    officer.shoot("receipt-search")

    pages = [f"{base}{p}" for p in (
        "/inbox", "/diarise", "/files/new", "/search", "/search?what=receipts&go=1&q=हैंडपंप", "/reports", "/scoreboard",
        "/verify", "/notifications", "/notifications/preferences", "/certificates", "/receipts?box=created", "/files?box=created",
        "/correspondents", "/correspondents?q=बडागांव",
    )] + [receipt_url, f"{receipt_url}?dialog=send&q=अनुभाग#send", f"{receipt_url}?dialog=close#close", file_url,
          f"{file_url}?tab=drafts", f"{file_url}?tab=movements", f"{file_url}?tab=audit&verify=1", f"{file_url}?dialog=send&q=अनुभाग#send",
          volume_url]
    check_every_page(clerk, pages, "hi")
    switch_language(clerk)
    check_every_page(clerk, pages, "en")
    clerk.goto(f"{base}/inbox")
    clerk.shoot("inbox-english")

    admin = chromium.page("admin", 360, 740)
    sign_in(admin, base, "admin.jhs")
    assert admin.is_visible("[data-nav-button]")
    language = admin.evaluate("document.documentElement.lang")  # admin.jhs works in English in the directory
    check_every_page(admin, [f"{base}/admin", f"{base}/inbox"], language)
    admin.goto(f"{base}/admin")
    admin.fill("#recompute input[name=week]", "2026-W99")
    admin.click("#recompute button")
    admin.wait_for_selector("#recompute .error, #recompute [aria-invalid]")
    admin.shoot("admin")
    clerk.goto(f"{base}/admin")
    assert "Not found" in clerk.inner_text("h1")  # the admin area is for admins
