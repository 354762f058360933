"""Issue 20, leave and acting charge: the Send dialog marks an officer on leave today, till when, and
who holds charge for them, from the desk's copy of dak's acting charges; what the acting officer does
is shown as done on behalf of the absent officer."""
import os
from dataclasses import replace
from datetime import date, datetime, timezone

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from desk import domain, repository
from desk.models import Office, User
from eoffice_common.migrations import upgrade

from .test_issue_21_pages import PEOPLE, SO, a_file, a_receipt, file_page, receipt_page, text_of

TODAY = date(2026, 12, 8)
OFFICE = Office(code="COLL-JHS", district="JHS", name_en="Collectorate Jhansi", name_hi="कलेक्ट्रेट झाँसी",
                district_name_en="Jhansi", district_name_hi="झाँसी", recorded_at=datetime(2026, 12, 1, tzinfo=timezone.utc))


def officer(user_id, name_en, name_hi, designation_en, designation_hi):
    return User(id=user_id, office="COLL-JHS", district="JHS", name_en=name_en, name_hi=name_hi, designation_en=designation_en,
                designation_hi=designation_hi, roles=["officer"], recorded_at=datetime(2026, 12, 1, tzinfo=timezone.utc))


def charge(charge_id, absent, acting, from_date, to_date):
    return {"charge_id": charge_id, "absent_user": absent, "acting_user": acting, "from_date": from_date.isoformat(),
            "to_date": to_date.isoformat()}


def test_an_officer_on_leave_today_is_marked_with_the_acting_officer_in_the_page_language(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    upgrade(os.path.join(os.path.dirname(domain.__file__), ".."), url)
    with Session(create_engine(url)) as session:
        session.add_all([OFFICE, officer("so.jhs", "Rajesh Kumar Tripathi", "राजेश कुमार त्रिपाठी", "Section Officer", "अनुभाग अधिकारी"),
                         officer("dm.jhs", "Ravi Kumar Sharma", "रवि कुमार शर्मा", "District Magistrate", "ज़िलाधिकारी"),
                         officer("adm.jhs", "Sunita Verma", "सुनीता वर्मा", "Additional District Magistrate", "अपर ज़िलाधिकारी")])
        repository.record_acting_charge(session, charge("c-1", "so.jhs", "dm.jhs", date(2026, 12, 7), date(2026, 12, 10)), ended=False)
        repository.record_acting_charge(session, charge("c-2", "adm.jhs", "dm.jhs", date(2026, 12, 9), date(2026, 12, 12)), ended=False)
        repository.record_acting_charge(session, charge("c-3", "dm.jhs", "adm.jhs", date(2026, 12, 1), date(2026, 12, 20)), ended=True)
        # The set arriving after its end does not bring the charge back.
        repository.record_acting_charge(session, charge("c-3", "dm.jhs", "adm.jhs", date(2026, 12, 1), date(2026, 12, 20)), ended=False)
        session.flush()
        away = repository.away_on(session, ["so.jhs", "adm.jhs", "dm.jhs"], TODAY)
        assert list(away) == ["so.jhs"]  # adm.jhs's leave has not begun, dm.jhs's was ended
        found = {language: [domain.person_found(user, office, language, "COLL-JHS", "JHS", away.get(user.id))
                            for user, office in repository.people_by_id(session, ["so.jhs", "adm.jhs"])]
                 for language in ("hi", "en")}
    assert found["hi"][0]["away"] == {"until": "10-12-2026", "acting": "रवि कुमार शर्मा (ज़िलाधिकारी)"}
    assert found["en"][0]["away"]["acting"] == "Ravi Kumar Sharma (District Magistrate)" and found["hi"][1]["away"] is None
    shown = receipt_page(a_receipt(), dialog="send", people_found=found["hi"])
    assert 'data-away="so.jhs"' in shown and 'data-away="adm.jhs"' not in shown
    assert "10-12-2026 तक अवकाश पर; रवि कुमार शर्मा (ज़िलाधिकारी) प्रभार में हैं" in text_of(shown)


def test_the_audit_tab_and_the_movements_say_on_behalf_of_the_absent_officer_in_either_language():
    audit = {"entries": [
        {"seq": 1, "action": "created", "actor": "adm.jhs", "at": "2026-12-08T04:30:00+00:00", "details": {}, "hash": "a" * 64},
        {"seq": 2, "action": "send", "actor": "dm.jhs", "at": "2026-12-08T05:00:00+00:00", "details": {"on_behalf_of": "so.jhs"},
         "hash": "b" * 64}]}
    movements = {"movements": [
        {"action": "send", "from": PEOPLE["adm.jhs"], "to": PEOPLE["dm.jhs"], "for_user": "so.jhs", "on_behalf_of": None,
         "sent_at": "2026-12-08T04:40:00+00:00", "opened_at": None, "remarks": None, "due_date": None, "priority": "normal"},
        {"action": "send", "from": PEOPLE["dm.jhs"], "to": PEOPLE["adm.jhs"], "for_user": None, "on_behalf_of": "so.jhs",
         "sent_at": "2026-12-08T05:00:00+00:00", "opened_at": None, "remarks": None, "due_date": None, "priority": "normal"}]}
    english = replace(SO, language="en")
    for user, said in ((SO, "राजेश कुमार त्रिपाठी (अनुभाग अधिकारी) की ओर से"), (english, "on behalf of राजेश कुमार त्रिपाठी")):
        audited = file_page(a_file(custodian=PEOPLE["adm.jhs"]), user=user, tab="audit", audit=audit)
        rows = audited.split("<tbody>")[1].split("</tr>")
        assert 'data-on-behalf-of="so.jhs"' not in rows[0] and 'data-on-behalf-of="so.jhs"' in rows[1]
        assert said in text_of(rows[1])
        moved = file_page(a_file(custodian=PEOPLE["adm.jhs"]), user=user, tab="movements", movements=movements)
        rows = moved.split("<tbody>")[1].split("</tr>")
        assert 'data-on-behalf-of' not in rows[0] and said in text_of(rows[1])


def test_a_receipt_s_movements_say_on_behalf_of_the_absent_officer():
    receipt = a_receipt(movements=[
        {"action": "send", "from": "diarist.jhs", "to": "dm.jhs", "copy": False, "for_user": "so.jhs", "on_behalf_of": None,
         "sent_at": "2026-12-08T14:11:00+00:00", "due_date": None, "priority": "normal", "remarks": None},
        {"action": "send", "from": "dm.jhs", "to": "adm.jhs", "copy": False, "for_user": None, "on_behalf_of": "so.jhs",
         "sent_at": "2026-12-08T14:12:00+00:00", "due_date": None, "priority": "normal", "remarks": None}])
    moves = receipt_page(receipt).split('class="movements"')[1].split("</li>")
    assert "data-on-behalf-of" not in moves[0]
    assert "रवि कुमार शर्मा (ज़िलाधिकारी) (राजेश कुमार त्रिपाठी (अनुभाग अधिकारी) की ओर से) →" in text_of(moves[1])
