"""PAdES signatures with pyHanko: prepare the PDF's signature placeholder, put a CMS signature in it,
and validate every signature of a PDF.

Where the time goes (bench/bench_signing.py; docs/decisions/0006): pyHanko's one-call `sign_pdf` spends most of a
signature re-encoding ASN.1 (a dry-run CMS to estimate the placeholder size, then the real one,
certificates re-serialised each time) and starting an asyncio loop with a thread pool for the token
call. Here the placeholder size is known in advance, the CMS of each signer is a template built once
(only the document digest and the token's signature change), and the token call is direct.
"""
import asyncio
import hashlib
import io
import os
import re
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos, cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from eventlet import patcher
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext

from .domain import IST, Revocation, SignatureCheck
from .exceptions import NotAPdf, PdfTooDeep, SigningFailed

_thread_state = patcher.original("threading").local()

DIGEST_SIZE = 32  # SHA-256
# Room in the PDF for an eSign provider's CMS (hex): its certificates and attributes are not known in advance.
ESIGN_RESERVED_BYTES = 32768
_templates = {}
_signer_views = {}
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
STAMP = TextStampStyle(stamp_text="Digitally signed by\n%(name)s\n%(designation)s\n%(when)s", border_width=1)
CLAIM = re.compile(r"eoffice-(note|draft):([A-Za-z0-9._-]{1,64}) sha256:([0-9a-f]{64})(?!\S)")


def run(coroutine):
    """Run a pyHanko coroutine on this thread's own event loop (made once per thread)."""
    loop = getattr(_thread_state, "loop", None)
    if loop is None:
        loop = _thread_state.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)


@dataclass(frozen=True)
class SignatureDetails:
    """What a signature carries besides the cryptography: who, as what, why, where and when."""

    field_name: str
    signer_name: str
    designation: str
    reason: str
    location: str | None
    signed_at: datetime


class CmsTemplate:
    """The CMS SignedData of one signer, with holes for the document digest and the signature.

    Same content as pyHanko's PAdES CMS: signed attributes content-type, message-digest and
    signing-certificate-v2 (no signing-time: PAdES puts the time in the signature dictionary)."""

    def __init__(self, certificate_der, chain_ders=()):
        certificate = asn1_x509.Certificate.load(certificate_der)
        if certificate.public_key.algorithm != "rsa":
            raise SigningFailed("only RSA keys can sign", reason="unsupported_key_type")
        self.certificate_der = certificate_der
        self.signature_size = certificate.public_key.byte_size
        digest_hole, signature_hole = os.urandom(DIGEST_SIZE), os.urandom(self.signature_size)
        attributes = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest_hole]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [as_signing_certificate_v2(certificate)]}),
        ])
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
                {"issuer": certificate.issuer, "serial_number": certificate.serial_number})}),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": signature_hole,
        })
        signed_data = cms.SignedData({
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "data"},
            "certificates": [certificate] + [asn1_x509.Certificate.load(der) for der in chain_ders],
            "signer_infos": [signer_info],
        })
        self._cms = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
        self._attributes = attributes.dump()
        self._attribute_digest_at = _only(self._attributes, digest_hole)
        self._digest_at = _only(self._cms, digest_hole)
        self._signature_at = _only(self._cms, signature_hole)
        # the CMS goes into the PDF as hex; room for it plus slack for an eSign provider's extras
        self.reserved_bytes = 2 * len(self._cms) + 512

    def to_be_signed(self, digest):
        """The DER of the signed attributes as a SET: the bytes the token signs."""
        at = self._attribute_digest_at
        return b"\x31" + self._attributes[1:at] + digest + self._attributes[at + DIGEST_SIZE:]

    def assemble(self, digest, signature):
        if len(digest) != DIGEST_SIZE or len(signature) != self.signature_size:
            raise SigningFailed("the token returned a signature of an unexpected size")
        d, s = self._digest_at, self._signature_at
        return b"".join((self._cms[:d], digest, self._cms[d + DIGEST_SIZE:s], signature, self._cms[s + self.signature_size:]))


def template_for(certificate_der, chain_ders=()):
    """The signer's CmsTemplate, built on first use and kept for the life of the process."""
    key = (hashlib.sha256(certificate_der).digest(), tuple(chain_ders))
    template = _templates.get(key)
    if template is None:
        template = _templates[key] = CmsTemplate(certificate_der, chain_ders)
    return template


def _only(haystack, needle):
    at = haystack.find(needle)
    if at < 0 or haystack.find(needle, at + 1) >= 0:
        raise SigningFailed("could not build the CMS template")
    return at


class _CertificateOnly(signers.Signer):
    """pyHanko's view of the signer while it prepares the PDF: the certificate, never the key.
    The mechanism is stated so pyHanko does not work it out from the certificate every time."""

    def __init__(self, certificate_der):
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(certificate_der),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        )

    async def async_sign_raw(self, data, digest_algorithm, dry_run=False):
        raise AssertionError("the CMS is made outside pyHanko")


def _signer_view(certificate_der):
    key = hashlib.sha256(certificate_der).digest()
    view = _signer_views.get(key)
    if view is None:
        view = _signer_views[key] = _CertificateOnly(certificate_der)
    return view


def prepare(base_pdf, details, certificate_der, reserved_bytes):
    """The PDF with the signature placeholder in field `details.field_name`, and its digest.
    Returns (prepared digest, output stream); the CMS goes in with `embed`."""
    writer = IncrementalPdfFileWriter(io.BytesIO(base_pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=details.field_name, reason=details.reason, location=details.location, name=details.signer_name,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(meta, _signer_view(certificate_der), stamp_style=STAMP)
    prepared, _tbs, output = run(pdf_signer.async_digest_doc_for_signing(
        writer, existing_fields_only=True, bytes_reserved=reserved_bytes,
        appearance_text_params={
            "name": details.signer_name,
            "designation": details.designation,
            "when": details.signed_at.astimezone(IST).strftime("%d-%m-%Y %H:%M IST"),
        },
    ))
    return prepared, output


def embed(prepared, output, cms_der):
    prepared.fill_with_cms(output, cms_der)
    return output.getvalue()


def sign_with_token(base_pdf, details, token, key_label, template):
    """A PAdES signature by the key `key_label` on the token. Run by threads.run_in_thread."""
    prepared, output = prepare(base_pdf, details, template.certificate_der, template.reserved_bytes)
    digest = prepared.document_digest
    signature = token.sign(key_label, template.to_be_signed(digest))
    return embed(prepared, output, template.assemble(digest, signature))


# --- verification -------------------------------------------------------------------------------

@dataclass
class VerifiedPdf:
    checks: list  # SignatureCheck, in signing order
    claims: dict | None  # what the signed rendering says it is: kind, document_id, content_sha256
    revisions_after_last_signature: int = 0  # incremental updates no signature covers


def validation_context(snapshot):
    """A pyHanko ValidationContext over the snapshot's CAs and CRLs; never fetches anything."""
    asn1 = getattr(snapshot, "_asn1", None)
    if asn1 is None:
        asn1 = snapshot._asn1 = (
            [asn1_x509.Certificate.load(a.public_bytes(Encoding.DER)) for a in snapshot.authorities],
            [asn1_crl.CertificateList.load(c.public_bytes(Encoding.DER)) for c in snapshot.crls],
        )
    roots, crls = asn1
    return ValidationContext(trust_roots=roots, crls=crls, allow_fetching=False, revocation_mode="soft-fail")


def read_pdf(data):
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
    except RecursionError:
        raise PdfTooDeep("the PDF nests its objects too deeply to be read") from None
    except (PdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise NotAPdf(f"the PDF cannot be read: {exc}") from exc
    return reader, signatures


def verify_pdf(data, snapshot):
    """Every signature of the PDF checked for integrity, coverage, chain and revocation, what the
    signed rendering says it is, and how many revisions came after the last signature. Run by
    threads.run_in_thread."""
    reader, signatures = read_pdf(data)
    context = validation_context(snapshot)
    checks = [_check(position, signature, context) for position, signature in enumerate(signatures, start=1)]
    if not signatures:
        return VerifiedPdf(checks, None)
    # Only an intact signature vouches for the first revision's bytes, where the rendering put its claims.
    claims = _claims(reader) if any(c.intact for c in checks) else None
    after = reader.xrefs.total_revisions - 1 - signatures[-1].signed_revision
    return VerifiedPdf(checks, claims, after)


def _check(position, embedded, context):
    name = embedded.sig_object.get("/Name")
    base = dict(position=position, field_name=embedded.field_name, signer_name=str(name) if name else None)
    try:
        status = run(async_validate_pdf_signature(embedded, context, key_usage_settings=KEY_USAGE))
    except Exception as exc:  # a document from outside can break the validator in any way: it is then invalid
        return SignatureCheck(
            **base, signed_at=None, intact=False, valid=False, covers_document=False, trusted=False,
            trust_problem=f"{type(exc).__name__}: {exc}", revocation=None, fingerprint="", serial="", subject="",
        )
    certificate = status.signing_cert
    level = status.modification_level
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and level is not None and level <= ModificationLevel.FORM_FILLING
    )
    details = status.revocation_details
    return SignatureCheck(
        **base,
        signed_at=status.signer_reported_dt,
        intact=status.intact,
        valid=status.valid,
        covers_document=covers,
        trusted=status.trusted,
        trust_problem=status.trust_problem_indic.name if status.trust_problem_indic else None,
        revocation=Revocation(details.revocation_date, details.revocation_reason.native) if details else None,
        fingerprint=hashlib.sha256(certificate.dump()).hexdigest(),
        serial=format(certificate.serial_number, "X"),
        subject=certificate.subject.human_friendly,
    )


def _claims(reader):
    """The document and content hash the rendering wrote in its Info keywords, read as the first
    revision has them: objects are resolved in that revision, so a later update that redefines
    them (every signature covers the first revision; nothing covers a later one) changes nothing."""
    first = reader.get_historical_resolver(0)
    try:
        info = _in_revision(first, first.trailer_view.raw_get("/Info"))
        keywords = _in_revision(first, info.raw_get("/Keywords")) if "/Keywords" in info else ""
        keywords = str(keywords)
    except (PdfError, KeyError, ValueError, AttributeError, TypeError, RecursionError):
        return None
    match = CLAIM.search(keywords)
    if not match:
        return None
    return {"kind": match.group(1), "document_id": match.group(2), "content_sha256": match.group(3)}


def _in_revision(resolver, value):
    """`value` itself, or the object it refers to as of the resolver's revision."""
    if isinstance(value, generic.IndirectObject):
        return resolver.get_object(value.reference)
    return value

