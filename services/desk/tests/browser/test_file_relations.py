"""Files joined to files in Chromium, on a phone (360 px) and a desk (1366 px): a part file merged back into
its main file, a file linked and another attached (it then travels with the main file), and several files
of the inbox sent together (from the files list and from the inbox page), with the one refused named with its reason. Nothing scrolls sideways."""
import requests

from eoffice_common.auth import Principal, issue_token
from eoffice_common.testing import TEST_JWT_PRIVATE_KEY

from .test_every_page_on_a_phone import DESKTOP, PHONE, overflow, sign_in


class Files:
    """The files service as an officer calls it, to set the scene."""

    def __init__(self, eoffice, user_id):
        user = next(u for u in eoffice.demo_master["users"] if u["id"] == user_id)
        principal = Principal(user_id, user["office"], tuple(user["roles"]), user["name_en"])
        self.url = eoffice.urls["files"]
        self.headers = {"Authorization": "Bearer " + issue_token(TEST_JWT_PRIVATE_KEY, principal)}

    def post(self, path, **body):
        response = requests.post(f"{self.url}{path}", headers=self.headers, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def get(self, path):
        return requests.get(f"{self.url}{path}", headers=self.headers, timeout=30).json()

    def new(self, number, subject):
        return self.post("/files", numbering="non_sfs", file_number=number, subject=subject)


def fits(page):
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert overflow(page) <= 0, size
    page.set_viewport_size(PHONE)


def test_a_part_file_is_merged_into_its_main_file_on_a_phone(eoffice, chromium):
    so = Files(eoffice, "so.jhs")
    main = so.new("REV/हैंडपंप/2026", "बड़ागाँव में हैंडपंप की मरम्मत")
    part = so.post(f"/files/{main['id']}/parts", subject="हैंडपंप: बजट का भाग")
    note = so.post(f"/files/{part['id']}/notes", text="बजट का प्रस्ताव अनुमोदन हेतु प्रस्तुत है।")

    page = chromium.page("so-merge", 360, 740)
    sign_in(page, eoffice.desk, "so.jhs")
    page.goto(f"{eoffice.desk}/files/{part['id']}")
    fits(page)
    page.click(f"form[action='/files/{part['id']}/merge'] button")
    page.wait_for_url(f"**/files/{main['id']}**")
    noting = page.inner_text(f"#note-{note['id']}")
    assert "भाग 1 से" in noting and "बजट का प्रस्ताव" in noting
    fits(page)
    page.shoot("part-merged")
    page.goto(f"{eoffice.desk}/files/{part['id']}")
    assert page.is_visible("[data-merged]") and not page.is_visible(f"form[action='/files/{part['id']}/merge']")


def link_and_attach(eoffice, chromium, size):
    so = Files(eoffice, "so.jhs")
    main = so.new(f"REV/पेयजल/{size['width']}", "बड़ागांव पेयजल योजना")
    old = Files(eoffice, "adm.jhs").new(f"REV/पुरानी/{size['width']}", "पुरानी पेयजल पत्रावली")
    carried = so.new(f"REV/संलग्न/{size['width']}", "संलग्न अनुमान पत्रावली")

    page = chromium.page(f"so-relations-{size['width']}", size["width"], size["height"])
    sign_in(page, eoffice.desk, "so.jhs")
    page.goto(f"{eoffice.desk}/files/{main['id']}")
    page.click(f"form[action='/files/{main['id']}/link'] >> xpath=.. >> summary")
    typed = str(old["computer_number"]) if size is PHONE else old["file_number"].lower()  # either number finds it
    page.fill(f"form[action='/files/{main['id']}/link'] input[name=other_file]", typed)
    page.click(f"form[action='/files/{main['id']}/link'] button[type=submit]")
    page.wait_for_selector("[data-links]")
    assert old["file_number"] in page.inner_text("[data-links]")

    page.click(f"form[action='/files/{main['id']}/attach_file'] >> xpath=.. >> summary")
    page.select_option("#f-attach-other", carried["file_number"])
    page.click(f"form[action='/files/{main['id']}/attach_file'] button[type=submit]")
    page.wait_for_selector("[data-attachments]")
    assert carried["file_number"] in page.inner_text("[data-attachments]")
    fits(page)
    page.shoot(f"file-relations-{size['width']}")

    page.goto(f"{eoffice.desk}/files/{carried['id']}")
    assert main["file_number"] in page.inner_text("[data-attached-to]") and not page.is_visible("a[href='?dialog=send#send']")
    adm = chromium.page(f"adm-relations-{size['width']}", size["width"], size["height"])
    sign_in(adm, eoffice.desk, "adm.jhs")
    adm.goto(f"{eoffice.desk}/files/{old['id']}")
    assert main["file_number"] in adm.inner_text("[data-links]")

    so.post(f"/files/{main['id']}/send", to="adm.jhs", remarks="अवलोकनार्थ")
    assert so.get(f"/files/{carried['id']}")["custodian"]["id"] == "adm.jhs"


def test_a_file_is_linked_and_another_attached_on_a_phone(eoffice, chromium):
    link_and_attach(eoffice, chromium, PHONE)


def test_a_file_is_linked_and_another_attached_on_a_desk(eoffice, chromium):
    link_and_attach(eoffice, chromium, DESKTOP)


def test_several_files_are_sent_together_and_the_refused_one_is_named_on_a_phone(eoffice, chromium):
    so = Files(eoffice, "so.jhs")
    first = so.new("REV/चयन/1", "पहली फ़ाइल")
    second = so.new("REV/चयन/2", "दूसरी फ़ाइल")

    page = chromium.page("so-bulk", 360, 740)
    sign_in(page, eoffice.desk, "so.jhs")
    page.goto(f"{eoffice.desk}/files?box=inbox")
    fits(page)
    page.check(f"input[name=file][value='{first['id']}']")
    page.check(f"input[name=file][value='{second['id']}']")
    page.fill("#bulk-to", "adm.jhs")
    so.post(f"/files/{second['id']}/park", remarks="रुकी")  # meanwhile, on another desk
    page.click("#bulk-files button[type=submit]")
    page.wait_for_selector("[data-bulk-refused]")
    refused = page.inner_text("[data-bulk-refused]")
    assert "1 भेजी गईं, 1 अस्वीकृत" in refused and second["file_number"] in refused
    fits(page)
    page.shoot("files-sent-together")
    assert so.get(f"/files/{first['id']}")["custodian"]["id"] == "adm.jhs"
    assert so.get(f"/files/{second['id']}")["custodian"]["id"] == "so.jhs"

    # The same from the inbox page, whose table also holds the receipts' checkboxes.
    third = so.new("REV/चयन/3", "तीसरी फ़ाइल")
    page.goto(f"{eoffice.desk}/inbox")
    page.check(f"input[name=file][value='{third['id']}']")
    page.fill("#bulk-files-to", "adm.jhs")
    fits(page)
    page.click("#bulk-files button[type=submit]")
    page.wait_for_url("**/inbox")
    assert "1 फ़ाइलें भेजी गईं" in page.inner_text("body")
    assert so.get(f"/files/{third['id']}")["custodian"]["id"] == "adm.jhs"
