"""An admin's edits of the organisation directory dak is the master of: offices, sections, users and
deactivation, each within the admin's jurisdiction (directory_admin). Each change is published as the
same office_recorded / user_recorded event the import publishes, in the same transaction (outbox),
so every service's copy of the directory follows. An edited record keeps when (`edited_at`): the
import leaves it alone from then on, so a restart that imports the master again undoes no edit. Repositories: `uow.directory`, `uow.receipts`."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from . import commands
from .directory_admin import DirectoryAdmin, check_user_record
from .events import OfficeRecorded, UserRecorded
from .exceptions import (
    CannotDeactivateSelf,
    DirectoryRecordRefused,
    NotAllowed,
    StillHoldsReceipts,
    UnknownUser,
)


def record_office(command: commands.RecordOffice, uow) -> OfficeRecorded:
    """Add or change an office. An office moved to another district takes its users along: their
    records (which carry the district) are published again."""
    admin = _admin(command.by, uow)
    directory = uow.directory
    existing = directory.placed_office(command.code)
    if existing is not None:
        admin.ensure_keeps(existing.district)
    admin.ensure_keeps(command.district)
    reasons = {}
    if not directory.district_exists(command.district):
        reasons["district"] = "unknown_district"
    if not directory.department_exists(command.department):
        reasons["department"] = "unknown_department"
    if reasons:
        raise DirectoryRecordRefused("the office's record does not fit the directory", fields=reasons)
    directory.put_office(command.code, {"code": command.code, "name_en": command.name_en, "name_hi": command.name_hi,
                                        "district_code": command.district, "department_code": command.department,
                                        "edited_at": _now()})
    recorded = directory.office_recorded(command.code)
    moved_users = directory.user_ids_in(command.code) if existing is not None and existing.district != command.district else []
    _publish(uow, [recorded, *(directory.user_recorded(user_id) for user_id in moved_users)])
    return recorded


def record_section(command: commands.RecordSection, uow) -> OfficeRecorded:
    """Add or rename a section; published as its office's record, which lists the sections."""
    admin = _admin(command.by, uow)
    directory = uow.directory
    office = directory.placed_office(command.office)
    if office is None:
        raise DirectoryRecordRefused("no such office", fields={"office": "unknown_office"})
    admin.ensure_keeps(office.district)
    held_by = directory.office_of_section(command.code)
    if held_by is not None and held_by != command.office:
        raise DirectoryRecordRefused(f"section {command.code} belongs to office {held_by}",
                                     fields={"code": "section_of_another_office"})
    directory.put_section(command.code, {"code": command.code, "office_code": command.office,
                                         "name_en": command.name_en, "name_hi": command.name_hi, "edited_at": _now()})
    recorded = directory.office_recorded(command.office)
    _publish(uow, [recorded])
    return recorded


def record_user(command: commands.RecordUser, uow) -> UserRecorded:
    """Add a user, or change one: the admin must keep both the district the user is in and the one
    they move to."""
    admin = _admin(command.by, uow)
    directory = uow.directory
    existing = directory.person(command.user_id)
    if existing is not None:
        admin.ensure_keeps(directory.placed_office(existing.office_code).district)
    office = directory.placed_office(command.office)
    if office is not None:
        admin.ensure_keeps(office.district)
    roles = list(dict.fromkeys(command.roles))
    admin.ensure_may_grant(roles, tuple(existing.roles or ()) if existing is not None else ())
    fields = {"user_id": command.user_id, "section": command.section, "reporting_officer": command.reporting_officer,
              "roles": roles, "language": command.language, "clearance": command.clearance}
    reporting_known = bool(command.reporting_officer) and bool(directory.active_user_ids([command.reporting_officer]))
    check_user_record(fields, office, reporting_known)
    directory.put_user(command.user_id, {
        "id": command.user_id, "name_en": command.name_en, "name_hi": command.name_hi,
        "designation_en": command.designation_en, "designation_hi": command.designation_hi,
        "office_code": command.office, "section_code": command.section or None, "email": command.email or None,
        "mobile": command.mobile or None, "reporting_officer_id": command.reporting_officer or None, "roles": roles,
        "language": command.language, "clearance": command.clearance,
        "active": existing.active if existing is not None else True, "edited_at": _now(),
    })
    recorded = directory.user_recorded(command.user_id)
    _publish(uow, [recorded])
    return recorded


def deactivate_user(command: commands.DeactivateUser, uow) -> UserRecorded:
    """A user who has left: kept (old files still name them), never sent anything again. Whatever
    they hold goes to a successor first (transfer of charge), so nothing is stranded with them."""
    admin = _admin(command.by, uow)
    directory = uow.directory
    user = directory.person(command.user_id)
    if user is None:
        raise UnknownUser(f"user {command.user_id} is not in the directory")
    admin.ensure_keeps(directory.placed_office(user.office_code).district)
    if user.id == admin.id:
        raise CannotDeactivateSelf("an admin does not deactivate themself; another admin does")
    if not user.active:
        recorded = directory.user_recorded(command.user_id)
        uow.commit(recorded)
        return recorded
    held = uow.receipts.held_by(command.user_id)
    if held:
        raise StillHoldsReceipts(f"{command.user_id} holds {len(held)} open receipts: transfer their charge first",
                                 fields={"user_id": "holds_receipts"})
    directory.put_user(command.user_id, {"active": False, "edited_at": _now()})
    recorded = directory.user_recorded(command.user_id)
    _publish(uow, [recorded])
    return recorded


def directory_kept_by(user_id: str, office: str | None, uow) -> tuple[DirectoryAdmin, list, list]:
    """(admin, [(office, sections)], users) an admin keeps: their district's, or every district's
    for a state admin; users of one office when `office` is given."""
    admin = _admin(user_id, uow)
    district = None if admin.keeps_the_state else admin.district
    return admin, uow.directory.offices_kept_by(district), uow.directory.users_kept_by(district, office)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _admin(user_id: str, uow) -> DirectoryAdmin:
    admin = uow.directory.admin(user_id)
    if admin is None:
        raise NotAllowed("only an active admin edits the directory")
    admin.ensure_may_edit()
    return admin


def _publish(uow, records: Sequence[OfficeRecorded | UserRecorded]) -> None:
    uow.emit_all(list(records))
    uow.commit(records[0])
