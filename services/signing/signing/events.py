"""Events the signing service publishes (through its outbox). Consumers receive them in an Envelope."""
from dataclasses import dataclass

from eoffice_common.events import DomainEvent


@dataclass(frozen=True)
class SignatureEvent(DomainEvent):
    aggregate_type = "signature"
    signature_id: str
    document_kind: str
    document_id: str
    file_id: str
    signer: str
    office: str
    district: str | None

    @property
    def aggregate_id(self):
        return self.signature_id


@dataclass(frozen=True)
class SignatureRequested(SignatureEvent):
    event_type = "signature_requested"
    method: str = "dsc"
    position: int = 1


@dataclass(frozen=True)
class DocumentSigned(SignatureEvent):
    """`fully_signed` is true once every signer in the document's order has signed."""

    event_type = "document_signed"
    signer_name: str = ""
    method: str = "dsc"
    certificate_serial: str = ""
    content_sha256: str = ""
    pdf_key: str = ""
    pdf_sha256: str = ""
    signed_at: str = ""
    position: int = 1
    signatures_required: int = 1
    fully_signed: bool = True


@dataclass(frozen=True)
class SignatureFailed(SignatureEvent):
    event_type = "signature_failed"
    reason: str = ""


@dataclass(frozen=True)
class CertificateEvent(DomainEvent):
    aggregate_type = "certificate"
    certificate_id: str
    user_id: str
    serial: str
    office: str

    @property
    def aggregate_id(self):
        return self.certificate_id


@dataclass(frozen=True)
class CertificateRegistered(CertificateEvent):
    event_type = "certificate_registered"
    subject: str = ""
    not_after: str = ""
    source: str = "dsc"


@dataclass(frozen=True)
class CertificateRevoked(CertificateEvent):
    event_type = "certificate_revoked"
    reason: str = ""
