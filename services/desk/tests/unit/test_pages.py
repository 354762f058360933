"""The catalogues and templates on their own: both languages complete, Devanagari kept, input escaped."""
import re

import pytest
from nameko.exceptions import ConfigurationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from desk import security
from desk.domain import FieldError
from desk.i18n import Translator, catalogue
from desk.web import SignedIn, render_page
from eoffice_common.auth import TokenKeyError, new_key_pair

DEVANAGARI = re.compile("[\u0900-\u097F]")
USER = SignedIn("h", "clerk.jhs", "COLL-JHS", ("clerk",), "Sunita Devi", "सुनीता देवी", "Clerk", "लिपिक", "hi", "csrf-1")


def test_both_catalogues_have_the_same_words_and_hindi_is_in_devanagari():
    english, hindi = catalogue("en"), catalogue("hi")
    assert english.keys() == hindi.keys()
    not_devanagari = [k for k, v in hindi.items() if not DEVANAGARI.search(v) and not re.fullmatch(r"[A-Za-z0-9 ,.:{}()&/+-]*(CSV|PDF|SMS|SHA|VIP|TIFF|JPEG|PNG)[\w ,.:{}()&/+-]*", v)]
    assert not_devanagari == []
    for key in english:
        assert set(re.findall(r"{(\w+)}", english[key])) == set(re.findall(r"{(\w+)}", hindi[key])), key


def test_a_missing_word_falls_back_to_english_then_to_its_key():
    t = Translator("hi")
    assert t("inbox.title") == "इनबॉक्स"
    assert t("no.such.key") == "no.such.key"
    assert Translator("xx").language == "hi"


def test_the_diarise_form_shows_errors_beside_fields_and_escapes_what_was_typed():
    values = MultiDict({"subject": '<script>alert("x")</script> भूमि', "sender_pincode": "12"})
    html = render_page("diarise.html", "hi", USER, None, values=values,
                       errors={"sender_pincode": FieldError("format", "pattern")}).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; भूमि" in html and "<script>alert" not in html
    assert 'aria-invalid="true" aria-describedby="e-sender_pincode"' in html
    assert '<p class="error" id="e-sender_pincode">यह सही प्रारूप में नहीं है।</p>' in html
    assert 'name="csrf_token" value="csrf-1"' in html and '<html lang="hi">' in html


def test_every_field_of_the_diarise_form_has_a_label():
    html = render_page("diarise.html", "en", USER, None, values=MultiDict(), errors={}).get_data(as_text=True)
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and ids <= labelled


def test_cookies_are_signed_and_a_changed_one_is_refused():
    signed = security.sign("abc", "secret")
    assert security.unsign(signed, "secret") == "abc"
    assert security.unsign(signed, "other") is None
    assert security.unsign(signed[:-1] + "x", "secret") is None
    assert security.unsign(None, "secret") is None


def test_cookies_are_signed_with_a_long_session_secret_else_a_key_derived_from_the_private_key():
    private, _ = new_key_pair()
    derived = security.session_secret({"JWT_PRIVATE_KEY": private})
    assert derived == security.session_secret({"JWT_PRIVATE_KEY": private}) and len(derived) == 64
    assert derived != security.session_secret({"JWT_PRIVATE_KEY": new_key_pair()[0]})
    assert security.session_secret({"SESSION_SECRET": "s" * 32, "JWT_PRIVATE_KEY": private}) == "s" * 32
    with pytest.raises(ConfigurationError, match="SESSION_SECRET must be at least 32 characters"):
        security.session_secret({"SESSION_SECRET": "short", "JWT_PRIVATE_KEY": private})
    with pytest.raises(TokenKeyError, match="JWT_PRIVATE_KEY is not set"):
        security.session_secret({})


def test_passwords_are_argon2_hashes_that_verify_only_the_password():
    hashed = security.hash_password("eoffice-demo")
    assert hashed.startswith("$argon2id$")
    assert security.verify_password(hashed, "eoffice-demo")
    assert not security.verify_password(hashed, "eoffice-dem0")
    assert not security.verify_password(None, "eoffice-demo")


def test_the_scoreboard_explains_the_median_disposal_of_a_week_with_a_closed_file():
    """metrics gives the median's count of files as its denominator and no numerator."""
    from metrics.domain import ScoreSettings, UnitInputs, explain

    components = explain(UnitInputs(files_created=1, e_files_created=1, disposal_days=[3.0], users=2, active_people={"so.jhs"}),
                         ScoreSettings.from_config({}))
    unit = {"unit": "JHS", "name_en": "Jhansi", "name_hi": "झाँसी", "score": 6.1, "rank": 1, "rank_change": 0}
    html = render_page(
        "scoreboard.html", "hi", USER, None, level="district", board={"week": "2026-W10", "units": [unit]}, unit="JHS",
        detail={**unit, "history": []}, explained={"components": components, "formula": {"score": "sum"}}, history_chart=None,
    ).get_data(as_text=True)
    median = next(row for row in html.split("<tr>") if "फ़ाइल निस्तारण के माध्य दिन" in row)
    assert "9.3 × 1.5" in median and "(निस्तारित 1 फ़ाइलों का माध्य)" in median


def test_report_tables_head_their_columns_in_the_pages_language_with_figures_grouped_in_lakhs():
    """No API column names (office_name_en, days_0-7) in a report's headings; names in the page's
    language only; numbers as offices write them."""
    report = {
        "report": "pendency", "from": None, "to": None, "as_of": "2026-12-06T10:00:00+00:00",
        "columns": ["office", "office_name_en", "office_name_hi", "item_type", "days_0-7", "days_31+", "total"],
        "rows": [{"office": "HR-JJR-DC1", "office_name_en": "Deputy Commissioner, Jhajjar", "office_name_hi": "उपायुक्त, झज्जर",
                  "item_type": "file", "days_0-7": 1234567, "days_31+": 0, "total": 1234567.5}],
    }
    request = Request.from_values("/reports?report=pendency")
    for language, heading, name, hidden in (("hi", "30 दिन से अधिक", "उपायुक्त, झज्जर", "Deputy Commissioner"),
                                            ("en", "Over 30 days", "Deputy Commissioner, Jhajjar", "उपायुक्त")):
        html = render_page("reports.html", language, USER, request, name="pendency", reports=("pendency",), report=report,
                           failure=None, values=MultiDict(), errors={}).get_data(as_text=True)
        headings = re.findall(r'<th scope="col">([^<]*)</th>', html)
        assert heading in headings and len(headings) == 6, headings
        assert not [h for h in headings if "_" in h or h in ("days 0-7", "total")]
        assert name in html and hidden not in html
        assert '<td data-label="' in html and ">12,34,567<" in html and ">12,34,567.50<" in html


def test_the_scoreboard_shows_its_formula_and_each_component_against_its_weight():
    from metrics.domain import ScoreSettings, UnitInputs, explain

    components = explain(UnitInputs(files_created=4, e_files_created=3, receipts_diarised=2, e_receipts_diarised=2, movements=6,
                                    users=4, active_people={"a", "b"}, pending=5, pending_old=1), ScoreSettings.from_config({}))
    unit = {"unit": "JJR", "name_en": "Jhajjar", "name_hi": "झज्जर", "score": 5.0, "rank": 1, "rank_change": 0}
    html = render_page(
        "scoreboard.html", "hi", USER, None, level="district", board={"week": "2026-W48", "units": [unit]}, unit="JJR",
        detail={**unit, "history": []}, explained={"components": components, "formula": {"score": "sum"}}, history_chart=None,
    ).get_data(as_text=True)
    assert "स्कोर = Σ (भार × घटक, 0–10 पर) ÷ Σ भार" in html
    total = sum(c["weight"] for c in components)
    rows = re.findall(r'<tr data-component="(\w+)">.*?<rect class="bar-room"[^>]* width="([\d.]+)"></rect>'
                      r'<rect class="bar"[^>]* width="([\d.]+)"></rect>', html, re.S)
    assert [r[0] for r in rows] == [c["component"] for c in components]
    for (_, room, gave), c in zip(rows, components, strict=True):
        assert float(room) == round(100 * c["weight"] / total, 2)
        assert float(gave) == round(10 * c["contribution"], 2) and float(gave) <= float(room) + 0.01
    assert any(float(gave) > 0 for _, _, gave in rows)


def test_every_column_of_every_report_the_desk_shows_has_a_heading_in_both_languages(tmp_path):
    """The columns as metrics gives them (its reports run on an empty SQLite store)."""
    import os
    from datetime import date, datetime, timezone

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from desk.usecases.reports import MIS_REPORTS
    from eoffice_common.migrations import upgrade
    from metrics import reports

    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    upgrade(os.path.join(os.path.dirname(reports.__file__), ".."), url)
    now, first = datetime(2026, 12, 6, tzinfo=timezone.utc), date(2026, 11, 6)
    with Session(create_engine(url)) as session:
        columns = {}
        for name in MIS_REPORTS:
            report = getattr(reports, name.replace("-", "_"))
            arguments = {"pendency": (now,), "section-pendency": (now,), "vip-receipts": (now,), "overdue": (now.date(),),
                         "pending-with-others": ("clerk.jjr", now), "active-file-levels": ()}.get(name, (first, now.date()))
            columns[name] = report(session, {}, *arguments)[0]
    assert "days_0-7" in columns["pendency"] and "e_file_percent" in columns["darpg-monthly"]
    for language in ("en", "hi"):
        t = Translator(language)
        assert [(n, c) for n, cs in columns.items() for c in cs if not t.has(f"column.{c}")] == []
        assert [n for n in MIS_REPORTS if not t.has(f"report.{n}")] == []


def test_a_report_page_offers_the_callers_scopes_and_pages_the_register():
    scopes = [{"kind": "district", "code": "JJR", "name_en": "Jhajjar", "name_hi": "झज्जर"},
              {"kind": "department", "code": "REV", "name_en": "Revenue", "name_hi": "राजस्व"},
              {"kind": "office", "code": "HR-JJR-DC1", "name_en": "Deputy Commissioner", "name_hi": "उपायुक्त"}]
    report = {"report": "file-register", "from": "2026-11-06", "to": "2026-12-06", "as_of": "2026-12-06T10:00:00+00:00",
              "columns": ["office", "file_number"], "rows": [{"office": "HR-JJR-DC1", "file_number": "N-1/2026"}],
              "page": 2, "per_page": 100, "total": 250}
    request = Request.from_values("/reports?report=file-register&scope=department:REV&page=2")
    html = render_page("reports.html", "hi", USER, request, name="file-register", reports=("file-register",), report=report,
                       failure=None, values=MultiDict(request.args), errors={}, scopes=scopes, scope="department:REV",
                       pendency_chart=None, monthly_chart=None).get_data(as_text=True)
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', html)
    assert options == [("district:JJR", "", "ज़िला: झज्जर"), ("department:REV", " selected", "विभाग: राजस्व"),
                       ("office:HR-JJR-DC1", "", "कार्यालय: उपायुक्त")]
    assert "पृष्ठ 2 / 3" in html
    links = dict(re.findall(r'<a href="/reports\?([^"]+)" rel="(prev|next)">', html)[i][::-1] for i in range(2))
    assert "page=1" in links["prev"] and "page=3" in links["next"] and "scope=department%3AREV" in links["next"]


def test_every_page_has_the_search_box_and_text_results_link_to_the_scan_page_and_keep_only_the_marks():
    request = Request.from_values("/search?what=text&go=1&q=पेंशन")
    results = {"total": 21, "page": 1, "per_page": 20, "facets": {}, "results": [
        {"document_id": 1, "type": "receipt", "number": "12/2026/COLL-JHS", "subject": "पेंशन <b>प्रकरण</b>",
         "date": "2026-11-02", "classification": "normal", "snippet": "श्री राम की <mark>पेंशन</mark> &lt;script&gt;",
         "page": 3, "scan": 2, "opens": {"kind": "receipt", "id": "r-1", "within": None}},
        {"document_id": 2, "type": "note", "number": "N-11016/1/2026", "subject": None, "date": None,
         "classification": "secret", "snippet": "<mark>पेंशन</mark>", "page": 1, "scan": None,
         "opens": {"kind": "file", "id": "f-1", "within": {"kind": "note", "id": "n-1"}}},
    ]}
    html = render_page("search.html", "hi", USER, request, what="text", values=request.args, results=results,
                       failure=None, errors={}).get_data(as_text=True)
    assert 'role="search"' in html and 'name="what" value="text"' in html
    assert 'href="/receipts/r-1?scan=2&amp;page=3"' in html and 'href="/files/f-1?tab=noting#note-n-1"' in html
    assert "<mark>पेंशन</mark>" in html and "&lt;script&gt;" in html and "पेंशन &lt;b&gt;प्रकरण&lt;/b&gt;" in html
    assert "page=2" in html and "21 मिले" in html
    assert "02-11-2026" in html and "2026-11-02" not in html  # one Indian date format, as on every page
    other = render_page("error.html", "en", USER, Request.from_values("/inbox"), status=404, error=None,
                        error_status=404).get_data(as_text=True)
    assert 'role="search"' in other and "Search inside every document" in other


def test_a_text_result_found_through_a_file_opens_the_draft_or_correspondence_item_and_a_bounded_count_says_so():
    request = Request.from_values("/search?what=text&go=1&q=निविदा")
    through_file = lambda n, within, scan=None: {  # noqa: E731
        "document_id": n, "type": "document", "number": "N-1", "subject": "s", "date": None, "classification": "normal",
        "snippet": "<mark>निविदा</mark>", "page": 2, "scan": scan, "opens": {"kind": "file", "id": "f-1", "within": within}}
    results = {"total": 640, "bounded": True, "page": 1, "per_page": 20, "facets": {}, "results": [
        through_file(1, {"kind": "draft", "id": "d-1"}), through_file(2, {"kind": "correspondence", "id": "c-1"}, scan=2),
        through_file(3, None)]}
    for lang, count in (("en", "640+ found"), ("hi", "640+ मिले")):
        html = render_page("search.html", lang, USER, request, what="text", values=request.args, results=results,
                           failure=None, errors={}).get_data(as_text=True)
        assert 'href="/files/f-1?tab=drafts#draft-d-1"' in html
        assert 'href="/files/f-1?tab=noting&amp;item=c-1&amp;scan=2&amp;page=2#corr-h"' in html
        assert 'href="/files/f-1?tab=noting"' in html and count in html


def test_the_viewer_shows_the_scan_and_page_a_search_result_points_at():
    docs = [{"url": f"/receipts/r-1/scans/{n}", "filename": f"{n}.pdf", "content_type": "application/pdf", "size": 2048}
            for n in (1, 2)]
    html = render_page("_viewer.html", "en", USER, Request.from_values("/receipts/r-1?scan=2&page=3"), docs=docs).get_data(as_text=True)
    assert '<iframe src="/receipts/r-1/scans/2#page=3"' in html
    html = render_page("_viewer.html", "en", USER, Request.from_values("/receipts/r-1?scan=9"), docs=docs).get_data(as_text=True)
    assert '<iframe src="/receipts/r-1/scans/1"' in html
