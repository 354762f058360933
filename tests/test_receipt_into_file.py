"""A letter diarised in dak with its scan, put in a file, is read in the file's correspondence."""
import json

from sqlalchemy import create_engine, text

PDF = b"%PDF-1.4\n% \xe0\xa4\xaa\xe0\xa4\xa4\xe0\xa5\x8d\xe0\xa4\xb0\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def diarise_with_scan(eoffice, subject):
    fields = {"delivery_mode": "post", "sender": {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव"},
              "subject": subject, "letter_number": "GP/112/2026", "send": {"to": ["clerk.jhs"]}}
    response = eoffice.call("dak", "POST", "/receipts", "diarist.jhs", data={"receipt": json.dumps(fields, ensure_ascii=False)},
                            files=[("scans", ("पत्र.pdf", PDF, "application/pdf"))])
    assert response.status_code == 201, response.text
    return response.json()["receipt"]


def new_file(eoffice, user):
    head = next(h for h in eoffice.call("files", "GET", "/heads", user).json()["heads"] if h["code"] == "N-11016")
    response = eoffice.call("files", "POST", "/files", user, json={"head_id": head["id"], "subject": "वृद्धावस्था पेंशन"})
    assert response.status_code == 201, response.text
    return response.json()


def seed_heads(eoffice):
    admin_head = {"main_code": "N-11", "main_name_en": "Land Revenue", "main_name_hi": "भू-राजस्व", "sub_code": "016",
                  "sub_name_en": "Pensions", "sub_name_hi": "पेंशन", "section_label": "REV", "department_label": "COLL-JHS"}
    assert eoffice.call("files", "POST", "/heads", "admin.jhs", json=admin_head).status_code == 201


def test_a_receipt_put_in_a_file_shows_in_its_correspondence_with_the_same_scan(eoffice, event_tap):
    tap = event_tap("dak")
    seed_heads(eoffice)
    receipt = diarise_with_scan(eoffice, "वृद्धावस्था पेंशन स्वीकृति हेतु आवेदन")
    file = new_file(eoffice, "clerk.jhs")
    put = eoffice.call("dak", "POST", f"/receipts/{receipt['id']}/put-in-file", "clerk.jhs", json={"file_id": file["id"]})
    assert put.status_code == 200 and put.json()["status"] == "in_file", put.text

    def correspondence():
        return eoffice.call("files", "GET", f"/files/{file['id']}/correspondence", "so.jhs").json()["correspondence"]

    event = tap.wait_for("receipt_put_in_file")
    assert (event["data"]["file_id"], event["data"]["subject"], event["data"]["classification"]) == (file["id"], receipt["subject"], "normal")
    assert event["data"]["cleared"] == ["clerk.jhs", "diarist.jhs"]  # its creator and whom it was sent to
    items = eoffice.wait_for(correspondence, what="the receipt reaching the file")
    assert [(i["kind"], i["receipt_number"], i["receipt_id"]) for i in items] == [("receipt", receipt["receipt_number"], receipt["id"])]
    assert items[0]["title"] == "वृद्धावस्था पेंशन स्वीकृति हेतु आवेदन"
    assert items[0]["sender"]["organisation"] == "ग्राम पंचायत बड़ागाँव"
    document = items[0]["documents"][0]
    assert document["sha256"] == receipt["scans"][0]["sha256"]
    scan = eoffice.call("files", "GET", document["url"], "so.jhs")
    assert scan.status_code == 200 and scan.content == PDF

    engine = create_engine(eoffice.databases["files"])
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM correspondence_documents")).scalars().all()
    engine.dispose()
    assert keys == [f"files/documents/{document['sha256']}.pdf"]  # files' own copy, not dak's object


def test_a_file_that_refuses_the_receipt_leaves_it_with_its_holder(eoffice, event_tap):
    tap = event_tap("dak")
    seed_heads(eoffice)
    receipt = diarise_with_scan(eoffice, "भूमि विवाद")
    held_by_another = new_file(eoffice, "so.jhs")
    closed = new_file(eoffice, "clerk.jhs")
    assert eoffice.call("files", "POST", f"/files/{closed['id']}/close", "clerk.jhs", json={"remarks": "निस्तारित"}).status_code == 200
    other_district = eoffice.call("files", "POST", "/files", "dm.jln", json={"numbering": "non_sfs", "file_number": "JLN/1", "subject": "जालौन"}).json()
    for file_id, status, reason in [
        (held_by_another["id"], 403, "not_custodian"), (closed["id"], 409, "file_closed"),
        (other_district["id"], 404, "file_not_found"), ("no-such-file", 404, "file_not_found"),
    ]:
        put = eoffice.call("dak", "POST", f"/receipts/{receipt['id']}/put-in-file", "clerk.jhs", json={"file_id": file_id})
        assert (put.status_code, put.json()["error"]) == (status, reason), put.text
    after = eoffice.call("dak", "GET", f"/receipts/{receipt['id']}", "clerk.jhs").json()
    assert (after["status"], after["holder"], after["file_id"]) == ("open", "clerk.jhs", None)
    assert eoffice.call("dak", "POST", f"/receipts/{receipt['id']}/send", "clerk.jhs", json={"to": ["so.jhs"]}).status_code == 200
    tap.wait_for("receipt_sent")
    assert "receipt_put_in_file" not in [e["type"] for e in tap.events()]
