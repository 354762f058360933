"""Events the dak service publishes (through its outbox). Consumers receive them in an Envelope."""
from dataclasses import dataclass, field

from eoffice_common.events import DomainEvent


@dataclass(frozen=True)
class ReceiptEvent(DomainEvent):
    aggregate_type = "receipt"
    receipt_id: str
    receipt_number: str
    office: str
    district: str

    @property
    def aggregate_id(self):
        return self.receipt_id


@dataclass(frozen=True)
class ReceiptDiarised(ReceiptEvent):
    event_type = "receipt_diarised"
    kind: str = "electronic"
    classification: str = "normal"
    subject: str = ""
    language: str = "en"
    sender_name: str = ""
    sender_organisation: str | None = None
    main_category: str | None = None
    sub_category: str | None = None
    delivery_mode: str = "post"
    vip: bool = False
    letter_number: str | None = None
    letter_date: str | None = None
    received_date: str = ""
    diarised_by: str = ""
    holder: str = ""
    channel: str = "form"
    copied_from: str | None = None
    scans: list = field(default_factory=list)
    acknowledge_to: dict | None = None  # {"email", "mobile"} the sender is told the receipt number at, or None


@dataclass(frozen=True)
class ReceiptSent(ReceiptEvent):
    event_type = "receipt_sent"
    action: str = "send"
    from_user: str = ""
    to_user: str = ""
    copies_to: list = field(default_factory=list)
    for_user: str | None = None  # to_user received it holding charge for this officer, who is away
    on_behalf_of: str | None = None  # from_user sent it as acting officer for this absent officer
    remarks: str | None = None
    due_date: str | None = None
    priority: str = "normal"
    classification: str = "normal"
    subject: str = ""


@dataclass(frozen=True)
class LetterReceived(ReceiptEvent):
    """A letter issued in another office of the deployment became this receipt (files' dispatch_id)."""

    event_type = "letter_received"
    dispatch_id: str = ""
    issue_number: str = ""
    source_file_id: str = ""
    holder: str = ""
    for_information: bool = False
    received_at: str = ""


@dataclass(frozen=True)
class LetterOpened(ReceiptEvent):
    """The holder of a letter received from another office first opened it."""

    event_type = "letter_opened"
    dispatch_id: str = ""
    opened_by: str = ""
    opened_at: str = ""


@dataclass(frozen=True)
class ReceiptPulledBack(ReceiptEvent):
    """Its sender took the receipt back from its holder, who had not opened it."""

    event_type = "receipt_pulled_back"
    by_user: str = ""
    from_user: str = ""


@dataclass(frozen=True)
class ReceiptReceived(ReceiptEvent):
    event_type = "receipt_received"
    received_by: str = ""
    received_at: str = ""


@dataclass(frozen=True)
class ReceiptPutInFile(ReceiptEvent):
    event_type = "receipt_put_in_file"
    file_id: str = ""
    put_by: str = ""
    subject: str = ""
    classification: str = "normal"
    kind: str = "electronic"
    sender_name: str = ""
    sender_organisation: str | None = None
    letter_number: str | None = None
    letter_date: str | None = None
    received_date: str = ""
    scans: list = field(default_factory=list)
    # Who dak lets read the receipt besides its office: its creator and everyone it was sent to.
    cleared: list = field(default_factory=list)
    on_behalf_of: str | None = None  # put_by acted for this absent officer, holding charge for them


@dataclass(frozen=True)
class ReceiptClosed(ReceiptEvent):
    event_type = "receipt_closed"
    closed_by: str = ""
    remarks: str = ""
    on_behalf_of: str | None = None  # closed_by acted for this absent officer, holding charge for them


@dataclass(frozen=True)
class OfficeRecorded(DomainEvent):
    """The directory's current record of an office, with its district, department and state."""

    event_type = "office_recorded"
    aggregate_type = "office"
    office: str
    district: str
    name_en: str
    name_hi: str
    department: str
    department_name_en: str
    department_name_hi: str
    district_name_en: str
    district_name_hi: str
    state: str
    sections: list = field(default_factory=list)

    @property
    def aggregate_id(self):
        return self.office


@dataclass(frozen=True)
class UserRecorded(DomainEvent):
    """The directory's current record of a user (also sent when a user is deactivated)."""

    event_type = "user_recorded"
    aggregate_type = "user"
    user_id: str
    office: str
    district: str
    name_en: str
    name_hi: str
    designation_en: str
    designation_hi: str
    section: str | None
    email: str | None
    mobile: str | None
    reporting_officer: str | None
    roles: list
    language: str
    active: bool
    clearance: str = "normal"

    @property
    def aggregate_id(self):
        return self.user_id


@dataclass(frozen=True)
class ActingChargeEvent(DomainEvent):
    aggregate_type = "acting_charge"
    charge_id: str
    absent_user: str
    acting_user: str
    from_date: str
    to_date: str
    office: str
    district: str | None

    @property
    def aggregate_id(self):
        return self.charge_id


@dataclass(frozen=True)
class ActingChargeSet(ActingChargeEvent):
    """An officer will be away from from_date to to_date (inclusive); acting_user holds charge."""

    event_type = "acting_charge_set"
    reason: str | None = None
    set_by: str = ""
    hand_over: bool = False  # the absent officer's files and receipts pass to the acting officer now


@dataclass(frozen=True)
class ActingChargeEnded(ActingChargeEvent):
    """The absent officer came back before to_date (a charge past its to_date ends by itself, unannounced)."""

    event_type = "acting_charge_ended"
    ended_by: str = ""
