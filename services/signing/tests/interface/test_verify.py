"""Verification: a changed PDF, a changed note and bad uploads are caught, each with its reason."""
import hashlib
import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

PDF_HEADERS = {"Content-Type": "application/pdf"}


def signed_note(office, text="जाँच रिपोर्ट संलग्न है। कृपया अवलोकन करें।"):
    note_id = office.confirm_note("dm.jhs", text)
    assert office.register_dsc("dm.jhs").status_code == 201
    assert office.sign("note", note_id, "dm.jhs").status_code == 201
    return note_id, office.get(f"/documents/note/{note_id}/pdf", "dm.jhs").content


def codes(result):
    return {r["code"]: r["category"] for r in result["reasons"]}


def test_a_byte_changed_in_a_signed_pdf_is_detected(office):
    _, pdf = signed_note(office)
    stream_at = pdf.index(b"stream\n", pdf.index(b"/Contents")) + len(b"stream\n") + 20
    tampered = pdf[:stream_at] + bytes([pdf[stream_at] ^ 0x01]) + pdf[stream_at + 1:]
    result = office.post("/verify", "clerk.jhs", data=tampered, headers=PDF_HEADERS).json()
    assert result["valid"] is False
    assert codes(result)["document_modified"] == "integrity"
    assert result["signatures"][0]["intact"] is False


def test_content_added_after_signing_is_detected(office):
    _, pdf = signed_note(office)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    forged = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f"))
    writer.add_stream_to_page(0, forged)
    output = io.BytesIO()
    writer.write(output)
    result = office.post("/verify", "clerk.jhs", files={"file": ("note.pdf", output.getvalue(), "application/pdf")}).json()
    assert result["valid"] is False
    assert "modified_after_signing" in codes(result)
    assert result["signatures"][0]["intact"] is True and result["signatures"][0]["covers_document"] is False


def test_a_note_changed_after_signing_is_detected(office, event_tap):
    note_id, pdf = signed_note(office)
    assert office.get(f"/documents/note/{note_id}/verification", "dm.jhs").json()["valid"] is True
    changed = "जाँच रिपोर्ट संलग्न है। स्वीकृत।"
    office.confirm_note("dm.jhs", changed, note_id=note_id)

    document = office.get(f"/documents/note/{note_id}", "dm.jhs").json()
    assert document["changed_after_signing"] is True
    by_id = office.get(f"/documents/note/{note_id}/verification", "dm.jhs").json()
    assert by_id["valid"] is False and codes(by_id) == {"content_changed": "integrity"}
    assert by_id["document"]["current_content_sha256"] == hashlib.sha256(changed.encode()).hexdigest()
    assert by_id["signatures"][0]["reasons"] == []  # the signature itself is still sound
    uploaded = office.post("/verify", "clerk.jhs", data=pdf, headers=PDF_HEADERS).json()
    assert uploaded["valid"] is False and "content_changed" in codes(uploaded)
    again = office.sign("note", note_id, "dm.jhs")
    assert (again.status_code, again.json()["error"]) == (409, "content_changed")


def test_a_note_whose_text_does_not_match_its_hash_is_not_signed(office):
    note_id = office.confirm_note("dm.jhs", "टिप्पणी", content_sha256="0" * 64)
    assert office.register_dsc("dm.jhs").status_code == 201
    response = office.sign("note", note_id, "dm.jhs")
    assert (response.status_code, response.json()["error"]) == (409, "content_hash_mismatch")


def test_an_unsigned_pdf_is_not_valid(office):
    note_id = office.confirm_note("dm.jhs", "अहस्ताक्षरित टिप्पणी")
    preview = office.get(f"/documents/note/{note_id}/pdf", "dm.jhs")
    assert preview.headers["Content-Type"] == "application/pdf"
    result = office.post("/verify", "dm.jhs", data=preview.content, headers=PDF_HEADERS).json()
    assert (result["valid"], codes(result)) == (False, {"no_signatures": "integrity"})
    assert office.get(f"/documents/note/{note_id}/verification", "dm.jhs").json()["valid"] is False


def test_a_signature_by_an_unregistered_certificate_has_an_unknown_signer(office, signing_db):
    from sqlalchemy import create_engine, text

    _, pdf = signed_note(office)
    engine = create_engine(signing_db)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM certificates"))
    engine.dispose()
    result = office.post("/verify", "clerk.jhs", data=pdf, headers=PDF_HEADERS).json()
    assert codes(result) == {"unknown_signer": "signer_identity"}


@pytest.mark.parametrize("body, headers, status, reason", [
    (b"not a pdf", {"Content-Type": "text/plain"}, 415, "unsupported_request_type"),
    (b"<html>not a pdf</html>", PDF_HEADERS, 415, "document_type_not_allowed"),
    (b"%PDF-1.7\n" + b"0" * 300_000, PDF_HEADERS, 413, "document_too_large"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", PDF_HEADERS, 422, "corrupt_pdf"),
])
def test_bad_uploads_are_refused_with_a_reason(office, body, headers, status, reason):
    response = office.post("/verify", "clerk.jhs", data=body, headers=headers)
    assert (response.status_code, response.json()["error"]) == (status, reason)


def test_unknown_documents_and_kinds_are_404(office):
    assert office.get("/documents/memo/x", "dm.jhs").json()["error"] == "document_not_found"
    assert office.sign("note", "no-such-note", "dm.jhs").status_code == 404
    assert office.get("/signatures/00000000-0000-0000-0000-000000000000", "dm.jhs").status_code == 404


def pdf_with_objects(*bodies):
    """A one-revision PDF of the given object bodies (object 1 the catalog), with a correct xref table."""
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref_at)
    return out


def test_a_pdf_nested_500_deep_is_refused_with_a_reason(office):
    nested = b"[" * 500 + b"]" * 500
    pdf = pdf_with_objects(b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields " + nested + b" >> >>",
                           b"<< /Type /Pages /Kids [] /Count 0 >>")
    response = office.post("/verify", "clerk.jhs", data=pdf, headers=PDF_HEADERS)
    assert (response.status_code, response.json()["error"]) == (400, "pdf_nesting_too_deep"), response.text


def relabelled(pdf, kind, document_id, content_sha256):
    """`pdf` with an incremental update that rewrites its Info keywords to claim another document."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    info_reference = writer.trailer.raw_get("/Info")
    info = info_reference.get_object()
    info["/Keywords"] = generic.TextStringObject(f"eoffice-{kind}:{document_id} sha256:{content_sha256}")
    writer.update_container(info)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_a_pdf_relabelled_after_signing_names_only_the_signed_document(office):
    note_a, pdf = signed_note(office)
    note_x = office.confirm_note("dm.jhs", "दूसरी टिप्पणी")
    x_hash = hashlib.sha256("दूसरी टिप्पणी".encode()).hexdigest()
    result = office.post("/verify", "dm.jhs", data=relabelled(pdf, "note", note_x, x_hash), headers=PDF_HEADERS).json()
    assert result["document"]["document_id"] == note_a
    assert result["valid"] is False and "modified_after_signing" in codes(result)
    assert (result["modified_after_signing"], result["revisions_after_last_signature"]) == (True, 1)
    as_signed = office.post("/verify", "dm.jhs", data=pdf, headers=PDF_HEADERS).json()
    assert (as_signed["valid"], as_signed["modified_after_signing"], as_signed["revisions_after_last_signature"]) == (True, False, 0)


def test_verify_reveals_nothing_of_a_document_the_caller_may_not_see(office):
    _, normal_pdf = signed_note(office, "सामान्य टिप्पणी")
    secret_text = "गुप्त टिप्पणी: केवल ज़िलाधिकारी के लिए।"
    secret_id = office.confirm_note("dm.jhs", secret_text, classification="secret")
    assert office.sign("note", secret_id, "dm.jhs").status_code == 201
    pdf = office.get(f"/documents/note/{secret_id}/pdf", "dm.jhs").content
    secret_hash = hashlib.sha256(secret_text.encode()).hexdigest()

    own = office.post("/verify", "dm.jhs", data=pdf, headers=PDF_HEADERS).json()
    assert (own["document"]["document_id"], own["document"]["current_content_sha256"]) == (secret_id, secret_hash)
    for caller, body in (("so.jhs", pdf), ("sto.jhs", relabelled(normal_pdf, "note", secret_id, "0" * 64))):
        response = office.post("/verify", caller, data=body, headers=PDF_HEADERS)
        assert response.status_code == 200 and response.json()["document"] is None
        assert secret_id not in response.text and secret_hash not in response.text
