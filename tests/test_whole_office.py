"""One letter through every service: diarised in dak, put in a file, noted in Hindi, signed with
eSign, sent up three levels and closed in files; the officers are told by notify; the office's
counts and weekly score in metrics show it."""
import json

from cryptography.hazmat.primitives import serialization

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HEAD = {"main_code": "N-11", "main_name_en": "Land Revenue", "main_name_hi": "भू-राजस्व", "sub_code": "016",
        "sub_name_en": "Pensions", "sub_name_hi": "पेंशन", "section_label": "REV", "department_label": "COLL-JHS"}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_a_letter_from_the_diary_to_the_scoreboard(whole_office):
    office = whole_office

    # dak: the diarist diarises the letter with its scan and sends it to the dealing clerk.
    fields = {"delivery_mode": "post", "sender": {"name": "सुनीता देवी", "organisation": "ग्राम पंचायत बड़ागाँव"},
              "subject": "वृद्धावस्था पेंशन स्वीकृति हेतु आवेदन", "send": {"to": ["clerk.jhs"]}}
    receipt = ok(office.call("dak", "POST", "/receipts", "diarist.jhs", data={"receipt": json.dumps(fields, ensure_ascii=False)},
                             files=[("scans", ("आवेदन.pdf", PDF, "application/pdf"))]), 201)["receipt"]

    # files: the clerk opens a file and puts the receipt in it.
    ok(office.call("files", "POST", "/heads", "admin.jhs", json=HEAD), 201)
    head = next(h for h in ok(office.call("files", "GET", "/heads", "clerk.jhs"))["heads"] if h["code"] == "N-11016")
    file = ok(office.call("files", "POST", "/files", "clerk.jhs", json={"head_id": head["id"], "subject": "वृद्धावस्था पेंशन"}), 201)
    ok(office.call("dak", "POST", f"/receipts/{receipt['id']}/put-in-file", "clerk.jhs", json={"file_id": file["id"]}))
    items = office.wait_for(lambda: ok(office.call("files", "GET", f"/files/{file['id']}/correspondence", "clerk.jhs"))["correspondence"],
                            what="the receipt reaching the file")
    assert items[0]["receipt_number"] == receipt["receipt_number"]

    # The clerk notes in Hindi and confirms the note (green).
    note = ok(office.call("files", "POST", f"/files/{file['id']}/notes", "clerk.jhs",
                          json={"text": "प्रार्थी की पात्रता की जाँच कर ली गई है। पेंशन स्वीकृति हेतु प्रस्तुत।"}), 201)
    ok(office.call("files", "POST", f"/files/{file['id']}/notes/{note['id']}/confirm", "clerk.jhs"))

    # signing: the clerk registers an eSign certificate and signs the green note.
    certificate = office.esign_certificate.public_bytes(serialization.Encoding.PEM).decode()
    ok(office.call("signing", "POST", "/certificates", "clerk.jhs", json={"source": "esign", "certificate": certificate}), 201)
    office.wait_for(lambda: office.call("signing", "GET", f"/documents/note/{note['id']}", "clerk.jhs").status_code == 200,
                    what="the green note reaching signing")
    ok(office.call("signing", "POST", f"/documents/note/{note['id']}/signatures", "clerk.jhs", json={"method": "esign"}), 201)
    verification = ok(office.call("signing", "GET", f"/documents/note/{note['id']}/verification", "clerk.jhs"))
    assert verification["valid"], verification

    def note_signed():
        notes = ok(office.call("files", "GET", f"/files/{file['id']}/notes", "clerk.jhs"))["notes"]
        return next(n for n in notes if n["id"] == note["id"]).get("signature")

    assert office.wait_for(note_signed, what="files learning of the signature")

    # Up three levels, and back down to the clerk, who closes it.
    for sender, recipient in (("clerk.jhs", "so.jhs"), ("so.jhs", "adm.jhs"), ("adm.jhs", "dm.jhs"), ("dm.jhs", "clerk.jhs")):
        ok(office.call("files", "POST", f"/files/{file['id']}/send", sender,
                       json={"to": recipient, "remarks": "अवलोकनार्थ", "priority": "urgent"}))
        ok(office.call("files", "GET", f"/files/{file['id']}", recipient))
    ok(office.call("files", "POST", f"/files/{file['id']}/close", "clerk.jhs", json={"remarks": "पेंशन स्वीकृत"}))
    movements = ok(office.call("files", "GET", f"/files/{file['id']}/movements", "clerk.jhs"))["movements"]
    assert [m["to"]["id"] for m in movements][-4:] == ["so.jhs", "adm.jhs", "dm.jhs", "clerk.jhs"]

    # notify: each officer it reached was told, in the app (email and SMS have their own tests in
    # notify: their test servers run an asyncio loop, which cannot share one process with signing's).
    for officer in ("so.jhs", "adm.jhs", "dm.jhs"):
        told = office.wait_for(lambda: ok(office.call("notify", "GET", "/notifications", officer))["notifications"],
                               what=f"{officer}'s notification")
        assert any(file["file_number"] in n["title"] for n in told), told

    # metrics: the office's counts and this week's score show all of it.
    def explained():
        response = office.call("metrics", "GET", "/scoreboard/office/COLL-JHS/explain", "dm.jhs")
        if response.status_code != 200:
            return None
        components = {c["component"]: c for c in response.json()["components"]}
        done = components["digital_signing_share"]["raw"] == 1 and components["median_disposal_days"].get("denominator")
        return response.json() if done else None

    explanation = office.wait_for(explained, timeout=30, what="the week's score counting the closed, signed file")
    components = {c["component"]: c for c in explanation["components"]}
    assert components["e_file_share"]["raw"] == 1 and components["e_receipt_share"]["raw"] == 1
    assert round(sum(c["contribution"] for c in explanation["components"]), 2) == explanation["score"]
    board = ok(office.call("metrics", "GET", "/scoreboard", "dm.jhs", params={"level": "office"}))
    jhansi = next(u for u in board["units"] if u["unit"] == "COLL-JHS")
    assert jhansi["rank"] == 1 and jhansi["score"] == explanation["score"]
