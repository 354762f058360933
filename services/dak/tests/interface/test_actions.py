"""What the holder of a receipt does with it, and what nobody else may do."""
from sqlalchemy import create_engine, text

from eoffice_common.testing import transactions_begun


def test_send_receive_and_close_a_physical_receipt(desk, event_tap):
    tap = event_tap("dak")
    receipt = desk.diarise(subject="भूमि विवाद", send={"to": ["so.jhs"], "remarks": "जाँच करें"})
    received = desk.post(f"/receipts/{receipt['id']}/receive", "so.jhs")
    assert received.status_code == 200, received.text
    assert received.json()["received_at"]
    assert desk.post(f"/receipts/{receipt['id']}/receive", "so.jhs").json()["error"] == "already_received"
    closed = desk.post(f"/receipts/{receipt['id']}/close", "so.jhs", json={"remarks": "निस्तारित"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    types = [e["type"] for e in tap.wait_for_count("receipt_closed", 1) and tap.events() if e["aggregate_id"] == receipt["id"]]
    assert types == ["receipt_diarised", "receipt_sent", "receipt_received", "receipt_closed"]
    assert desk.get("/receipts?box=closed", "so.jhs").json()["total"] == 1
    assert desk.get("/receipts", "so.jhs").json()["total"] == 0
    again = desk.post(f"/receipts/{receipt['id']}/send", "so.jhs", json={"to": ["adm.jhs"]})
    assert (again.status_code, again.json()["error"]) == (409, "receipt_not_open")


def test_put_in_file_without_the_files_service_answering_is_503_and_the_receipt_stays_with_its_holder(desk, event_tap):
    tap = event_tap("dak")
    receipt = desk.diarise(subject="पत्र")
    response = desk.post(f"/receipts/{receipt['id']}/put-in-file", "diarist.jhs", json={"file_id": "file-123"})
    assert (response.status_code, response.json()["error"]) == (503, "files_unavailable")
    after = desk.get(f"/receipts/{receipt['id']}", "diarist.jhs").json()
    assert (after["status"], after["holder"], after["file_id"]) == ("open", "diarist.jhs", None)
    tap.wait_for("receipt_diarised")
    assert "receipt_put_in_file" not in [e["type"] for e in tap.events()]


def test_only_the_holder_acts(desk):
    receipt = desk.diarise(send={"to": ["so.jhs"]})
    for path, body in [("send", {"to": ["adm.jhs"]}), ("close", {"remarks": "x"}), ("put-in-file", {"file_id": "f"}), ("receive", None)]:
        response = desk.post(f"/receipts/{receipt['id']}/{path}", "diarist.jhs", json=body)
        assert (response.status_code, response.json()["error"]) == (403, "not_holder"), path


def test_a_reply_returns_the_receipt_to_its_sender(desk):
    receipt = desk.diarise(send={"to": ["so.jhs"]})
    replied = desk.post(f"/receipts/{receipt['id']}/reply", "so.jhs", json={"remarks": "पूर्ण विवरण चाहिए"})
    assert replied.status_code == 200
    assert replied.json()["holder"] == "diarist.jhs"
    assert replied.json()["movements"][-1]["action"] == "reply"


def test_a_secret_receipt_is_visible_only_to_its_creator_and_recipients(desk):
    receipt = desk.diarise(classification="secret", subject="गोपनीय जाँच", send={"to": ["dm.jhs"]})
    assert desk.get(f"/receipts/{receipt['id']}", "dm.jhs").status_code == 200
    assert desk.get(f"/receipts/{receipt['id']}", "diarist.jhs").status_code == 200
    for outsider in ("adm.jhs", "so.jhs"):
        response = desk.get(f"/receipts/{receipt['id']}", outsider)
        assert (response.status_code, response.json()["error"]) == (404, "receipt_not_found")
    normal = desk.diarise(subject="सामान्य")
    assert desk.get(f"/receipts/{normal['id']}", "adm.jhs").status_code == 200
    assert desk.get(f"/receipts/{normal['id']}", "sto.jhs").status_code == 404


def test_opening_a_receipt_records_when_the_recipient_opened_it(desk):
    receipt = desk.diarise(send={"to": ["so.jhs"]})
    assert desk.get(f"/receipts/{receipt['id']}", "diarist.jhs").json()["movements"][0]["opened_at"] is None
    assert desk.get(f"/receipts/{receipt['id']}", "so.jhs").json()["movements"][0]["opened_at"] is not None


def test_the_inbox_filters_and_pages(desk):
    for i in range(7):
        desk.diarise(subject=f"पत्र {i}", classification="confidential" if i % 2 else "normal",
                     main_category="पेंशन" if i < 3 else "राजस्व", sender={"name": "सुनीता", "organisation": "Nagar Nigam" if i == 6 else "Tehsil"})
    page = desk.get("/receipts?per_page=3&page=3", "diarist.jhs").json()
    assert (page["total"], len(page["receipts"])) == (7, 1)
    assert desk.get("/receipts?classification=confidential", "diarist.jhs").json()["total"] == 3
    assert desk.get("/receipts?category=पेंशन", "diarist.jhs").json()["total"] == 3
    assert desk.get("/receipts?sender=nagar", "diarist.jhs").json()["total"] == 1
    assert desk.get("/receipts?date_from=2000-01-01&date_to=2000-12-31", "diarist.jhs").json()["total"] == 0
    assert desk.get("/receipts", "clerk.jhs").json()["total"] == 0


def test_officers_are_found_by_name_or_designation_in_either_language(desk):
    by_hindi = desk.get("/directory/users", "diarist.jhs", params={"q": "ज़िलाधिकारी", "office": "COLL-JHS"}).json()["users"]
    assert {u["id"] for u in by_hindi} == {"dm.jhs", "adm.jhs"}  # ज़िलाधिकारी and अपर ज़िलाधिकारी
    by_english = desk.get("/directory/users", "diarist.jhs", params={"q": "district magistrate"}).json()["users"]
    assert {u["office"] for u in by_english} >= {"COLL-JHS", "COLL-JLN"}
    assert "mobile" not in by_english[0]


def test_the_directory_finds_an_officer_typed_in_another_hindi_spelling(desk):
    for typed in ("ज़िलाधिकारी", "जिलाधिकारी"):  # with a nukta and without
        found = desk.get("/directory/users", "diarist.jhs", params={"q": typed, "office": "COLL-JHS"}).json()["users"]
        assert {u["id"] for u in found} == {"dm.jhs", "adm.jhs"}, typed
    assert [u["id"] for u in desk.get("/directory/users", "diarist.jhs", params={"q": "रुखसाना"}).json()["users"]] == ["acmo.jhs"]


def test_the_registry_searches_every_receipt_of_its_office_it_may_see(desk):
    """A section officer who never held a letter finds it by number, subject words (in any spelling),
    sender, letter number and dates; a Secret one stays hidden, and another office sees none."""
    pump = desk.diarise(subject="बड़ागाँव में हैंडपंप की मरम्मत", letter_number="ग्रा.प./2026/12",
                        sender={"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव"})
    desk.diarise(subject="पेंशन भुगतान में विलंब", sender={"name": "राम प्रसाद"})
    secret = desk.diarise(subject="हैंडपंप घोटाले की गोपनीय जाँच", classification="secret")

    def found(user="so.jhs", **params):
        response = desk.get("/receipts", user, params={"box": "office", **params})
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["receipts"]]

    for typed in ("हैंडपम्प", "हैंडपंप", "बड़ागांव मरम्मत", "बडागाँव"):
        assert found(q=typed) == [pump["id"]], typed
    assert found(number=pump["receipt_number"].lower()) == [pump["id"]]
    assert found(sender="बड़ागांव") == [pump["id"]] and found(sender="सुनीता") == [pump["id"]]
    assert found(letter_number="2026/12") == [pump["id"]]
    assert len(found(date_from="2026-01-01")) == 2 and found(date_to="2000-12-31") == []
    assert secret["id"] in found(user="diarist.jhs", q="हैंडपंप")  # its creator
    assert found(user="sto.jhs", q="हैंडपंप") == []  # the treasury is another office


def test_percent_and_underscore_in_a_search_match_only_themselves(desk):
    for typed in ("%", "_"):
        assert desk.get("/directory/users", "diarist.jhs", params={"q": typed}).json()["users"] == []
    desk.diarise(sender={"name": "सुनीता", "organisation": "100% Shiksha Abhiyan"})
    desk.diarise(sender={"name": "राम_प्रसाद"})
    desk.diarise(sender={"name": "मोहन", "organisation": "Tehsil"})
    by_percent = desk.get("/receipts?box=created", "diarist.jhs", params={"sender": "%"}).json()["receipts"]
    by_underscore = desk.get("/receipts?box=created", "diarist.jhs", params={"sender": "_"}).json()["receipts"]
    assert [r["sender"]["organisation"] for r in by_percent] == ["100% Shiksha Abhiyan"]
    assert [r["sender"]["name"] for r in by_underscore] == ["राम_प्रसाद"]


def test_an_action_answers_from_the_transaction_that_committed_it(desk):
    """Once committed, an action's answer must not need the database again: were it gone by then,
    the client would get a 500 for a write that took effect, and a 409 on retrying it."""
    receipt = desk.diarise(send={"to": ["so.jhs"]})
    steps = [("POST", "receive", "so.jhs", None), ("POST", "send", "so.jhs", {"to": ["adm.jhs"]}),
             ("GET", "", "adm.jhs", None), ("POST", "close", "adm.jhs", {"remarks": "निस्तारित"})]
    with transactions_begun() as begun:
        for method, action, user, body in steps:
            response = desk.request(method, f"/receipts/{receipt['id']}/{action}".rstrip("/"), user, json=body,
                                    headers={"X-Correlation-ID": f"answer-{action or 'open'}"})
            assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    assert {key: count for key, count in begun.items() if str(key).startswith("answer-")} == {
        "answer-receive": 1, "answer-send": 1, "answer-open": 1, "answer-close": 1,
    }


def test_a_secret_receipt_goes_only_to_officers_cleared_for_it_and_a_refusal_writes_nothing(desk, dak_config, event_tap):
    tap = event_tap("dak")
    receipt = desk.diarise(classification="secret", subject="गोपनीय जाँच")
    refused = desk.post(f"/receipts/{receipt['id']}/send", "diarist.jhs", json={"to": ["so.jhs", "clerk.jhs"], "remarks": "गोपनीय"})
    assert refused.status_code == 422, refused.text
    assert refused.json() | {"message": None} == {
        "error": "recipient_not_cleared", "message": None, "fields": {"to": "not cleared for secret: clerk.jhs"},
        "classification": "secret", "refused": [{"recipient": "clerk.jhs", "clearance": "normal", "acting_for": None}],
    }
    assert rows(dak_config, "SELECT count(*) FROM receipt_movements WHERE receipt_id = :id", id=receipt["id"]) == [(0,)]
    assert rows(dak_config, "SELECT holder_id FROM receipts WHERE id = :id", id=receipt["id"]) == [("diarist.jhs",)]

    sent = desk.post(f"/receipts/{receipt['id']}/send", "diarist.jhs", json={"to": ["so.jhs", "adm.jhs"]})  # both cleared for secret
    assert sent.status_code == 200, sent.text
    assert sent.json()["holder"] == "so.jhs"
    tap.wait_for("receipt_sent")
    assert [(e["data"]["to_user"], e["data"]["copies_to"]) for e in tap.events("receipt_sent")] == [("so.jhs", ["adm.jhs"])]


def test_generate_and_send_of_a_secret_letter_to_an_officer_not_cleared_diarises_nothing(desk, dak_config):
    body = {"delivery_mode": "post", "kind": "physical", "sender": {"name": "राम प्रसाद"}, "subject": "गोपनीय पत्र",
            "classification": "secret", "send": {"to": ["clerk.jhs"]}}
    refused = desk.post("/receipts", "diarist.jhs", json=body)
    assert (refused.status_code, refused.json()["error"]) == (422, "recipient_not_cleared")
    assert rows(dak_config, "SELECT count(*) FROM receipts") == [(0,)]


def rows(dak_config, statement, **params):
    engine = create_engine(dak_config["DB_URL"])
    try:
        with engine.begin() as connection:
            return connection.execute(text(statement), params).all()
    finally:
        engine.dispose()
