"""The event pipeline under faults: a failing event is retried with growing delays and its attempts
counted, then dead-lettered; a database outage is waited out without a tight loop; a consumer is
back within two seconds of the broker's return, every time; readiness says when it cannot consume;
quorum queues work on a single node; a reply lost with the broker kills nothing."""
import json
import time
from urllib.parse import urlparse

import eventlet
import requests
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from eoffice_common.consumer import ATTEMPTS_HEADER, MAX_ATTEMPTS, RETRY_DELAYS_SECONDS
from eoffice_common.outbox import ConfirmingPublisher
from eoffice_common.rpc import rpc
from eoffice_common.tables import dead_letters
from eoffice_common.testing import free_port, wait_until
from eoffice_common.web import DescribedService

from .conftest import ReaderService
from .test_consumer import envelope, rows


def through(proxy, url):
    """`url` with its host and port replaced by the proxy's."""
    parts = urlparse(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return parts._replace(netloc=f"{credentials}127.0.0.1:{proxy.port}").geturl()


def publish(config, *events):
    publisher = ConfirmingPublisher(config["AMQP_URI"], "writer")
    try:
        assert publisher.publish(list(events)) == len(events)
    finally:
        publisher.close()


def tallied(config, test_tables):
    return dict(rows(config["DB_URL"], select(test_tables["tally"].c.note_id, test_tables["tally"].c.times)))


def test_a_failing_event_is_retried_with_growing_delays_then_dead_lettered_with_its_reason(
    container_factory, reader_service, reader_config, test_tables
):
    container_factory(reader_service, reader_config).start()
    publish(reader_config, envelope("unlucky-1"), envelope("lucky-1"))

    assert wait_until(lambda: rows(reader_config["DB_URL"], select(dead_letters)), timeout=sum(RETRY_DELAYS_SECONDS) + 10)
    [letter] = rows(reader_config["DB_URL"], select(dead_letters))
    assert letter.consumer == "reader.on_note_written"
    assert letter.reason == "RuntimeError: note unlucky-1 is refused by the test"
    deliveries = ReaderService.deliveries["unlucky-1"]
    assert len(deliveries) == MAX_ATTEMPTS
    waits = [later - earlier for earlier, later in zip(deliveries, deliveries[1:], strict=False)]
    for waited, delay in zip(waits, RETRY_DELAYS_SECONDS, strict=False):
        assert delay - 0.1 <= waited <= delay + 1.5, waits
    # The event beside it in the queue was applied at once, and once.
    assert tallied(reader_config, test_tables) == {"lucky-1": 1}
    assert len(ReaderService.deliveries["lucky-1"]) == 1


def test_a_database_outage_is_waited_out_without_a_tight_loop(
    container_factory, reader_service, reader_config, test_tables, tcp_proxy
):
    database = urlparse(reader_config["DB_URL"])
    proxy = tcp_proxy(database.hostname, database.port or 5432)
    config = {**reader_config, "DB_URL": through(proxy, reader_config["DB_URL"])}
    container_factory(reader_service, config).start()
    proxy.refuse()
    publish(reader_config, envelope("n-outage"))

    eventlet.sleep(8)
    # Delivered at 0, 1, 3 and 7 s (delays 1, 2, 4): a message went round 762 times in 30 s before.
    assert 3 <= len(ReaderService.deliveries["n-outage"]) <= 4
    proxy.accept()
    assert wait_until(lambda: tallied(reader_config, test_tables) == {"n-outage": 1}, timeout=RETRY_DELAYS_SECONDS[3] + 5)
    assert not rows(reader_config["DB_URL"], select(dead_letters))  # an outage is not the event's fault


def test_attempts_travel_in_a_header_through_the_retry_queue(container_factory, reader_service, reader_config):
    container = container_factory(reader_service, reader_config)
    container.start()
    publish(reader_config, envelope("unlucky-2"))
    assert wait_until(lambda: len(ReaderService.deliveries["unlucky-2"]) == 1)
    container.stop()  # the retried copy waits in the retry queue, and no one takes it from there
    with Connection(reader_config["AMQP_URI"]) as connection:
        waiting = connection.default_channel.basic_get("evt--reader.on_note_written.retry", no_ack=True)
    assert waiting.headers[ATTEMPTS_HEADER] == 1
    assert waiting.properties["expiration"] == str(RETRY_DELAYS_SECONDS[0] * 1000)
    assert json.loads(waiting.body) == envelope("unlucky-2", event_id=waiting.properties["message_id"])


def test_quorum_queues_on_a_single_node_declare_consume_and_redeliver(
    container_factory, reader_service, reader_config, test_tables, rabbit_manager
):
    container_factory(reader_service, {**reader_config, "AMQP_QUEUE_TYPE": "quorum"}).start()
    vhost = reader_config["vhost"]
    for name in ("evt--reader.on_note_written", "evt--reader.on_note_written.retry"):
        assert rabbit_manager.get_queue(vhost, name)["type"] == "quorum"
    publish(reader_config, envelope("unlucky-q"), envelope("lucky-q"))
    assert wait_until(lambda: tallied(reader_config, test_tables) == {"lucky-q": 1})
    # Redelivered through the quorum retry queue (dead-lettered back at least once).
    assert wait_until(lambda: len(ReaderService.deliveries["unlucky-q"]) >= 2, timeout=RETRY_DELAYS_SECONDS[0] + 5)


def readiness(url):
    try:
        response = requests.get(url, timeout=2)
    except OSError:  # the test's TCP proxy, cutting its connections, may close a descriptor this request reuses
        return None
    return response.status_code, response.json()


class ReadyReader(DescribedService, ReaderService):
    """The reader with the health routes every service has."""

    name = "reader"


def test_a_consumer_is_back_within_two_seconds_of_the_broker_each_time_and_ready_says_when_it_is_not(
    container_factory, reader_config, test_tables, tcp_proxy
):
    broker = urlparse(reader_config["AMQP_URI"])
    proxy = tcp_proxy(broker.hostname, broker.port or 5672)
    address = f"127.0.0.1:{free_port()}"
    config = {**reader_config, "AMQP_URI": through(proxy, reader_config["AMQP_URI"]), "WEB_SERVER_ADDRESS": address}
    ReaderService.deliveries.clear()
    container_factory(ReadyReader, config).start()
    ready = f"http://{address}/health/ready"
    assert wait_until(lambda: readiness(ready) == (200, {"database": "ok", "broker": "ok"}))

    # Twice: the second outage must not start from where the first one's back-off ended.
    for outage in (1, 2):
        proxy.refuse()
        assert wait_until(lambda: readiness(ready) == (503, {"database": "ok", "broker": "unavailable"}), timeout=3)
        eventlet.sleep(7)  # kombu's own intervals (2, 4, 6 s ...) would reconnect 5 s after the broker's return
        proxy.accept()
        returned_at = time.monotonic()
        publish(reader_config, envelope(f"after-{outage}"))
        assert wait_until(lambda: f"after-{outage}" in tallied(reader_config, test_tables), timeout=5)
        assert time.monotonic() - returned_at < 2.5
        assert wait_until(lambda: readiness(ready) == (200, {"database": "ok", "broker": "ok"}), timeout=2)


def test_rpc_is_served_again_within_two_seconds_of_the_brokers_return(tcp_proxy, container_factory, writer_service, writer_config):
    broker = urlparse(writer_config["AMQP_URI"])
    proxy = tcp_proxy(broker.hostname, broker.port or 5672)
    container = container_factory(writer_service, {**writer_config, "AMQP_URI": through(proxy, writer_config["AMQP_URI"])})
    container.start()
    with ClusterRpcProxy({"AMQP_URI": writer_config["AMQP_URI"]}, timeout=5) as cluster:
        cluster.writer.write("n-rpc-0", "before")
        eventlet.sleep(0.5)  # the worker done with its request too (nameko kills a service whose reply cannot leave)
        proxy.refuse()
        eventlet.sleep(7)
        proxy.accept()
        returned_at = time.monotonic()
        cluster.writer.write("n-rpc-1", "after")  # waits in the service's queue until it consumes again
        assert time.monotonic() - returned_at < 2.5


class SlowService:
    name = "slow"

    @rpc
    def answer_after(self, seconds):
        eventlet.sleep(seconds)
        return "answered"


def test_a_reply_lost_with_the_broker_leaves_the_service_running(tcp_proxy, container_factory, base_config):
    broker = urlparse(base_config["AMQP_URI"])
    proxy = tcp_proxy(broker.hostname, broker.port or 5672)
    container = container_factory(SlowService, {**base_config, "AMQP_URI": through(proxy, base_config["AMQP_URI"])})
    container.start()
    with ClusterRpcProxy({"AMQP_URI": base_config["AMQP_URI"]}, timeout=40) as cluster:
        pending = cluster.slow.answer_after.call_async(1)
        eventlet.sleep(0.5)
        proxy.refuse()  # the broker goes while the worker runs: its reply cannot leave
        eventlet.sleep(15)  # longer than nameko's retries of a reply (2 + 4 + 6 s)
        assert not container._died.ready(), "the service was killed by its lost reply"
        proxy.accept()
        assert pending.result() == "answered"  # the request, never acknowledged, was served again
        assert cluster.slow.answer_after(0) == "answered"
