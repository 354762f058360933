"""nameko's RPC entrypoint and proxy, with a queue consumer that is back within a second of the
broker's return (kombu's own intervals grow to 30 s) and tells readiness whether it is consuming
(QuickReconnect), and the service's RPC queue declared as AMQP_QUEUE_TYPE says."""
from kombu import Queue
from nameko import messaging
from nameko import rpc as nameko_rpc

from .consumer import QuickReconnect, queue_arguments


class QueueConsumer(QuickReconnect, messaging.QueueConsumer):
    name = "rpc"

    def kill(self):
        if not self.consuming and self._gt is not None:
            self._gt.kill()  # waiting for the broker, where kombu never looks at should_stop: nothing is in hand
        super().kill()


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = QueueConsumer()

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
