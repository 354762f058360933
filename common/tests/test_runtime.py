"""A service stops promptly, even while the broker is away."""
from urllib.parse import urlparse

import eventlet
from nameko.containers import ServiceContainer

from eoffice_common.rpc import rpc
from eoffice_common.testing import wait_until


class Listener:
    name = "runtime_listener"

    @rpc
    def ping(self):
        return "pong"


def test_a_service_stops_at_once_while_the_broker_is_away(rabbit_config, tcp_proxy):
    """nameko's stop waits for the consuming thread, which, reconnecting, waits for the broker."""
    amqp = urlparse(rabbit_config["AMQP_URI"])
    proxy = tcp_proxy(amqp.hostname, amqp.port or 5672)
    proxied = amqp._replace(netloc=f"{amqp.username}:{amqp.password}@127.0.0.1:{proxy.port}").geturl()
    container = ServiceContainer(Listener, {**rabbit_config, "AMQP_URI": proxied})
    container.start()
    proxy.refuse()
    eventlet.sleep(1)  # the consumer has lost its connection and waits to try again
    stopping = eventlet.spawn(container.stop)
    assert wait_until(lambda: stopping.dead, timeout=5), "the service did not stop within 5 s"
    stopping.wait()
