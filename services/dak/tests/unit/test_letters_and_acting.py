"""Where a letter from another office lands, and who may name an acting officer: rules alone."""
from datetime import date, timedelta

import pytest

from dak import acting, letters
from dak.domain import Move

TODAY = date(2026, 12, 7)


def colleague(user_id, section=None, roles=("clerk",), reports_to=None):
    return letters.Colleague(user_id, "TRY-JHS", section, tuple(roles), reports_to)


def test_an_office_receives_at_its_receiving_point_else_its_central_registry_else_its_head():
    head = colleague("sto.jhs", roles=("officer",), reports_to="dm.jhs")
    registry = colleague("diarist.try", section="TRY-JHS-CR", reports_to="sto.jhs")
    point = colleague("dak.try", roles=("clerk", "receiving_point"), reports_to="sto.jhs")
    clerk = colleague("clerk.try", section="TRY-JHS-ACC", reports_to="sto.jhs")
    assert letters.receiving_point([clerk, head, registry, point]) == "dak.try"
    assert letters.receiving_point([clerk, head, registry]) == "diarist.try"
    assert letters.receiving_point([clerk, head]) == "sto.jhs"
    assert letters.receiving_point([clerk]) == "clerk.try"
    assert letters.receiving_point([]) is None


def officer(user_id, office="COLL-JHS", roles=("officer",), active=True):
    return acting.Officer(user_id, office, tuple(roles), active)


def test_only_the_officer_or_their_admin_names_an_active_colleague_for_days_to_come():
    so, cm, admin = officer("so.jhs"), officer("cm.jhs"), officer("admin.jhs", roles=("admin", "officer"))
    days = (TODAY, TODAY + timedelta(days=2))
    acting.check_new_charge(so, so, cm, *days, TODAY, overlapping=False)
    acting.check_new_charge(admin, so, cm, *days, TODAY, overlapping=False)
    with pytest.raises(acting.NotYourCharge):
        acting.check_new_charge(officer("admin.jln", "COLL-JLN", ("admin",)), so, cm, *days, TODAY, overlapping=False)
    with pytest.raises(acting.ChargeRefused) as refused:
        acting.check_new_charge(so, so, officer("cm.jhs", active=False), *days, TODAY, overlapping=False)
    assert refused.value.fields == {"acting_user": "deactivated"}
    with pytest.raises(acting.ChargeRefused):
        acting.check_new_charge(so, so, so, *days, TODAY, overlapping=False)
    with pytest.raises(acting.ChargeRefused):
        acting.check_new_charge(so, so, cm, TODAY, TODAY - timedelta(days=1), TODAY, overlapping=False)
    with pytest.raises(acting.ChargeOverlaps):
        acting.check_new_charge(so, so, cm, *days, TODAY, overlapping=True)


def test_items_for_an_absent_officer_go_to_the_acting_one_marked_for_them():
    assert acting.redirect(["so.jhs", "adm.jhs"], {"so.jhs": "cm.jhs"}) == [("cm.jhs", "so.jhs"), ("adm.jhs", None)]


def test_the_acting_officer_sending_to_the_absent_one_and_a_second_move_to_the_same_officer_are_not_redirected():
    acting_for = {"so.jhs": "cm.jhs"}
    moves = [Move("clerk.jhs", "so.jhs"), Move("clerk.jhs", "cm.jhs", copy=True)]
    assert acting.redirected_moves(moves, acting_for, "clerk.jhs") == [Move("clerk.jhs", "cm.jhs", False, "so.jhs"), Move("clerk.jhs", "cm.jhs", True)]
    assert acting.redirected_moves([Move("cm.jhs", "so.jhs")], acting_for, "cm.jhs") == [Move("cm.jhs", "so.jhs")]
