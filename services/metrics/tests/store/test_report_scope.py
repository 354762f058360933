"""Whose reports a user may read follows the directory: their office, and the district, department
or state a role gives them (issue 19, "scope follows the directory")."""
from datetime import datetime, timezone

from metrics import reports

NOW = datetime(2026, 12, 2, 6, 30, tzinfo=timezone.utc)


def test_a_users_jurisdiction_is_their_office_widened_by_their_roles_in_the_directory(store, make):
    store.apply([
        make.office("COLL-JHS", "JHS", "REV"), make.office("TRY-JHS", "JHS", "TRS"), make.office("COLL-JLN", "JLN", "REV"),
        make.office("COLL-PAT", "PAT", "REV", state="BR"),
        make.user("clerk.jhs", "COLL-JHS"),
        make.user("dm.jhs", "COLL-JHS", roles=("officer", "district_head")),
        make.user("adm.jhs", "COLL-JHS", roles=("officer", "district_head")),
        make.user("head.rev", "COLL-JLN", roles=("officer", "department_head")),
        make.user("admin.jhs", "COLL-JHS", roles=("admin", "officer")),
        make.user("cs.up", "COLL-JLN", roles=("state_head",)),
        make.user("dm.jln", "COLL-JLN", roles=("district_head", "department_head")),
    ], NOW)

    def readable(user, token_office="COLL-JHS"):
        with store.unit_of_work() as uow:
            offices, scopes = reports.jurisdiction(uow.session, user, token_office)
        return sorted(offices), scopes

    assert readable("clerk.jhs") == (["COLL-JHS"], [("office", "COLL-JHS")])
    assert readable("admin.jhs") == (["COLL-JHS"], [("office", "COLL-JHS")])  # administers an office, reads only it
    assert readable("dm.jhs") == (["COLL-JHS", "TRY-JHS"], [("district", "JHS"), ("office", "COLL-JHS")])
    assert readable("adm.jhs")[0] == ["COLL-JHS", "TRY-JHS"]
    # a department across the districts of its state (Bihar's REV is another department)
    assert readable("head.rev", "COLL-JLN") == (["COLL-JHS", "COLL-JLN"], [("department", "REV"), ("office", "COLL-JLN")])
    assert readable("cs.up", "COLL-JLN") == (["COLL-JHS", "COLL-JLN", "TRY-JHS"], [("state", "UP"), ("office", "COLL-JLN")])
    assert readable("dm.jln", "COLL-JLN")[0] == ["COLL-JHS", "COLL-JLN"]
    # the directory, not the token, says where a user works and what they may read
    assert readable("dm.jhs", "COLL-JLN")[0] == ["COLL-JHS", "TRY-JHS"]
    store.apply([make.user("dm.jhs", "COLL-JHS", roles=("officer",))], NOW)
    assert readable("dm.jhs") == (["COLL-JHS"], [("office", "COLL-JHS")])
    assert readable("unknown.user", "TRY-JHS") == (["TRY-JHS"], [("office", "TRY-JHS")])
    assert readable("unknown.user", "NOWHERE") == ([], [])
