"""Tracking: advanced search among the files one may open, and the hash-chained audit log."""
from datetime import datetime, timezone


def test_search_by_hindi_and_english_words_number_computer_number_category_and_holder(registry):
    pension = registry.create("clerk.jhs", subject="ज़िला पेंशन समिति की बैठक — Pension Committee", category="पेंशन")
    land = registry.create("clerk.jhs", subject="भूमि अभिलेख में नाम संशोधन", category="राजस्व")
    other = registry.create("clerk.jhs", file_number="MISC/7", subject="Annual stationery indent")
    registry.send(land["id"], "clerk.jhs", "so.jhs")

    def found(**params):
        response = registry.get("/files/search", "dm.jhs", params=params)
        assert response.status_code == 200, response.text
        return {f["id"] for f in response.json()["files"]}

    assert found(q="पेंशन") == {pension["id"]}
    assert found(q="\u091c\u093c\u093f\u0932\u093e") == {pension["id"]}  # ज़िला typed with a separate nukta
    assert found(q="pension COMMITTEE") == {pension["id"]}
    assert found(q="अभिलेख संशोधन") == {land["id"]}
    assert found(q="अभिलेख pension") == set()
    assert found(q="50%") == set()
    assert found(number="misc/7") == {other["id"]}
    assert found(number=pension["file_number"]) == {pension["id"]}
    assert found(computer_number=land["computer_number"]) == {land["id"]}
    assert found(category="राजस्व") == {land["id"]}
    assert found(holder="so.jhs") == {land["id"]}
    assert found(year=datetime.now(timezone.utc).year) >= {pension["id"], land["id"], other["id"]}
    assert found(date_from="2000-01-01", date_to="2000-12-31") == set()
    assert registry.get("/files/search", "sto.jhs", params={"q": "पेंशन"}).json()["total"] == 0


def test_search_finds_a_subject_typed_in_another_hindi_spelling(registry):
    """Anusvara against a half nasal consonant, chandrabindu against anusvara, nukta against none."""
    pump = registry.create("clerk.jhs", subject="बड़ागाँव में हैंडपंप की मरम्मत")
    registry.create("clerk.jhs", subject="बड़ा तालाब की सफ़ाई")

    def found(q):
        response = registry.get("/files/search", "clerk.jhs", params={"q": q})
        assert response.status_code == 200, response.text
        return {f["id"] for f in response.json()["files"]}

    for typed in ("हैंडपम्प", "हैंडपंप", "बड़ागांव", "बडागाँव", "मरंमत"):
        assert found(typed) == {pump["id"]}, typed


def test_percent_and_underscore_in_a_search_match_only_themselves(registry):
    percent = registry.create("clerk.jhs", subject="100% पेंशन भुगतान", file_number="MISC/100%")
    underscore = registry.create("clerk.jhs", subject="file_note पंजिका", file_number="MISC/A_1")
    registry.create("clerk.jhs", subject="भूमि अभिलेख", file_number="MISC/AB1")

    def found(path, **params):
        response = registry.get(path, "clerk.jhs", params=params)
        assert response.status_code == 200, response.text
        return {f["id"] for f in response.json()["files"]}

    for path in ("/files/search", "/files?box=created"):
        assert found(path, q="%") == {percent["id"]}
        assert found(path, q="_") == {underscore["id"]}
    assert found("/files/search", number="%") == {percent["id"]}
    assert found("/files/search", number="a_1") == {underscore["id"]}


def test_a_secret_file_is_hidden_from_the_office_but_not_from_whom_it_was_sent_to(registry):
    secret = registry.create("clerk.jhs", subject="गोपनीय जाँच आख्या", classification="secret")
    registry.send(secret["id"], "clerk.jhs", "so.jhs")
    registry.send(secret["id"], "so.jhs", "dm.jhs")
    for outsider in ("adm.jhs", "asst.jhs"):
        response = registry.get(f"/files/{secret['id']}", outsider)
        assert (response.status_code, response.json()["error"]) == (404, "file_not_found")
        assert registry.get("/files/search", outsider, params={"q": "गोपनीय"}).json()["total"] == 0
        assert registry.get(f"/files/{secret['id']}/movements", outsider).status_code == 404
    for insider in ("clerk.jhs", "so.jhs", "dm.jhs"):
        assert registry.get(f"/files/{secret['id']}", insider).status_code == 200
        assert registry.get("/files/search", insider, params={"q": "गोपनीय"}).json()["total"] == 1
    confidential = registry.create("clerk.jhs", classification="confidential")
    assert registry.get(f"/files/{confidential['id']}", "adm.jhs").status_code == 200
    assert registry.get(f"/files/{confidential['id']}", "sto.jhs").status_code == 404


def test_every_action_is_in_a_hash_chained_audit_log_that_verifies(registry):
    file = registry.create("clerk.jhs")
    note = registry.post(f"/files/{file['id']}/notes", "clerk.jhs", json={"text": "टिप्पणी"}).json()
    registry.send(file["id"], "clerk.jhs", "so.jhs", remarks="अवलोकनार्थ")
    registry.get(f"/files/{file['id']}", "so.jhs")
    registry.post(f"/files/{file['id']}/park", "so.jhs", json={})
    entries = registry.get(f"/files/{file['id']}/audit", "clerk.jhs").json()["entries"]
    assert [e["action"] for e in entries] == ["created", "note_added", "note_confirmed", "send", "opened", "parked"]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(entries, entries[1:], strict=False))
    assert entries[2]["details"]["note_id"] == note["id"] and entries[3]["details"]["remarks"] == "अवलोकनार्थ"
    assert registry.get(f"/files/{file['id']}/audit/verify", "so.jhs").json() == {
        "file_id": file["id"], "valid": True, "entries": 6, "first_broken": None,
    }


def test_moves_keep_any_remarks_verbatim_in_an_audit_log_that_verifies(registry):
    remarks = 'कृपया "तत्काल" देखें\n{a,b}, NULL, \\N, it\'s 100%'
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs", remarks=remarks)
    assert registry.post(f"/files/{file['id']}/return", "so.jhs", json={"remarks": remarks}).status_code == 200
    registry.send(file["id"], "clerk.jhs", "adm.jhs")
    assert registry.post(f"/files/{file['id']}/pull-back", "clerk.jhs").status_code == 200
    entries = registry.get(f"/files/{file['id']}/audit", "clerk.jhs").json()["entries"]
    assert [e["action"] for e in entries] == ["created", "send", "opened", "return", "opened", "send", "pull_back"]
    assert entries[1]["details"]["remarks"] == entries[3]["details"]["remarks"] == remarks
    assert registry.get(f"/files/{file['id']}/audit/verify", "clerk.jhs").json()["valid"] is True


def test_a_tampered_audit_entry_is_detected(registry):
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs", remarks="मूल टिप्पणी")
    registry.send(file["id"], "so.jhs", "adm.jhs")
    changed = registry.sql(
        "UPDATE audit_log SET details = replace(details, 'मूल टिप्पणी', 'बदली हुई टिप्पणी') WHERE file_id = :id AND seq = 2", id=file["id"],
    )
    assert changed == 1
    report = registry.get(f"/files/{file['id']}/audit/verify", "admin.jhs").json()
    assert report["valid"] is False
    assert report["first_broken"] == {"seq": 2, "reason": "its content does not match its hash"}


def test_a_deleted_last_audit_entry_is_detected(registry):
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    registry.sql("DELETE FROM audit_log WHERE file_id = :id AND seq = 2", id=file["id"])
    report = registry.get(f"/files/{file['id']}/audit/verify", "clerk.jhs").json()
    assert (report["valid"], report["entries"], report["first_broken"]["seq"]) == (False, 1, 2)
