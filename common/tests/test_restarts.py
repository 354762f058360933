"""What a service answers and survives while it or the broker is going away (found by `make chaos`)."""
import json
from types import SimpleNamespace

from nameko.exceptions import ContainerBeingKilled

from eoffice_common.rpc import QueueConsumer
from eoffice_common.web import error_response


def test_a_request_arriving_while_the_service_is_being_killed_is_a_503_to_retry_not_a_fault():
    response = error_response(ContainerBeingKilled())
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert json.loads(response.get_data())["error"] == "service_restarting"


def test_an_acknowledgement_the_broker_cannot_take_does_not_kill_the_service():
    """nameko ignores amqp's ConnectionError when it acknowledges, not the socket's: a connection reset as
    a reply was acknowledged was raised in the consuming thread and killed the whole container."""
    def ack():
        raise ConnectionResetError(104, "Connection reset by peer")

    message = SimpleNamespace(channel=SimpleNamespace(connection=object()), ack=ack)
    QueueConsumer().ack_message(message)  # logged as ack_lost, not raised
