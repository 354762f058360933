"""Files joined to files, on PostgreSQL and RabbitMQ: a part merged into its main file, a reference link,
a file attached into another that moves with it; the events they publish."""


def test_a_part_file_merged_brings_its_notes_and_correspondence_into_the_main_file(registry, event_tap, pdf):
    tap = event_tap("files")
    main = registry.create("clerk.jhs")
    part = registry.post(f"/files/{main['id']}/parts", "clerk.jhs", json={"subject": "हैंडपंप मरम्मत: भाग"}).json()
    note = registry.post(f"/files/{part['id']}/notes", "clerk.jhs", json={"text": "भाग पत्रावली की टिप्पणी।"}).json()
    item = registry.post(f"/files/{part['id']}/correspondence", "clerk.jhs", data={"item": '{"title": "तहसीलदार की आख्या"}'},
                         files=[("documents", ("aakhya.pdf", pdf, "application/pdf"))]).json()

    refused = registry.post(f"/files/{main['id']}/merge", "clerk.jhs")
    assert (refused.status_code, refused.json()["error"]) == (409, "not_a_part")
    merged = registry.post(f"/files/{part['id']}/merge", "clerk.jhs")
    assert merged.status_code == 200, merged.text
    assert (merged.json()["id"], merged.json()["last_paragraph"]) == (main["id"], 1)

    notes = registry.get(f"/files/{main['id']}/notes", "clerk.jhs").json()["notes"]
    assert [(n["id"], n["status"], n["first_paragraph"], n["merged_from_file_id"]) for n in notes] == [(note["id"], "green", 1, part["id"])]
    (moved,) = registry.get(f"/files/{main['id']}/correspondence", "clerk.jhs").json()["correspondence"]
    assert (moved["id"], moved["merged_from_file_id"]) == (item["id"], part["id"])
    document = registry.get(moved["documents"][0]["url"], "clerk.jhs")
    assert (document.status_code, document.content) == (200, pdf)
    closed = registry.get(f"/files/{part['id']}", "clerk.jhs").json()
    assert closed["status"] == "closed" and closed["merged_at"]
    assert registry.get(f"/files/{main['id']}/audit/verify", "clerk.jhs").json()["valid"] is True
    again = registry.post(f"/files/{part['id']}/merge", "clerk.jhs")
    assert (again.status_code, again.json()["error"]) == (409, "file_closed")

    event = tap.wait_for("part_file_merged")
    assert (event["aggregate_id"], event["data"]["part_file_id"], event["data"]["note_ids"]) == (main["id"], part["id"], [note["id"]])
    assert tap.wait_for("file_closed")["aggregate_id"] == part["id"]


def test_a_link_shows_on_both_files_and_only_the_custodian_makes_it(registry, event_tap):
    tap = event_tap("files")
    first, second = registry.create("clerk.jhs"), registry.create("so.jhs", subject="बड़ागांव पेयजल")
    refused = registry.post(f"/files/{first['id']}/links", "so.jhs", json={"file_id": second["id"]})
    assert (refused.status_code, refused.json()["error"]) == (403, "not_custodian")
    linked = registry.post(f"/files/{first['id']}/links", "clerk.jhs", json={"file_id": second["id"]})
    assert linked.status_code == 201, linked.text
    assert [f["file_number"] for f in registry.get(f"/files/{second['id']}", "so.jhs").json()["links"]] == [first["file_number"]]
    assert registry.post(f"/files/{second['id']}/links", "so.jhs", json={"file_id": first["id"]}).json()["error"] == "invalid_relation"
    bad = registry.post(f"/files/{first['id']}/links", "clerk.jhs", json={})
    assert bad.status_code == 422
    removed = registry.delete(f"/files/{second['id']}/links/{first['id']}", "so.jhs")
    assert (removed.status_code, removed.json()["links"]) == (200, [])
    assert registry.delete(f"/files/{second['id']}/links/{first['id']}", "so.jhs").json()["error"] == "relation_not_found"
    assert tap.wait_for("file_unlinked")["data"]["linked_file_id"] == first["id"]
    assert tap.events("file_linked")[0]["data"]["by_user"] == "clerk.jhs"


def test_an_attached_file_moves_with_its_main_file_until_detached(registry, event_tap):
    tap = event_tap("files")
    main, attached = registry.create("clerk.jhs"), registry.create("clerk.jhs", subject="संलग्न पत्रावली")
    answer = registry.post(f"/files/{main['id']}/attachments", "clerk.jhs", json={"file_id": attached["id"]})
    assert answer.status_code == 201, answer.text
    alone = registry.post(f"/files/{attached['id']}/send", "clerk.jhs", json={"to": "so.jhs"})
    assert (alone.status_code, alone.json()["error"]) == (409, "file_attached")

    registry.send(main["id"], "clerk.jhs", "so.jhs", remarks="अवलोकनार्थ")
    travelled = registry.get(f"/files/{attached['id']}", "so.jhs").json()
    assert (travelled["custodian"]["id"], travelled["attached_to"]["id"]) == ("so.jhs", main["id"])
    assert registry.get(f"/files/{attached['id']}/movements", "so.jhs").json()["movements"][0]["remarks"] == "अवलोकनार्थ"
    assert {f["id"] for f in registry.get("/files", "so.jhs").json()["files"]} == {attached["id"], main["id"]}

    detached = registry.delete(f"/files/{main['id']}/attachments/{attached['id']}", "so.jhs")
    assert (detached.status_code, detached.json()["attachments"]) == (200, [])
    registry.send(main["id"], "so.jhs", "adm.jhs")
    assert registry.get(f"/files/{attached['id']}", "so.jhs").json()["custodian"]["id"] == "so.jhs"
    tap.wait_for("file_detached")
    sent = [e["aggregate_id"] for e in tap.events("file_sent")]
    assert (sent.count(main["id"]), sent.count(attached["id"])) == (2, 1)
