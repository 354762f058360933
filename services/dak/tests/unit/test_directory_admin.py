"""The rules of an admin's directory edits: jurisdiction by district, state admins, and a record that fits."""
import pytest

from dak.directory_admin import DirectoryAdmin, PlacedOffice, check_user_record
from dak.exceptions import DirectoryRecordRefused, NotAllowed, OutsideJurisdiction

JHANSI_ADMIN = DirectoryAdmin("admin.jhs", "JHS", ("admin", "officer"))
STATE_ADMIN = DirectoryAdmin("admin.up", "LKO", ("state_admin",))
COLLECTORATE = PlacedOffice("COLL-JHS", "JHS", frozenset({"COLL-JHS-REV"}))
RECORD = {"user_id": "kamla.jhs", "section": "COLL-JHS-REV", "reporting_officer": "so.jhs", "roles": ["clerk"],
          "language": "hi", "clearance": "normal"}


def test_an_admin_keeps_their_own_district_and_a_state_admin_every_district():
    JHANSI_ADMIN.ensure_keeps("JHS")
    with pytest.raises(OutsideJurisdiction):
        JHANSI_ADMIN.ensure_keeps("LKO")
    for district in ("JHS", "LKO"):
        STATE_ADMIN.ensure_keeps(district)


def test_an_officer_is_no_admin_and_only_a_state_admin_grants_or_takes_away_state_admin():
    with pytest.raises(NotAllowed):
        DirectoryAdmin("so.jhs", "JHS", ("officer",)).ensure_may_edit()
    JHANSI_ADMIN.ensure_may_grant(["clerk", "admin"])
    for roles, held in ((["state_admin"], ()), (["officer"], ("state_admin",))):
        with pytest.raises(OutsideJurisdiction):
            JHANSI_ADMIN.ensure_may_grant(roles, held)
        STATE_ADMIN.ensure_may_grant(roles, held)


def test_a_user_record_must_fit_the_directory():
    check_user_record(RECORD, COLLECTORATE, reporting_officer_known=True)
    with pytest.raises(DirectoryRecordRefused) as refused:
        check_user_record({**RECORD, "section": "TRY-JHS-ACC", "reporting_officer": "kamla.jhs", "clearance": "cosmic"},
                          COLLECTORATE, reporting_officer_known=True)
    assert refused.value.fields == {"section": "not_a_section_of_the_office", "reporting_officer": "reports_to_self",
                                    "clearance": "unknown_clearance"}
    with pytest.raises(DirectoryRecordRefused) as refused:
        check_user_record(RECORD, None, reporting_officer_known=False)
    assert refused.value.fields == {"office": "unknown_office", "reporting_officer": "unknown_user"}
