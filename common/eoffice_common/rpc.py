"""nameko's RPC entrypoint and proxy, with a queue consumer that is back within a second of the
broker's return (kombu's own intervals grow to 30 s) and tells readiness whether it is consuming
(QuickReconnect) and stops at once while the broker is away, and the service's RPC queue declared as
AMQP_QUEUE_TYPE says."""
from kombu import Queue
from nameko import messaging
from nameko import rpc as nameko_rpc
from nameko.extensions import ProviderCollector

from .consumer import QuickReconnect, queue_arguments
from .logging import get_logger

log = get_logger(__name__)


class QueueConsumer(QuickReconnect, messaging.QueueConsumer):
    """While the broker is away (not consuming), the consuming thread waits to reconnect and looks at
    nothing else, and nothing is in hand to cancel or acknowledge: stopping and killing end it rather
    than wait for the broker, as nameko's would."""

    name = "rpc"

    def unregister_provider(self, provider):
        if self.consuming:
            super().unregister_provider(provider)
        else:
            self._consumers.pop(provider, None)
            ProviderCollector.unregister_provider(self, provider)

    def stop(self):
        if self.consuming or self._gt is None:
            super().stop()
            return
        self._gt.kill()
        self.wait_for_providers()

    def kill(self):
        if not self.consuming and self._gt is not None:
            self._gt.kill()
        super().kill()

    def ack_message(self, message):
        """nameko's, which already ignores amqp's ConnectionError here, except that the socket's own
        errors are ignored too: a ConnectionResetError, raised as the broker went away while a reply
        was acknowledged, killed the whole service (`make chaos`, 7 December). The broker takes back
        an unacknowledged message with its connection."""
        try:
            super().ack_message(message)
        except OSError as exc:
            log.warning("ack_lost", error=f"{type(exc).__name__}: {exc}")


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = QueueConsumer()

    def handle_result(self, message, result, exc_info):
        """nameko's, except that a reply the broker cannot take (it went away while the worker ran) is
        logged and dropped rather than raised, which would kill the whole service: the caller times
        out, and the unacknowledged request goes back to the queue with the lost connection."""
        try:
            return super().handle_result(message, result, exc_info)
        except Exception as exc:
            log.warning("rpc_reply_lost", error=f"{type(exc).__name__}: {exc}")
            return result, exc_info

    def setup(self):
        if self.queue is None:
            super().setup()
            queue = self.queue
            self.queue = Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key, durable=True,
                               queue_arguments=queue_arguments(self.container.config))


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


class ReplyListener(nameko_rpc.ReplyListener):
    queue_consumer = QueueConsumer()


class RpcProxy(nameko_rpc.RpcProxy):
    rpc_reply_listener = ReplyListener()


rpc = Rpc.decorator
