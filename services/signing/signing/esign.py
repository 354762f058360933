"""eSign: a remote signing provider (an ESP for Aadhaar eSign) signs the document's hash and returns
a CMS signature; the key never comes near this service. The adapter is the `ESignProvider`
interface; `HttpESignProvider` is its client for a provider's HTTP API."""
import base64
from dataclasses import dataclass
from typing import Protocol

import requests
from asn1crypto import cms
from nameko.extensions import DependencyProvider

from .exceptions import SigningFailed, SigningUnavailable


@dataclass(frozen=True)
class ESignRequest:
    transaction_id: str  # the signature id: the provider's idempotency key
    signer: str
    signer_name: str
    document_digest: bytes  # SHA-256 of the PDF's signed byte range
    reason: str


class ESignProvider(Protocol):
    def sign_digest(self, request: ESignRequest) -> bytes:
        """The DER CMS SignedData (detached) over `request.document_digest`."""


class HttpESignProvider:
    """POST {url}/sign {transaction_id, signer, signer_name, digest_algorithm, document_digest (base64),
    reason} with a bearer API key; the answer is {"cms": base64 DER} or {"error": ...}."""

    def __init__(self, url, api_key, timeout=30):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = float(timeout)

    def sign_digest(self, request):
        try:
            response = requests.post(
                f"{self.url}/sign",
                json={
                    "transaction_id": request.transaction_id,
                    "signer": request.signer,
                    "signer_name": request.signer_name,
                    "digest_algorithm": "sha256",
                    "document_digest": base64.b64encode(request.document_digest).decode(),
                    "reason": request.reason,
                },
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise SigningUnavailable(f"the eSign provider cannot be reached: {type(exc).__name__}", reason="esign_unavailable") from exc
        if response.status_code >= 500:
            raise SigningUnavailable(f"the eSign provider failed ({response.status_code})", reason="esign_unavailable")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "cms" not in body:
            raise SigningFailed(f"the eSign provider refused: {body.get('error') or response.status_code}", reason="esign_refused")
        return base64.b64decode(body["cms"])


def signer_certificate_of(cms_der, digest):
    """The signer's certificate (DER) in a provider's CMS, after checking it signs `digest`."""
    try:
        content = cms.ContentInfo.load(cms_der)
        signed_data = content["content"]
        signer_info = signed_data["signer_infos"][0]
        attributes = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
        sid = signer_info["sid"].chosen
        certificate = next(
            c.chosen for c in signed_data["certificates"]
            if c.chosen.issuer == sid["issuer"] and c.chosen.serial_number == sid["serial_number"].native
        )
    except (ValueError, KeyError, TypeError, StopIteration) as exc:
        raise SigningFailed(f"the eSign provider's answer is not a usable CMS signature: {exc}", reason="esign_bad_response") from exc
    if attributes.get("message_digest") != digest:
        raise SigningFailed("the eSign provider signed a different document", reason="esign_bad_response")
    return certificate.dump()


class ESign(DependencyProvider):
    """Injects the configured provider, or None when ESIGN_URL is not set."""

    def setup(self):
        config = self.container.config
        url = config.get("ESIGN_URL")
        self.provider = HttpESignProvider(url, config.get("ESIGN_API_KEY"), config.get("ESIGN_TIMEOUT_SECONDS", 30)) if url else None

    def get_dependency(self, worker_ctx):
        return self.provider
