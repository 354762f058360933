"""The PAdES engine and the rendering without broker, database or token: a software key stands in
for the token (a fake with the token's `sign` interface), and pyHanko validates the result."""
import io
import re
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from signing import pades, pki
from signing.rendering import Content, SignerLine, field_name, render

NOW = datetime.now(timezone.utc)


class SoftwareToken:
    """The TokenSession interface over keys held in memory."""

    def __init__(self):
        self.keys = {}

    def sign(self, label, data):
        return self.keys[label].sign(data, padding.PKCS1v15(), hashes.SHA256())


def certificate_authority():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Unit CA")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
        .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256())
    )
    return key, certificate


def issue(ca, public_key, common_name):
    ca_key, ca_certificate = ca
    return (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_certificate.subject).public_key(public_key).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def world():
    ca = certificate_authority()
    token = SoftwareToken()
    signers = {}
    for label, name in (("so.jhs", "Ramesh Kumar"), ("dm.jhs", "Asha Verma")):
        token.keys[label] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        signers[label] = issue(ca, token.keys[label].public_key(), name)
    snapshot = pki.TrustSnapshot([ca[1]], [])
    return ca, token, signers, snapshot


CONTENT = Content(
    kind="note", document_id="n-7", file_number="N-11016/6/2026-COLL-JHS", subject="भूमि विवाद",
    text="तहसीलदार की रिपोर्ट के अनुसार भूमि का सीमांकन पूर्ण हो चुका है।\nअग्रिम आदेश हेतु प्रस्तुत।",
    content_sha256="c" * 64, office_en="Collectorate Jhansi", office_hi="कलेक्ट्रेट झाँसी",
)
LINES = [
    SignerLine(1, "so.jhs", "Ramesh Kumar", "रमेश कुमार", "Section Officer", "अनुभाग अधिकारी"),
    SignerLine(2, "dm.jhs", "Asha Verma", "आशा वर्मा", "District Magistrate", "ज़िलाधिकारी"),
]


def sign(pdf, world, position, label):
    _, token, signers, _ = world
    details = pades.SignatureDetails(field_name(position), LINES[position - 1].name_en, LINES[position - 1].designation_en,
                                     "Approved", "Jhansi", NOW)
    return pades.sign_with_token(pdf, details, token, label, pades.CmsTemplate(pki.der_of(signers[label])))


def test_the_rendering_keeps_hindi_readable_and_names_the_content():
    pdf = render(CONTENT, LINES)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    flat = "".join(unicodedata.normalize("NFC", text).split())
    for word in ("तहसीलदार", "रिपोर्ट", "सीमांकन", "प्रस्तुत", "कलेक्ट्रेट", "झाँसी", "ज़िलाधिकारी", "आशावर्मा"):
        assert unicodedata.normalize("NFC", word) in flat, word
    assert pypdf.PdfReader(io.BytesIO(pdf)).metadata["/Keywords"] == f"eoffice-note:n-7 sha256:{'c' * 64}"
    assert pades.verify_pdf(pdf, pki.TrustSnapshot([], [])).claims is None  # no signature vouches for it yet


def extracted(pdf):
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return unicodedata.normalize("NFC", text)


def test_a_note_pdf_carries_file_number_subject_and_the_paragraph_numbers_of_its_file():
    note = replace(CONTENT, text="सीमांकन पूर्ण हो चुका है।\n\nअग्रिम आदेश हेतु प्रस्तुत।", first_paragraph=4)
    text = extracted(render(note, LINES[:1]))
    assert "N-11016/6/2026-COLL-JHS" in text and "भूमि विवाद" in text
    assert re.search(r"4\.\s*सीमांकन", text) and re.search(r"5\.\s*अग्रिम", text)


def test_an_approved_draft_reads_as_a_letter_not_a_draft_for_approval():
    letter = replace(CONTENT, kind="draft", document_id="d-1", version=2, text="सेवा में,\nश्रीमती सुनीता देवी\n\nआपका प्रार्थना पत्र स्वीकृत है।")
    text = extracted(render(letter, LINES[:1]))
    assert "Letter" in text and "Draft for approval" not in text and "version 2" not in text
    assert "मसौदा" not in "".join(text.split())


def test_two_officers_sign_in_turn_and_both_signatures_hold(world):
    pdf = sign(sign(render(CONTENT, LINES), world, 1, "so.jhs"), world, 2, "dm.jhs")
    verified = pades.verify_pdf(pdf, world[3])
    assert [(c.position, c.signer_name, c.intact, c.valid, c.trusted, c.covers_document) for c in verified.checks] == [
        (1, "Ramesh Kumar", True, True, True, True), (2, "Asha Verma", True, True, True, True),
    ]
    assert [c.fingerprint for c in verified.checks] == [pki.fingerprint(world[2][label]) for label in ("so.jhs", "dm.jhs")]


def test_a_signature_by_an_untrusted_ca_is_not_trusted(world):
    pdf = sign(render(CONTENT, LINES), world, 1, "so.jhs")
    (check,) = pades.verify_pdf(pdf, pki.TrustSnapshot([], [])).checks
    assert check.intact and check.valid and not check.trusted


def test_the_cms_template_only_takes_signatures_of_the_key_size(world):
    template = pades.CmsTemplate(pki.der_of(world[2]["so.jhs"]))
    with pytest.raises(pades.SigningFailed):
        template.assemble(b"\x00" * 32, b"\x00" * 255)
    assert template.to_be_signed(b"\x01" * 32).startswith(b"\x31")


def test_a_crl_revokes_a_certificate_only_when_its_issuer_signed_it(world):
    ca, _, signers, _ = world
    ca_key, ca_certificate = ca
    builder = (
        x509.CertificateRevocationListBuilder().issuer_name(ca_certificate.subject)
        .last_update(NOW - timedelta(days=1)).next_update(NOW + timedelta(days=1))
        .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(signers["dm.jhs"].serial_number).revocation_date(NOW).build())
    )
    snapshot = pki.TrustSnapshot([ca_certificate], [builder.sign(ca_key, hashes.SHA256())])
    assert snapshot.revocation(signers["dm.jhs"]).reason == "unspecified"
    assert snapshot.revocation(signers["so.jhs"]) is None
    forged = pki.TrustSnapshot([ca_certificate], [builder.sign(rsa.generate_private_key(public_exponent=65537, key_size=2048), hashes.SHA256())])
    assert forged.revocation(signers["dm.jhs"]) is None
    assert snapshot.chain_problem(signers["dm.jhs"], NOW) is None
    assert "no configured CA" in pki.TrustSnapshot([], []).chain_problem(signers["dm.jhs"], NOW)


def test_a_claim_names_only_a_plain_document_id():
    assert pades.CLAIM.search(f"eoffice-note:n-7 sha256:{'c' * 64}").groups() == ("note", "n-7", "c" * 64)
    for forged in (f"eoffice-note:n-7\x00x sha256:{'c' * 64}", f"eoffice-note:{'n' * 65} sha256:{'c' * 64}"):
        assert pades.CLAIM.search(forged) is None


def pdfium_text(pdf):
    """The text of every page as PDFium (Chrome's PDF engine) extracts it."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return unicodedata.normalize("NFC", "".join(page.get_textpage().get_text_range() for page in document))
    finally:
        document.close()


def test_a_letter_carries_the_issue_number_reserved_at_approval_under_its_signature(world):
    letter = replace(CONTENT, kind="draft", document_id="d-7", version=1, issue_number="I-7/2026/COLL-JHS",
                     text="सेवा में,\nश्री राम प्रसाद\n\nआपकी पेंशन स्वीकृत की जाती है।")
    signed = sign(render(letter, LINES), world, 1, "so.jhs")
    text = pdfium_text(signed)
    assert "I-7/2026/COLL-JHS" in text and "Letter No." in text
    verified = pades.verify_pdf(signed, world[3])  # the number is under the signature, not stamped after it
    assert [(c.intact, c.valid, c.covers_document) for c in verified.checks] == [(True, True, True)]
    assert verified.revisions_after_last_signature == 0
    assert "Letter No." not in pdfium_text(render(CONTENT, LINES))  # a note has no issue number
