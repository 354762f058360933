"""This service's copy of the organisation directory, kept from dak's office_recorded and
user_recorded events (or, for an empty copy, from RPC `dak.directory_snapshot()`) by the shared
rules of eoffice_common.directory."""
from eoffice_common.directory import OFFICE_FIELDS, USER_FIELDS, CopyTable, DirectoryCopy

from .models import Office, User

DIRECTORY = DirectoryCopy(
    users=CopyTable.of(User.__table__, USER_FIELDS, key="user_id", renamed={
        "user_id": "id", "office": "office_code", "district": "district_code", "section": "section_code",
        "reporting_officer": "reporting_officer_id",
    }),
    offices=CopyTable.of(Office.__table__, OFFICE_FIELDS, key="office", renamed={
        "office": "code", "district": "district_code", "department": "department_code", "state": "state_code",
    }),
)
record_snapshot = DIRECTORY.record_snapshot


def record_event(uow, envelope):
    """Apply a consumed office_recorded or user_recorded event (eoffice_common.db.Store.apply_once)."""
    DIRECTORY.record_event(uow.session, envelope)
