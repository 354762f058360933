"""Letters travel, in Chromium: the section officer approves, signs and issues a letter to two offices
from the file's Drafts tab; each addressee office's receiving point finds it in their inbox, and the
issuing file shows each office's receipt number."""
import time

import requests

from eoffice_common.auth import Principal, issue_token
from eoffice_common.testing import TEST_JWT_PRIVATE_KEY

from .test_every_page_on_a_phone import sign_in

SUBJECT = "तहसील दिवस के आयोजन हेतु निर्देश"


def until(check, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"waited {timeout}s for {what}")


def test_a_letter_issued_to_two_offices_arrives_in_each(eoffice, chromium):
    base, files = eoffice.desk, eoffice.urls["files"]
    officer = next(u for u in eoffice.demo_master["users"] if u["id"] == "so.jhs")
    headers = {"Authorization": "Bearer " + issue_token(TEST_JWT_PRIVATE_KEY, Principal("so.jhs", "COLL-JHS", tuple(officer["roles"]), officer["name_en"]))}
    file = requests.post(f"{files}/files", headers=headers, timeout=30, json={
        "numbering": "non_sfs", "file_number": "REV/तहसील-दिवस/2026", "subject": "तहसील दिवस"}).json()
    requests.post(f"{files}/files/{file['id']}/drafts", headers=headers, timeout=30, json={
        "subject": SUBJECT, "content": "सभी तहसीलों में तहसील दिवस प्रत्येक माह के प्रथम मंगलवार को आयोजित किया जाए।"}).raise_for_status()

    page = chromium.page("so")
    sign_in(page, base, "so.jhs")
    drafts = f"{base}/files/{file['id']}?tab=drafts"
    page.goto(drafts)
    page.click("form[action$='/approve'] button")
    page.wait_for_selector("form[action^='/sign/draft/'] button")
    page.click("form[action^='/sign/draft/'] button")
    page.wait_for_url("**/signatures/*")

    page.goto(drafts)
    page.click("form[action$='/issue'] >> xpath=.. >> summary")
    page.select_option("#f-to_offices", ["TRY-JHS", "CMO-JHS"])
    page.shoot("issue-to-offices")
    page.click("form[action$='/issue'] button[type=submit]")
    page.wait_for_selector("table.dispatches")

    def both_received():
        page.goto(drafts)
        return all(page.get_attribute(f"tr[data-dispatch='{office}']", "data-status") == "received" for office in ("TRY-JHS", "CMO-JHS"))

    until(both_received, timeout=60, what="both offices' receipt numbers on the issuing file")
    page.shoot("dispatches")
    numbers = {office: page.inner_text(f"tr[data-dispatch='{office}'] td:nth-child(4)") for office in ("TRY-JHS", "CMO-JHS")}
    assert numbers["TRY-JHS"].endswith("/TRY-JHS") and numbers["CMO-JHS"].endswith("/CMO-JHS")

    # Each office's receiving point (here the head of office) finds the letter in their inbox.
    for user, office in (("sto.jhs", "TRY-JHS"), ("cmo.jhs", "CMO-JHS")):
        addressee = chromium.page(user)
        sign_in(addressee, base, user)
        addressee.goto(f"{base}/receipts")
        inbox = addressee.inner_text("main")
        assert SUBJECT in inbox and numbers[office] in inbox, inbox
        addressee.shoot(f"inbox-{office}")
