"""The HTTP/1.1 server under every service's entrypoints.

nameko serves WSGI through eventlet's server, which parses each request's headers with the email
package, formats an access-log line whatever the log level and writes through file objects: about
as much CPU as the rest of a simple request together. This server speaks the part of HTTP/1.1 that
clients of these services use (keep-alive, Content-Length and chunked request bodies, Expect:
100-continue, chunked or length-delimited responses, streamed responses such as server-sent
events) on eventlet's green sockets, and hands each request to nameko's WSGI application
unchanged, so routing, werkzeug's request and response and nameko's workers stay as they were.
"""
import io
import json
import socket
import sys
import time
from email.utils import formatdate
from functools import partial
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

import eventlet
from nameko.web.server import WebServer

from .logging import get_logger
from .routing import JsonRoutingApp

log = get_logger(__name__)

RECEIVE_BYTES = 65536
MAX_HEAD_BYTES = 65536
# A keep-alive connection with no request for this long is closed; so is one whose client stops
# reading or sending mid-request for this long.
IDLE_SECONDS = 120.0
# Unread request body left by the application beyond this is not worth reading: the connection closes.
MAX_DRAIN_BYTES = 1 << 20
NO_BODY_STATUSES = ("1", "204", "304")


class MalformedRequest(Exception):
    """A request that breaks HTTP: answered with `code` and `reason`, then the connection closes."""

    def __init__(self, code, reason, message):
        super().__init__(message)
        self.code, self.reason = code, reason


class ClientGone(Exception):
    """The client closed the connection or stopped sending."""


class _Connection:
    """A client socket with its unparsed bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    def fill(self):
        data = self.sock.recv(RECEIVE_BYTES)
        if not data:
            return False
        self.buffer += data
        return True

    def read_head(self):
        """The bytes of the next request's line and headers, or None if the client closed cleanly."""
        searched = 0
        while True:
            while self.buffer[:2] == b"\r\n":  # RFC 9112 2.2: ignore empty lines before a request
                del self.buffer[:2]
            end = self.buffer.find(b"\r\n\r\n", max(0, searched - 3))
            if (end if end >= 0 else len(self.buffer)) > MAX_HEAD_BYTES:
                raise MalformedRequest(431, "headers_too_large",
                                       f"The request line and headers exceed {MAX_HEAD_BYTES} bytes")
            if end >= 0:
                head = bytes(self.buffer[:end])
                del self.buffer[:end + 4]
                return head
            searched = len(self.buffer)
            if not self.fill():
                if self.buffer:
                    raise ClientGone()
                return None

    def read_some(self, limit):
        if not self.buffer and not self.fill():
            raise ClientGone()
        data = bytes(self.buffer[:limit])
        del self.buffer[:limit]
        return data

    def read_line(self):
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[:end + 2]
                return line
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise MalformedRequest(400, "malformed_chunk", "A chunk header is too long")
            if not self.fill():
                raise ClientGone()


class _RequestBody(io.RawIOBase):
    """wsgi.input: the request body, never read past its end (Content-Length or the last chunk).
    "100 Continue" is sent when the application first reads it, not before."""

    def __init__(self, connection, length, chunked, send_continue):
        self._connection = connection
        self._remaining = length  # bytes left in the body (fixed length) or in the current chunk
        self._chunked = chunked
        self._finished = length == 0 and not chunked
        self._send_continue = send_continue
        self.broken = False

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def read(self, size=-1):
        try:
            return self._read(size)
        except (MalformedRequest, ClientGone):
            self.broken = True
            raise

    def _read(self, size):
        if self._finished or size == 0:
            return b""
        if self._send_continue:
            self._send_continue = False
            self._connection.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if size is None or size < 0:
            parts = []
            while not self._finished:
                parts.append(self._read(RECEIVE_BYTES))
            return b"".join(parts)
        if self._chunked and self._remaining == 0:
            self._next_chunk()
            if self._finished:
                return b""
        data = self._connection.read_some(min(size, self._remaining))
        self._remaining -= len(data)
        if self._remaining == 0 and not self._chunked:
            self._finished = True
        elif self._remaining == 0 and self._connection.read_line() != b"":  # a chunk's data ends with CRLF
            raise MalformedRequest(400, "malformed_chunk", "A chunk is longer than its size says")
        return data

    def _next_chunk(self):
        size_line = self._connection.read_line().split(b";", 1)[0].strip()
        try:
            self._remaining = int(size_line, 16)
        except ValueError:
            raise MalformedRequest(400, "malformed_chunk", "A chunk size is not hexadecimal")
        if self._remaining == 0:
            while self._connection.read_line():  # trailers, up to the empty line
                pass
            self._finished = True

    def drain(self):
        """Read what the application left unread, if little is left; False if the connection must close."""
        if self.broken:
            return False
        if self._finished:
            return True
        if self._send_continue:
            return False  # the client waits for our go-ahead: closing is cheaper than taking the body
        drained = 0
        try:
            while not self._finished:
                if drained > MAX_DRAIN_BYTES:
                    return False
                drained += len(self._read(RECEIVE_BYTES))
        except (MalformedRequest, ClientGone):  # the answer has left already: only closing is left
            return False
        return True


_date_cache = [0, ""]


def _http_date():
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return _date_cache[1]


def _split_target(target):
    if target.startswith(("http://", "https://")):  # absolute form, as sent to proxies
        target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
    path, _, query = target.partition("?")
    return path, query


class _Exchange:
    """One request and its response on a connection."""

    def __init__(self, connection, server_name, server_port, peer):
        self.connection = connection
        self.server_name, self.server_port, self.peer = server_name, server_port, peer

    def environ(self, head):
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise MalformedRequest(400, "malformed_request_line", "The request line is not METHOD TARGET VERSION")
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise MalformedRequest(505, "http_version", f"{version} is not supported")
        path, query = _split_target(target)
        if "%00" in target:  # no text a service keeps (PostgreSQL's above all) can hold U+0000
            raise MalformedRequest(400, "nul_character", "The request's path or query contains U+0000 (%00)")
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query, "RAW_URI": target, "SERVER_NAME": self.server_name, "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": version, "REMOTE_ADDR": self.peer[0], "REMOTE_PORT": str(self.peer[1]),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.input_terminated": True,
        }
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name[-1] in " \t" or line[0] in " \t":
                raise MalformedRequest(400, "malformed_header", "A header line is not NAME: VALUE")
            key = name.upper().replace("-", "_")
            value = value.strip(" \t")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def body(self, environ):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = 0
        if chunked:
            environ.pop("CONTENT_LENGTH", None)
        elif "CONTENT_LENGTH" in environ:
            text = environ["CONTENT_LENGTH"]
            if not text.isdigit():
                raise MalformedRequest(400, "malformed_content_length", "Content-Length is not a number")
            length = int(text)
        send_continue = environ.get("HTTP_EXPECT", "").lower() == "100-continue" and environ["SERVER_PROTOCOL"] == "HTTP/1.1"
        return _RequestBody(self.connection, length, chunked, send_continue and (chunked or length > 0))

    def respond(self, app, environ, keep_alive):
        """Run the application and write its response; whether the connection may stay open."""
        sock = self.connection.sock
        started, pending = {}, []

        def start_response(status, headers, exc_info=None):
            if exc_info and started.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"], started["headers"] = status, headers
            return pending.append  # WSGI's legacy write()

        result = ()
        try:
            result = app(environ, start_response)
            pieces = iter(result)
            if "status" not in started:  # an application may start its response on the first iteration
                pending.append(next(pieces, b""))
            status, headers = started["status"], started["headers"]
            names = {name.lower() for name, _ in headers}
            bodiless = environ["REQUEST_METHOD"] == "HEAD" or status.startswith(NO_BODY_STATUSES)
            chunked = not bodiless and "content-length" not in names and environ["SERVER_PROTOCOL"] == "HTTP/1.1"
            if not bodiless and "content-length" not in names and not chunked:
                keep_alive = False  # HTTP/1.0 without a length: the body ends when the connection does
            if environ["wsgi.input"].broken:
                keep_alive = False
            head = [f"HTTP/1.1 {status}\r\n"]
            head += [f"{name}: {value}\r\n" for name, value in headers]
            head.append(f"Date: {_http_date()}\r\n")
            if chunked:
                head.append("Transfer-Encoding: chunked\r\n")
            if not keep_alive:
                head.append("Connection: close\r\n")
            elif environ["SERVER_PROTOCOL"] == "HTTP/1.0":
                head.append("Connection: keep-alive\r\n")
            head.append("\r\n")
            head_bytes = "".join(head).encode("latin-1")
            started["sent"] = True
            if bodiless:
                sock.sendall(head_bytes)
            elif chunked:  # streamed: the head leaves at once, each piece as the application yields it
                sock.sendall(head_bytes)
                for data in _pieces(pending, pieces):
                    sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
                sock.sendall(b"0\r\n\r\n")
            else:  # the head and a body of one piece in one send
                out, size = [head_bytes], 0
                for data in _pieces(pending, pieces):
                    out.append(data)
                    size += len(data)
                    if size >= RECEIVE_BYTES:
                        sock.sendall(b"".join(out))
                        out, size = [], 0
                if out:
                    sock.sendall(b"".join(out))
        except Exception:
            if started.get("sent"):
                raise
            log.exception("http_response_failed")
            sock.sendall(_error_response(500, "internal_error", "An unexpected error occurred"))
            keep_alive = False
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return keep_alive


def _pieces(pending, pieces):
    for data in pending:
        if data:
            yield data
    for data in pieces:
        if data:
            yield data


def _wants_keep_alive(environ):
    connection = environ.get("HTTP_CONNECTION", "").lower()
    if environ["SERVER_PROTOCOL"] == "HTTP/1.1":
        return "close" not in connection
    return "keep-alive" in connection


def _error_response(code, reason, message):
    body = json.dumps({"error": reason, "message": message}).encode()
    return (f"HTTP/1.1 {code} {HTTPStatus(code).phrase}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\nDate: {_http_date()}\r\n\r\n").encode("latin-1") + body


def serve_connection(app, sock, peer, server_name, server_port):
    """Requests from one client, one after the other, until it closes or misbehaves."""
    connection = _Connection(sock)
    sock.settimeout(IDLE_SECONDS)
    try:
        while True:
            head = connection.read_head()
            if head is None:
                return
            exchange = _Exchange(connection, server_name, server_port, peer)
            environ = exchange.environ(head)
            body = environ["wsgi.input"] = exchange.body(environ)
            keep_alive = exchange.respond(app, environ, _wants_keep_alive(environ))
            if not keep_alive or not body.drain():
                return
    except MalformedRequest as exc:
        try:
            sock.sendall(_error_response(exc.code, exc.reason, str(exc)))
        except OSError:
            pass
    except (ClientGone, socket.timeout, ConnectionError):
        pass
    except OSError as exc:  # a broken socket is the client's business; anything else is ours
        log.warning("http_connection_failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        sock.close()


class HttpServer(WebServer):
    """nameko's WebServer (same registration, routing and WSGI application) on this module's server."""

    def start(self):
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr)
            self._sock.settimeout(None)
            # Accepted sockets inherit it: a response written in two sends must not wait for the
            # client's delayed acknowledgement.
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            host, port = self._sock.getsockname()[:2]
            self._serve = partial(serve_connection, self.get_wsgi_app(), server_name=host, server_port=str(port))
            self._gt = self.container.spawn_managed_thread(self.run)

    def get_wsgi_app(self):
        return JsonRoutingApp(self)

    def run(self):
        while self._is_accepting:
            sock, peer = self._sock.accept()
            self.container.spawn_managed_thread(partial(self._serve, sock, peer))
