"""Leave and acting charge across dak and files: an officer away for some days names who acts for
them; receipts and files sent to them meanwhile reach the acting officer, marked for them, and the
charge stops redirecting once its last day is past."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

IST = timezone(timedelta(hours=5, minutes=30))


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def sql(url, statement, **params):
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def test_acting_charge_redirects_receipts_and_files_and_ends_on_its_date(eoffice):
    office = eoffice
    today = datetime.now(IST).date()
    leave = {"acting_user": "cm.jhs", "from_date": today.isoformat(), "to_date": (today + timedelta(days=2)).isoformat(),
             "reason": "अर्जित अवकाश"}

    # Bad input: an unknown acting officer (422 with the field); another office's admin (403); a leave already over.
    unknown = office.call("dak", "POST", "/acting-charges", "so.jhs", json={**leave, "acting_user": "nobody.jhs"})
    assert (unknown.status_code, unknown.json()["fields"]) == (422, {"acting_user": "unknown"})
    stranger = office.call("dak", "POST", "/acting-charges", "admin.jln", json={**leave, "absent_user": "so.jhs"})
    assert (stranger.status_code, stranger.json()["error"]) == (403, "not_your_charge")
    over = office.call("dak", "POST", "/acting-charges", "so.jhs", json={**leave, "to_date": (today - timedelta(days=1)).isoformat(),
                                                                        "from_date": (today - timedelta(days=3)).isoformat()})
    assert (over.status_code, list(over.json()["fields"])) == (422, ["to_date"])

    charge = ok(office.call("dak", "POST", "/acting-charges", "so.jhs", json=leave), 201)
    assert (charge["absent"]["id"], charge["acting"]["id"], charge["in_force"]) == ("so.jhs", "cm.jhs", True)
    twice = office.call("dak", "POST", "/acting-charges", "admin.jhs", json={**leave, "absent_user": "so.jhs", "acting_user": "adm.jhs"})
    assert (twice.status_code, twice.json()["error"]) == (409, "acting_charge_overlaps")
    # The desk shows who acts for whom; the send dialog's search shows the addressee is away.
    listed = ok(office.call("dak", "GET", "/acting-charges", "cm.jhs"))["charges"]
    assert [(c["absent"]["id"], c["acting"]["id"]) for c in listed] == [("so.jhs", "cm.jhs")]
    assert ok(office.call("dak", "GET", "/directory/users/so.jhs", "clerk.jhs"))["acting_user"] == "cm.jhs"

    # A receipt sent to the absent officer reaches the acting one, marked for them.
    receipt = ok(office.call("dak", "POST", "/receipts", "diarist.jhs", json={
        "kind": "physical", "delivery_mode": "post", "sender": {"name": "रमेश चंद्र"}, "subject": "पेंशन प्रकरण",
        "send": {"to": ["so.jhs"]}}), 201)["receipt"]
    assert receipt["holder"] == "cm.jhs"
    assert [(m["to"], m["for_user"]) for m in receipt["movements"]] == [("cm.jhs", "so.jhs")]

    # A file likewise, once files has heard of the charge.
    office.wait_for(lambda: sql(office.databases["files"], "SELECT count(*) FROM acting_charges") == [(1,)], what="the charge reaching files")
    file = ok(office.call("files", "POST", "/files", "clerk.jhs", json={
        "numbering": "non_sfs", "file_number": "REV/पेंशन/2026/1", "subject": "पेंशन प्रकरण"}), 201)
    sent = ok(office.call("files", "POST", f"/files/{file['id']}/send", "clerk.jhs", json={"to": "so.jhs", "remarks": "अवलोकनार्थ"}))
    assert sent["custodian"]["id"] == "cm.jhs"
    movements = ok(office.call("files", "GET", f"/files/{file['id']}/movements", "cm.jhs"))["movements"]
    assert (movements[-1]["to"]["id"], movements[-1]["for_user"]) == ("cm.jhs", "so.jhs")
    audit = ok(office.call("files", "GET", f"/files/{file['id']}/audit", "cm.jhs"))["entries"]
    assert audit[-1]["details"]["for_user"] == "so.jhs"

    # Its last day passes (the dates moved back as time would move them forward): nothing is redirected.
    for database in (office.databases["dak"], office.databases["files"]):
        sql(database, "UPDATE acting_charges SET from_date = from_date - 3, to_date = to_date - 3")
    ok(office.call("files", "POST", f"/files/{file['id']}/send", "cm.jhs", json={"to": "so.jhs"}))
    movements = ok(office.call("files", "GET", f"/files/{file['id']}/movements", "so.jhs"))["movements"]
    assert (movements[-1]["to"]["id"], movements[-1]["for_user"]) == ("so.jhs", None)
    later = ok(office.call("dak", "POST", "/receipts", "diarist.jhs", json={
        "kind": "physical", "delivery_mode": "post", "sender": {"name": "रमेश चंद्र"}, "subject": "पेंशन प्रकरण",
        "send": {"to": ["so.jhs"]}}), 201)["receipt"]
    assert later["holder"] == "so.jhs"
    assert ok(office.call("dak", "GET", "/directory/users/so.jhs", "clerk.jhs"))["acting_user"] is None


def test_an_officer_going_on_leave_who_chooses_to_hands_over_the_receipts_and_files_they_hold(eoffice):
    office = eoffice
    today = datetime.now(IST).date()
    receipt = ok(office.call("dak", "POST", "/receipts", "diarist.jhs", json={
        "kind": "physical", "delivery_mode": "post", "sender": {"name": "रमेश चंद्र"}, "subject": "पेंशन प्रकरण",
        "send": {"to": ["so.jhs"]}}), 201)["receipt"]
    file = ok(office.call("files", "POST", "/files", "so.jhs", json={
        "numbering": "non_sfs", "file_number": "REV/हस्तांतरण/2026/1", "subject": "भूमि विवाद"}), 201)
    leave = {"acting_user": "cm.jhs", "from_date": today.isoformat(), "to_date": (today + timedelta(days=2)).isoformat(),
             "reason": "अर्जित अवकाश", "hand_over": True}

    # Handing over is for a leave that has begun: one to come is refused with the field, and nothing moves.
    early = office.call("dak", "POST", "/acting-charges", "so.jhs", json={
        **leave, "from_date": (today + timedelta(days=1)).isoformat(), "to_date": (today + timedelta(days=3)).isoformat()})
    assert (early.status_code, early.json()["fields"]) == (422, {"hand_over": "the leave has not begun"})
    assert ok(office.call("dak", "GET", f"/receipts/{receipt['id']}", "so.jhs"))["holder"] == "so.jhs"

    ok(office.call("dak", "POST", "/acting-charges", "so.jhs", json=leave), 201)
    handed = ok(office.call("dak", "GET", f"/receipts/{receipt['id']}", "cm.jhs"))
    assert handed["holder"] == "cm.jhs"
    last = handed["movements"][-1]
    assert (last["action"], last["from"], last["to"], last["for_user"], last["remarks"]) == (
        "hand_over", "so.jhs", "cm.jhs", "so.jhs", "handed over on leave")

    def file_handed_over():
        movements = ok(office.call("files", "GET", f"/files/{file['id']}/movements", "so.jhs"))["movements"]
        return movements if movements and movements[-1]["to"]["id"] == "cm.jhs" else None

    movements = office.wait_for(file_handed_over, what="the file handed over to the acting officer")
    assert (movements[-1]["action"], movements[-1]["for_user"], movements[-1]["remarks"]) == ("hand_over", "so.jhs", "handed over on leave")
    assert ok(office.call("files", "GET", f"/files/{file['id']}", "cm.jhs"))["custodian"]["id"] == "cm.jhs"
