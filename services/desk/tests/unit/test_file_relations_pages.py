"""The desk's pages for files joined to files: merging a part, links and attachments on both files, and
several files of the inbox sent together."""
from dataclasses import replace
from datetime import date

from werkzeug.datastructures import MultiDict

from desk import domain

from .test_issue_21_pages import NOTE, PEOPLE, SO, a_file, file_page, page, text_of

PART = {"id": "p1", "file_number": "N-11016/1/2026-COLL-JHS/Part.1", "relation": "part", "part": 1, "status": "closed",
        "custodian": "so.jhs"}


def test_the_custodian_of_a_part_and_its_main_file_is_offered_the_merge():
    main_with_me = {"id": "f1", "file_number": "N-11016/1/2026-COLL-JHS", "relation": None, "part": None, "status": "open",
                    "custodian": "so.jhs"}
    part = a_file(id="p1", relation="part", parent_file_id="f1", related=[main_with_me])
    assert "merge" in domain.file_actions(part, "so.jhs", officer=True)
    assert 'action="/files/p1/merge"' in file_page(part)
    elsewhere = a_file(id="p1", relation="part", parent_file_id="f1", related=[{**main_with_me, "custodian": "dm.jhs"}])
    assert "merge" not in domain.file_actions(elsewhere, "so.jhs", officer=True)
    assert "merge" not in domain.file_actions(a_file(), "so.jhs", officer=True)  # a main file merges nothing
    merged = file_page(a_file(id="p1", relation="part", parent_file_id="f1", status="closed", merged_at="2026-12-08T14:11:00+00:00"))
    assert "data-merged" in merged and "08-12-2026 19:41" in merged and 'action="/files/p1/merge"' not in merged


def test_notes_and_correspondence_of_a_merged_part_are_marked_from_the_part():
    note = {**NOTE, "merged_from_file_id": "p1", "references": []}
    items = [{"id": "c1", "receipt_number": "45/2026/COLL-JHS", "title": "हैंडपंप", "documents": [], "merged_from_file_id": "p1"},
             {"id": "c2", "receipt_number": "46/2026/COLL-JHS", "title": "नई", "documents": [], "merged_from_file_id": None}]
    html = file_page(a_file(related=[PART]), notes=[note], items=items)
    assert html.count('data-from-part="1"') == 2 and "भाग 1 से" in html


def test_links_and_attachments_show_on_the_file_with_their_forms_for_the_custodian():
    other = {"id": "f9", "restricted": False, "file_number": "C-15012/4/2025-EST-JHS", "subject": "बड़ागाँव पेयजल", "status": "closed",
             "classification": "normal"}
    secret = {"id": None, "restricted": True, "file_number": None, "subject": None, "status": None, "classification": "secret"}
    file = a_file(links=[other, secret], attachments=[{**other, "id": "f8", "status": "open"}])
    html = file_page(file, attachable=[{"id": "f7", "file_number": "N-11016/9/2026-COLL-JHS", "subject": "संलग्न"}])
    shown = text_of(html)
    assert 'href="/files/f9"' in html and "गोपनीय फ़ाइल, जिसे देखने की आपको अनुमति नहीं है" in shown
    assert 'action="/files/f1/unlink"' in html and 'name="other_file_id" value="f9"' in html
    assert 'action="/files/f1/detach_file"' in html and 'name="other_file_id" value="f8"' in html
    assert 'action="/files/f1/link"' in html and 'action="/files/f1/attach_file"' in html
    assert '<option value="N-11016/9/2026-COLL-JHS">' in html
    reader = file_page(file, user=replace(SO, user_id="dm.jhs"))
    assert 'href="/files/f9"' in reader and 'action="/files/f1/link"' not in reader and 'action="/files/f1/unlink"' not in reader


def test_an_attached_file_says_so_and_offers_no_move_of_its_own():
    holder = {"id": "f1", "restricted": False, "file_number": "N-11016/1/2026-COLL-JHS", "subject": "मुख्य", "status": "open",
              "classification": "normal"}
    attached = a_file(id="f8", attached_to=holder, current_movement={"from": PEOPLE["adm.jhs"], "to": PEOPLE["so.jhs"]})
    actions = domain.file_actions(attached, "so.jhs", officer=True)
    assert not actions & {"send", "return", "close", "attach_file"} and "note" in actions
    assert "data-attached-to" in file_page(attached) and "?dialog=send" not in file_page(attached)


def test_a_file_number_is_matched_as_typed():
    assert domain.same_file_number("N-11016/1/2026-COLL-JHS", " n-11016 / 1 /2026-coll-jhs ")
    assert not domain.same_file_number("N-11016/1/2026-COLL-JHS", "N-11016/12/2026-COLL-JHS")


def files_listing(*files):
    return {"files": list(files), "total": len(files), "page": 1, "per_page": 50}


def test_the_inbox_list_of_files_selects_open_files_and_says_which_were_refused_why():
    class Refusal:
        status, reason, message, fields, service = 409, "file_parked", "the file is parked; unpark it first", {}, "files"

    open_file = a_file()
    parked = a_file(id="f2", file_number="N-11016/2/2026-COLL-JHS", status="parked")
    html = page("file_list.html", box="inbox", listing=files_listing(open_file, parked), page_number=1, pages=1,
                boxes=("inbox", "sent"), refused=[("f2", "N-11016/2/2026-COLL-JHS", Refusal())], done=1, values=MultiDict())
    assert 'action="/files/selected"' in html and 'name="file" value="f1"' in html and 'name="file" value="f2"' not in html
    assert "1 भेजी गईं, 1 अस्वीकृत" in text_of(html) and '<a href="/files/f2">N-11016/2/2026-COLL-JHS</a>' in html
    sent = page("file_list.html", box="sent", listing=files_listing(open_file), page_number=1, pages=1, boxes=("inbox", "sent"))
    assert 'action="/files/selected"' not in sent


def test_the_inbox_page_selects_open_files_for_their_own_form():
    today = date(2026, 12, 8)
    items = [domain.file_item(a_file()), domain.file_item(a_file(id="f2", status="parked"))]
    html = page("inbox.html", items=items, counts={"total": 2, "overdue": 0, "urgent": 0, "unread": 0}, today=today, shown=2,
                totals={"receipts": 0, "files": 2}, unread=0, errors={}, box="inbox", refused=(), done=0)
    assert 'name="file" value="f1" form="bulk-files"' in html and 'value="f2" form="bulk-files"' not in html
    assert 'action="/files/selected" id="bulk-files"' in html and 'name="back" value="inbox"' in html
    assert 'action="/inbox/receipts"' in html  # the receipts' form stays as it was
