"""What signing does outside its database, for the use cases: read the token, check a certificate
against the trusted CAs and their CRLs, render, sign (on the token or through eSign), store and
verify PDFs. Cryptography and rendering run on OS threads, one job at a time (threads.py), so the
hub keeps serving requests meanwhile."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cryptography import x509

from eoffice_common.storage import StoredDocument

from . import domain, pades, pki
from .esign import ESignRequest, signer_certificate_of
from .exceptions import CertificateRefused, SigningFailed, SigningUnavailable
from .rendering import Content, SignerLine, preview_created_at, render
from .threads import run_in_thread


class SigningEngine:
    def __init__(self, token, trust, esign, documents):
        self._token = token
        self._trust = trust
        self._esign = esign
        self._documents = documents

    # --- certificates ---------------------------------------------------------------------------

    def certificate_to_register(self, source: str, key_label: str | None, pem: str | None) -> x509.Certificate:
        """An eSign certificate as uploaded; a DSC's from the token (or as given, once checked
        against the key on the token)."""
        if source == domain.ESIGN:
            return pki.parse_certificate(pem)
        token = self._token

        def read_token():
            return token.certificate(key_label), token.public_key(key_label)

        on_token, public_key = run_in_thread(read_token)
        if public_key is None:
            raise CertificateRefused(f"the token has no key labelled {key_label!r}", reason="key_not_on_token")
        if pem is None and on_token is None:
            raise CertificateRefused(f"the token has no certificate labelled {key_label!r}", reason="certificate_not_on_token")
        certificate = pki.parse_certificate(pem or on_token)
        if pki.key_type(certificate) != "rsa" or certificate.public_key().public_numbers() != public_key.public_numbers():
            raise CertificateRefused("the certificate does not belong to the key on the token", reason="certificate_mismatch")
        return certificate

    def facts(self, certificate: x509.Certificate | bytes, now: datetime | None = None) -> domain.CertificateFacts:
        """What the trusted CAs and their CRLs say of a certificate (or its DER)."""
        if isinstance(certificate, bytes):
            certificate = pki.parse_certificate(certificate)
        return self._trust.facts(certificate, now)

    def revocations(self) -> Callable[[bytes], domain.Revocation | None]:
        """Reload the CRLs; returns a function giving a certificate's (DER) revocation, or None."""
        snapshot = self._trust.reload()
        return lambda der: snapshot.revocation(pki.parse_certificate(der))

    # --- PDFs -----------------------------------------------------------------------------------

    def preview(self, content: Content, signers: list[SignerLine]) -> bytes:
        return run_in_thread(render, content, signers, preview_created_at(content.confirmed_at))

    def stored_pdf(self, key: str) -> bytes:
        return self._documents.get(key)

    def store(self, pdf: bytes, name: str) -> StoredDocument:
        return self._documents.put(pdf, name)

    def sign(self, pdf: bytes, details: pades.SignatureDetails, certificate, signature) -> bytes:
        """`pdf` signed for `signature` with the registered `certificate`: on the token (DSC), or by
        the eSign provider (the signature's id is its transaction id)."""
        if certificate.source == domain.DSC:
            chain = self._chain_of(certificate.der)
            token = self._token

            def with_token():
                return pades.sign_with_token(pdf, details, token, certificate.key_label,
                                             pades.template_for(certificate.der, chain))
            return run_in_thread(with_token)
        return self._sign_with_esign(pdf, details, certificate, signature)

    def _chain_of(self, certificate_der: bytes) -> tuple[bytes, ...]:
        issuer = self._trust.current().issuer_of(pki.parse_certificate(certificate_der))
        return (pki.der_of(issuer),) if issuer is not None else ()

    def _sign_with_esign(self, pdf, details, certificate, signature):
        if self._esign is None:
            raise SigningUnavailable("no eSign provider is configured", reason="esign_unavailable")
        prepared, output = run_in_thread(pades.prepare, pdf, details, certificate.der, pades.ESIGN_RESERVED_BYTES)
        cms_der = self._esign.sign_digest(ESignRequest(
            transaction_id=signature.id, signer=signature.signer, signer_name=details.signer_name,
            document_digest=prepared.document_digest, reason=signature.reason,
        ))
        if pki.fingerprint(pki.parse_certificate(signer_certificate_of(cms_der, prepared.document_digest))) != certificate.fingerprint_sha256:
            raise SigningFailed("the eSign provider signed with a certificate other than the one registered", reason="esign_certificate_mismatch")
        if len(cms_der) * 2 > pades.ESIGN_RESERVED_BYTES:
            raise SigningFailed("the eSign provider's signature is too large", reason="esign_bad_response")
        return run_in_thread(pades.embed, prepared, output, cms_der)

    def verify(self, pdf: bytes) -> pades.VerifiedPdf:
        return run_in_thread(pades.verify_pdf, pdf, self._trust.current())
