"""A client that lost the answer to creating a file, a note, a draft or a movement retries it with the
same Idempotency-Key: it gets the first answer, and nothing is created or moved twice."""
import eventlet


def keyed(key):
    return {"headers": {"Idempotency-Key": key}}


def files_created_by(registry, user):
    return registry.sql("SELECT count(*) FROM files WHERE created_by = :user", user=user)[0][0]


def test_creating_a_file_retried_with_its_key_gets_the_first_answer_and_one_number(registry):
    body = {"subject": "भूमि अभिलेख में नाम संशोधन", "head_id": registry.head_id("clerk.jhs")}
    first, retry = (registry.post("/files", "clerk.jhs", json=body, **keyed("file-1")) for _ in range(2))
    assert (first.status_code, retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, 201, "true")
    assert retry.json() == first.json()
    reused = registry.post("/files", "clerk.jhs", json={**body, "subject": "दूसरी पत्रावली"}, **keyed("file-1"))
    assert (reused.status_code, reused.json()["error"]) == (422, "idempotency_key_reused")
    assert files_created_by(registry, "clerk.jhs") == 1


def test_concurrent_creations_with_one_key_create_one_file(registry):
    body = {"subject": "पेंशन प्रकरण", "head_id": registry.head_id("clerk.jhs")}
    pool = eventlet.GreenPool(8)
    answers = list(pool.imap(lambda _: registry.post("/files", "clerk.jhs", json=body, **keyed("file-2")), range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["file_number"] for a in answers}) == 1
    assert files_created_by(registry, "clerk.jhs") == 1


def test_a_send_retried_with_its_key_moves_the_file_once(registry, event_tap):
    tap = event_tap("files")
    file = registry.create("clerk.jhs")
    first, retry = (registry.post(f"/files/{file['id']}/send", "clerk.jhs", json={"to": "so.jhs"}, **keyed("send-1")) for _ in range(2))
    assert (first.status_code, retry.status_code, retry.headers["Idempotent-Replayed"]) == (200, 200, "true")
    assert retry.json() == first.json()
    assert registry.sql("SELECT count(*) FROM movements WHERE file_id = :id", id=file["id"])[0][0] == 1
    tap.wait_for("file_sent")
    eventlet.sleep(0.5)
    assert len(tap.events("file_sent")) == 1


def test_a_note_and_a_draft_retried_with_their_keys_are_added_once(registry):
    file = registry.create("clerk.jhs")
    for path, body, table in ((f"/files/{file['id']}/notes", {"text": "आदेशार्थ प्रस्तुत।"}, "notes"),
                              (f"/files/{file['id']}/drafts", {"subject": "पत्र", "content": "महोदय, ..."}, "drafts")):
        first, retry = (registry.post(path, "clerk.jhs", json=body, **keyed(f"{table}-1")) for _ in range(2))
        assert (first.status_code, retry.status_code, retry.headers["Idempotent-Replayed"]) == (201, 201, "true"), first.text
        assert retry.json() == first.json()
        assert registry.sql(f"SELECT count(*) FROM {table} WHERE file_id = :id", id=file["id"])[0][0] == 1
