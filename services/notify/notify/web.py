"""The one HTTP route that may take its bearer token from the query string."""
from eoffice_common.web import HttpEntrypoint

TOKEN_PARAMETER = "access_token"


class StreamEntrypoint(HttpEntrypoint):
    """Like `http`, but a missing Authorization header may be given as `?access_token=`: a browser's
    EventSource cannot send headers. Only the notification stream uses it; tokens in URLs reach
    access logs, so pages should pass a short-lived token."""

    def handle_request(self, request):
        token = request.args.get(TOKEN_PARAMETER)
        if token and "HTTP_AUTHORIZATION" not in request.environ:
            request.environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return super().handle_request(request)


stream_route = StreamEntrypoint.decorator
