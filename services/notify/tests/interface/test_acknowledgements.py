"""The sender of a diarised letter is told its receipt number by email and SMS (the SMS gateway is
the outside system stubbed here), once, in the letter's language."""
import time
import uuid


def test_a_sender_is_told_the_receipt_number_by_email_and_sms_once(start_notify, directory, publish, mail_drop, sms_gateway, helpers):
    start_notify()
    directory()
    receipt_id = str(uuid.uuid4())
    data = {"receipt_id": receipt_id, "receipt_number": "81829/2026/COLL-JHS", "office": "COLL-JHS", "district": "JHS",
            "kind": "physical", "classification": "normal", "subject": "वृद्धावस्था पेंशन हेतु आवेदन", "language": "hi",
            "sender_name": "सुनीता देवी", "delivery_mode": "post", "received_date": "2026-12-07", "diarised_by": "clerk.jhs",
            "holder": "clerk.jhs", "channel": "form", "scans": [],
            "acknowledge_to": {"email": "sunita@gp.example.in", "mobile": "9876543210", "name": "सुनीता देवी",
                               "subject": "वृद्धावस्था पेंशन हेतु आवेदन"}}
    event = publish("dak", "receipt_diarised", data, aggregate_type="receipt", aggregate_id=receipt_id)
    publish.raw("dak", [event])  # delivered twice
    quiet = {**data, "receipt_id": str(uuid.uuid4()), "receipt_number": "81830/2026/COLL-JHS", "acknowledge_to": None}
    publish("dak", "receipt_diarised", quiet, aggregate_type="receipt", aggregate_id=quiet["receipt_id"])

    [message] = mail_drop.wait_for(1, address="sunita@gp.example.in")
    assert message["Subject"] == "पावती: आपका पत्र प्राप्ति संख्या 81829/2026/COLL-JHS पर दर्ज"
    assert "प्राप्ति संख्या 81829/2026/COLL-JHS" in message.get_content()
    assert helpers.wait_until(lambda: sms_gateway.accepted)
    time.sleep(1.5)  # room for a second message
    assert len(mail_drop.messages) == 1
    [sms] = sms_gateway.received
    assert sms["body"]["to"] == "9876543210" and "81829/2026/COLL-JHS" in sms["body"]["message"] and sms["body"]["unicode"]
