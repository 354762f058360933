"""Events dak consumes: a transfer of an officer's files moves the receipts they hold too; a merged part file's
receipts point at its main file."""
import uuid

import eventlet
from nameko.rpc import rpc

from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.testing import wait_until


def file_transferred(from_user, to_user, event_id=None):
    return {
        "id": event_id or str(uuid.uuid4()), "type": "file_transferred", "schema_version": 1,
        "occurred_at": "2026-11-22T10:00:00+05:30", "actor": "admin.jhs", "office": "COLL-JHS", "district": "JHS",
        "correlation_id": None, "aggregate_type": "user", "aggregate_id": from_user,
        "data": {"from_user": from_user, "to_user": to_user, "file_ids": [], "by_user": "admin.jhs",
                 "office": "COLL-JHS", "district": "JHS"},
    }


def test_receipts_follow_a_transfer_once_even_when_redelivered(desk, dak_config, event_tap):
    tap = event_tap("dak")
    held = [desk.diarise(subject=f"पत्र {i}", send={"to": ["cm.jhs"]}) for i in range(3)]
    closed = desk.diarise(send={"to": ["cm.jhs"]})
    assert desk.post(f"/receipts/{closed['id']}/close", "cm.jhs", json={"remarks": "done"}).status_code == 200
    event = file_transferred("cm.jhs", "adm.jhs")
    publisher = ConfirmingPublisher(dak_config["AMQP_URI"], "files")
    publisher.publish([event, event])
    publisher.close()

    assert wait_until(lambda: desk.get("/receipts", "adm.jhs").json()["total"] == 3)
    assert desk.get("/receipts", "cm.jhs").json()["total"] == 0
    receipt = desk.get(f"/receipts/{held[0]['id']}", "adm.jhs").json()
    assert [m["action"] for m in receipt["movements"]] == ["send", "transfer"]
    eventlet.sleep(0.5)
    transfers = [e for e in tap.events("receipt_sent") if e["data"]["action"] == "transfer"]
    assert sorted(e["aggregate_id"] for e in transfers) == sorted(r["id"] for r in held)
    assert desk.get(f"/receipts/{closed['id']}", "cm.jhs").json()["holder"] == "cm.jhs"


class FilesTakingReceipts:
    """Stands in for files where dak asks whether a file takes a receipt: every file does."""

    name = "files"

    @rpc
    def receipt_destination(self, file_id):
        return {"refusal": None}


def part_file_merged(part_file_id, main_file_id, receipt_ids):
    return {
        "id": str(uuid.uuid4()), "type": "part_file_merged", "schema_version": 1,
        "occurred_at": "2026-11-22T10:00:00+05:30", "actor": "clerk.jhs", "office": "COLL-JHS", "district": "JHS",
        "correlation_id": None, "aggregate_type": "file", "aggregate_id": main_file_id,
        "data": {"file_id": main_file_id, "file_number": "N-11016/1/2026-REV", "part_file_id": part_file_id,
                 "part_file_number": "N-11016/1/2026-REV (Part 1)", "part": 1, "merged_by": "clerk.jhs", "note_ids": [],
                 "correspondence_ids": [], "receipt_ids": receipt_ids, "merged_at": "2026-11-22T10:00:00+05:30",
                 "office": "COLL-JHS", "district": "JHS"},
    }


def test_a_receipt_in_a_merged_part_file_links_to_the_main_file(desk, dak_config, container_factory):
    container_factory(FilesTakingReceipts, dak_config).start()
    receipt = desk.diarise(subject="वृद्धावस्था पेंशन हेतु आवेदन")
    put = desk.post(f"/receipts/{receipt['id']}/put-in-file", "diarist.jhs", json={"file_id": "part-1"})
    assert put.status_code == 200, put.text
    event = part_file_merged("part-1", "main-1", [receipt["id"]])
    publisher = ConfirmingPublisher(dak_config["AMQP_URI"], "files")
    routed = publisher.publish([event, event])
    publisher.close()
    assert routed == 2

    assert wait_until(lambda: desk.get(f"/receipts/{receipt['id']}", "diarist.jhs").json()["file_id"] == "main-1")
    assert desk.get(f"/receipts/{receipt['id']}", "diarist.jhs").json()["status"] == "in_file"


def test_a_scan_with_a_hindi_filename_downloads_with_its_name(desk, pdf):
    receipt = desk.post("/receipts", "diarist.jhs", data={"receipt": '{"delivery_mode": "post", "sender": {"name": "A"}, "subject": "s"}'},
                        files=[("scans", ("आवेदन पत्र.pdf", pdf, "application/pdf"))]).json()["receipt"]
    response = desk.get(receipt["scans"][0]["url"], "diarist.jhs")
    assert response.status_code == 200 and response.content == pdf
    assert "filename*=UTF-8''%E0%A4%86" in response.headers["Content-Disposition"]
