"""In Chromium, at 360 px and 1366 px, in Hindi and English: the admin keeps the directory of their
district (pages fit a phone; a user added, found again), and a Send to an officer of another district
stops at a confirmation naming the district, sending only once confirmed. desk and dak are running."""

from .test_every_page_on_a_phone import check_every_page, sign_in, switch_language


def test_an_admin_keeps_the_directory_on_a_phone_in_both_languages(desk_system, chromium):
    base = desk_system["url"]
    admin = chromium.page("admin", 360, 740)
    sign_in(admin, base, "admin.jhs")
    language = admin.evaluate("document.documentElement.lang")  # admin.jhs works in English in the directory
    pages = [f"{base}{p}" for p in ("/admin", "/admin/directory", "/admin/directory?office=COLL-JHS", "/admin/users/new",
                                    "/admin/users/so.jhs", "/admin/offices/new", "/admin/offices/COLL-JHS")]
    check_every_page(admin, pages, language)
    switch_language(admin)
    check_every_page(admin, pages, "hi" if language == "en" else "en")

    admin.goto(f"{base}/admin/users/new")
    admin.fill("#f-user_id", "kamla.jhs")
    admin.fill("#f-name_en", "Kamla Devi")
    admin.fill("#f-name_hi", "कमला देवी")
    admin.fill("#f-designation_en", "Junior Assistant")
    admin.fill("#f-designation_hi", "कनिष्ठ सहायक")
    admin.select_option("#f-office", "COLL-JHS")
    admin.select_option("#f-section", "COLL-JHS-REV")
    admin.fill("#f-reporting_officer", "so.jhs")
    admin.check("input[name=roles][value=clerk]")
    admin.click("#user button[type=submit]")
    admin.wait_for_url("**/admin/directory?office=COLL-JHS")
    assert "कमला देवी" in admin.inner_text("#users") or "Kamla Devi" in admin.inner_text("#users")
    admin.shoot("admin-directory")
    admin.goto(f"{base}/admin/users/kamla.jhs")
    admin.shoot("admin-user")


def test_a_send_to_another_district_asks_for_confirmation_in_the_browser(desk_system, chromium):
    base = desk_system["url"]
    clerk = chromium.page("clerk", 360, 740)
    sign_in(clerk, base, "diarist.jhs")
    clerk.goto(f"{base}/diarise")
    clerk.check("input[name=kind][value=physical]")
    clerk.fill("#f-subject", "बड़ागाँव में हैंडपंप की मरम्मत")
    clerk.fill("#f-sender_name", "सुनीता देवी")
    clerk.click("button[value=generate]")
    clerk.wait_for_url("**/receipts/*")
    receipt_url = clerk.url().split("?")[0]
    clerk.goto(f"{receipt_url}?dialog=send#send")
    clerk.fill("#f-q", "अनुभाग अधिकारी")
    clerk.wait_for_selector("#people-list input[value='so.lko']")
    clerk.check("#people-list input[value='so.lko']")
    clerk.click("#send button.primary")
    clerk.wait_for_selector("[data-other-district='so.lko']")
    assert "लखनऊ" in clerk.inner_text("[data-other-district='so.lko']")
    assert "दूसरे ज़िले में हैं" in clerk.inner_text("#send .banner")
    assert clerk.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    clerk.shoot("send-confirm-other-district")
    assert "/pull_back" not in clerk.inner_html("main")  # nothing sent yet
    clerk.click("[data-confirm-send]")
    clerk.wait_for_selector(f"form[action='{receipt_url.replace(base, '')}/pull_back']")
