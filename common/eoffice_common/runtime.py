"""Process-wide tuning every service gets at start."""
import gc
import sys
from contextlib import contextmanager

from nameko.containers import ServiceContainer, _log  # nameko's own logger: worker errors go where they always went
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


class WorkerContainer(ServiceContainer):
    """nameko's container, running each worker without its debug bookkeeping.

    nameko's `_run_worker` times four phases of every worker for debug log lines, and builds the
    worker's call-id stack (a fresh UUID) for another, whatever the log level. Without them, and
    with eoffice's providers reading `worker_ctx.data` rather than `context_data` (a copy with that
    stack), a worker's cost around its method fell from 196 to 127 µs (a bare entrypoint with
    Instrumentation, Caller and Config; BENCHMARKS.md). Same phases, same order, same errors
    logged, except that an expected exception (an HTTP entrypoint's 4xx refusals) is one warning
    line without its traceback; the call-id stack is still built whenever something asks for it
    (an RPC or an event leaving the worker). Every config.yml names it as SERVICE_CONTAINER_CLS.

    Its entrypoints share a PromptQueueConsumer rather than nameko's QueueConsumer: each of nameko's
    entrypoints declares the latter itself, so the one instance they share is given the subclass here."""

    def __init__(self, service_cls, config):
        super().__init__(service_cls, config)
        queue_consumer = self.shared_extensions.get(QueueConsumer)
        if queue_consumer is not None:
            queue_consumer.__class__ = PromptQueueConsumer

    def _run_worker(self, worker_ctx, handle_result):
        self._inject_dependencies(worker_ctx)
        self._worker_setup(worker_ctx)
        result = exc_info = None
        method = getattr(worker_ctx.service, worker_ctx.entrypoint.method_name)
        try:
            result = method(*worker_ctx.args, **worker_ctx.kwargs)
        except Exception as exc:
            if isinstance(exc, worker_ctx.entrypoint.expected_exceptions):  # a refusal, not a fault: no traceback
                _log.warning("(expected) error handling worker %s: %s", worker_ctx, exc)
            else:
                _log.exception("error handling worker %s: %s", worker_ctx, exc)
            exc_info = sys.exc_info()
        if handle_result is not None:
            result, exc_info = handle_result(worker_ctx, result, exc_info)
        self._worker_result(worker_ctx, result, exc_info)
        del exc_info  # breaks the frame-traceback cycle now rather than at the next collection
        self._worker_teardown(worker_ctx)
