"""The outbox: state and events commit together; the relay publishes in order with confirms;
with the broker refusing connections, events wait, writes go on, and nothing is lost."""
import json
import time
import uuid
from urllib.parse import urlparse

import eventlet
from kombu import Connection, Exchange, Queue
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, func, select

from eoffice_common.consumer import declare_queues
from eoffice_common.tables import outbox


def count(url, query):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(query).scalar()
    engine.dispose()
    return value


def wait_until(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        eventlet.sleep(0.05)
    return True


def unpublished(url):
    return count(url, select(func.count()).select_from(outbox))


def test_events_recorded_by_a_tracked_aggregate_commit_with_its_state_or_not_at_all(container_factory, writer_service, writer_config, event_tap, test_tables):
    tap = event_tap("writer")
    container = container_factory(writer_service, writer_config)
    container.start()
    with entrypoint_hook(container, "write_note") as write_note:
        write_note("abandoned", "लौटाई गई", commit=False)
        write_note("kept", "रखी गई")
    event = tap.wait_for("note_written")
    assert (event["data"]["note_id"], event["data"]["text"]) == ("kept", "रखी गई")
    assert count(writer_config["DB_URL"], select(func.count()).select_from(test_tables["notes"])) == 1
    assert wait_until(lambda: unpublished(writer_config["DB_URL"]) == 0, timeout=10)
    assert [e["data"]["note_id"] for e in tap.events("note_written")] == ["kept"]


def test_events_are_published_in_commit_order(container_factory, writer_service, writer_config, event_tap):
    tap = event_tap("writer")
    container = container_factory(writer_service, writer_config)
    container.start()
    ids = [f"note-{i:03d}" for i in range(60)]
    with entrypoint_hook(container, "write") as write:
        for note_id in ids:
            write(note_id, f"टिप्पणी {note_id}")
    received = [e["data"]["note_id"] for e in tap.wait_for_count("note_written", len(ids))]
    assert received == ids
    assert wait_until(lambda: unpublished(writer_config["DB_URL"]) == 0, timeout=10)


def test_nothing_is_written_unless_the_unit_of_work_commits(container_factory, writer_service, writer_config, event_tap, test_tables):
    tap = event_tap("writer")
    container = container_factory(writer_service, writer_config)
    container.start()
    with entrypoint_hook(container, "write") as write:
        write("never", "rolled back", commit=False)
        write("kept", "committed")
    assert tap.wait_for("note_written")["data"]["note_id"] == "kept"
    assert count(writer_config["DB_URL"], select(func.count()).select_from(test_tables["notes"])) == 1
    assert wait_until(lambda: unpublished(writer_config["DB_URL"]) == 0, timeout=10)
    assert [e["data"]["note_id"] for e in tap.events("note_written")] == ["kept"]


def test_events_wait_while_the_broker_refuses_and_leave_after(container_factory, writer_service, writer_config, event_tap, tcp_proxy):
    amqp = urlparse(writer_config["AMQP_URI"])
    proxy = tcp_proxy(amqp.hostname, amqp.port or 5672)
    relay_uri = amqp._replace(netloc=f"{amqp.username}:{amqp.password}@127.0.0.1:{proxy.port}").geturl()
    tap = event_tap("writer")
    container = container_factory(writer_service, {**writer_config, "OUTBOX_AMQP_URI": relay_uri})
    container.start()

    with entrypoint_hook(container, "write") as write:
        write("before", "published normally")
    assert tap.wait_for("note_written", timeout=30)["data"]["note_id"] == "before"

    proxy.refuse()
    ids = [str(uuid.uuid4()) for _ in range(5)]
    with entrypoint_hook(container, "write") as write:
        for note_id in ids:
            write(note_id, "written while the broker is away")
    eventlet.sleep(1.5)
    assert unpublished(writer_config["DB_URL"]) == 5
    assert len(tap.events("note_written")) == 1

    proxy.accept()
    arrived = [e["data"]["note_id"] for e in tap.wait_for_count("note_written", 6, timeout=20)]
    assert arrived == ["before"] + ids
    # Rows leave the outbox once the broker's confirms are in: a consumer may see an event a moment before.
    assert wait_until(lambda: unpublished(writer_config["DB_URL"]) == 0, timeout=10)


def test_an_event_leaves_as_it_was_stored_with_the_headers_nameko_reads(container_factory, writer_service, writer_config, tcp_proxy):
    amqp_uri = urlparse(writer_config["AMQP_URI"])
    proxy = tcp_proxy(amqp_uri.hostname, amqp_uri.port or 5672)
    proxy.refuse()  # the event is held in the outbox until it has been read there
    relay_uri = amqp_uri._replace(netloc=f"{amqp_uri.username}:{amqp_uri.password}@127.0.0.1:{proxy.port}").geturl()
    exchange = Exchange("writer.events", type="topic", durable=True, auto_delete=False)
    queue = Queue(f"raw-{uuid.uuid4().hex[:8]}", exchange, routing_key="note_written", auto_delete=True)
    received = []
    with Connection(writer_config["AMQP_URI"]) as connection:
        with connection.Consumer(queue, callbacks=[lambda body, message: received.append(message)], accept=["json"]):
            container = container_factory(writer_service, {**writer_config, "OUTBOX_AMQP_URI": relay_uri})
            container.start()
            with entrypoint_hook(container, "write", context_data={"correlation_id": "corr-42"}) as write:
                write("n-hi", "पेंशन स्वीकृति हेतु प्रस्तुत")
            engine = create_engine(writer_config["DB_URL"])
            with engine.connect() as conn:
                stored = conn.execute(select(outbox.c.event_id, outbox.c.envelope)).one()
            engine.dispose()
            proxy.accept()
            while not received:
                connection.drain_events(timeout=10)
    message = received[0]
    assert message.body == stored.envelope  # kombu gives the UTF-8 body back as text
    assert message.properties["message_id"] == stored.event_id
    assert message.headers["nameko.correlation_id"] == "corr-42"
    assert message.properties["delivery_mode"] == 2


def returned_count(service):
    return REGISTRY.get_sample_value("eoffice_outbox_returned_total", {"service": service}) or 0


def test_an_event_no_queue_is_bound_to_stays_in_the_outbox_until_its_queue_is_declared(
    container_factory, writer_service, writer_config, reader_service
):
    returned_before = returned_count("writer")
    container = container_factory(writer_service, writer_config)
    container.start()
    with entrypoint_hook(container, "write") as write:
        write("n-early", "published before any consumer's queue exists")
    assert wait_until(lambda: returned_count("writer") > returned_before, timeout=10)
    eventlet.sleep(1.5)
    assert unpublished(writer_config["DB_URL"]) == 1

    # What `<service> migrate` does at deploy time, from the declarations the service consumes with.
    assert declare_queues(reader_service, writer_config) == ["evt--reader.on_note_written", "evt--reader.on_note_written.retry"]
    assert wait_until(lambda: unpublished(writer_config["DB_URL"]) == 0, timeout=10)
    with Connection(writer_config["AMQP_URI"]) as connection:
        delivered = connection.default_channel.basic_get("evt--reader.on_note_written", no_ack=True)
    assert json.loads(delivered.body)["data"]["note_id"] == "n-early"
