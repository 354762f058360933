"""A liveness probe that a worker of the service's pool must answer, so a wedged pool shows."""
import eventlet

from .web import HttpEntrypoint, json_response

DEFAULT_TIMEOUT_SECONDS = 5


class LivenessEntrypoint(HttpEntrypoint):
    """A public route run by a worker like any other; if no worker has answered within
    `LIVENESS_TIMEOUT_SECONDS` (every worker busy and none finishing, or the method itself waiting),
    it answers 503 `workers_unavailable`, so the orchestrator restarts the process."""

    def __init__(self, method, url, **kwargs):
        kwargs["public"] = True
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        seconds = float(self.container.config.get("LIVENESS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
        timeout = eventlet.Timeout(seconds)
        try:
            return super().handle_request(request)
        except eventlet.Timeout as expired:
            if expired is not timeout:
                raise
            return json_response(
                {"error": "workers_unavailable", "message": f"no worker answered within {seconds:g} s"}, 503
            )
        finally:
            timeout.cancel()


liveness = LivenessEntrypoint.decorator
