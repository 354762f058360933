"""OCR quality on the test set (search/testing.py): pages rendered from known Hindi and English letters
with the project's fonts, clean and degraded (a quarter turn, upside down, noise with skew, 100 dpi), as
image PDFs.
Word recall: the share of the letter's words (folded) that the OCR'd text holds."""
from collections import defaultdict
from datetime import datetime, timezone

import eventlet
import pytest
from eventlet import tpool

from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.testing import truncate_all
from search import extraction, testing
from search.repository import SearchUnitOfWork
from search.text import folded_words

# A word of each letter that a clerk would search for.
SEARCHED = {"hi-pension": "पेन्शन", "hi-water": "हैंडपंप", "en-land": "hospital", "en-treasury": "salary"}


def recall(expected: str, found: str) -> float:
    wanted, have = folded_words(expected), set(folded_words(found))
    return sum(word in have for word in wanted) / len(wanted)


@pytest.fixture(scope="module")
def read_pages():
    """(letter, degradation, known text, OCR'd text) of every page, two pages at a time."""
    pages = testing.test_set()
    pool = eventlet.GreenPool(2)
    texts = list(pool.imap(lambda page: tpool.execute(extraction.ocr_page, page[3], 0), pages))
    return [(letter, how, known, text) for (letter, how, known, _), text in zip(pages, texts, strict=True)]


def test_word_recall_is_at_least_90_percent_on_clean_scans(read_pages):
    by_degradation = defaultdict(list)
    for _, how, known, text in read_pages:
        by_degradation[how].append(recall(known, text))
    print("\nOCR word recall by degradation:", {how: round(sum(r) / len(r), 3) for how, r in by_degradation.items()})
    clean = by_degradation["clean"]
    assert min(clean) >= 0.9 and sum(clean) / len(clean) >= 0.9
    assert all(sum(r) / len(r) >= 0.8 for r in by_degradation.values()), by_degradation


def test_a_search_for_a_word_of_each_page_finds_it(read_pages, search_database):
    truncate_all(search_database)
    engine = StandaloneEngine(search_database)
    now = datetime.now(timezone.utc)
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        office = testing.Office(SearchUnitOfWork(uow, now))
        for number, (letter, how, _, text) in enumerate(read_pages):
            office.diarise(f"{letter}-{how}", subject=f"पत्र {number}", letter=text)
        uow.commit()
    with UnitOfWork(engine, actor="test", correlation_id=None) as uow:
        office = testing.Office(SearchUnitOfWork(uow, now))
        for letter, word in SEARCHED.items():
            found = office.found(word, "dm.jhs", "COLL-JHS", per_page=100)
            assert {r["number"].split("/")[0] for r in found["results"]} == {f"{letter}-{how}" for how in testing.DEGRADATIONS}, word
    engine.engine.dispose()
