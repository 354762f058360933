"""Issue 21 on the rendered pages: the defects found by trying the desk as a new user, and the pages
added for what the services already do."""
import re
from datetime import date, datetime, timezone

from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from desk import domain
from desk.web import SignedIn, render_page

SO = SignedIn("h", "so.jhs", "COLL-JHS", ("officer",), "Rajesh Kumar Tripathi", "राजेश कुमार त्रिपाठी", "Section Officer",
              "अनुभाग अधिकारी", "hi", "csrf-1")
PEOPLE = {
    "diarist.jhs": {"id": "diarist.jhs", "name_hi": "रमेश चन्द्र कुशवाहा", "designation_hi": "डायरी लिपिक"},
    "so.jhs": {"id": "so.jhs", "name_hi": "राजेश कुमार त्रिपाठी", "designation_hi": "अनुभाग अधिकारी"},
    "adm.jhs": {"id": "adm.jhs", "name_hi": "सुनीता वर्मा", "designation_hi": "अपर ज़िलाधिकारी"},
    "dm.jhs": {"id": "dm.jhs", "name_hi": "रवि कुमार शर्मा", "designation_hi": "ज़िलाधिकारी"},
}


def page(template, user=SO, path="/", **context):
    request = Request(EnvironBuilder(path=path).get_environ())
    return render_page(template, user.language, user, request, **context).get_data(as_text=True)


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def a_receipt(**changes):
    receipt = {
        "id": "r1", "receipt_number": "45/2026/COLL-JHS", "subject": "बड़ागाँव में हैंडपंप की मरम्मत", "classification": "normal",
        "status": "open", "holder": "so.jhs", "created_by": "diarist.jhs", "kind": "electronic", "delivery_mode": "post",
        "sender": {"name": "सुनीता देवी"}, "received_date": "2026-12-08", "letter_number": "ग्रा.प./12", "letter_date": "2026-12-05",
        "scans": [], "movements": [
            {"action": "send", "from": "diarist.jhs", "to": "so.jhs", "copy": False, "sent_at": "2026-12-08T14:11:00+00:00",
             "due_date": "2026-12-10", "priority": "urgent", "remarks": None},
            {"action": "copy", "from": "diarist.jhs", "to": "adm.jhs", "copy": True, "sent_at": "2026-12-08T14:12:00+00:00",
             "due_date": None, "priority": "normal", "remarks": None},
        ],
    }
    return {**receipt, **changes}


def receipt_page(receipt, **context):
    values = {"receipt": receipt, "people": PEOPLE, "actions": domain.receipt_actions(receipt, SO.user_id), "dialog": None,
              "failure": None, "errors": {}, "values": MultiDict(), "heads": [], "my_files": [], "today": date(2026, 12, 8),
              "docs": [], "query": "", "people_found": [], **context}
    return page("receipt.html", **values)


def test_only_a_copy_for_information_is_labelled_a_copy_not_the_send_to_the_holder():
    movements = re.findall(r"<li[^>]*>(.*?)</li>", receipt_page(a_receipt()).split('class="movements"')[1], re.S)
    assert len(movements) == 2
    assert "सूचनार्थ प्रति" not in movements[0] and "राजेश कुमार त्रिपाठी" in movements[0]
    assert "सूचनार्थ प्रति" in movements[1]


def test_times_are_india_standard_time_and_dates_one_indian_format():
    assert domain.ist_time("2026-12-08T14:11:00+00:00") == "08-12-2026 19:41"
    assert domain.ist_time(datetime(2026, 12, 8, 14, 11)) == "08-12-2026 19:41"  # naive: UTC
    assert domain.ist_time("2026-12-08T19:41:00+05:30") == "08-12-2026 19:41"
    assert domain.indian_date("2026-12-10") == "10-12-2026" and domain.indian_date(date(2026, 12, 10)) == "10-12-2026"
    assert domain.indian_date("2026-12-31T20:00:00+00:00") == "01-01-2027"  # the day it was in India
    shown = text_of(receipt_page(a_receipt()))
    assert "08-12-2026 19:41" in shown and "14:11" not in shown
    assert "10-12-2026" in shown and "05-12-2026" in shown and not re.search(r"\d{4}-\d{2}-\d{2}", shown)


def test_the_send_dialog_shows_designation_office_and_district_and_marks_another_district():
    class Row:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    office = Row(code="COLL-LKO", district="LKO", name_en="Collectorate, Lucknow", name_hi="ज़िलाधिकारी कार्यालय, लखनऊ",
                 district_name_en="Lucknow", district_name_hi="लखनऊ")
    user = Row(id="dm.lko", office="COLL-LKO", name_en="Anjali Saxena", name_hi="अंजलि सक्सेना", designation_en="District Magistrate",
               designation_hi="ज़िलाधिकारी")
    found = domain.person_found(user, office, "hi", "COLL-JHS", "JHS")
    assert found["label"] == "अंजलि सक्सेना (ज़िलाधिकारी)" and found["place"] == "ज़िलाधिकारी कार्यालय, लखनऊ"
    assert not found["own_district"]
    shown = receipt_page(a_receipt(), dialog="send", people_found=[found])
    assert '<li class="elsewhere">' in shown and "ज़िलाधिकारी कार्यालय, लखनऊ" in text_of(shown)


def a_file(**changes):
    file = {"id": "f1", "file_number": "N-11016/1/2026-COLL-JHS", "computer_number": 7, "subject": "हैंडपंप की मरम्मत",
            "classification": "normal", "status": "open", "custodian": PEOPLE["so.jhs"], "owner": PEOPLE["so.jhs"],
            "created_by": "so.jhs", "version": 3, "current_movement": None}
    return {**file, **changes}


def file_page(file, user=SO, **context):
    values = {"file": file, "tab": "noting", "dialog": None, "failure": None, "errors": {}, "values": MultiDict(), "notes": [],
              "paragraphs": domain.numbered_paragraphs, "items": [], "shown": None, "docs": [], "drafts": [], "movements": None,
              "version_shown": None, "today": date(2026, 12, 8), "query": "", "signing": {}, "signers": PEOPLE,
              "actions": domain.file_actions(file, user.user_id, user.is_officer), "people_found": [], **context}
    return page("file.html", user=user, **values)


def test_a_pull_back_is_shown_as_the_act_of_the_officer_who_pulled_it_back():
    movements = {"movements": [
        {"action": "send", "from": PEOPLE["adm.jhs"], "to": PEOPLE["so.jhs"], "sent_at": "2026-12-08T10:00:00+00:00",
         "opened_at": None, "remarks": None, "due_date": None, "priority": "normal", "pulled_back_at": "2026-12-08T10:05:00+00:00"},
        {"action": "pull_back", "from": PEOPLE["so.jhs"], "to": PEOPLE["adm.jhs"], "sent_at": "2026-12-08T10:05:00+00:00",
         "opened_at": None, "remarks": None, "due_date": None, "priority": "normal", "pulled_back_at": None},
    ]}
    html = file_page(a_file(custodian=PEOPLE["adm.jhs"]), tab="movements", movements=movements)
    pulled = text_of(html.split('data-movement="pull_back"')[1].split("</tr>")[0])
    acted, _, taken_from = pulled.partition("वापस लें")
    assert "सुनीता वर्मा" in acted and "राजेश कुमार त्रिपाठी" not in acted
    assert "राजेश कुमार त्रिपाठी (अनुभाग अधिकारी) से वापस ली गई" in taken_from


NOTE = {"id": "n1", "status": "green", "author": PEOPLE["adm.jhs"], "text": "पहला।\n\nदूसरा।", "first_paragraph": 1,
        "last_paragraph": 2, "confirmed_at": "2026-12-08T14:11:00+00:00", "signature": None}


def signing_of(document, user, methods):
    return {("note", "n1"): domain.signing_state(document, user.user_id, methods, "adm.jhs")}


def test_every_signer_of_a_note_is_shown_by_name_and_designation_in_order():
    document = {"owner": "adm.jhs", "signers": ["dm.jhs", "adm.jhs"], "next_signer": None, "changed_after_signing": False,
                "signatures": [
                    {"id": "s2", "position": 2, "signer": "adm.jhs", "status": "signed", "signed_at": "2026-12-08T14:30:00+00:00"},
                    {"id": "s1", "position": 1, "signer": "dm.jhs", "status": "signed", "signed_at": "2026-12-08T14:20:00+00:00"},
                ]}
    html = file_page(a_file(), notes=[NOTE], signing=signing_of(document, SO, {"dsc"}))
    signed = [text_of(p) for p in re.findall(r'<p class="signature ok"[^>]*>(.*?)</p>', html, re.S)]
    assert len(signed) == 2
    assert "रवि कुमार शर्मा (ज़िलाधिकारी)" in signed[0] and "08-12-2026 19:50" in signed[0]
    assert "सुनीता वर्मा (अपर ज़िलाधिकारी)" in signed[1] and "dm.jhs" not in signed[0]


def test_sign_and_close_buttons_appear_only_for_who_can_use_them():
    document = {"owner": "adm.jhs", "signers": ["adm.jhs", "so.jhs"], "next_signer": "adm.jhs", "changed_after_signing": False,
                "signatures": []}
    adm = SignedIn("h", "adm.jhs", "COLL-JHS", ("officer",), "Sunita Verma", "सुनीता वर्मा", "ADM", "अपर ज़िलाधिकारी", "hi", "c")
    assert 'action="/sign/note/n1"' not in file_page(a_file(), notes=[NOTE], signing=signing_of(document, SO, {"dsc"}))  # not next
    assert 'action="/sign/note/n1"' in file_page(a_file(), user=adm, notes=[NOTE], signing=signing_of(document, adm, {"dsc"}))
    no_certificate = file_page(a_file(), user=adm, notes=[NOTE], signing=signing_of(document, adm, set()))
    assert 'action="/sign/note/n1"' not in no_certificate and 'href="/certificates"' in no_certificate
    assert 'action="/signers/note/n1"' in no_certificate  # the owner may still choose the signing order
    # The owner who does not hold the file gets no Close: files would only answer not_custodian.
    held_by_adm = a_file(custodian=PEOPLE["adm.jhs"], current_movement={"from": PEOPLE["so.jhs"], "to": PEOPLE["adm.jhs"], "opened_at": "x"})
    assert 'action="/files/f1/close"' not in file_page(held_by_adm)
    assert 'action="/files/f1/close"' in file_page(a_file())


def test_a_certificate_revoked_or_expired_does_not_sign():
    today = date(2026, 12, 8)
    assert domain.usable_certificate_methods([{"status": "revoked", "source": "dsc", "not_after": "2030-01-01T00:00:00+00:00"}], today) == set()
    assert domain.usable_certificate_methods([{"status": "active", "source": "dsc", "not_after": "2026-12-07T00:00:00+00:00"}], today) == set()
    assert domain.usable_certificate_methods([{"status": "active", "source": "esign", "not_after": "2027-12-07T00:00:00+00:00"}], today) == {"esign"}


def test_a_notification_keeps_its_lines_apart():
    listing = {"unread": 1, "total": 1, "notifications": [{
        "id": "n1", "title": "फ़ाइल प्राप्त हुई", "body": "फ़ाइल: N-11016/1/2026\nविषय: हैंडपंप की मरम्मत\nप्रेषक: सुनीता वर्मा",
        "priority": "normal", "read_at": None, "occurred_at": datetime(2026, 12, 8, 14, 11, tzinfo=timezone.utc).isoformat()}]}
    html = page("notifications.html", listing=listing, page_number=1, pages=1, unread=1, box="")
    body = html.split('class="note-body">')[1].split("</p>")[0]
    assert body.count("<br>") == 2 and "2026<br>विषय" in body
    assert "08-12-2026 19:41" in html


def test_the_navigation_folds_behind_a_menu_button_that_works_without_script():
    html = page("inbox.html", items=[], counts={"total": 0, "overdue": 0, "urgent": 0, "unread": 0}, today=date(2026, 12, 8),
                shown=0, totals={"receipts": 0, "files": 0}, unread=0, errors={"receipts": None, "files": None}, box="inbox")
    assert re.search(r'<input type="checkbox" id="nav-toggle"[^>]*>\s*<label for="nav-toggle"', html)
    assert 'class="nav" id="nav"' in html


ADMIN = SignedIn("h", "admin.jhs", "COLL-JHS", ("admin", "officer"), "Ankit Srivastava", "अंकित श्रीवास्तव", "e-District Manager",
                 "ई-डिस्ट्रिक्ट मैनेजर", "hi", "csrf-1")


def test_the_audit_tab_lists_who_did_what_and_says_whether_the_chain_holds():
    audit = {"entries": [{"seq": 1, "action": "file_created", "actor": "so.jhs", "at": "2026-12-08T04:30:00+00:00", "hash": "a" * 64},
                         {"seq": 2, "action": "file_sent", "actor": "so.jhs", "at": "2026-12-08T05:00:00+00:00", "hash": "b" * 64}]}
    held = file_page(a_file(), tab="audit", audit=audit, chain={"valid": True, "entries": 2, "first_broken": None})
    assert 'data-chain="valid"' in held and "सभी 2 प्रविष्टियाँ सही हैं" in held
    assert "08-12-2026 10:00" in held and "राजेश कुमार त्रिपाठी" in text_of(held)
    broken = file_page(a_file(), tab="audit", audit=audit, chain={"valid": False, "entries": 2,
                                                                  "first_broken": {"seq": 2, "reason": "hash mismatch"}})
    assert 'data-chain="broken"' in broken and "प्रविष्टि 2 पर टूटी है: hash mismatch" in broken


def test_drafts_take_comments_and_show_them_with_author_and_version():
    draft = {"id": "d1", "subject": "नाम संशोधन", "status": "draft", "current_version": 2, "versions": [{"version": 1}, {"version": 2}],
             "content": "सेवा में,", "approval": None, "issue": None,
             "comments": [{"id": 1, "version": 1, "author": PEOPLE["adm.jhs"], "text": "भाषा सरल करें।", "created_at": "2026-12-08T06:00:00+00:00"}]}
    html = file_page(a_file(), tab="drafts", drafts=[draft])
    assert 'action="/files/f1/draft_comment"' in html and "भाषा सरल करें।" in html
    assert "सुनीता वर्मा (अपर ज़िलाधिकारी) · 08-12-2026 11:30" in text_of(html)


def test_volumes_and_part_files_are_offered_and_linked():
    file = a_file(related=[{"id": "f2", "file_number": "N-11016/1/2026-COLL-JHS/Vol.2", "relation": "volume", "status": "open"},
                           {"id": "f3", "file_number": "N-11016/1/2026-COLL-JHS/Part.1", "relation": "part", "status": "closed"}])
    html = file_page(file)
    assert 'action="/files/f1/volume"' in html and 'action="/files/f1/part"' in html
    assert 'href="/files/f2"' in html and 'href="/files/f3"' in html
    part = a_file(relation="part", parent_file_id="f1")
    assert "volume" not in domain.file_actions(part, "so.jhs", officer=True)
    assert 'href="/files/f1"' in file_page(part)


def test_the_admin_area_shows_its_forms_and_only_admins_get_the_link():
    html = page("admin.html", user=ADMIN, dialog=None, failure=None, values=MultiDict(), errors={}, heads=[],
                dead_letters=[{"id": 7, "reason": "SMTP 550", "created_at": "2026-12-08T06:00:00+00:00", "retried_at": None,
                               "delivery": {"channel": "email", "address": "dm@up.gov.in", "recipient": "dm.jhs", "subject": "फ़ाइल"}}],
                users=[], certificates=[], this_week="2026-W50", acknowledgements={"office": "COLL-JHS", "enabled": False, "may_change": True})
    for action in ("head", "transfer", "revoke", "retry", "recompute", "acknowledgements"):
        assert f'action="/admin/{action}"' in html, action
    assert 'name="letter_id" value="7"' in html and 'value="2026-W50"' in html
    assert 'data-acknowledgements="off"' in html and 'name="enabled" value="off" checked' in html
    assert 'href="/admin"' in html
    assert 'href="/admin"' not in page("admin.html", dialog=None, failure=None, values=MultiDict(), errors={}, heads=[],
                                       dead_letters=None, users=None, certificates=None, this_week="2026-W50",
                                       acknowledgements=None)
    assert domain.iso_week(date(2026, 12, 8)) == "2026-W50"
    assert re.search(r"<h1>प्रशासन", html) and SO.has_role("admin") is False


def test_a_note_flags_correspondence_and_a_flag_opens_the_item():
    items = [{"id": "c1", "receipt_number": "45/2026/COLL-JHS", "title": "हैंडपंप", "documents": []},
             {"id": "c2", "restricted": True, "classification": "secret"}]
    note = {**NOTE, "author": PEOPLE["so.jhs"], "references": ["c1"]}
    html = file_page(a_file(), notes=[note], items=items)
    assert re.search(r'<a class="flag" href="\?tab=noting&amp;item=c1#corr-h" data-flag="c1">⚑ 45/2026/COLL-JHS</a>', html)
    assert 'name="references" value="c1"' in html and 'name="references" value="c2"' not in html  # not a restricted one


def test_the_issue_form_offers_the_address_book_and_a_hand_over_on_leave_reads_in_the_pages_language():
    draft = {"id": "d1", "subject": "नाम संशोधन", "status": "approved", "current_version": 2, "versions": [{"version": 2}],
             "content": "सेवा में,", "approval": {"approved_by": PEOPLE["adm.jhs"], "version": 2, "approved_at": "2026-12-08T06:00:00+00:00"},
             "issue": None, "comments": []}
    correspondents = [{"name": "सुनीता देवी", "designation": "प्रधान", "organisation": "ग्राम पंचायत बड़ागाँव", "email": "p@gp.example.in"},
                      {"name": "R. K. Traders", "designation": None, "organisation": None, "email": "rk@traders.example.in"}]
    html = file_page(a_file(), tab="drafts", drafts=[draft], offices=[], correspondents=correspondents)
    assert 'list=address-book-names autocomplete=off data-address-book=recipient' in html
    assert html.count('<datalist id="address-book-names">') == 1
    assert '<option value="सुनीता देवी" label="ग्राम पंचायत बड़ागाँव"></option><option value="R. K. Traders" label=""></option>' in html

    movements = {"movements": [
        {"action": "hand_over", "from": PEOPLE["so.jhs"], "to": PEOPLE["adm.jhs"], "for_user": "so.jhs", "sent_at": "2026-12-08T10:00:00+00:00",
         "opened_at": None, "remarks": "handed over on leave", "due_date": None, "priority": "normal", "pulled_back_at": None},
    ]}
    handed = text_of(file_page(a_file(custodian=PEOPLE["adm.jhs"]), tab="movements", movements=movements).split('data-movement="hand_over"')[1])
    assert "अवकाश पर सौंपी गई" in handed and "handed over on leave" not in handed
    assert "राजेश कुमार त्रिपाठी (अनुभाग अधिकारी) के लिए, जो अनुपस्थित हैं" in handed
    receipt = a_receipt(holder="adm.jhs", movements=[
        {"action": "hand_over", "from": "so.jhs", "to": "adm.jhs", "for_user": "so.jhs", "copy": False, "sent_at": "2026-12-08T14:11:00+00:00",
         "due_date": None, "priority": "normal", "remarks": "handed over on leave"}])
    shown = text_of(receipt_page(receipt).split('data-movement="hand_over"')[1])
    assert "अवकाश पर सौंपी गई" in shown and "राजेश कुमार त्रिपाठी (अनुभाग अधिकारी) के लिए, जो अनुपस्थित हैं" in shown


def test_the_leave_form_offers_the_hand_over_and_shows_why_it_was_refused():
    values = MultiDict({"acting_user": "adm.jhs", "hand_over": "yes"})
    errors = domain.field_errors({"hand_over": "the leave has not begun"})
    html = page("leave.html", charges=[], failure=None, values=values, errors=errors)
    assert 'name="hand_over" value="yes" checked aria-invalid="true" aria-describedby="hand-over-hint e-hand_over"' in html
    assert "अवकाश के पहले दिन सौंपी जाती हैं" in html
    assert 'name="hand_over" value="yes" aria-describedby="hand-over-hint"' in page("leave.html", charges=[], failure=None,
                                                                                  values=MultiDict(), errors={})


def test_an_approved_draft_shows_the_issue_number_reserved_for_its_letter():
    draft = {"id": "d1", "subject": "पेंशन स्वीकृति", "status": "approved", "current_version": 1, "versions": [{"version": 1}],
             "content": "सेवा में,", "comments": [], "issue": None,
             "approval": {"version": 1, "approved_by": PEOPLE["dm.jhs"], "approved_at": "2026-12-08T06:00:00+00:00",
                          "content_sha256": "a" * 64, "issue_number": "I-7/2026/COLL-JHS", "signature": None}}
    html = file_page(a_file(), tab="drafts", drafts=[draft])
    assert "पत्रांक I-7/2026/COLL-JHS, अनुमोदन पर आरक्षित" in html


def test_the_admin_area_lists_the_offices_certificates_with_a_revoke_for_each_active_one():
    certificates = [
        {"id": "c-1", "user_id": "so.jhs", "source": "dsc", "subject": "CN=Rajesh Kumar Tripathi", "not_after": "2027-12-08T06:00:00+00:00",
         "status": "active"},
        {"id": "c-2", "user_id": "dm.jhs", "source": "esign", "subject": "CN=Ravi Kumar Sharma", "not_after": "2027-01-01T00:00:00+00:00",
         "status": "revoked"},
    ]
    html = page("admin.html", user=ADMIN, dialog=None, failure=None, values=MultiDict(), errors={}, heads=[], dead_letters=[],
                users=[], certificates=certificates, this_week="2026-W50", acknowledgements=None)
    assert 'name="certificate_id" value="c-1"' in html and 'name="certificate_id" value="c-2"' not in html
    assert "08-12-2027 11:30 तक मान्य" in html and "निरस्त" in html
