"""Documents on the S3 endpoint and in a folder: content-addressed, type sniffed from bytes, limits,
checksums; one suite for both stores."""
import hashlib
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from eoffice_common.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from eoffice_common.storage import DocumentCorrupted, FolderDocuments, S3Documents, open_documents, sniff_content_type

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff")


@pytest.fixture(params=["s3", "folder"])
def config(request, tmp_path):
    if request.param == "s3":
        return {**request.getfixturevalue("s3_config"), "MAX_DOCUMENT_BYTES": 1024}
    return {"S3_ENDPOINT_URL": "", "DOCUMENTS_DIR": str(tmp_path / "documents"), "MAX_DOCUMENT_BYTES": 1024}


@pytest.fixture
def store(config):
    return open_documents(config, "test/", TYPES)


def overwrite(store, key, data):
    """Change a stored document behind the store's back."""
    if isinstance(store, S3Documents):
        store.client.put_object(Bucket=store.bucket, Key=key, Body=data)
    else:
        with open(os.path.join(store.root, key), "wb") as handle:
            handle.write(data)


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
    overwrite(store, stored.key, PNG + b"tampered")
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
    store.delete(orphan.key)
    assert list(store.unreferenced({kept.key}, timedelta(0))) == []
    with pytest.raises(NotFound):
        store.get(orphan.key)


def test_a_document_is_copied_under_another_prefix(config, store):
    stored = store.put(PDF)
    other = open_documents(config, "other/", TYPES)
    copy_key = f"other/{stored.sha256}.pdf"
    other.copy(stored.key, copy_key)
    assert other.get(copy_key) == PDF
    with pytest.raises(NotFound):
        other.copy(f"test/{'0' * 64}.pdf", copy_key)


def test_a_document_outlives_its_store(config):
    """A new process over the same configuration reads back what an earlier one stored: documents
    survive a restart of `make run`."""
    stored = open_documents(config, "test/", TYPES).put(PDF, "letter.pdf")
    reader = (
        "import sys; from eoffice_common.storage import open_documents; "
        "sys.stdout.buffer.write(open_documents(eval(sys.argv[1]), 'test/').get(sys.argv[2]))"
    )
    read_back = subprocess.run([sys.executable, "-c", reader, repr(config), stored.key], capture_output=True, check=True)
    assert read_back.stdout == PDF


def test_the_folder_store_is_used_without_an_s3_endpoint(tmp_path):
    store = open_documents({"S3_ENDPOINT_URL": "", "DOCUMENTS_DIR": str(tmp_path)}, "dak/scans/")
    stored = store.put(PDF)
    assert isinstance(store, FolderDocuments)
    assert (tmp_path / "dak" / "scans" / f"{stored.sha256}.pdf").read_bytes() == PDF
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{stored.sha256}.pdf"]


def test_a_key_outside_the_prefix_is_not_read(tmp_path):
    (tmp_path / "secret.pdf").write_bytes(PDF)
    store = open_documents({"DOCUMENTS_DIR": str(tmp_path / "documents")}, "dak/scans/")
    with pytest.raises(NotFound):
        store.get("dak/scans/../../../secret.pdf")
