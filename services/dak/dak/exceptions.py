"""Errors of the dak service, each mapped once to an HTTP status and a reason code."""
from eoffice_common.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError


class UnknownUser(NotFound):
    reason = "unknown_user"


class UnknownOffice(NotFound):
    reason = "unknown_office"


class ReceiptNotFound(NotFound):
    """Also raised for a receipt the caller may not see, so its existence is not revealed."""

    reason = "receipt_not_found"


class NotHolder(Forbidden):
    reason = "not_holder"


class NotAllowed(Forbidden):
    reason = "not_allowed"


class ReceiptNotOpen(Conflict):
    reason = "receipt_not_open"


class NotPhysical(Conflict):
    reason = "not_physical"


class AlreadyReceived(Conflict):
    reason = "already_received"


class NothingToReplyTo(Conflict):
    reason = "nothing_to_reply_to"


class InvalidRecipients(InvalidInput):
    reason = "invalid_recipients"


class RecipientNotCleared(InvalidInput):
    """A receipt classified above the clearance of someone it was to go to (as holder or copy, or as the
    officer holding charge for one who is away). `refused`: [{recipient, clearance, acting_for}]."""

    reason = "recipient_not_cleared"

    def __init__(self, message, *, classification, refused):
        super().__init__(message, fields={"to": f"not cleared for {classification}: {', '.join(r['recipient'] for r in refused)}"})
        self.classification, self.refused = classification, refused

    def to_dict(self):
        return {**super().to_dict(), "classification": self.classification, "refused": self.refused}


class ScansRequired(InvalidInput):
    reason = "scans_required"


class InvalidEmail(InvalidInput):
    reason = "invalid_email_message"


class FileNotFound(NotFound):
    """put-in-file: no such file, or one the caller may not open (files' answer)."""

    reason = "file_not_found"


class NotFileCustodian(Forbidden):
    """put-in-file: only the custodian of a file puts receipts in it."""

    reason = "not_custodian"


class FileClosed(Conflict):
    reason = "file_closed"


class FilesUnavailable(ServiceError):
    """put-in-file: the files service did not answer, so nothing was put anywhere."""

    status = 503
    reason = "files_unavailable"


# files' reasons for refusing a receipt (its RPC receipt_destination), as dak's errors.
FILE_REFUSALS = {"file_not_found": FileNotFound, "not_custodian": NotFileCustodian, "file_closed": FileClosed}


class ChargeNotFound(NotFound):
    reason = "acting_charge_not_found"


class NotSender(Forbidden):
    reason = "not_sender"


class ReceiptAlreadyOpened(Conflict):
    """Pull back is possible only until the recipient opens the receipt."""

    reason = "receipt_already_opened"


class OutsideJurisdiction(Forbidden):
    """An admin's edit of the directory of another district (only a state admin keeps every district)."""

    reason = "outside_jurisdiction"


class DirectoryRecordRefused(InvalidInput):
    """An office, section or user record that does not fit the directory (a reason per field)."""

    reason = "directory_record_refused"


class CannotDeactivateSelf(Conflict):
    reason = "cannot_deactivate_self"


class StillHoldsReceipts(Conflict):
    """A user is deactivated only once their receipts have gone to a successor (transfer of charge)."""

    reason = "holds_receipts"


class CorrespondentNotFound(NotFound):
    """Also raised for another office's correspondent: an office's address book is its own."""

    reason = "correspondent_not_found"


class CorrespondentExists(Conflict):
    """The office's book has the correspondent already (the same name and organisation, however spelt)."""

    reason = "correspondent_exists"

    def __init__(self, message, existing_id: int):
        super().__init__(message, fields={"name": "correspondent_exists"})
        self.existing_id = existing_id

    def to_dict(self):
        return {**super().to_dict(), "existing_id": self.existing_id}
