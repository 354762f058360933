"""Pull back: whoever sent a receipt takes it back until its recipient opens it."""


def test_a_receipt_is_pulled_back_until_its_recipient_opens_it(desk, event_tap):
    tap = event_tap("dak")
    receipt = desk.diarise(subject="भूमि विवाद की शिकायत", send={"to": ["so.jhs"], "remarks": "जाँच करें"})
    stranger = desk.post(f"/receipts/{receipt['id']}/pull-back", "sto.jhs")
    assert (stranger.status_code, stranger.json()["error"]) == (404, "receipt_not_found")
    holder = desk.post(f"/receipts/{receipt['id']}/pull-back", "so.jhs")
    assert (holder.status_code, holder.json()["error"]) == (403, "not_sender")

    pulled = desk.post(f"/receipts/{receipt['id']}/pull-back", "diarist.jhs")
    assert pulled.status_code == 200, pulled.text
    assert pulled.json()["holder"] == "diarist.jhs"
    assert [m["action"] for m in pulled.json()["movements"]] == ["send", "pull_back"]
    event = tap.wait_for("receipt_pulled_back")
    assert (event["data"]["by_user"], event["data"]["from_user"]) == ("diarist.jhs", "so.jhs")
    assert desk.get("/receipts", "so.jhs").json()["total"] == 0

    # Sent again and opened: too late to pull it back.
    assert desk.post(f"/receipts/{receipt['id']}/send", "diarist.jhs", json={"to": ["so.jhs"]}).status_code == 200
    assert desk.get(f"/receipts/{receipt['id']}", "so.jhs").status_code == 200
    late = desk.post(f"/receipts/{receipt['id']}/pull-back", "diarist.jhs")
    assert (late.status_code, late.json()["error"]) == (409, "receipt_already_opened")
    assert desk.get(f"/receipts/{receipt['id']}", "so.jhs").json()["holder"] == "so.jhs"
