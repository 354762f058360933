"""A scan on a machine without Tesseract is recorded as unreadable with the reason, not retried."""
import pytest

from search import extraction


def test_a_machine_without_tesseract_records_the_scan_with_that_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(extraction, "ONE_THREAD", {"PATH": str(tmp_path)})
    with pytest.raises(extraction.Unreadable, match="OCR is not installed"):
        extraction.tesseract(b"", ["-l", "hin+eng"])
