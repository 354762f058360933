"""nameko's WSGI application, answering a request no route takes in JSON with a reason, as every
entrypoint answers: a path no route matches (or whose variable does not convert, as `abc` for an
`<int:...>`) is 404 `route_not_found`, a method the path does not take is 405 `method_not_allowed`."""
import json

from nameko.web.server import WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

ROUTING_REASONS = {NotFound: "route_not_found", MethodNotAllowed: "method_not_allowed"}


class JsonRoutingApp(WsgiApp):
    def __call__(self, environ, start_response):
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except (NotFound, MethodNotAllowed) as exc:
            body = json.dumps({"error": ROUTING_REASONS[type(exc)], "message": exc.description})
            headers = [(name, value) for name, value in exc.get_headers(environ) if name.lower() != "content-type"]
            return Response(body, exc.code, headers, mimetype="application/json")(environ, start_response)
        except HTTPException:  # a redirect (a missing trailing slash) and the like: as nameko answers them
            return super().__call__(environ, start_response)
        # Shallow: nothing reads the body before the entrypoint has bounded it.
        request = Request(environ, shallow=True)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)
