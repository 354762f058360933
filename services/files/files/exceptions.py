"""Errors of the files service, each mapped once to an HTTP status and a reason code."""
from eoffice_common.errors import Conflict, Forbidden, InvalidInput, NotFound


class UnknownUser(NotFound):
    reason = "unknown_user"


class UnknownOffice(NotFound):
    reason = "unknown_office"


class FileNotFound(NotFound):
    """Also raised for a file the caller may not open, so its existence is not revealed."""

    reason = "file_not_found"


class NoteNotFound(NotFound):
    reason = "note_not_found"


class DraftNotFound(NotFound):
    reason = "draft_not_found"


class CorrespondenceNotFound(NotFound):
    reason = "correspondence_not_found"


class NotCustodian(Forbidden):
    reason = "not_custodian"


class NotOwner(Forbidden):
    reason = "not_owner"


class NotSender(Forbidden):
    reason = "not_sender"


class NotAuthor(Forbidden):
    reason = "not_author"


class NotAdmin(Forbidden):
    reason = "not_admin"


class NotOfficer(Forbidden):
    reason = "not_officer"


class FileParked(Conflict):
    reason = "file_parked"


class FileClosed(Conflict):
    reason = "file_closed"


class FileNotClosed(Conflict):
    reason = "file_not_closed"


class FileNotParked(Conflict):
    reason = "file_not_parked"


class PhysicalFile(Conflict):
    reason = "physical_file"


class PartFile(Conflict):
    reason = "part_file"


class NotAPart(Conflict):
    reason = "not_a_part"


class ReceiptInBoth(Conflict):
    reason = "receipt_in_both"


class AttachedFile(Conflict):
    """An attached file moves only with the file it is attached to."""

    reason = "file_attached"


class InvalidRelation(Conflict):
    reason = "invalid_relation"


class RelationNotFound(NotFound):
    reason = "relation_not_found"


class VersionConflict(Conflict):
    """The file changed after the caller read it (a concurrent move, note or link)."""

    reason = "version_conflict"


class AlreadyOpened(Conflict):
    reason = "already_opened"


class NothingToPullBack(Conflict):
    reason = "nothing_to_pull_back"


class NothingToReturn(Conflict):
    reason = "nothing_to_return"


class NoteConfirmed(Conflict):
    reason = "note_confirmed"


class DraftNotEditable(Conflict):
    reason = "draft_not_editable"


class DraftNotApproved(Conflict):
    reason = "draft_not_approved"


class DraftAlreadyIssued(Conflict):
    reason = "draft_already_issued"


class DuplicateFileNumber(Conflict):
    reason = "duplicate_file_number"


class DuplicateHead(Conflict):
    reason = "duplicate_head"


class InvalidRecipient(InvalidInput):
    reason = "invalid_recipient"


class RecipientNotCleared(InvalidInput):
    """A file classified above the clearance of whoever was to receive (hold or own) it."""

    reason = "recipient_not_cleared"

    def __init__(self, message, *, recipient, classification, clearance, acting_for=None, field="to"):
        super().__init__(message, fields={field: f"not cleared for {classification}"})
        self.recipient, self.classification, self.clearance, self.acting_for = recipient, classification, clearance, acting_for

    def to_dict(self):
        body = {**super().to_dict(), "recipient": self.recipient, "classification": self.classification, "clearance": self.clearance}
        if self.acting_for:
            body["acting_for"] = self.acting_for
        return body


class UnknownHead(InvalidInput):
    reason = "unknown_head"


class UnknownSection(InvalidInput):
    reason = "unknown_section"


class InvalidReferences(InvalidInput):
    reason = "invalid_references"


class InvalidTransfer(InvalidInput):
    reason = "invalid_transfer"


class DocumentsRequired(InvalidInput):
    reason = "documents_required"


class UnlinkableEvent(ValueError):
    """A consumed event that can never apply here (unknown file, putter not the custodian, ...).
    A ValueError, so `apply_once` dead-letters it with this message as the reason."""


class AddresseeRefused(InvalidInput):
    """An addressee unknown or deactivated in the directory: named per field (`recipients.2.user`)."""

    reason = "addressee_refused"


class DraftNotSigned(Conflict):
    reason = "draft_not_signed"


class DispatchNotFound(NotFound):
    """Also for a dispatch of another office, so its existence is not revealed."""

    reason = "dispatch_not_found"


class NotByPost(Conflict):
    reason = "not_by_post"


class NotPhysical(Conflict):
    reason = "not_physical"


class AlreadyReceived(Conflict):
    reason = "already_received"
