"""The rules of an admin's edits to the organisation directory: who may edit what (jurisdiction), and
what a record must hold. An admin keeps the directory of their own district (a Collectorate's admin
keeps every office of the district, as NIC's district eOffice admin does); a state admin keeps all."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eoffice_common.directory import CLEARANCES, LANGUAGES

from .exceptions import DirectoryRecordRefused, NotAllowed, OutsideJurisdiction

ADMIN = "admin"
STATE_ADMIN = "state_admin"
ROLES = ("clerk", "officer", ADMIN, "district_head", STATE_ADMIN)


@dataclass(frozen=True)
class DirectoryAdmin:
    """An active admin as the directory has them: `district` is the district of their office."""

    id: str
    district: str
    roles: tuple[str, ...]

    @property
    def keeps_the_state(self) -> bool:
        return STATE_ADMIN in self.roles

    def ensure_may_edit(self) -> None:
        if ADMIN not in self.roles and not self.keeps_the_state:
            raise NotAllowed("only an admin edits the directory")

    def ensure_keeps(self, district: str | None) -> None:
        """Refuse a record of a district outside the admin's jurisdiction."""
        if not self.keeps_the_state and district != self.district:
            raise OutsideJurisdiction(f"the directory of district {district} is kept by its own admin or a state admin",
                                      fields={"district": "outside_jurisdiction"})

    def ensure_may_grant(self, roles: Sequence[str], held: Sequence[str] = ()) -> None:
        """Only a state admin makes (or unmakes) a state admin."""
        if not self.keeps_the_state and (STATE_ADMIN in roles) != (STATE_ADMIN in held):
            raise OutsideJurisdiction("only a state admin grants or takes away the state_admin role",
                                      fields={"roles": "outside_jurisdiction"})


@dataclass(frozen=True)
class PlacedOffice:
    """An office as an edit needs it: its district, and the codes of its sections."""

    code: str
    district: str
    sections: frozenset[str]


def check_user_record(fields: Mapping[str, Any], office: PlacedOffice | None, reporting_officer_known: bool) -> None:
    """Check a user's record against the directory: the office exists, the section is the office's, the
    reporting officer is an active user (in any office: a DM reports over several), roles, language and
    clearance are known ones.
    Raises DirectoryRecordRefused with a reason per field."""
    reasons: dict[str, str] = {}
    if office is None:
        reasons["office"] = "unknown_office"
    elif fields.get("section") and fields["section"] not in office.sections:
        reasons["section"] = "not_a_section_of_the_office"
    if fields.get("reporting_officer") and not reporting_officer_known:
        reasons["reporting_officer"] = "unknown_user"
    elif fields.get("reporting_officer") and fields["reporting_officer"] == fields.get("user_id"):
        reasons["reporting_officer"] = "reports_to_self"
    unknown_roles = [role for role in fields.get("roles") or () if role not in ROLES]
    if unknown_roles:
        reasons["roles"] = "unknown_role"
    if fields.get("language") not in LANGUAGES:
        reasons["language"] = "unknown_language"
    if fields.get("clearance") not in CLEARANCES:
        reasons["clearance"] = "unknown_clearance"
    if reasons:
        raise DirectoryRecordRefused("the user's record does not fit the directory", fields=reasons)
