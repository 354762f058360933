"""Every service exposes /metrics that promtool accepts; logs are JSON with service and correlation id."""
import json

import requests
import structlog
from nameko.testing.services import entrypoint_hook

from eoffice_common.logging import configure_logging
from eoffice_common.testing import free_port, promtool_check


def test_metrics_exposition_passes_promtool(container_factory, writer_service, writer_config):
    port = free_port()
    container = container_factory(writer_service, {**writer_config, "METRICS_PORT": port})
    container.start()
    with entrypoint_hook(container, "write") as write:
        write("m-1", "counted")
    body = requests.get(f"http://127.0.0.1:{port}/metrics").text
    ok, output = promtool_check(body)
    assert ok, output
    assert 'eoffice_entrypoint_calls_total{entrypoint="write",outcome="ok",service="writer"}' in body
    assert 'eoffice_outbox_backlog_events{service="writer"}' in body
    assert "eoffice_entrypoint_duration_seconds_bucket" in body


def test_promtool_rejects_a_bad_exposition():
    ok, _ = promtool_check("# TYPE broken counter\nbroken 1\n")
    assert not ok


def test_logs_are_json_lines_with_service_and_correlation_id(capfd):
    configure_logging("logtest")
    structlog.contextvars.bind_contextvars(correlation_id="abc-123")
    structlog.get_logger("x").info("receipt_diarised", subject="भूमि")
    structlog.contextvars.clear_contextvars()
    line = capfd.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["service"] == "logtest"
    assert record["correlation_id"] == "abc-123"
    assert record["subject"] == "भूमि"
    assert record["event"] == "receipt_diarised"


def test_os_threads_and_green_threads_log_at_once_without_hanging(capfd):
    """PDF rendering logs from eventlet's tpool while requests log in green threads (issue 16)."""
    import logging

    import eventlet
    from eventlet import tpool

    configure_logging("threadtest")  # a handler of its own, on this test's captured stderr
    logger = logging.getLogger("a_library_in_a_thread")

    def log_lines(count):
        for n in range(count):
            logger.info("glyf pruned %d", n)
        return count

    with eventlet.Timeout(60):
        threads = [eventlet.spawn(tpool.execute, log_lines, 300) for _ in range(4)]
        greens = [eventlet.spawn(log_lines, 300) for _ in range(4)]
        assert [t.wait() for t in threads + greens] == [300] * 8
    assert capfd.readouterr().err.count("glyf pruned") == 2400
