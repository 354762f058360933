"""Documents on the S3 endpoint: content-addressed, type sniffed from bytes, limits, checksums."""
import hashlib
from datetime import timedelta

import pytest

from eoffice_common.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from eoffice_common.storage import DocumentCorrupted, S3Documents, ensure_bucket, s3_client, sniff_content_type

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def store(s3_config):
    client = s3_client(s3_config)
    ensure_bucket(client, s3_config["S3_BUCKET"])
    return S3Documents(client, s3_config["S3_BUCKET"], "test/", 1024, {"application/pdf", "image/png", "image/jpeg", "image/tiff"})


def test_types_come_from_the_bytes():
    assert sniff_content_type(PDF) == "application/pdf"
    assert sniff_content_type(PNG) == "image/png"
    assert sniff_content_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_content_type(b"II*\x00rest") == "image/tiff"
    assert sniff_content_type(b"MM\x00*rest") == "image/tiff"
    assert sniff_content_type(b"<html>%PDF-") is None


def test_a_document_is_stored_under_its_sha256_and_read_back_verified(store):
    stored = store.put(PDF, "letter.pdf")
    assert stored.key == f"test/{hashlib.sha256(PDF).hexdigest()}.pdf"
    assert (stored.size, stored.content_type) == (len(PDF), "application/pdf")
    assert store.get(stored.key) == PDF
    assert store.put(PDF).key == stored.key


def test_a_changed_object_is_detected(store):
    stored = store.put(PNG, "scan.png")
    store.client.put_object(Bucket=store.bucket, Key=stored.key, Body=PNG + b"tampered")
    with pytest.raises(DocumentCorrupted):
        store.get(stored.key)


def test_limits_are_checked_before_storing(store):
    with pytest.raises(PayloadTooLarge):
        store.put(PDF + b"x" * 2048, "big.pdf")
    with pytest.raises(UnsupportedMediaType):
        store.put(b"MZ\x90\x00 an executable", "invoice.pdf")
    assert list(store.unreferenced(set(), timedelta(0))) == []


def test_a_missing_document_is_not_found(store):
    with pytest.raises(NotFound):
        store.get("test/" + "0" * 64 + ".pdf")


def test_unreferenced_documents_are_found_for_sweeping(store):
    kept = store.put(PDF)
    orphan = store.put(PNG)
    assert list(store.unreferenced({kept.key}, timedelta(0))) == [orphan.key]
    assert list(store.unreferenced({kept.key}, timedelta(hours=1))) == []
