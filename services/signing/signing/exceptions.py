"""Errors of the signing service, each mapped once to an HTTP status and a reason code."""
from eoffice_common.errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound, ServiceError


class DocumentNotFound(NotFound):
    """Also raised for a document the caller may not see, so its existence is not revealed."""

    reason = "document_not_found"


class CertificateNotFound(NotFound):
    reason = "certificate_not_found"


class SignatureNotFound(NotFound):
    reason = "signature_not_found"


class UnknownUser(NotFound):
    reason = "unknown_user"


class NotASigner(Forbidden):
    """The caller is neither the note's author, the draft's approver nor in the signing order."""

    reason = "not_a_signer"


class NotOwner(Forbidden):
    reason = "not_owner"


class NotAdmin(Forbidden):
    reason = "not_admin"


class OutOfTurn(Conflict):
    reason = "out_of_turn"


class AlreadySigned(Conflict):
    reason = "already_signed"


class SignatureInProgress(Conflict):
    reason = "signature_in_progress"


class SigningOrderFixed(Conflict):
    reason = "signing_order_fixed"


class ContentChanged(Conflict):
    """The note or draft no longer has the content that was signed, or that files announced."""

    reason = "content_changed"


class CertificateAlreadyRegistered(Conflict):
    reason = "certificate_already_registered"


class KeyBoundToAnother(Conflict):
    """The key label or the certificate is registered to another officer."""

    reason = "key_bound_to_another_user"


class CertificateRevokedAlready(Conflict):
    reason = "certificate_already_revoked"


class CertificateRefused(InvalidInput):
    """A certificate that cannot be registered or used; `reason` says why (expired, revoked...)."""

    reason = "certificate_refused"


class NoCertificate(InvalidInput):
    reason = "no_certificate"


class InvalidSigners(InvalidInput):
    reason = "invalid_signers"


class NotAPdf(InvalidInput):
    reason = "corrupt_pdf"


class PdfTooDeep(BadRequest):
    """Objects nested deeper than the reader can follow (a PDF built to exhaust the stack)."""

    reason = "pdf_nesting_too_deep"


class SigningUnavailable(ServiceError):
    """The token or the eSign provider cannot be reached; nothing was signed."""

    status = 503
    reason = "signing_unavailable"


class SigningFailed(ServiceError):
    status = 502
    reason = "signing_failed"
