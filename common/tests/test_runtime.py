"""A service stops promptly, even while the broker is away."""
import glob
import os
from urllib.parse import urlparse

import eventlet
from nameko.events import event_handler
from nameko.rpc import rpc

from eoffice_common.config import load_config
from eoffice_common.runtime import PromptStopContainer
from eoffice_common.testing import wait_until


def test_every_service_runs_in_the_prompt_stop_container():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    configs = sorted(glob.glob(os.path.join(root, "services", "*", "config.yml")))
    assert len(configs) == 6
    for path in configs:
        assert load_config(path)["SERVICE_CONTAINER_CLS"] == "eoffice_common.runtime.PromptStopContainer", path


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
    container = PromptStopContainer(Listener, {**rabbit_config, "AMQP_URI": proxied})
    container.start()
    proxy.refuse()
    eventlet.sleep(1)  # the consumer has lost its connection and waits to try again
    stopping = eventlet.spawn(container.stop)
    assert wait_until(lambda: stopping.dead, timeout=5), "the service did not stop within 5 s"
    stopping.wait()
