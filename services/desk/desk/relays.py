"""What the desk streams from another service to the browser as it comes, from this origin: a
document (a scan, a PDF, a CSV report), shown as missing when its service cannot find it, and
notify's server-sent events."""
import base64
import os

import requests
from werkzeug.wrappers import Response

from .exceptions import ServiceFailure
from .i18n import Translator
from .web import STATIC_DIR, render_image

STREAM_CHUNK = 64 * 1024
# Longer than notify's keep-alive interval: a quiet stream is not a dead one.
STREAM_READ_TIMEOUT = 90
with open(os.path.join(STATIC_DIR, "devanagari.woff"), "rb") as _font:
    DEVANAGARI_FONT = base64.b64encode(_font.read()).decode()


def relay(services, service, path, params=None):
    """A document from a service, streamed to the browser from this origin."""
    upstream = services.request(service, "GET", path, stream=True, params=params)
    headers = {"Cache-Control": "private, max-age=300"}
    if "Content-Disposition" in upstream.headers:
        headers["Content-Disposition"] = upstream.headers["Content-Disposition"]
    if "Content-Length" in upstream.headers:
        headers["Content-Length"] = upstream.headers["Content-Length"]

    def body():
        try:
            yield from upstream.iter_content(STREAM_CHUNK)
        finally:
            upstream.close()

    return Response(body(), status=200, mimetype=upstream.headers.get("Content-Type", "application/octet-stream"), headers=headers)


def document(services, pages, request, service, path):
    """A scan or PDF relayed from its service; one the service cannot find is shown as missing, in
    both languages: as an image where an <img> asked for it, else as a page for the viewer's frame."""
    try:
        return relay(services, service, path)
    except ServiceFailure as failure:
        if failure.status != 404:
            raise
    languages = [Translator(pages.language), Translator("en" if pages.language == "hi" else "hi")]
    if request.accept_mimetypes.best_match(["text/html", "image/svg+xml"]) == "image/svg+xml":
        image = render_image("document_missing.svg", languages=languages, font=DEVANAGARI_FONT)
        return Response(image, status=404, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
    return pages.render(request, "document_missing.html", status=404, languages=languages)


def event_stream(services, request):
    """notify's server-sent events, relayed with the session's token."""
    headers = {"Accept": "text/event-stream"}
    if request.headers.get("Last-Event-ID"):
        headers["Last-Event-ID"] = request.headers["Last-Event-ID"]
    upstream = services.request("notify", "GET", "/notifications/stream", stream=True, headers=headers,
                                timeout=(5, STREAM_READ_TIMEOUT))
    # eventlet's server otherwise holds back writes smaller than 4 KiB
    request.environ["eventlet.minimum_write_chunk_size"] = 0

    def events():
        try:
            for chunk in upstream.iter_content(chunk_size=None):
                yield chunk
        except requests.RequestException:
            return  # notify went away: the browser's EventSource reconnects
        finally:
            upstream.close()

    return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
