"""The running service on RabbitMQ, PostgreSQL and S3: events in, documents read on the pool, searches out."""
import io
import re
from datetime import datetime, timedelta, timezone

import requests
from fpdf import FPDF
from pypdf import PdfWriter

from eoffice_common.testing import promtool_check
from eoffice_common.web import HttpEntrypoint
from search import testing

from .conftest import envelope

NOTO = testing.FONTS_DIR


def text_pdf(pages):
    """A PDF with a text layer, a page for each text (Hindi shaped by HarfBuzz)."""
    pdf = FPDF()
    pdf.add_font("deva", "", f"{NOTO}/NotoSansDevanagari-Regular.ttf")
    pdf.add_font("sans", "", f"{NOTO}/NotoSans-Regular.ttf")
    pdf.set_fallback_fonts(["sans"])
    pdf.set_text_shaping(True)
    for page in pages:
        pdf.add_page()
        pdf.set_font("deva", size=14)
        pdf.multi_cell(0, 8, page)
    return bytes(pdf.output())


def encrypted_pdf():
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("गुप्त")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def empty_pdf():
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def diarised(receipt_id, scans, classification="normal", office="COLL-JHS", by="clerk.jhs", subject="पत्र"):
    return envelope("receipt_diarised", {
        "receipt_id": receipt_id, "receipt_number": f"{receipt_id}/2026/{office}", "office": office, "district": "JHS",
        "classification": classification, "subject": subject, "diarised_by": by, "holder": by,
        "scans": [{"position": n, "key": key, "content_type": "application/pdf", "filename": f"{n}.pdf"} for n, key in enumerate(scans, 1)],
    }, office=office, actor=by)


def all_read(db):
    return db.rows("SELECT count(*) FROM documents WHERE status = 'pending'")[0][0] == 0


def test_a_scanned_letter_is_found_by_a_word_of_it_only_by_those_who_may_open_it(bus, client, store, db, wait):
    _, _, _, english = next(page for page in testing.test_set() if page[0] == "en-land" and page[1] == "low_resolution")
    scan = store.put(english).key
    bus.publish(diarised("r-open", [scan], subject="भूमि अधिग्रहण"),
                diarised("r-secret", [scan], classification="secret", by="clerk2.jhs", subject="गोपनीय"))
    assert wait(lambda: db.rows("SELECT count(*) FROM documents WHERE status = 'indexed' AND source = 'scan:1'")[0][0] == 2, timeout=120)
    answer = client.search(user="dm.jhs", q="hospital objections").json()
    assert answer["total"] == 1 and answer["facets"]["classification"] == {"normal": 1}
    result = answer["results"][0]
    assert result["opens"] == {"kind": "receipt", "id": "r-open", "within": None} and result["number"] == "r-open/2026/COLL-JHS"
    assert "<mark>hospital</mark>" in result["snippet"] and result["page"] == 1
    secret_view = client.search(user="clerk2.jhs", q="hospital").json()
    assert {r["opens"]["id"] for r in secret_view["results"]} == {"r-open", "r-secret"}
    assert client.search(user="dm.jln", office="COLL-JLN", q="hospital").json() == {
        "total": 0, "bounded": False, "page": 1, "per_page": 20, "facets": {"type": {}, "classification": {}}, "results": []}


def test_bad_documents_are_recorded_with_a_reason_and_never_stay_waiting(bus, client, store, db, wait, search_config):
    keys = {
        "encrypted": store.put(encrypted_pdf()).key,
        "empty": store.put(empty_pdf()).key,
        "broken": store.put(b"%PDF-1.7\nthis is not a PDF at all").key,
        "image": store.put(b"\x89PNG\r\n\x1a\n" + b"not an image" * 10).key,
        "missing": "dak/" + "0" * 64 + ".pdf",
        "long": store.put(text_pdf([f"पृष्ठ संख्या {n} पर वेतन निर्धारण page{n}" for n in range(1, 6)])).key,
        "blank": store.put(testing.image_pdf([testing.Image.new("L", (800, 1100), 255)])).key,
    }
    bus.publish(*(diarised(f"r-{name}", [key]) for name, key in keys.items()))
    assert wait(lambda: db.rows("SELECT count(*) FROM documents WHERE source = 'scan:1'")[0][0] == len(keys), timeout=30)
    assert wait(lambda: all_read(db), timeout=120)
    reasons = dict(db.rows("SELECT item_id, status || ': ' || coalesce(reason, '') FROM documents WHERE source = 'scan:1'"))
    assert reasons.pop("r-broken").startswith("failed: unreadable PDF: ")  # which of pypdf's errors depends on the bytes
    assert reasons == {
        "r-encrypted": "failed: encrypted PDF: no text without its password",
        "r-empty": "failed: no pages",
        "r-image": "failed: unreadable image: UnidentifiedImageError",
        "r-missing": "failed: document not in the store (document_not_found)",
        "r-long": "indexed: only the first 3 of 5 pages",
        "r-blank": "failed: no text",
    }
    found = client.search(q="वेतन").json()
    assert found["total"] == 1 and found["results"][0]["page"] == 1
    assert client.search(q="page3").json()["results"][0]["page"] == 3
    assert client.search(q="page4").json()["total"] == 0
    metrics = requests.get(f"http://127.0.0.1:{search_config['METRICS_PORT']}/metrics").text
    ok, output = promtool_check(metrics)
    assert ok, output
    for outcome in ("encrypted", "no_pages", "unreadable", "not_in_the_store", "truncated", "no_text"):
        assert re.search(rf'eoffice_search_documents_read_total\{{outcome="{outcome}"\}} [1-9]', metrics), outcome
    assert "eoffice_search_documents_waiting 0.0" in metrics and "eoffice_search_pages_waiting 0.0" in metrics
    assert re.search(r'eoffice_search_pages_read_total\{method="text_layer"\} 3', metrics)


def test_a_secret_receipt_in_a_normal_file_stays_hidden_from_the_file_office(bus, client, db, wait):
    now = datetime.now(timezone.utc)
    bus.publish(
        envelope("file_created", {"file_id": "f1", "file_number": "N-11016/1/2026", "office": "COLL-JHS",
                                  "subject": "खनन पट्टा", "classification": "normal", "created_by": "so.jhs"}, at=now),
        diarised("r1", [], classification="secret", subject="खनन माफिया की शिकायत"),
        envelope("receipt_linked", {"file_id": "f1", "receipt_id": "r1", "linked_by": "so.jhs", "receipt_number": "r1",
                                     "correspondence_id": "c-1"},
                 at=now + timedelta(seconds=1)),
        envelope("file_sent", {"file_id": "f1", "to_user": "dm.jhs", "classification": "normal",
                               "sent_at": (now + timedelta(seconds=2)).isoformat()}),
    )
    assert wait(lambda: db.rows("SELECT count(*) FROM handovers")[0][0] == 1 and db.rows("SELECT count(*) FROM links")[0][0] == 1)
    assert wait(lambda: client.search(user="dm.jhs", q="खनन").json()["total"] == 2)
    hidden = client.search(user="adm.jhs", q="खनन").json()
    assert hidden["total"] == 1 and hidden["results"][0]["type"] == "file"
    assert "माफिया" not in str(hidden) and client.search(user="adm.jhs", q="माफिया").json()["total"] == 0
    late = client.search(user="dm.jhs", q="माफिया").json()["results"][0]
    assert late["opens"] == {"kind": "file", "id": "f1", "within": {"kind": "correspondence", "id": "c-1"}}


def test_a_malformed_event_is_dead_lettered_with_its_reason(bus, db, wait):
    bus.publish(envelope("file_created", {"file_id": "f9", "office": "COLL-JHS", "classification": "unheard-of",
                                          "created_by": "so.jhs"}))
    assert wait(lambda: db.rows("SELECT reason FROM dead_letters"))
    assert "classification" in db.rows("SELECT reason FROM dead_letters")[0][0]


def test_a_search_without_words_or_with_an_unknown_filter_is_refused(client):
    assert client.search().status_code == 422
    refused = client.search(q="पेंशन", type="memo")
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_input"
    assert requests.get(f"{client.base_url}/search", params={"q": "x"}, timeout=10).status_code == 401


def test_the_openapi_document_describes_every_route_and_no_other(search_container, client):
    document = requests.get(f"{client.base_url}/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    routes = {(e.method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", e.url)) for e in search_container.entrypoints
              if isinstance(e, HttpEntrypoint)}
    assert documented == routes


def test_a_draft_before_approval_and_an_attached_document_are_found_by_whoever_may_open_the_secret_file(bus, client, store, db, wait):
    attached = store.put(text_pdf(["पहला पृष्ठ", "गाटा संख्या 112 की खतौनी"])).key
    now = datetime.now(timezone.utc)
    bus.publish(
        envelope("file_created", {"file_id": "f1", "file_number": "N-1/2026", "office": "COLL-JHS", "subject": "भूमि विवाद",
                                  "classification": "secret", "created_by": "so.jhs"}, at=now),
        envelope("draft_versioned", {"file_id": "f1", "draft_id": "d1", "version": 1, "subject": "सूचना",
                                     "content": "सुनवाई की तिथि", "author": "so.jhs"}, at=now),
        envelope("documents_attached", {"file_id": "f1", "correspondence_id": "c-1", "title": "खसरा प्रति", "added_by": "so.jhs",
                                        "documents": [{"position": 1, "key": attached, "content_type": "application/pdf"}]}, at=now),
    )
    assert wait(lambda: db.rows("SELECT count(*) FROM documents WHERE status = 'indexed' AND source = 'correspondence:c-1:1'")[0][0] == 1)
    (draft,) = client.search(user="so.jhs", q="सुनवाई").json()["results"]
    assert draft["opens"] == {"kind": "file", "id": "f1", "within": {"kind": "draft", "id": "d1"}}
    (document,) = client.search(user="so.jhs", q="गाटा").json()["results"]
    assert (document["type"], document["scan"], document["page"]) == ("document", 1, 2)
    assert document["opens"] == {"kind": "file", "id": "f1", "within": {"kind": "correspondence", "id": "c-1"}}
    for q in ("सुनवाई", "गाटा", "खसरा"):
        assert client.search(user="dm.jhs", q=q).json()["total"] == 0, q

