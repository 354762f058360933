"""The notification stream (server-sent events), read by a real HTTP client as a page would."""
import json
import uuid
from datetime import datetime, timezone

import eventlet
import requests
from sqlalchemy import insert, text

from notify.models import Notification


class EventStream:
    """Reads a text/event-stream response event by event."""

    def __init__(self, response):
        self.response = response
        self.lines = response.iter_lines(chunk_size=1)
        self.comments = []

    def next_event(self, timeout=5):
        event = {}
        with eventlet.Timeout(timeout):
            for raw in self.lines:
                line = raw.decode("utf-8")
                if not line:
                    if "data" in event:
                        return event
                    continue
                if line.startswith(":"):
                    self.comments.append(line)
                    continue
                field, _, value = line.partition(": ")
                event[field] = value
        raise AssertionError("the stream ended")

    def close(self):
        self.response.close()


def open_stream(base_url, headers=None, params=None):
    response = requests.get(f"{base_url}/notifications/stream", headers=headers or {}, params=params, stream=True, timeout=10)
    return response, EventStream(response)


def test_new_notifications_arrive_on_the_stream_in_hindi(client, publish, helpers):
    response, stream = open_stream(client.base_url, headers={"Authorization": f"Bearer {client.token('dm.jhs')}"})
    try:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-cache"
        publish("files", "file_sent", helpers.file_sent(to_user="adm.jhs"))  # someone else's
        publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-5/2026"))
        event = stream.next_event()
        notification = json.loads(event["data"])
        assert event["event"] == "notification"
        assert event["id"] == str(notification["seq"])
        assert notification["title"] == "फ़ाइल N-5/2026 अनीता वर्मा (अपर ज़िलाधिकारी) द्वारा आपको भेजी गई"
        assert notification["kind"] == "file_sent"
        next_one = publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number="N-6/2026"))
        assert json.loads(stream.next_event()["data"])["item"]["id"] == next_one["data"]["file_id"]
    finally:
        stream.close()


def test_a_browser_may_give_the_token_in_the_query_on_this_route_only(client, publish, helpers):
    denied, _ = open_stream(client.base_url)
    assert (denied.status_code, denied.json()["error"]) == (401, "token_missing")
    forged, _ = open_stream(client.base_url, params={"access_token": "not-a-token"})
    assert (forged.status_code, forged.json()["error"]) == (401, "token_invalid")
    response, stream = open_stream(client.base_url, params={"access_token": client.token("clerk.jhs")})
    try:
        assert response.status_code == 200
        publish("files", "file_sent", helpers.file_sent(to_user="clerk.jhs"))
        assert json.loads(stream.next_event()["data"])["kind"] == "file_sent"
    finally:
        stream.close()


def test_a_reconnecting_page_resumes_after_its_last_event(client, publish, helpers):
    for number in ("N-1/2026", "N-2/2026", "N-3/2026"):
        publish("files", "file_sent", helpers.file_sent(to_user="dm.jhs", file_number=number))
    oldest_first = list(reversed(client.wait_inbox("dm.jhs", 3)))
    headers = {"Authorization": f"Bearer {client.token('dm.jhs')}", "Last-Event-ID": str(oldest_first[0]["seq"])}
    _, stream = open_stream(client.base_url, headers=headers)
    try:
        assert [json.loads(stream.next_event()["data"])["id"] for _ in range(2)] == [n["id"] for n in oldest_first[1:]]
    finally:
        stream.close()
    _, stream = open_stream(client.base_url, headers={"Authorization": headers["Authorization"]}, params={"after": 0})
    try:
        assert json.loads(stream.next_event()["data"])["id"] == oldest_first[0]["id"]
    finally:
        stream.close()
    bad, _ = open_stream(client.base_url, headers={**headers, "Last-Event-ID": "yesterday"})
    assert (bad.status_code, list(bad.json()["fields"])) == (422, ["after"])


def test_a_row_written_by_another_replica_wakes_the_stream_through_postgres(start_notify, helpers, db):
    quiet = start_notify(STREAM_KEEPALIVE_SECONDS=30)  # no re-reading on keep-alive within this test
    token = helpers.Client.token("dm.jhs")
    # The headers arrive once the stream is subscribed.
    _, stream = open_stream(quiet.base_url, headers={"Authorization": f"Bearer {token}"})
    try:
        now = datetime.now(timezone.utc)
        with db.engine.begin() as conn:  # what another notify replica's transaction does
            conn.execute(insert(Notification).values(
                id=str(uuid.uuid4()), user_id="dm.jhs", kind="file_sent", source_event_id=str(uuid.uuid4()),
                title="दूसरी प्रति से", body="", priority="normal", occurred_at=now, created_at=now,
            ))
            conn.execute(text("SELECT pg_notify('notify_inbox', 'dm.jhs')"))
        started = eventlet.hubs.get_hub().clock()
        assert json.loads(stream.next_event(timeout=5)["data"])["title"] == "दूसरी प्रति से"
        assert eventlet.hubs.get_hub().clock() - started < 2
    finally:
        stream.close()
