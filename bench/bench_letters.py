"""Letters travel: a 1,000-letter dispatch inside the deployment, time until every receipt exists.

files' draft_issued events (as files' relay publishes them, each carrying a signed PDF in S3) are
published at once; dak (`nameko run`, its own process, PostgreSQL, RabbitMQ, local S3) makes a
receipt per addressee office, with the PDF as its scan, and announces letter_received. Measured:
seconds from the first publish until the last receipt is committed, receipts per second, dak's CPU
seconds per receipt and the machine's load. Two shapes: 1,000 letters to one office each (spread
over 15 offices), and 100 circulars to 10 offices each.

Same-run baselines: a bare SQL INSERT transaction per receipt, one after another (what a durable
write per receipt pays at least), and a kombu publish+consume round trip per event.
"""
import eventlet

eventlet.monkey_patch()  # first, as bench/common does: before boto3 or requests are imported

import os  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

from bench_dak import bare_insert, kombu_round_trip  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from common import S3Server, cli, cpu_busy, cpu_seconds, drop_vhost, free_port, fresh_vhost, start_service  # noqa: E402
from eoffice_common.auth import new_key_pair  # noqa: E402
from eoffice_common.outbox import ConfirmingPublisher  # noqa: E402
from eoffice_common.storage import open_documents  # noqa: E402
from eoffice_common.testing import create_database  # noqa: E402

LETTERS = int(os.environ.get("BENCH_LETTERS_TOTAL", "1000"))
OFFICES = ["TRY-JHS", "CMO-JHS", "BSA-JHS", "DRDA-JHS", "COLL-JLN", "TRY-JLN", "CMO-JLN", "COLL-LLP", "TRY-LLP",
           "CMO-LLP", "COLL-LKO", "TRY-LKO", "CMO-LKO", "BSA-LKO", "DRDA-LKO"]
VHOST = "eoffice_bench_letters"
PDF = b"%PDF-1.7\n" + b"0" * 60_000 + b"\n%%EOF\n"  # about the size of a signed one-page letter


def draft_issued(pdf, offices):
    file_id, issued_at = str(uuid.uuid4()), datetime.now(timezone.utc).isoformat()
    return {
        "id": str(uuid.uuid4()), "type": "draft_issued", "schema_version": 1, "occurred_at": issued_at, "actor": "dm.jhs",
        "office": "COLL-JHS", "district": "JHS", "correlation_id": None, "aggregate_type": "file", "aggregate_id": file_id,
        "data": {
            "file_id": file_id, "file_number": "N-11016/6/2026-COLL-JHS", "draft_id": str(uuid.uuid4()), "version": 1,
            "issue_number": f"I-{uuid.uuid4().hex[:8]}/2026/COLL-JHS", "dispatch_mode": "intra", "issued_by": "dm.jhs",
            "recipients": [], "subject": "तहसील दिवस के आयोजन हेतु निर्देश", "classification": "normal", "issued_at": issued_at,
            "pdf_key": pdf.key, "pdf_sha256": pdf.sha256, "office": "COLL-JHS", "district": "JHS",
            "addressees": [{"dispatch_id": str(uuid.uuid4()), "position": i + 1, "mode": "intra", "copy": False, "name": office,
                            "user": None, "office": office} for i, office in enumerate(offices)],
        },
    }


def dispatch(amqp_uri, sql, dak_pid, pdf, letters):
    """Publish the letters; wait for every receipt. Returns the figures."""
    expected = sum(len(e["data"]["addressees"]) for e in letters)
    with sql.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM receipts")).scalar()
    busy_before, cpu_before, dak_before = cpu_busy(), time.process_time(), cpu_seconds(dak_pid)
    publisher = ConfirmingPublisher(amqp_uri, "files")
    started = time.perf_counter()
    assert publisher.publish(letters) == len(letters)
    published = time.perf_counter() - started
    publisher.close()
    with sql.connect() as conn:
        while conn.execute(text("SELECT count(*) FROM receipts")).scalar() - before < expected:
            time.sleep(0.05)
            assert time.perf_counter() - started < 600, "the receipts did not all arrive in 10 minutes"
    elapsed = time.perf_counter() - started
    busy_after = cpu_busy()
    machine_busy = (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1)
    return {"letters": len(letters), "receipts": expected, "seconds": elapsed, "published_in": published,
            "per_second": expected / elapsed, "dak_cpu_ms": (cpu_seconds(dak_pid) - dak_before) / expected * 1000,
            "client_cpu_s": time.process_time() - cpu_before, "machine_busy": machine_busy, "load": os.getloadavg()[0]}


def main():
    print(f"letters: dak (1 process), PostgreSQL, RabbitMQ, local S3; load average {os.getloadavg()[0]:.2f} at start")
    db_url = create_database("eoffice_bench_letters")
    amqp_uri = fresh_vhost(VHOST)
    s3 = S3Server()
    http_port = free_port()
    env = {
        "DAK_DB_URL": db_url, "S3_ENDPOINT_URL": s3.url, "DAK_HTTP_ADDRESS": f"127.0.0.1:{http_port}", "AMQP_URI": amqp_uri,
        "DAK_METRICS_PORT": str(free_port()), **dict(zip(("JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"), new_key_pair(), strict=True)),
    }
    cli("dak", "migrate", env=env)
    cli("dak", "import-directory", env=env)
    pdf = open_documents({"S3_ENDPOINT_URL": s3.url, "S3_BUCKET": "eoffice-documents", "S3_ACCESS_KEY": "dev", "S3_SECRET_KEY": "dev"},
                         "signing/pdfs/", ("application/pdf",)).put(PDF, "letter.pdf")
    dak = start_service("dak", env, http_port)
    sql = create_engine(db_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        dispatch(amqp_uri, sql, dak.pid, pdf, [draft_issued(pdf, [OFFICES[i % len(OFFICES)]]) for i in range(50)])  # warm-up
        sql_baseline = bare_insert(db_url, LETTERS, 1)
        kombu_baseline = kombu_round_trip(amqp_uri, LETTERS)
        one_each = dispatch(amqp_uri, sql, dak.pid, pdf, [draft_issued(pdf, [OFFICES[i % len(OFFICES)]]) for i in range(LETTERS)])
        circulars = dispatch(amqp_uri, sql, dak.pid, pdf, [draft_issued(pdf, OFFICES[i % 5:i % 5 + 10]) for i in range(LETTERS // 10)])
        print("baselines (same run):")
        print(f"  bare SQL INSERT transaction, one at a time     {sql_baseline['per_second']:>9.0f}/s")
        print(f"  kombu publish+consume round trip               {kombu_baseline['per_second']:>9.0f}/s")
        for label, figures in (("1,000 letters, one office each", one_each), ("100 circulars to 10 offices each", circulars)):
            print(f"{label}: {figures['receipts']} receipts in {figures['seconds']:.1f} s ({figures['per_second']:.0f}/s, "
                  f"{figures['per_second'] / sql_baseline['per_second']:.2f}x the bare-INSERT rate), published in "
                  f"{figures['published_in']:.2f} s; dak {figures['dak_cpu_ms']:.1f} ms CPU per receipt; machine "
                  f"{figures['machine_busy'] * 100:.0f}% busy, load average {figures['load']:.2f}", flush=True)
    finally:
        dak.terminate()
        dak.wait(30)
        s3.stop()
        drop_vhost(VHOST)


if __name__ == "__main__":
    main()
