"""WorkerContainer runs a worker as nameko's own container does: the same hooks in the same order, the
same result handed on, the same errors logged (an expected one without its traceback) and passed on."""
import glob
import logging
import os
from urllib.parse import urlparse

import eventlet
import pytest
from eventlet.event import Event
from nameko.containers import ServiceContainer
from nameko.events import event_handler
from nameko.extensions import DependencyProvider, Entrypoint
from nameko.rpc import rpc

from eoffice_common.config import load_config
from eoffice_common.runtime import WorkerContainer
from eoffice_common.testing import wait_until


class Refused(Exception):
    pass


class Call(Entrypoint):
    def __init__(self, expected_exceptions=()):
        super().__init__(expected_exceptions=expected_exceptions)


call = Call.decorator


class Recorder(DependencyProvider):
    def setup(self):
        self.seen = []

    def get_dependency(self, worker_ctx):
        self.seen.append(("inject", worker_ctx.entrypoint.method_name))
        return self.seen

    def worker_setup(self, worker_ctx):
        self.seen.append(("setup", worker_ctx.data.get("who")))

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        self.seen.append(("result", result, exc_info[0].__name__ if exc_info else None))

    def worker_teardown(self, worker_ctx):
        self.seen.append(("teardown",))


class Service:
    name = "runtime_test"
    seen = Recorder()

    @call
    def double(self, value):
        self.seen.append(("called", value))
        return value * 2

    @call(expected_exceptions=Refused)
    def refuse(self):
        raise Refused("no")

    @call
    def fail(self):
        raise RuntimeError("broken")


def run(container_cls, method_name, *args, handled=None):
    """Run one worker of `method_name`; what Recorder saw, and what the entrypoint's handle_result got."""
    container = container_cls(Service, {"AMQP_URI": "memory://"})
    container.start()
    try:
        entrypoint = next(e for e in container.entrypoints if e.method_name == method_name)
        recorder = next(iter(container.dependencies))
        done = Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send((result, exc_info[0].__name__ if exc_info else None))
            return (handled, None) if handled is not None else (result, exc_info)

        container.spawn_worker(entrypoint, args, {}, context_data={"who": "so.jhs"}, handle_result=handle_result)
        outcome = done.wait()
    finally:
        container.stop()  # waits for the worker's teardown
    return recorder.seen, outcome


@pytest.mark.parametrize("method_name, args, handled", [
    ("double", (21,), None),
    ("double", (21,), "replaced by the entrypoint"),
    ("refuse", (), None),
    ("fail", (), None),
])
def test_worker_container_runs_a_worker_as_nameko_does(method_name, args, handled):
    assert run(WorkerContainer, method_name, *args, handled=handled) == run(ServiceContainer, method_name, *args, handled=handled)


def test_worker_container_runs_the_hooks_in_order_and_hands_the_result_on():
    seen, outcome = run(WorkerContainer, "double", 21)
    assert outcome == (42, None)
    assert seen == [("inject", "double"), ("setup", "so.jhs"), ("called", 21), ("result", 42, None), ("teardown",)]


def test_worker_container_logs_unexpected_errors_with_their_traceback_and_expected_ones_in_a_line(caplog):
    with caplog.at_level(logging.WARNING, logger="nameko.containers"):
        assert run(WorkerContainer, "fail")[0][-2] == ("result", None, "RuntimeError")
        assert run(WorkerContainer, "refuse")[0][-2] == ("result", None, "Refused")
    logged = [(record.levelname, record.getMessage().split(" handling")[0], record.exc_info is not None) for record in caplog.records]
    assert logged == [("ERROR", "error", True), ("WARNING", "(expected) error", False)]  # a refusal has no traceback


def test_every_service_runs_in_the_worker_container():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    configs = sorted(glob.glob(os.path.join(root, "services", "*", "config.yml")))
    assert len(configs) == 6
    for path in configs:
        assert load_config(path)["SERVICE_CONTAINER_CLS"] == "eoffice_common.runtime.WorkerContainer", path


class Listener:
    name = "runtime_listener"

    @rpc
    def ping(self):
        return "pong"

    @event_handler("elsewhere", "something_happened")
    def on_something(self, payload):
        pass


def test_a_service_stops_at_once_while_the_broker_is_away(rabbit_config, tcp_proxy):
    """nameko's stop waits for the consuming thread, which, reconnecting, waits for the broker."""
    amqp = urlparse(rabbit_config["AMQP_URI"])
    proxy = tcp_proxy(amqp.hostname, amqp.port or 5672)
    proxied = amqp._replace(netloc=f"{amqp.username}:{amqp.password}@127.0.0.1:{proxy.port}").geturl()
    container = WorkerContainer(Listener, {**rabbit_config, "AMQP_URI": proxied})
    container.start()
    proxy.refuse()
    eventlet.sleep(1)  # the consumer has lost its connection and waits to try again
    stopping = eventlet.spawn(container.stop)
    assert wait_until(lambda: stopping.dead, timeout=5), "the service did not stop within 5 s"
    stopping.wait()
