"""Searching: Hindi folded, phrases, filters, ranking and paging, snippets, the page of a match."""
from datetime import date

from search import usecases
from search.text import Query, parse_query, snippet, tsvector_literal, words


def test_hindi_spelt_either_way_matches_anusvara_chandrabindu_and_nukta(uow, o):
    o.diarise("r1", letter="हिन्दी में सम्बन्धित पत्र, ज़िला झाँसी")
    for typed in ("हिंदी", "संबंधित", "जिला", "झांसी", "ज़िला"):
        assert o.found(typed, "dm.jhs", "COLL-JHS")["total"] == 1, typed


def test_devanagari_words_keep_their_vowel_signs_and_end_at_a_danda():
    assert [w.folded for w in words("राजस्व विभाग। Letter No. 12")] == ["राजस्व", "विभाग", "letter", "no", "12"]


def test_a_quoted_phrase_needs_its_words_together_and_in_order(uow, o):
    o.diarise("r1", letter="भूमि अधिग्रहण का प्रस्ताव")
    o.diarise("r2", letter="अधिग्रहण हेतु भूमि चिह्नित")
    assert o.found('"भूमि अधिग्रहण"', "dm.jhs", "COLL-JHS")["total"] == 1
    assert o.found("भूमि अधिग्रहण", "dm.jhs", "COLL-JHS")["total"] == 2
    assert parse_query('pension "land  acquisition" "x"') == Query(words=("pension", "x"), phrases=(("land", "acquisition"),))


def test_every_word_must_be_there_and_english_is_case_folded(uow, o):
    o.diarise("r1", letter="Pension of Shri Ram Prasad")
    assert o.found("PENSION prasad", "dm.jhs", "COLL-JHS")["total"] == 1
    assert o.found("pension gupta", "dm.jhs", "COLL-JHS")["total"] == 0


def test_the_snippet_marks_the_words_and_escapes_the_rest():
    marked, offset = snippet("<b>Notice</b>: the पेंशन of Ram", parse_query("पेन्शन ram"))
    assert marked == "&lt;b&gt;Notice&lt;/b&gt;: the <mark>पेंशन</mark> of <mark>Ram</mark>"
    assert offset == 19


def test_a_result_opens_at_the_page_of_the_document_where_the_words_are(uow, o):
    o.diarise("r1")
    usecases.record_extraction(usecases.Extracted(o.scan_of("r1"), pages=["पहला पृष्ठ", "दूसरा पृष्ठ", "तीसरा पृष्ठ तहसील"]), uow)
    result = o.found("तहसील", "dm.jhs", "COLL-JHS")["results"][0]
    assert result["page"] == 3 and result["scan"] == 1 and "<mark>तहसील</mark>" in result["snippet"]
    assert result["type"] == "receipt" and result["number"] == "r1/2026/COLL-JHS"


def test_filters_by_type_office_classification_number_and_dates(uow, o):
    o.diarise("r1", letter="सड़क मरम्मत")
    o.create_file("f1", subject="सड़क मरम्मत")
    o.apply("note_confirmed", file_id="f1", note_id="n1", text="सड़क मरम्मत हेतु अनुमान", confirmed_at="2026-11-20T10:00:00+05:30")
    o.apply("draft_approved", file_id="f1", draft_id="d1", subject="सड़क मरम्मत", content="स्वीकृति आदेश सड़क")
    q = lambda **filters: o.found("सड़क", "dm.jhs", "COLL-JHS", **filters)  # noqa: E731
    assert q()["total"] == 4  # the receipt's scan (its subject is "पेंशन प्रकरण"), the file's subject, note and draft
    assert q()["facets"]["type"] == {"receipt": 1, "file": 1, "note": 1, "draft": 1}
    assert {r["type"] for r in q(types=("note", "draft"))["results"]} == {"note", "draft"}
    assert q(number="N-11016/f1")["total"] == 3
    assert q(office_filter="COLL-JLN")["total"] == 0
    assert q(classification="secret")["total"] == 0
    assert [r["type"] for r in q(date_from=date(2026, 11, 15), date_to=date(2026, 11, 25))["results"]] == ["note"]


def test_results_are_paged_and_the_total_counts_all(uow, o):
    for n in range(7):
        o.diarise(f"r{n}", letter=f"वेतन निर्धारण {n}")
    first = o.found("वेतन", "dm.jhs", "COLL-JHS", per_page=5)
    second = o.found("वेतन", "dm.jhs", "COLL-JHS", per_page=5, page=2)
    assert first["total"] == second["total"] == 7
    assert len(first["results"]) == 5 and len(second["results"]) == 2
    assert not {r["document_id"] for r in first["results"]} & {r["document_id"] for r in second["results"]}


def test_an_empty_query_finds_nothing(uow, o):
    o.diarise("r1", letter="कुछ भी")
    assert o.found(" । ,", "dm.jhs", "COLL-JHS")["total"] == 0


def test_a_failed_document_keeps_its_reason_and_a_long_one_says_what_was_left_out(uow, o):
    o.diarise("r1")
    scan = o.scan_of("r1")
    assert usecases.record_extraction(usecases.Extracted(scan, failure="encrypted PDF: no text without its password"), uow) == "failed"
    assert (uow.documents.get(scan).status, uow.documents.get(scan).reason) == ("failed", "encrypted PDF: no text without its password")
    assert not o.sees("पृष्ठ", "clerk.jhs", "COLL-JHS")
    usecases.record_extraction(usecases.Extracted(scan, pages=["पृष्ठ"] * 3, note="only the first 3 of 500 pages"), uow)
    found = uow.documents.get(scan)
    assert (found.status, found.reason, found.pages) == ("indexed", "only the first 3 of 500 pages", 3)
    assert o.sees("पृष्ठ", "clerk.jhs", "COLL-JHS")


def test_the_tsvector_literal_holds_each_folded_word_with_its_positions():
    assert tsvector_literal("हिन्दी हिंदी O'Brien") == "'हिंदी':1,2 'o':3 'brien':4"


def test_a_text_layer_keeps_devanagari_conjuncts_whole():
    from search.extraction import CONTROL

    assert [w.folded for w in words(CONTROL.sub("", "वेतन नि\x10र्धा\x12\x13रण"))] == ["वेतन", "निर्धारण"]


def test_a_receipt_found_by_its_subject_and_its_scan_is_listed_once_with_the_best_snippet(uow, o):
    o.diarise("r1", subject="पेंशन प्रकरण", letter="श्री राम प्रसाद की पेंशन स्वीकृति")
    o.diarise("r2", subject="वेतन", letter="पेंशन नियमावली")
    answer = o.found("पेंशन", "dm.jhs", "COLL-JHS")
    assert answer["total"] == 2 and answer["facets"]["type"] == {"receipt": 2}
    assert sorted(r["opens"]["id"] for r in answer["results"]) == ["r1", "r2"]
    # both words are only in r1's scan: that snippet, not the subject's
    found = o.found("पेंशन स्वीकृति", "dm.jhs", "COLL-JHS")["results"]
    assert len(found) == 1 and "<mark>स्वीकृति</mark>" in found[0]["snippet"] and found[0]["scan"] == 1


def test_a_word_in_more_documents_than_are_ranked_gives_a_bounded_count(uow, o, monkeypatch):
    monkeypatch.setattr(usecases, "MAX_CANDIDATES", 5)
    for n in range(8):
        o.diarise(f"r{n}", subject="विविध", letter=f"वेतन निर्धारण {n}")
    answer = o.found("वेतन", "dm.jhs", "COLL-JHS", per_page=3)
    assert answer["bounded"] is True and answer["total"] == 5 and len(answer["results"]) == 3
    assert o.found("निर्धारण 3", "dm.jhs", "COLL-JHS")["bounded"] is False
