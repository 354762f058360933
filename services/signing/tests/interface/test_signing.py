"""Signing green notes and approved drafts with a DSC on the token and through eSign, on the real
RabbitMQ, PostgreSQL, S3 endpoint and SoftHSM2 token."""
import io
import unicodedata

import pypdf
from pyhanko.pdf_utils.reader import PdfFileReader

HINDI_NOTE = (
    "प्रस्तुत प्रकरण में तहसील मऊरानीपुर की जाँच रिपोर्ट संलग्न है। वृद्धावस्था पेंशन के 42 आवेदन पात्र पाए गए हैं।\n"
    "ज़िलाधिकारी महोदय कृपया स्वीकृति हेतु अवलोकन करें।"
)
HINDI_WORDS = ["प्रस्तुत", "तहसील", "मऊरानीपुर", "रिपोर्ट", "संलग्न", "वृद्धावस्था", "पेंशन", "ज़िलाधिकारी", "कृपया", "स्वीकृति", "अवलोकन"]


def extracted_words(pdf_bytes):
    """The PDF's text as a reader extracts it, without whitespace (extractors guess spaces from
    glyph gaps, and a matra drawn apart from its consonant can earn a stray one)."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf_bytes)).pages)
    return "".join(unicodedata.normalize("NFC", text).split())


def test_an_author_signs_a_hindi_note_with_the_dsc_on_the_token(office, event_tap):
    tap = event_tap("signing")
    note_id = office.confirm_note("dm.jhs", HINDI_NOTE)
    assert office.register_dsc("dm.jhs").status_code == 201

    response = office.sign("note", note_id, "dm.jhs", reason="अवलोकित एवं अनुमोदित", location="झाँसी")
    assert response.status_code == 201, response.text
    signature = response.json()
    assert (signature["status"], signature["position"], signature["method"]) == ("signed", 1, "dsc")

    signed = tap.wait_for("document_signed")
    data = signed["data"]
    assert (data["document_kind"], data["document_id"], data["signer"], data["signer_name"]) == ("note", note_id, "dm.jhs", "Asha Verma")
    assert data["content_sha256"] == office.get(f"/documents/note/{note_id}", "dm.jhs").json()["content_sha256"]
    assert data["fully_signed"] is True and data["pdf_key"].startswith("signing/pdfs/")
    assert [e["type"] for e in tap.events() if e["aggregate_id"] == signature["id"]] == ["signature_requested", "document_signed"]

    pdf = office.get(f"/documents/note/{note_id}/pdf", "dm.jhs").content
    words = extracted_words(pdf)
    assert [w for w in HINDI_WORDS + ["आशावर्मा", "ज़िलाधिकारी/DistrictMagistrate"] if unicodedata.normalize("NFC", w) not in words] == []

    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(embedded) == 1
    assert str(embedded[0].sig_object["/Name"]) == "Asha Verma"
    assert str(embedded[0].sig_object["/Reason"]) == "अवलोकित एवं अनुमोदित"
    assert str(embedded[0].sig_object["/SubFilter"]) == "/ETSI.CAdES.detached"

    verification = office.get(f"/documents/note/{note_id}/verification", "dm.jhs").json()
    assert verification["valid"] is True, verification
    assert verification["signatures"][0]["signer"] == "dm.jhs" and verification["signatures"][0]["trusted"] is True
    uploaded = office.post("/verify", "clerk.jhs", data=pdf, headers={"Content-Type": "application/pdf"}).json()
    assert uploaded["valid"] is True and uploaded["document"]["document_id"] == note_id
    from_another_office = office.post("/verify", "sto.jhs", data=pdf, headers={"Content-Type": "application/pdf"}).json()
    assert from_another_office["valid"] is True and from_another_office["document"] is None


def test_only_the_author_signs_a_note_and_only_the_approver_a_draft(office):
    note_id = office.confirm_note("dm.jhs", "टिप्पणी")
    draft_id = office.approve_draft("dm.jhs", "आदेश")
    for user in ("so.jhs", "adm.jhs"):
        assert office.register_dsc(user).status_code == 201
    for kind, document_id in (("note", note_id), ("draft", draft_id)):
        response = office.sign(kind, document_id, "so.jhs")
        assert (response.status_code, response.json()["error"]) == (403, "not_a_signer"), kind
    outsider = office.sign("note", note_id, "sto.jhs")
    assert (outsider.status_code, outsider.json()["error"]) == (404, "document_not_found")


def test_minutes_are_signed_by_several_officers_in_order(office, event_tap, pki):
    tap = event_tap("signing")
    minutes = office.confirm_note("so.jhs", "बैठक का कार्यवृत्त: पेंशन शिविर 25 नवंबर को आयोजित होगा।")
    for user in ("so.jhs", "adm.jhs", "dm.jhs"):
        assert office.register_dsc(user).status_code == 201
    order = office.put(f"/documents/note/{minutes}/signers", "so.jhs", json={"signers": ["so.jhs", "adm.jhs", "dm.jhs"]})
    assert order.status_code == 200 and order.json()["next_signer"] == "so.jhs"
    assert office.put(f"/documents/note/{minutes}/signers", "adm.jhs", json={"signers": ["adm.jhs"]}).json()["error"] == "not_owner"

    early = office.sign("note", minutes, "dm.jhs")
    assert (early.status_code, early.json()["error"]) == (409, "out_of_turn")
    for user in ("so.jhs", "adm.jhs", "dm.jhs"):
        response = office.sign("note", minutes, user)
        assert response.status_code == 201, response.text
    again = office.sign("note", minutes, "so.jhs")
    assert (again.status_code, again.json()["error"]) == (409, "already_signed")
    late = office.put(f"/documents/note/{minutes}/signers", "so.jhs", json={"signers": ["so.jhs"]})
    assert (late.status_code, late.json()["error"]) == (409, "signing_order_fixed")

    document = office.get(f"/documents/note/{minutes}", "dm.jhs").json()
    assert document["status"] == "signed" and [s["signer"] for s in document["signatures"]] == ["so.jhs", "adm.jhs", "dm.jhs"]
    events = tap.wait_for_count("document_signed", 3)
    assert [(e["data"]["position"], e["data"]["fully_signed"]) for e in events] == [(1, False), (2, False), (3, True)]

    verification = office.get(f"/documents/note/{minutes}/verification", "clerk.jhs").json()
    assert verification["valid"] is True, verification
    assert [(s["position"], s["signer"], s["signer_name"]) for s in verification["signatures"]] == [
        (1, "so.jhs", "Ramesh Kumar"), (2, "adm.jhs", "Vikas Singh"), (3, "dm.jhs", "Asha Verma"),
    ]
    pdf = office.get(f"/documents/note/{minutes}/pdf", "so.jhs").content
    assert len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures) == 3


def test_an_approver_signs_a_draft_through_esign(office, esign_provider, pki, event_tap):
    from cryptography.hazmat.primitives import serialization

    tap = event_tap("signing")
    draft_id = office.approve_draft("adm.jhs", "सेवा में,\nश्री राम प्रसाद, ग्राम बड़ागाँव\nआपकी पेंशन स्वीकृत की जाती है।")
    certificate = pki.esign_certificate.public_bytes(serialization.Encoding.PEM).decode()
    registered = office.post("/certificates", "adm.jhs", json={"source": "esign", "certificate": certificate})
    assert registered.status_code == 201, registered.text

    response = office.sign("draft", draft_id, "adm.jhs", method="esign")
    assert response.status_code == 201, response.text
    assert len(esign_provider.requests) == 1
    assert esign_provider.requests[0]["transaction_id"] == response.json()["id"]
    assert esign_provider.requests[0]["signer"] == "adm.jhs"

    verification = office.get(f"/documents/draft/{draft_id}/verification", "adm.jhs").json()
    assert verification["valid"] is True, verification
    assert verification["signatures"][0]["signer"] == "adm.jhs"
    assert tap.wait_for("document_signed")["data"]["method"] == "esign"


def test_an_esign_signature_by_another_certificate_fails_and_is_announced(office, esign_provider, pki, event_tap):
    from cryptography.hazmat.primitives import serialization

    tap = event_tap("signing")
    draft_id = office.approve_draft("adm.jhs", "आदेश")
    certificate = pki.esign_certificate.public_bytes(serialization.Encoding.PEM).decode()
    assert office.post("/certificates", "adm.jhs", json={"source": "esign", "certificate": certificate}).status_code == 201
    esign_provider.use(pki.other_esign_key, pki.other_esign_certificate)

    response = office.sign("draft", draft_id, "adm.jhs", method="esign")
    assert (response.status_code, response.json()["error"]) == (502, "esign_certificate_mismatch")
    failed = tap.wait_for("signature_failed")
    assert (failed["data"]["document_id"], failed["data"]["reason"]) == (draft_id, "esign_certificate_mismatch")
    assert office.get(f"/documents/draft/{draft_id}", "adm.jhs").json()["status"] == "awaiting_signature"


def test_signing_needs_a_registered_certificate(office):
    note_id = office.confirm_note("dm.jhs", "टिप्पणी")
    response = office.sign("note", note_id, "dm.jhs")
    assert (response.status_code, response.json()["error"]) == (422, "no_certificate")
    response = office.sign("note", note_id, "dm.jhs", method="esign")
    assert (response.status_code, response.json()["error"]) == (422, "no_certificate")


def test_a_signed_letter_carries_the_issue_number_reserved_at_its_approval(office):
    """files' draft_approved names the issue number; the PDF signed before issue prints it, under the signature."""
    import pypdfium2

    draft_id = office.approve_draft("dm.jhs", "सेवा में,\nश्री राम प्रसाद, ग्राम बड़ागाँव\n\nआपकी पेंशन स्वीकृत की जाती है।",
                                    issue_number="I-12/2026/COLL-JHS")
    assert office.register_dsc("dm.jhs").status_code == 201
    assert office.sign("draft", draft_id, "dm.jhs").status_code == 201
    pdf = office.get(f"/documents/draft/{draft_id}/pdf", "dm.jhs").content
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert "पत्रांक / Letter No.: I-12/2026/COLL-JHS" in unicodedata.normalize("NFC", text)
    assert office.get(f"/documents/draft/{draft_id}/verification", "dm.jhs").json()["valid"] is True
