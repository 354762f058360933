"""Creating files on the real RabbitMQ and PostgreSQL: numbers, volumes, part files, heads."""
from datetime import datetime, timezone

import eventlet

from files import domain


def test_an_sfs_file_is_numbered_from_its_head(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("clerk.jhs", subject="ग्राम बड़ागाँव की खतौनी में नाम संशोधन", category="राजस्व", classification="confidential")
    year = domain.year_of(datetime.now(timezone.utc))
    assert file["file_number"] == f"N-11016/1/{year}-REV-COLL-JHS"
    assert (file["serial"], file["year"], file["numbering"], file["section"]) == (1, year, "sfs", "COLL-JHS-REV")
    assert file["custodian"] == {"id": "clerk.jhs", "name_en": "Pooja Yadav", "name_hi": "पूजा यादव",
                                 "designation_en": "Junior Assistant (Dealing Clerk)", "designation_hi": "कनिष्ठ सहायक (पटल लिपिक)"}
    assert file["subject"] == "ग्राम बड़ागाँव की खतौनी में नाम संशोधन"
    fetched = registry.get(f"/files/{file['id']}", "clerk.jhs").json()
    assert fetched["subject"] == file["subject"] and fetched["category"] == "राजस्व"
    event = tap.wait_for("file_created")
    assert (event["office"], event["district"], event["actor"]) == ("COLL-JHS", "JHS", "clerk.jhs")
    assert event["data"]["file_number"] == file["file_number"]
    assert event["data"]["computer_number"] == file["computer_number"]
    assert event["data"]["subject"] == file["subject"]


def test_thirty_concurrent_creations_under_one_head_get_consecutive_serials(registry):
    head_id = registry.head_id("clerk.jhs")
    pool = eventlet.GreenPool(30)
    files = list(pool.imap(lambda i: registry.create("clerk.jhs", head_id=head_id, subject=f"file {i}"), range(30)))
    assert sorted(f["serial"] for f in files) == list(range(1, 31))
    assert len({f["computer_number"] for f in files}) == 30
    other_head = registry.create("clerk.jhs", head_id=registry.head_id("clerk.jhs", "A-12011"))
    assert other_head["file_number"].startswith("A-12011/1/")


def test_a_non_sfs_number_is_free_form_but_unique_in_the_office(registry):
    first = registry.create("clerk.jhs", file_number="विविध/12/2026")
    assert first["numbering"] == "non_sfs" and first["file_number"] == "विविध/12/2026"
    again = registry.post("/files", "so.jhs", json={"numbering": "non_sfs", "file_number": " विविध/12/2026 ", "subject": "x"})
    assert (again.status_code, again.json()["error"]) == (409, "duplicate_file_number")
    elsewhere = registry.create("sto.jhs", file_number="विविध/12/2026")
    assert elsewhere["office"] == "TRY-JHS"
    assert elsewhere["computer_number"] != first["computer_number"]


def test_volumes_carry_the_same_number_suffixed_and_their_own_computer_number(registry):
    file = registry.create("clerk.jhs")
    second = registry.post(f"/files/{file['id']}/volumes", "clerk.jhs", json={}).json()
    third = registry.post(f"/files/{second['id']}/volumes", "clerk.jhs", json={"remarks": "भाग भर गया"}).json()
    assert second["file_number"] == f"{file['file_number']}/Vol.2"
    assert third["file_number"] == f"{file['file_number']}/Vol.3"
    assert second["parent_file_id"] == third["parent_file_id"] == file["id"]
    assert len({file["computer_number"], second["computer_number"], third["computer_number"]}) == 3
    related = registry.get(f"/files/{file['id']}", "clerk.jhs").json()["related"]
    assert [(r["relation"], r["volume"]) for r in related] == [("volume", 2), ("volume", 3)]
    outsider = registry.post(f"/files/{file['id']}/volumes", "so.jhs", json={})
    assert (outsider.status_code, outsider.json()["error"]) == (403, "not_custodian")


def test_a_part_file_is_opened_while_the_main_file_is_elsewhere(registry):
    file = registry.create("clerk.jhs")
    registry.send(file["id"], "clerk.jhs", "so.jhs")
    part = registry.post(f"/files/{file['id']}/parts", "clerk.jhs", json={"subject": "भाग फ़ाइल: पेंशन गणना"})
    assert part.status_code == 201, part.text
    part = part.json()
    assert part["file_number"] == f"{file['file_number']}/Part.1"
    assert (part["relation"], part["parent_file_id"], part["custodian"]["id"]) == ("part", file["id"], "clerk.jhs")
    assert registry.post(f"/files/{part['id']}/volumes", "clerk.jhs", json={}).json()["error"] == "part_file"
    assert registry.post(f"/files/{file['id']}/parts", "clerk.jhs", json={}).json()["file_number"].endswith("/Part.2")


def test_heads_are_added_by_an_admin_of_the_office(registry):
    head = {"main_code": "N-11", "main_name_en": "Land Revenue", "main_name_hi": "भू-राजस्व", "sub_code": "099",
            "sub_name_en": "Court cases", "sub_name_hi": "न्यायालय वाद", "section_label": "REV", "department_label": "COLL-JHS"}
    response = registry.post("/heads", "admin.jhs", json=head)
    assert response.status_code == 201, response.text
    assert response.json()["code"] == "N-11099"
    assert registry.post("/heads", "admin.jhs", json=head).json()["error"] == "duplicate_head"
    assert registry.post("/heads", "clerk.jhs", json={**head, "sub_code": "100"}).json()["error"] == "not_admin"
    file = registry.create("clerk.jhs", head_id=response.json()["id"])
    assert file["file_number"].startswith("N-11099/1/")
    foreign = registry.post("/files", "sto.jhs", json={"head_id": response.json()["id"], "subject": "x"})
    assert (foreign.status_code, foreign.json()["error"]) == (422, "unknown_head")
