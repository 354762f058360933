"""The address book page: the office's correspondents as cards / rows with their letters, and the
forms to add and correct an entry, in Hindi and English, with dak's refusals beside their fields."""
import re

from werkzeug.datastructures import MultiDict

from desk import domain
from desk.exceptions import ServiceFailure
from desk.web import SignedIn

from .test_issue_21_pages import SO, page, text_of

CLERK = SignedIn("h", "diarist.jhs", "COLL-JHS", ("clerk",), "Ramesh Chandra Kushwaha", "रमेश चन्द्र कुशवाहा", "Diary Clerk",
                 "डायरी लिपिक", "en", "csrf-2")
HEAD_ONLY = SignedIn("h", "head.jhs", "COLL-JHS", ("district_head",), "Head", "प्रमुख", "Head", "प्रमुख", "hi", "csrf-3")
SUNITA = {"id": 7, "name": "सुनीता देवी", "designation": "प्रधान", "organisation": "ग्राम पंचायत बड़ागाँव", "address": "ग्राम बड़ागाँव",
          "state": "उत्तर प्रदेश", "pincode": "284204", "email": "pradhan.badagaon@gp.example.in", "mobile": "9876543210",
          "letters": 3, "last_letter_at": "2026-12-05T20:00:00+00:00"}
TRADERS = {"id": 8, "name": "R. K. Traders", "designation": None, "organisation": None, "address": None, "state": None,
           "pincode": None, "email": None, "mobile": None, "letters": 0, "last_letter_at": None}


def book(user=SO, correspondents=(SUNITA, TRADERS), query="", editing=None, failure=None, values=None):
    errors = domain.field_errors(failure.fields, failure.message) if failure else {}
    return page("correspondents.html", user=user, path="/correspondents", correspondents=list(correspondents), query=query,
                editing=editing, failure=failure, values=values or MultiDict(), errors=errors, nav="correspondents",
                keeps_the_book=domain.keeps_the_book(user))


def test_each_correspondent_shows_their_letters_and_when_last_in_hindi():
    html = book()
    row = re.search(r'<tr data-correspondent="7">(.*?)</tr>', html, re.S).group(1)
    shown = text_of(row)
    assert "सुनीता देवी" in shown and "प्रधान" in shown and "ग्राम पंचायत बड़ागाँव" in shown and "284204" in shown
    assert 'data-letters="3"' in row and "06-12-2026" in shown  # the day it was in India
    assert "अभी कोई नहीं" in text_of(re.search(r'<tr data-correspondent="8">(.*?)</tr>', html, re.S).group(1))
    assert 'aria-current="page"' in re.search(r'<a href="/correspondents"[^>]*>', html).group(0)
    assert "पता पुस्तिका में जोड़ें" in html and 'action="/correspondents"' in html


def test_the_edit_form_is_filled_from_the_entry_and_posts_to_it_keeping_the_search():
    values = MultiDict({name: SUNITA[name] or "" for name in domain.CORRESPONDENT_FIELDS})
    html = book(user=CLERK, query="बडागांव", editing="7", values=values)
    form = re.search(r'<form method="post"[^>]*id="entry">(.*?)</form>', html, re.S)
    assert 'action="/correspondents/7?q=' in form.group(0)
    assert 'value="सुनीता देवी"' in form.group(1) and 'value="9876543210"' in form.group(1)
    assert "Correct the entry" in html and "Add a correspondent" not in html
    assert 'href="/correspondents?q=%E0%A4%AC' in html  # each row's edit link keeps the search


def test_dak_refusals_stand_beside_their_fields():
    refused = ServiceFailure("dak", 422, "invalid_input", "Some fields are not valid", {
        "pincode": "String should match pattern '^[1-9][0-9]{5}$'", "mobile": "String should match pattern '^(\\+91)?[6-9][0-9]{9}$'"})
    html = book(user=CLERK, failure=refused, values=MultiDict({"name": "सुनीता देवी", "pincode": "28420", "mobile": "98765"}))
    assert 'id="e-pincode"' in html and 'id="e-mobile"' in html and "6 digits" in html
    duplicate = ServiceFailure("dak", 409, "correspondent_exists", "सुनीता देवी is in the address book already (entry 7)",
                               {"name": "correspondent_exists"})
    shown = text_of(book(failure=duplicate, values=MultiDict({"name": "सुनीता  देवी"})))
    assert "पता पुस्तिका में पहले से है" in shown


def test_only_a_clerk_or_officer_is_offered_the_forms():
    html = book(user=HEAD_ONLY)
    assert "सुनीता देवी" in html and 'id="entry"' not in html and "/correspondents?q=&amp;edit=" not in html
    assert domain.keeps_the_book(CLERK) and domain.keeps_the_book(SO)


def test_the_form_becomes_dak_entry_fields_trimmed_empty_ones_null():
    form = MultiDict({"name": "  सुनीता देवी ", "organisation": "", "pincode": " 284204", "csrf_token": "x"})
    assert domain.correspondent_entry(form) == {"name": "सुनीता देवी", "designation": None, "organisation": None, "address": None,
                                                "state": None, "pincode": "284204", "email": None, "mobile": None}
    assert domain.correspondent_entry(MultiDict())["name"] == ""
