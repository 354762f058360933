"""Leave and acting charge: reminders and escalations due to an officer away reach whoever holds
charge for them, marked for them; a charge past its last day no longer redirects anything."""
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from notify.domain import IST
from notify.models import Notification


def charge(absent, acting, from_date, to_date):
    charge_id = str(uuid.uuid4())
    return {"charge_id": charge_id, "absent_user": absent, "acting_user": acting, "from_date": from_date.isoformat(),
            "to_date": to_date.isoformat(), "reason": "अवकाश", "set_by": absent, "office": "COLL-JHS", "district": "JHS"}


def test_reminders_and_escalations_follow_the_acting_officer_until_the_charge_ends_on_its_date(
    start_notify, directory, publish, helpers, db,
):
    start_notify()
    directory()
    today = datetime.now(IST).date()
    charges = [
        charge("clerk.jhs", "admin.jhs", today, today),  # on leave today only
        charge("adm.jhs", "dm.jhs", today - timedelta(days=1), today + timedelta(days=1)),  # on tour
        charge("dm.jhs", "commr.jhs", today - timedelta(days=3), today - timedelta(days=1)),  # back today
    ]
    for data in charges:
        publish("dak", "acting_charge_set", data, aggregate_type="acting_charge", aggregate_id=data["charge_id"])
    overdue = (today - timedelta(days=4)).isoformat()
    publish("files", "file_sent", helpers.file_sent(to_user="clerk.jhs", from_user="admin.jhs", due_date=overdue))
    publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", from_user="admin.jhs", due_date=overdue, file_number="N-2/2026"))

    def reminders():
        rows = db.rows(select(Notification).where(Notification.kind.in_(("overdue", "escalation"))))
        return rows if len(rows) >= 4 else None

    assert helpers.wait_until(reminders, timeout=20)
    fired = reminders()
    # clerk.jhs is away: their overdue reminder reaches admin.jhs, and its escalation, due to their reporting
    # officer adm.jhs (on tour), reaches dm.jhs. dm.jhs's leave ended yesterday: their reminder is theirs again.
    assert sorted((n.kind, n.user_id) for n in fired) == [
        ("escalation", "commr.jhs"), ("escalation", "dm.jhs"), ("overdue", "admin.jhs"), ("overdue", "dm.jhs"),
    ]
    [held] = [n for n in fired if (n.kind, n.user_id) == ("overdue", "admin.jhs")]
    assert held.title.endswith("(for Pooja Yadav (Clerk), who is away)")
