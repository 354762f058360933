"""The files domain, mapped to its tables. A file is the aggregate: it owns its movements, notes,
correspondence, drafts and audit log. Its methods check the rules (domain.py), change its state,
chain their audit entries and record the events the change implies; the unit of work writes them
together. Rows a method makes are appended to the file's collections (`lazy="noload"`: never read
through them, only written), so that they reach the session with the file."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import relationship
from sqlalchemy.types import JSON, BigInteger, Boolean, Date, DateTime, Integer, String, Text

from eoffice_common.model import Aggregate

from . import domain, events, letters
from .exceptions import FileNotFound
from .models import SERIAL_ID, Base

Action = tuple[str, dict]


class File(Aggregate, Base):
    __tablename__ = "files"
    id = Column(String(36), primary_key=True)
    office_code = Column(String(32), nullable=False)
    district_code = Column(String(16), nullable=False)
    section_code = Column(String(48))
    numbering = Column(String(8), nullable=False)  # sfs | non_sfs
    head_id = Column(Integer, ForeignKey("file_heads.id"))
    year = Column(Integer)
    serial = Column(Integer)
    base_number = Column(String(160), nullable=False)
    file_number = Column(String(200), nullable=False)
    number_key = Column(String(200), nullable=False)
    computer_number = Column(BigInteger, nullable=False, unique=True)
    subject = Column(Text, nullable=False)
    subject_search = Column(Text, nullable=False)
    category = Column(String(120))
    description = Column(Text)
    kind = Column(String(12), nullable=False)
    classification = Column(String(12), nullable=False)
    status = Column(String(12), nullable=False)
    custodian_id = Column(String(64), nullable=False)
    owner_id = Column(String(64), nullable=False)
    created_by = Column(String(64), nullable=False)
    # Every change of the row is an UPDATE ... WHERE version = <the version read> (SQLAlchemy's
    # version_id_col; the file sets the next version itself, once per change, in _log): a writer that
    # slipped past the row lock cannot make a second custodian.
    version = Column(Integer, nullable=False)
    volume = Column(Integer, nullable=False, default=1)
    part = Column(Integer)
    parent_file_id = Column(String(36), ForeignKey("files.id"))
    relation = Column(String(8))  # volume | part, to parent_file_id
    last_paragraph = Column(Integer, nullable=False, default=0)
    audit_seq = Column(Integer, nullable=False, default=0)
    audit_head = Column(String(64))
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    parked_at = Column(DateTime(timezone=True))
    closed_at = Column(DateTime(timezone=True))
    closed_by = Column(String(64))
    merged_at = Column(DateTime(timezone=True))  # a part file merged into its main file (closed for good)
    attached_to_file_id = Column(String(36), ForeignKey("files.id", name="fk_files_attached_to"))  # travels with that file until detached

    movements = relationship("Movement", lazy="noload")
    audit_entries = relationship("AuditEntry", lazy="noload")
    notes = relationship("Note", lazy="noload")
    correspondence = relationship("CorrespondenceItem", lazy="noload")
    drafts = relationship("Draft", lazy="noload")
    dispatches = relationship("Dispatch", lazy="noload")
    links = relationship("FileLink", lazy="noload", foreign_keys="FileLink.file_id")

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        UniqueConstraint("office_code", "number_key", name="uq_file_number"),
        Index("ix_files_custodian_status", "custodian_id", "status"),
        Index("ix_files_created_by", "created_by", "created_at"),
        Index("ix_files_closed_by", "closed_by", "closed_at"),
        Index("ix_files_office_created", "office_code", "created_at"),
        Index("ix_files_parent", "parent_file_id"),
        Index("ix_files_attached_to", "attached_to_file_id"),
        # Subject words and parts of numbers are searched with LIKE '%…%': trigram indexes on PostgreSQL
        # (the migration creates the pg_trgm extension first); plain indexes on SQLite.
        Index("ix_files_subject_search", "subject_search", postgresql_using="gin", postgresql_ops={"subject_search": "gin_trgm_ops"}),
        Index("ix_files_number_key", "number_key", postgresql_using="gin", postgresql_ops={"number_key": "gin_trgm_ops"}),
    )

    # Not columns: set by the repository that loads the file. The movement that put it with its
    # custodian, the custodian's yellow notes (they turn green when the file leaves them), and
    # whether other files are attached into it (they travel with it).
    current = None  # Movement | None
    yellow_notes = ()  # list[Note]
    has_attached_files = True

    # The names the rules in domain.py use for any file.
    @property
    def office(self) -> str:
        return self.office_code

    @property
    def owner(self) -> str:
        return self.owner_id

    @property
    def custodian(self) -> str:
        return self.custodian_id

    @property
    def event_base(self) -> dict:
        return {"file_id": self.id, "file_number": self.file_number, "office": self.office_code, "district": self.district_code}

    # --- a new file, its volumes and parts ------------------------------------------------------------

    @classmethod
    def create(cls, creator: str, computer_number: int, now: datetime, **values) -> File:
        """A new file held and owned by its creator; its audit log starts with "created"."""
        file = cls(
            id=str(uuid.uuid4()), number_key=domain.number_key(values["file_number"]), computer_number=computer_number,
            subject_search=domain.normalise_for_search(values["subject"]), status=domain.OPEN, custodian_id=creator,
            owner_id=creator, created_by=creator, version=1, last_paragraph=0, audit_seq=0, created_at=now, updated_at=now,
            **{"volume": 1, **values},
        )
        file._chain(creator, [("created", {
            "file_number": file.file_number, "computer_number": file.computer_number, "subject": file.subject,
            "classification": file.classification, "parent_file_id": file.parent_file_id,
        })], now)
        file.record(events.FileCreated(
            **file.event_base, computer_number=file.computer_number, section=file.section_code, subject=file.subject,
            category=file.category, kind=file.kind, classification=file.classification, created_by=creator,
            numbering=file.numbering, volume=file.volume, part=file.part, parent_file_id=file.parent_file_id,
        ))
        return file

    def _inherited(self) -> dict:
        return {
            "office_code": self.office_code, "district_code": self.district_code, "section_code": self.section_code,
            "numbering": self.numbering, "head_id": self.head_id, "year": self.year, "serial": self.serial,
            "category": self.category, "description": self.description, "kind": self.kind, "classification": self.classification,
        }

    def open_volume(self, held: File, volume: int, by: str, remarks: str | None, computer_number: int, now: datetime) -> File:
        """The next volume of this (root) file, opened by the custodian of `held` (the root or one of its
        volumes): the same number suffixed `/Vol.N`, a new computer number."""
        domain.check_new_volume(held, by)
        new = File.create(
            by, computer_number, now, **self._inherited(), base_number=self.base_number, subject=self.subject,
            file_number=domain.volume_number(self.base_number, volume), volume=volume, parent_file_id=self.id, relation="volume",
        )
        self._log(by, [("volume_opened", {"file_id": new.id, "volume": volume, "remarks": remarks})], now)
        return new

    def open_part(self, part: int, by: str, subject: str | None, computer_number: int, now: datetime) -> File:
        """A part file, to work on a matter while this file is elsewhere: `<number>/Part.N`. Anyone who
        may open the file may open a part of it, while it is not closed."""
        domain.check_new_part(self)
        number = domain.part_number(self.file_number, part)
        new = File.create(
            by, computer_number, now, **self._inherited(), base_number=number, file_number=number,
            subject=subject or self.subject, volume=1, part=part, parent_file_id=self.id, relation="part",
        )
        self._log(by, [("part_opened", {"file_id": new.id, "part": part})], now)
        return new

    # --- who sees it ---------------------------------------------------------------------------------

    def ensure_visible_to(self, user_id: str, office: str, was_sent_to: Callable[[str, str], bool]) -> None:
        """Not found for whoever may not open it, so that its existence is not revealed.
        `was_sent_to(file_id, user_id)` is asked only when the other rules do not already decide."""
        if not self.visible_to(user_id, office, was_sent_to):
            raise FileNotFound(f"file {self.id} was not found")

    def visible_to(self, user_id: str, office: str, was_sent_to: Callable[[str, str], bool]) -> bool:
        return domain.can_open(self, user_id, office, False) or domain.can_open(self, user_id, office, was_sent_to(self.id, user_id))

    def ensure_writable(self, by: str, what: str) -> None:
        """Only the custodian writes in a file, while it is open, and only in an electronic one."""
        domain.ensure_can_write(self, by)
        domain.ensure_electronic(self, what)

    def is_unopened_by(self, user_id: str) -> bool:
        current = self.current
        return current is not None and current.opened_at is None and current.to_user == user_id and self.custodian_id == user_id

    def open_by(self, user_id: str, now: datetime) -> None:
        """Its recipient reading any of it opens the file (the sender can no longer pull it back)."""
        self._log(user_id, self._opened_by(user_id, now), now)

    def _opened_by(self, user_id: str, now: datetime) -> list[Action]:
        """Opening the file, or acting on it, records when its recipient first did: the audit entry."""
        if not self.is_unopened_by(user_id):
            return []
        self.current.opened_at = now
        self.record(events.FileOpened(**self.event_base, movement_id=self.current.id, user=user_id, opened_at=now.isoformat()))
        return [("opened", {"movement_id": self.current.id})]

    # --- movement ------------------------------------------------------------------------------------

    def send(self, by: str, to: str | None, people: Mapping[str, Any], movement_id: int, now: datetime, remarks: str | None = None,
             due_date: date | None = None, priority: str = "normal", expected_version: int | None = None,
             for_user: str | None = None) -> Movement:
        """Send the file to `to`, who becomes its one custodian (holding charge for `for_user`, who is away).
        `people`: the directory rows by id, `to`'s among them (whether active, their clearance)."""
        domain.ensure_not_attached(self, "sent")
        move = domain.plan_send(self, by, to, people, expected_version, for_user)
        return self._hand_over(move, by, movement_id, now, remarks=remarks, due_date=due_date, priority=priority, for_user=for_user)

    def return_to_sender(self, by: str, people: Mapping[str, Any], movement_id: int, now: datetime, remarks: str | None = None,
                         expected_version: int | None = None) -> Movement:
        """Back to whoever sent it to its custodian (`people`: the directory rows by id, theirs among them)."""
        domain.ensure_not_attached(self, "returned")
        move = domain.plan_return(self, self.current, by, people, expected_version)
        return self._hand_over(move, by, movement_id, now, remarks=remarks)

    def receive(self, by: str, now: datetime) -> None:
        """The physical file reached its custodian's desk ("receive", as for a physical receipt)."""
        domain.check_receive(self, self.current, by)
        self.current.received_at = now
        self._log(by, [("received", {"movement_id": self.current.id})], now)
        self.record(events.FileReceived(**self.event_base, movement_id=self.current.id, received_by=by, received_at=now.isoformat()))

    def pull_back(self, by: str, people: Mapping[str, Any], movement_id: int, now: datetime) -> Movement:
        """The sender takes the file back while its recipient has not opened it (`people`: the directory rows
        by id, the sender's among them)."""
        domain.ensure_not_attached(self, "pulled back")
        move = domain.plan_pull_back(self, self.current, by, people)
        pulled_from = self.current
        pulled_from.pulled_back_at = now
        movement = self._hand_over(move, by, movement_id, now, opened_at=now)
        self.record(events.FilePulledBack(**self.event_base, movement_id=pulled_from.id, by_user=move.to_user, from_user=move.from_user))
        return movement

    def transfer(self, leaving: str, successor: str, admin: str, remarks: str | None, movement_id: Callable[[], int],
                 now: datetime) -> None:
        """An officer leaving a post hands over what they hold (a move) and what they own (its ownership), to a
        successor cleared for every such file (domain.check_transfer_cleared, asked of them all first)."""
        new_owner = successor if self.owner_id == leaving else None
        if self.custodian_id == leaving:
            self._hand_over(domain.Move(leaving, successor, domain.TRANSFER), admin, movement_id(), now, remarks=remarks, new_owner=new_owner)
        else:
            self.owner_id = new_owner or self.owner_id
            self._log(admin, [("ownership_transferred", {"from": leaving, "to": successor, "remarks": remarks})], now)

    def hand_over_on_leave(self, absent: str, acting: str, by: str, movement_id: int, now: datetime) -> Movement:
        """An officer going on leave chose to hand what they hold to the officer acting for them: the
        file is held for them meanwhile (`for_user`), due when it was due to them (reminders follow it).
        The use case hands over only the files the acting officer is cleared for (domain.is_cleared_for)."""
        due_date, priority = (self.current.due_date, self.current.priority) if self.current is not None else (None, "normal")
        return self._hand_over(domain.Move(absent, acting, domain.HAND_OVER), by, movement_id, now,
                               remarks=domain.HANDED_OVER_ON_LEAVE, due_date=due_date, priority=priority, for_user=absent)

    def _hand_over(self, move: domain.Move, actor: str, movement_id: int, now: datetime, remarks: str | None = None,
                   due_date: date | None = None, priority: str = "normal", opened_at: datetime | None = None,
                   new_owner: str | None = None, for_user: str | None = None) -> Movement:
        """The leaving custodian's yellow notes turn green; a new movement becomes the current one."""
        on_behalf_of = self._held_for(actor)
        actions = self._opened_by(actor, now)
        actions += self._confirm(self.yellow_notes, now, on=move.action)
        self.yellow_notes = []
        movement = Movement(
            id=movement_id, file_id=self.id, action=move.action, from_user=move.from_user, to_user=move.to_user, remarks=remarks,
            due_date=due_date, priority=priority, sent_at=now, opened_at=opened_at, is_current=True, for_user=for_user,
            on_behalf_of=on_behalf_of,
        )
        if self.current is not None:
            self.current.is_current = False
        self.movements.append(movement)
        self.current = movement
        actions.append((move.action, {
            "movement_id": movement.id, "from": move.from_user, "to": move.to_user, "remarks": remarks,
            "due_date": due_date, "priority": priority, **({"owner_id": new_owner} if new_owner else {}),
            **({"for_user": for_user} if for_user else {}),
        }))
        if move.action in domain.ANNOUNCED_MOVES:
            self.record(events.FileSent(
                **self.event_base, movement_id=movement.id, action=move.action, from_user=move.from_user, to_user=move.to_user,
                remarks=remarks, due_date=domain.as_iso(due_date), priority=priority, subject=self.subject,
                classification=self.classification, sent_at=now.isoformat(), for_user=for_user, on_behalf_of=on_behalf_of,
            ))
        self.custodian_id = move.to_user
        if new_owner:
            self.owner_id = new_owner
        self._log(actor, actions, now, on_behalf_of=on_behalf_of)
        return movement

    def travel_with(self, movement: Movement, actor: str, people: Mapping[str, Any], movement_id: int, now: datetime) -> Movement:
        """An attached file makes the move `movement` of the file it is attached to, to the same custodian, who
        must be cleared for it too (`people`: the directory rows by id, theirs among them)."""
        domain.ensure_cleared(self, movement.to_user, people, acting_for=movement.for_user)
        pulled_from = self.current if movement.action == domain.PULL_BACK else None
        if pulled_from is not None:
            pulled_from.pulled_back_at = now
        travelled = self._hand_over(
            domain.Move(movement.from_user, movement.to_user, movement.action), actor, movement_id, now,
            remarks=movement.remarks, due_date=movement.due_date, priority=movement.priority, opened_at=movement.opened_at,
            for_user=movement.for_user,
        )
        if pulled_from is not None:
            self.record(events.FilePulledBack(**self.event_base, movement_id=pulled_from.id, by_user=movement.to_user, from_user=movement.from_user))
        return travelled

    # --- park, close, reopen -------------------------------------------------------------------------

    def park(self, by: str, now: datetime, remarks: str | None = None, expected_version: int | None = None) -> None:
        """Temporarily close the file; it waits in the custodian's parked list."""
        domain.ensure_can_write(self, by, expected_version)
        self.status, self.parked_at = domain.PARKED, now
        self._act(by, "parked", remarks, events.FileParked, now)

    def unpark(self, by: str, now: datetime, remarks: str | None = None, expected_version: int | None = None) -> None:
        domain.check_unpark(self, by, expected_version)
        self.status, self.parked_at = domain.OPEN, None
        self._act(by, "unparked", remarks, events.FileUnparked, now)

    def reopen(self, by: str, now: datetime, remarks: str | None = None, expected_version: int | None = None) -> None:
        """The owner reopens a closed file."""
        domain.check_reopen(self, by, expected_version)
        self.status, self.closed_at, self.closed_by = domain.OPEN, None, None
        self._act(by, "reopened", remarks, events.FileReopened, now)

    def _act(self, by: str, action: str, remarks: str | None, event: type[events.FileEvent], now: datetime) -> None:
        self._log(by, self._opened_by(by, now) + [(action, {"remarks": remarks})], now)
        self.record(event(**self.event_base, by_user=by))

    def close(self, by: str, movement_count: int, now: datetime, remarks: str | None = None, expected_version: int | None = None) -> None:
        """Only the owner closes a file, while holding it; their yellow notes turn green."""
        domain.check_close(self, by, expected_version)
        domain.ensure_not_attached(self, "closed")
        actions = self._opened_by(by, now) + self._confirm(self.yellow_notes, now, on="close")
        self.yellow_notes = []
        self.status, self.closed_at, self.closed_by, self.parked_at = domain.CLOSED, now, by, None
        self._log(by, actions + [("closed", {"remarks": remarks, "movement_count": movement_count})], now)
        self.record(events.FileClosed(
            **self.event_base, by_user=by, created_at=self.created_at.isoformat(), movement_count=movement_count, kind=self.kind,
        ))

    # --- a part merged, files linked and attached ------------------------------------------------

    def merge_part(self, part: File, notes: list[Note], items: list[CorrespondenceItem], main_receipts: Iterable[str],
                   part_movements: list[Movement], next_position: int, by: str, now: datetime) -> None:
        """`part`, a part file of this one, joins it (eFile's merge): its notes (`notes`, all of them) and
        correspondence (`items`) move into this file keeping their identity, content and signatures,
        marked as from the part; its notes take paragraph numbers on from this file's last, its items
        positions after this file's last (`next_position`). A classified receipt stays readable by those
        who could read it in the part, and by whoever receives this file from now on. The part closes
        as merged, for good."""
        domain.check_merge(self, part, by, [i.receipt_id for i in items if i.receipt_id], main_receipts)
        confirmed = part._confirm(part.yellow_notes, now, on="merge")
        part.yellow_notes = []
        moved_notes = []
        for note in sorted((n for n in notes if n.status == domain.GREEN), key=lambda n: n.first_paragraph or 0):
            first, last = domain.number_paragraphs(self.last_paragraph, note.text)
            moved_notes.append({"note_id": note.id, "part_paragraphs": [note.first_paragraph, note.last_paragraph], "paragraphs": [first, last]})
            note.file_id, note.merged_from_file_id, note.first_paragraph, note.last_paragraph = self.id, part.id, first, last
            self.last_paragraph = last
        for position, item in enumerate(sorted(items, key=lambda i: i.position), start=next_position):
            if item.kind == "receipt" and item.classification != "normal":
                later = {m.to_user for m in part_movements if m.id > (item.linked_after_movement or 0)}
                item.cleared = sorted(set(item.cleared or []) | later)
                item.linked_after_movement = self.current.id if self.current else None
            item.file_id, item.merged_from_file_id, item.position = self.id, part.id, position
        moved_items = [i.id for i in items]
        receipts = sorted(i.receipt_id for i in items if i.receipt_id)
        part.status, part.closed_at, part.closed_by, part.parked_at, part.merged_at = domain.CLOSED, now, by, None, now
        part._log(by, part._opened_by(by, now) + confirmed + [("merged_into", {
            "file_id": self.id, "file_number": self.file_number, "notes": [n["note_id"] for n in moved_notes], "correspondence": moved_items,
        })], now)
        part.record(events.FileClosed(
            **part.event_base, by_user=by, created_at=part.created_at.isoformat(), movement_count=sum(
                m.action in domain.COUNTED_MOVES for m in part_movements), kind=part.kind,
        ))
        self._log(by, self._opened_by(by, now) + [("part_merged", {
            "part_file_id": part.id, "part_file_number": part.file_number, "part": part.part, "notes": moved_notes,
            "correspondence": moved_items,
        })], now)
        self.record(events.PartFileMerged(
            **self.event_base, part_file_id=part.id, part_file_number=part.file_number, part=part.part, merged_by=by,
            note_ids=[n["note_id"] for n in moved_notes], correspondence_ids=moved_items, receipt_ids=receipts,
            merged_at=now.isoformat(),
        ))

    def link_to(self, other: File, by: str, already_linked: bool, now: datetime) -> FileLink:
        """A reference from this file to `other`, shown on both; each stays independent."""
        domain.check_link(self, other, by, already_linked)
        link = FileLink(file_id=self.id, linked_file_id=other.id, linked_by=by, linked_at=now)
        self.links.append(link)
        self._log(by, self._opened_by(by, now) + [("file_linked", {"file_id": other.id, "file_number": other.file_number})], now)
        self.record(events.FileLinked(**self.event_base, linked_file_id=other.id, linked_file_number=other.file_number, by_user=by))
        return link

    def unlink(self, other: File, link: FileLink | None, by: str, now: datetime) -> None:
        """The custodian of either file removes the reference; the repository removes the row."""
        domain.check_unlink(self, by, link)
        self._log(by, [("file_unlinked", {"file_id": other.id, "file_number": other.file_number})], now)
        self.record(events.FileUnlinked(**self.event_base, linked_file_id=other.id, linked_file_number=other.file_number, by_user=by))

    def attach_file(self, other: File, by: str, other_has_attachments: bool, now: datetime) -> None:
        """`other` goes inside this file and travels with it wherever it is sent, until detached."""
        domain.check_attach(self, other, by, other_has_attachments)
        other.attached_to_file_id = self.id
        other._log(by, [("attached_to", {"file_id": self.id, "file_number": self.file_number})], now)
        self._log(by, self._opened_by(by, now) + [("file_attached", {"file_id": other.id, "file_number": other.file_number})], now)
        self.record(events.FileAttached(**self.event_base, attached_file_id=other.id, attached_file_number=other.file_number, by_user=by))

    def detach_file(self, other: File, by: str, now: datetime) -> None:
        """The custodian takes `other` out of this file; it moves on its own again."""
        domain.check_detach(self, other, by)
        other.attached_to_file_id = None
        other._log(by, [("detached_from", {"file_id": self.id, "file_number": self.file_number})], now)
        self._log(by, [("file_detached", {"file_id": other.id, "file_number": other.file_number})], now)
        self.record(events.FileDetached(**self.event_base, attached_file_id=other.id, attached_file_number=other.file_number, by_user=by))

    # --- noting --------------------------------------------------------------------------------------

    def add_note(self, by: str, text: str, references: list[str], correspondence_ids: set[str], now: datetime) -> Note:
        """A yellow note by the custodian, editable and discardable until confirmed or the file moves on."""
        self.ensure_writable(by, "notes")
        domain.check_references(references, correspondence_ids)
        note = Note(id=str(uuid.uuid4()), file_id=self.id, author=by, text=text, status=domain.YELLOW, references=references,
                    created_at=now, updated_at=now)
        self.notes.append(note)
        self._log(by, self._opened_by(by, now) + [("note_added", {"note_id": note.id, "content_sha256": domain.content_sha256(text)})], now)
        self.record(events.NoteAdded(**self.event_base, note_id=note.id, author=by))
        return note

    def edit_note(self, note: Note, by: str, text: str, references: list[str], correspondence_ids: set[str], now: datetime) -> None:
        self._ensure_note_changeable(note, by)
        domain.check_references(references, correspondence_ids)
        note.text, note.references, note.updated_at = text, references, now
        self._log(by, [("note_edited", {"note_id": note.id, "content_sha256": domain.content_sha256(text)})], now)

    def discard_note(self, note: Note, by: str, now: datetime) -> None:
        """Its author discards a yellow note; the repository removes it."""
        self._ensure_note_changeable(note, by)
        self._log(by, [("note_discarded", {"note_id": note.id})], now)

    def confirm_note(self, note: Note, by: str, now: datetime) -> None:
        """The yellow note turns green: permanent, its paragraphs numbered after the file's last."""
        self._ensure_note_changeable(note, by)
        self._log(by, self._confirm([note], now, on="confirm"), now)

    def _ensure_note_changeable(self, note: Note, by: str) -> None:
        self.ensure_writable(by, "notes")
        domain.check_note_change(note, by)

    def _confirm(self, notes: Iterable[Note], now: datetime, on: str) -> list[Action]:
        """Notes turn green in order, their paragraphs numbered on from the file's last paragraph."""
        actions = []
        for note in notes:
            first, last = domain.number_paragraphs(self.last_paragraph, note.text)
            note.status, note.confirmed_at, note.updated_at = domain.GREEN, now, now
            note.first_paragraph, note.last_paragraph, note.content_sha256 = first, last, domain.content_sha256(note.text)
            self.last_paragraph = last
            actions.append(("note_confirmed", {"note_id": note.id, "paragraphs": [first, last], "content_sha256": note.content_sha256, "on": on}))
            self.record(events.NoteConfirmed(
                **self.event_base, note_id=note.id, author=note.author, text=note.text, first_paragraph=first,
                last_paragraph=last, content_sha256=note.content_sha256, confirmed_at=now.isoformat(),
                classification=self.classification, confirmed_on=on, subject=self.subject,
            ))
        return actions

    # --- correspondence ------------------------------------------------------------------------------

    def attach_documents(self, by: str, position: int, details: dict, documents: list[dict], now: datetime) -> CorrespondenceItem:
        """Documents attached to the correspondence (already in the store): `details` the item's title,
        sender and letter; each document {key, sha256, size, content_type, filename}."""
        self.ensure_writable(by, "correspondence")
        item = self._new_item(position, documents, kind="document", classification=self.classification, added_by=by, added_at=now, **details)
        self._log(by, self._opened_by(by, now) + [("document_attached", {"correspondence_id": item.id, "sha256": [d["sha256"] for d in documents]})], now)
        self.record(events.DocumentsAttached(
            **self.event_base, correspondence_id=item.id, title=item.title, sender_name=item.sender_name,
            sender_organisation=item.sender_organisation, letter_number=item.letter_number,
            letter_date=item.letter_date.isoformat() if item.letter_date else None, added_by=by, classification=self.classification,
            documents=[{"position": d.position, "key": d.key, "sha256": d.sha256, "size": d.size, "content_type": d.content_type,
                        "filename": d.filename} for d in item.documents],
        ))
        return item

    def link_receipt(self, receipt: dict, cleared: Iterable[str], put_by: str, custodian_then: str | None, position: int,
                     copy_scans: Callable[[], list[dict]], event_id: str, now: datetime) -> CorrespondenceItem:
        """dak's receipt_put_in_file: the receipt and its scans (copied into this service's store) enter the
        correspondence under the receipt number, readable by those dak `cleared` and by `put_by`, if `put_by`
        held the file when it went in (`custodian_then`; dak asked
        domain.receipt_link_refusal before it committed; the file may have moved on or closed since).
        Its scans are copied into this service's store (`copy_scans`) once the link is allowed."""
        domain.check_receipt_link(self, put_by, custodian_then)
        scans = copy_scans()
        item = self._new_item(
            position, scans, **receipt, kind="receipt", added_by=put_by, added_at=now,
            linked_after_movement=self.current.id if self.current else None,
            cleared=sorted(set(cleared) | {put_by}),
        )
        self._log(put_by, [("receipt_linked", {
            "receipt_id": item.receipt_id, "receipt_number": item.receipt_number, "correspondence_id": item.id,
            "sha256": [s["sha256"] for s in scans], "event_id": event_id,
        })], now)
        self.record(events.ReceiptLinked(
            **self.event_base, receipt_id=item.receipt_id, receipt_number=item.receipt_number, linked_by=put_by,
            correspondence_id=item.id, scans=[{"position": s["position"], "key": s["key"], "sha256": s["sha256"]} for s in scans],
        ))
        return item

    def _new_item(self, position: int, documents: list[dict], **values) -> CorrespondenceItem:
        item = CorrespondenceItem(id=str(uuid.uuid4()), file_id=self.id, position=position, **values)
        item.documents.extend(
            CorrespondenceDocument(item_id=item.id, position=d.get("position", index), key=d["key"], sha256=d["sha256"], size=d["size"],
                                   content_type=d["content_type"], filename=d.get("filename"))
            for index, d in enumerate(documents, start=1)
        )
        self.correspondence.append(item)
        return item

    # --- drafts for approval -------------------------------------------------------------------------

    def start_draft(self, by: str, subject: str, content: str, now: datetime) -> Draft:
        self.ensure_writable(by, "drafts")
        draft = Draft(id=str(uuid.uuid4()), file_id=self.id, office_code=self.office_code, subject=subject, status=domain.DRAFT,
                      current_version=0, created_by=by, created_at=now, updated_at=now)
        self.drafts.append(draft)
        self._add_version(draft, by, content, now)
        return draft

    def revise_draft(self, draft: Draft, by: str, content: str, now: datetime) -> None:
        """Every edit is a new version; the earlier ones stay readable."""
        self.ensure_writable(by, "drafts")
        domain.check_draft_editable(draft)
        self._add_version(draft, by, content, now)

    def _add_version(self, draft: Draft, by: str, content: str, now: datetime) -> None:
        draft.current_version += 1
        draft.updated_at = now
        sha = domain.content_sha256(content)
        draft.versions.append(DraftVersion(draft_id=draft.id, version=draft.current_version, content=content, content_sha256=sha,
                                           author=by, created_at=now))
        actions = self._opened_by(by, now) + [("draft_versioned", {"draft_id": draft.id, "version": draft.current_version, "content_sha256": sha})]
        self._log(by, actions, now)
        self.record(events.DraftVersioned(**self.event_base, draft_id=draft.id, version=draft.current_version, author=by,
                                          subject=draft.subject, content=content))

    def comment_on_draft(self, draft: Draft, by: str, text: str, comment_id: int, now: datetime) -> DraftComment:
        self.ensure_writable(by, "drafts")
        comment = DraftComment(id=comment_id, draft_id=draft.id, version=draft.current_version, author=by, text=text, created_at=now)
        draft.comments.append(comment)
        self._log(by, self._opened_by(by, now) + [("draft_commented", {"draft_id": draft.id, "comment_id": comment.id})], now)
        return comment

    def approve_draft(self, draft: Draft, by: str, roles: Iterable[str], latest: DraftVersion, now: datetime,
                      next_issue_serial: Callable[[], int], expected_version: int | None = None) -> None:
        """An officer holding the file approves the draft's latest version (`latest`). The letter's issue
        number is reserved now (the office's next issue serial, taken only once the approval is allowed),
        so that the PDF signed before issue carries it."""
        self.ensure_writable(by, "drafts")
        domain.check_approve(draft, tuple(roles), expected_version)
        draft.reserved_issue_number = domain.issue_number(next_issue_serial(), domain.year_of(now), self.office_code)
        draft.status, draft.approved_version, draft.approved_by, draft.approved_at, draft.updated_at = domain.APPROVED, latest.version, by, now, now
        actions = self._opened_by(by, now) + [("draft_approved", {"draft_id": draft.id, "version": latest.version,
                                                                  "content_sha256": latest.content_sha256,
                                                                  "issue_number": draft.reserved_issue_number})]
        self._log(by, actions, now)
        self.record(events.DraftApproved(
            **self.event_base, draft_id=draft.id, version=latest.version, approver=by, subject=draft.subject,
            content=latest.content, content_sha256=latest.content_sha256, classification=self.classification,
            issue_number=draft.reserved_issue_number,
        ))

    def ensure_issuable(self, draft: Draft, by: str) -> None:
        """Checked before an issue number is taken: a refused issue takes none."""
        self.ensure_writable(by, "drafts")
        domain.check_issue(draft)

    def issue_draft(self, draft: Draft, by: str, next_issue_serial: Callable[[], int], dispatch_mode: str, recipients: list[dict],
                    addressees: list[letters.Addressee], now: datetime) -> list[Dispatch]:
        """Issued under the issue number reserved at approval (a draft approved before numbers were
        reserved takes the office's next serial now), with a dispatch per addressee: draft_issued tells
        dak (a receipt in each addressee office) and notify (the emails)."""
        self.ensure_issuable(draft, by)
        letters.check_signed_pdf(addressees, draft.signed_pdf_key)
        number = draft.reserved_issue_number or domain.issue_number(next_issue_serial(), domain.year_of(now), self.office_code)
        draft.status, draft.issue_number, draft.issued_by, draft.issued_at = domain.ISSUED, number, by, now
        draft.dispatch_mode, draft.recipients, draft.updated_at = dispatch_mode, recipients, now
        dispatches = [
            Dispatch(
                id=str(uuid.uuid4()), draft_id=draft.id, file_id=self.id, office_code=self.office_code, issue_number=number,
                position=a.position, mode=a.mode, copy=a.copy, addressee_user=a.user, addressee_office=a.office, name=a.name,
                email=a.email, address=a.address, postal_mode=a.postal_mode, article_number=a.article_number,
                status=letters.first_status(a.mode), issued_at=now,
            )
            for a in addressees
        ]
        self.dispatches.extend(dispatches)
        actions = self._opened_by(by, now) + [("draft_issued", {
            "draft_id": draft.id, "issue_number": number, "dispatch_mode": dispatch_mode, "dispatches": [d.id for d in dispatches],
        })]
        self._log(by, actions, now)
        self.record(events.DraftIssued(
            **self.event_base, draft_id=draft.id, version=draft.approved_version, issue_number=number,
            dispatch_mode=dispatch_mode, issued_by=by, recipients=recipients, subject=draft.subject,
            classification=self.classification, issued_at=now.isoformat(), pdf_key=draft.signed_pdf_key,
            pdf_sha256=draft.signed_pdf_sha256, addressees=[d.announced() for d in dispatches],
        ))
        return dispatches

    # --- signatures ----------------------------------------------------------------------------------

    def record_signature(self, kind: str, document: Note | Draft | None, signature: dict, now: datetime) -> None:
        """signing's document_signed: a green note or an approved draft of this file is marked signed."""
        if document is not None and document.file_id != self.id:
            document = None
        domain.check_signable(kind, document.status if document else None)
        document.signature_id, document.signed_by = signature["signature_id"], signature["signer"]
        document.signed_at = datetime.fromisoformat(signature["signed_at"])
        document.signed_sha256, document.signature_method = signature["content_sha256"], signature.get("method")
        if kind == "draft" and signature.get("pdf_key"):
            document.signed_pdf_key, document.signed_pdf_sha256 = signature["pdf_key"], signature.get("pdf_sha256")
        self._log(signature["signer"], [(f"{kind}_signed", {
            f"{kind}_id": document.id, "signature_id": signature["signature_id"], "content_sha256": signature["content_sha256"],
            "method": signature.get("method"), "certificate_serial": signature.get("certificate_serial"),
        })], now)

    # --- the audit log -------------------------------------------------------------------------------

    def _held_for(self, actor: str) -> str | None:
        """The absent officer `actor` holds this file for, as its acting officer (their actions are on their behalf)."""
        current = self.current
        if current is None or current.for_user is None or current.to_user != actor or self.custodian_id != actor:
            return None
        return current.for_user

    def _log(self, actor: str, actions: list[Action], now: datetime, on_behalf_of: str | None = None) -> None:
        """A change of the file: its audit entries, and the next version of its row."""
        self._chain(actor, actions, now, on_behalf_of=on_behalf_of or self._held_for(actor))
        self.version += 1
        self.updated_at = now

    def _chain(self, actor: str, actions: list[Action], now: datetime, on_behalf_of: str | None = None) -> None:
        """Append `actions` to the audit log, each entry hashing the previous entry's hash."""
        for action, details in actions:
            if on_behalf_of:
                details = {**details, "on_behalf_of": on_behalf_of}
            # Hashed as stored and read back: dates become strings (canonical JSON re-encodes to itself).
            stored = domain.canonical_json(details)
            seq, prev_hash = self.audit_seq + 1, self.audit_head
            digest = domain.audit_hash(prev_hash, self.id, seq, action, actor, now, json.loads(stored))
            self.audit_entries.append(AuditEntry(
                file_id=self.id, seq=seq, action=action, actor=actor, at=now, details=stored, prev_hash=prev_hash, hash=digest,
            ))
            self.audit_seq, self.audit_head = seq, digest


class FileLink(Base):
    """A reference from one file to another (eFile's "link file"): shown on both, each independent."""

    __tablename__ = "file_links"
    id = Column(SERIAL_ID, primary_key=True, autoincrement=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    linked_file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    linked_by = Column(String(64), nullable=False)
    linked_at = Column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        UniqueConstraint("file_id", "linked_file_id", name="uq_file_link"),
        Index("ix_file_links_linked", "linked_file_id"),
    )


class Movement(Base):
    """One hand-over of a file. Exactly one movement per file is current: the one that put it with its
    custodian (a partial unique index holds this even if two writers raced past every other check)."""

    __tablename__ = "movements"
    id = Column(SERIAL_ID, primary_key=True, autoincrement=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    action = Column(String(12), nullable=False)
    from_user = Column(String(64), nullable=False)
    to_user = Column(String(64), nullable=False)
    remarks = Column(Text)
    due_date = Column(Date)
    priority = Column(String(16), nullable=False, default="normal")
    sent_at = Column(DateTime(timezone=True), nullable=False)
    opened_at = Column(DateTime(timezone=True))
    pulled_back_at = Column(DateTime(timezone=True))
    is_current = Column(Boolean, nullable=False)
    for_user = Column(String(64))  # sent to this officer, who was away: `to_user` holds charge for them
    on_behalf_of = Column(String(64))  # made by the acting officer for this absent officer, whose file it was held for
    received_at = Column(DateTime(timezone=True))  # a physical file's arrival at its recipient's desk

    __table_args__ = (
        Index("ix_movements_file", "file_id", "id"),
        Index("ix_movements_to_user", "to_user", "sent_at"),
        Index("ix_movements_from_user", "from_user", "sent_at"),
        Index(
            "uq_movements_one_current", "file_id", unique=True,
            postgresql_where=is_current, sqlite_where=is_current,
        ),
    )

    @property
    def opened(self) -> bool:
        return self.opened_at is not None


class Note(Base):
    __tablename__ = "notes"
    id = Column(String(36), primary_key=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    status = Column(String(8), nullable=False)  # yellow | green
    references = Column(JSON, nullable=False, default=list)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    confirmed_at = Column(DateTime(timezone=True))
    first_paragraph = Column(Integer)
    last_paragraph = Column(Integer)
    content_sha256 = Column(String(64))
    signature_id = Column(String(64))
    signed_by = Column(String(64))
    signed_at = Column(DateTime(timezone=True))
    signed_sha256 = Column(String(64))
    signature_method = Column(String(12))
    merged_from_file_id = Column(String(36))  # the part file it was written in, before the part was merged

    __table_args__ = (Index("ix_notes_file_status", "file_id", "status", "author"),)


class CorrespondenceItem(Base):
    """A receipt put in the file (under its receipt number) or another document attached to it."""

    __tablename__ = "correspondence"
    id = Column(String(36), primary_key=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    position = Column(Integer, nullable=False)
    kind = Column(String(12), nullable=False)  # receipt | document
    receipt_id = Column(String(36))
    receipt_number = Column(String(80))
    title = Column(Text, nullable=False)
    classification = Column(String(12), nullable=False, default="normal")
    receipt_kind = Column(String(12))
    sender_name = Column(String(200))
    sender_organisation = Column(String(300))
    letter_number = Column(String(120))
    letter_date = Column(Date)
    received_date = Column(Date)
    added_by = Column(String(64), nullable=False)
    added_at = Column(DateTime(timezone=True), nullable=False)
    # Who may read a classified receipt here (README, "Classification travels"): the office it was
    # diarised in (Confidential), those dak cleared, and whoever receives the file after movement
    # `linked_after_movement`. Null for attached documents, which follow the file.
    receipt_office = Column(String(32))
    cleared = Column(JSON)
    linked_after_movement = Column(SERIAL_ID)
    merged_from_file_id = Column(String(36))  # the part file it was put in, before the part was merged

    documents = relationship("CorrespondenceDocument", lazy="noload")

    __table_args__ = (
        UniqueConstraint("file_id", "position", name="uq_correspondence_position"),
        UniqueConstraint("file_id", "receipt_id", name="uq_correspondence_receipt"),
    )


class CorrespondenceDocument(Base):
    __tablename__ = "correspondence_documents"
    id = Column(Integer, primary_key=True, autoincrement=True)
    item_id = Column(String(36), ForeignKey("correspondence.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    key = Column(String(200), nullable=False, index=True)
    sha256 = Column(String(64), nullable=False)
    size = Column(Integer, nullable=False)
    content_type = Column(String(40), nullable=False)
    filename = Column(String(255))


class Draft(Base):
    """A draft for approval (DFA): versions, comments, approval, signature and issue."""

    __tablename__ = "drafts"
    id = Column(String(36), primary_key=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False, index=True)
    office_code = Column(String(32), nullable=False)
    subject = Column(Text, nullable=False)
    status = Column(String(12), nullable=False)  # draft | approved | issued
    current_version = Column(Integer, nullable=False)
    created_by = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    approved_version = Column(Integer)
    approved_by = Column(String(64))
    approved_at = Column(DateTime(timezone=True))
    signature_id = Column(String(64))
    signed_by = Column(String(64))
    signed_at = Column(DateTime(timezone=True))
    signed_sha256 = Column(String(64))
    signature_method = Column(String(12))
    signed_pdf_key = Column(String(200))  # the signed PDF in the document store, from signing's document_signed
    signed_pdf_sha256 = Column(String(64))
    # Taken at approval, so the letter signed afterwards already carries it (docs/decisions/0003-issue-number-reserved-at-approval.md).
    reserved_issue_number = Column(String(80), unique=True)
    issue_number = Column(String(80), unique=True)
    issued_by = Column(String(64))
    issued_at = Column(DateTime(timezone=True))
    dispatch_mode = Column(String(8))  # email | post
    recipients = Column(JSON)

    versions = relationship("DraftVersion", lazy="noload")
    comments = relationship("DraftComment", lazy="noload")

    __table_args__ = (Index("ix_drafts_register", "office_code", "issued_at"),)


class DraftVersion(Base):
    __tablename__ = "draft_versions"
    draft_id = Column(String(36), ForeignKey("drafts.id"), primary_key=True)
    version = Column(Integer, primary_key=True)
    content = Column(Text, nullable=False)
    content_sha256 = Column(String(64), nullable=False)
    author = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class DraftComment(Base):
    __tablename__ = "draft_comments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    draft_id = Column(String(36), ForeignKey("drafts.id"), nullable=False, index=True)
    version = Column(Integer, nullable=False)
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Append-only: each entry's hash covers the previous entry's hash and this entry (domain.audit_hash)."""

    __tablename__ = "audit_log"
    id = Column(SERIAL_ID, primary_key=True, autoincrement=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    seq = Column(Integer, nullable=False)
    action = Column(String(40), nullable=False)
    actor = Column(String(64), nullable=False)
    at = Column(DateTime(timezone=True), nullable=False)
    details = Column(Text, nullable=False)
    prev_hash = Column(String(64))
    hash = Column(String(64), nullable=False)

    __table_args__ = (UniqueConstraint("file_id", "seq", name="uq_audit_seq"),)


class Dispatch(Base):
    """One addressee of an issued letter and how the letter reached them: `intra` (a receipt in an office
    of this deployment), `email` or `post`. A copy goes for information. (letters.py holds its rules.)"""

    __tablename__ = "dispatches"
    id = Column(String(36), primary_key=True)
    draft_id = Column(String(36), ForeignKey("drafts.id"), nullable=False, index=True)
    file_id = Column(String(36), ForeignKey("files.id"), nullable=False)
    office_code = Column(String(32), nullable=False)
    issue_number = Column(String(80), nullable=False)
    position = Column(Integer, nullable=False)
    mode = Column(String(8), nullable=False)  # intra | email | post
    copy = Column(Boolean, nullable=False, default=False)
    addressee_user = Column(String(64))
    addressee_office = Column(String(32))
    name = Column(String(200), nullable=False)
    email = Column(String(254))
    address = Column(Text)
    postal_mode = Column(String(24))
    article_number = Column(String(40))
    status = Column(String(12), nullable=False)  # sent | received | opened | delivered | bounced | posted
    receipt_id = Column(String(36))
    receipt_number = Column(String(80))
    issued_at = Column(DateTime(timezone=True), nullable=False)
    received_at = Column(DateTime(timezone=True))
    opened_at = Column(DateTime(timezone=True))
    delivered_at = Column(DateTime(timezone=True))
    failure = Column(Text)

    __table_args__ = (Index("ix_dispatches_register", "office_code", "issued_at"),)

    def announced(self) -> dict:
        """The addressee as draft_issued tells dak and notify of it."""
        return {
            "dispatch_id": self.id, "position": self.position, "mode": self.mode, "copy": self.copy, "name": self.name,
            "user": self.addressee_user, "office": self.addressee_office, "email": self.email, "address": self.address,
            "postal_mode": self.postal_mode, "article_number": self.article_number,
        }
