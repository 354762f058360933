"""The address book fills itself from the sender blocks of diarised letters, and the sender is to be
told the receipt number when they gave an email or mobile (unless the diarist or the office says no)."""


def test_senders_enter_the_office_address_book_once_and_are_acknowledged_as_the_office_wants(desk, event_tap):
    tap = event_tap("dak")
    sender = {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव", "email": "pradhan.badagaon@gp.example.in",
              "mobile": "9876543210", "address": "ग्राम बड़ागाँव, तहसील मऊरानीपुर"}
    first = desk.diarise(subject="वृद्धावस्था पेंशन हेतु आवेदन", sender=sender)
    # The same correspondent spelt another way (nukta, spacing), with a new address.
    second = desk.diarise(subject="पेंशन का अनुस्मारक", sender={"name": "सुनीता  देवी", "organisation": "ग्राम पंचायत बडागाँव",
                                                                 "address": "ग्राम बड़ागाँव, पोस्ट रानीपुर"})
    desk.diarise(subject="Tender notice", sender={"name": "R. K. Traders", "email": "rk@traders.example.in"}, acknowledge=False)

    book = desk.get("/address-book?q=बडागांव", "diarist.jhs").json()["correspondents"]
    assert [(c["name"], c["letters"], c["email"], c["address"]) for c in book] == [
        ("सुनीता  देवी", 2, "pradhan.badagaon@gp.example.in", "ग्राम बड़ागाँव, पोस्ट रानीपुर")]
    assert desk.get("/address-book?q=badagaon", "sto.jhs").json()["correspondents"] == []  # the office's own book

    diarised = {e["data"]["receipt_number"]: e["data"] for e in tap.wait_for_count("receipt_diarised", 3)}
    assert diarised[first["receipt_number"]]["acknowledge_to"]["email"] == "pradhan.badagaon@gp.example.in"
    assert diarised[second["receipt_number"]]["acknowledge_to"] is None  # no email or mobile given
    assert [d["acknowledge_to"] for d in diarised.values() if d["sender_name"] == "R. K. Traders"] == [None]

    assert desk.get("/acknowledgements/setting", "diarist.jhs").json() == {"office": "COLL-JHS", "enabled": True, "may_change": False}
    refused = desk.request("PUT", "/acknowledgements/setting", "diarist.jhs", json={"enabled": False})
    assert (refused.status_code, refused.json()["error"]) == (403, "not_allowed")
    assert desk.request("PUT", "/acknowledgements/setting", "admin.jhs", json={"enabled": False}).status_code == 200
    assert desk.get("/acknowledgements/setting", "admin.jhs").json() == {"office": "COLL-JHS", "enabled": False, "may_change": True}
    third = desk.diarise(subject="तीसरा पत्र", sender=sender)
    event = tap.wait_for("receipt_diarised", lambda e: e["data"]["receipt_number"] == third["receipt_number"])
    assert event["data"]["acknowledge_to"] is None
