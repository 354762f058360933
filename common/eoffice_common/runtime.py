"""Process-wide tuning every service gets at start."""
import gc
from contextlib import contextmanager

from nameko.containers import ServiceContainer
from nameko.extensions import ProviderCollector, SharedExtension
from nameko.messaging import QueueConsumer, QueueConsumerStopped

_frozen = False


class StartupObjectsFrozen(SharedExtension):
    """Moves every object alive once the service has started (modules, classes, configuration,
    engines, schemas: several hundred thousand) out of the garbage collector's sight.

    Python's oldest-generation collection walks every tracked object; in a service process it took
    85 to 100 ms every 10 to 30 s under load, a pause of every request in the process and, for
    dak, of every diarisation of an office waiting on the serial lock a paused request holds. Once
    frozen, a collection walks only what was made since. Done once per process (a test process
    starts many containers), after a collection so that no garbage is frozen with them."""

    def start(self):
        global _frozen
        if not _frozen:
            _frozen = True
            gc.collect()
            gc.freeze()


class _StopReconnecting(Exception):
    pass


class PromptQueueConsumer(QueueConsumer):
    """nameko's queue consumer (RPC and event entrypoints), except that it stops within a second while
    the broker is away. nameko's stop waits for the consuming thread to cancel each consumer, and that
    thread, reconnecting, sleeps up to 30 s between attempts and looks at nothing else until the broker
    answers: a service asked to stop then hung until killed. With no connection nothing is being
    consumed, so there is nothing to cancel or acknowledge."""

    _broker_away = False
    _stop_reconnecting = False

    def on_connection_error(self, exc, interval):
        self._broker_away = True
        super().on_connection_error(exc, interval)

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self._broker_away = False
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def unregister_provider(self, provider):
        if self._broker_away:
            self._stop_reconnecting = True
            self._consumers.pop(provider, None)
            ProviderCollector.unregister_provider(self, provider)
        else:
            super().unregister_provider(provider)

    def stop(self):
        if self._broker_away and self._gt is not None:
            self._stop_reconnecting = True
            self._gt.wait()  # within a second: see establish_connection
        super().stop()

    @contextmanager
    def establish_connection(self):
        # kombu's ConsumerMixin.establish_connection, with a callback kombu calls every second while
        # it waits to reconnect.
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries, callback=self._check_stop)
            yield connection

    def _check_stop(self):
        if self._stop_reconnecting:
            self.should_stop = True
            raise _StopReconnecting()

    def run(self):
        try:
            super().run()
        except _StopReconnecting:
            if not self._consumers_ready.ready():  # stopped while starting: as nameko's stop would say
                self._consumers_ready.send_exception(QueueConsumerStopped())


class PromptStopContainer(ServiceContainer):
    """nameko's container, with a PromptQueueConsumer under its RPC entrypoints: each of nameko's
    entrypoints declares a QueueConsumer itself, so the one instance they share is given the subclass
    here. Every config.yml names it as SERVICE_CONTAINER_CLS."""

    def __init__(self, service_cls, config):
        super().__init__(service_cls, config)
        queue_consumer = self.shared_extensions.get(QueueConsumer)
        if queue_consumer is not None:
            queue_consumer.__class__ = PromptQueueConsumer
