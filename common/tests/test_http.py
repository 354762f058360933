"""nameko's web server (eventlet.wsgi) under every service, spoken to over raw sockets: keep-alive and
pipelining, chunked and 100-continue request bodies, streamed responses, HTTP/1.0, and malformed
requests refused."""
import hashlib
import json
import socket
from urllib.parse import quote

import pytest
from werkzeug.wrappers import Response

from eoffice_common.testing import TEST_JWT_KEYS, free_port
from eoffice_common.web import http


class EchoService:
    name = "echo"

    @http("POST", "/echo", public=True)
    def echo(self, request):
        body = request.get_data()
        return {"size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "text": body.decode("utf-8", "replace")[:40]}

    @http("POST", "/ignore", public=True)
    def ignore(self, request):
        return {"ignored": True}

    @http("GET", "/hello/<string:name>", public=True)
    def hello(self, request, name):
        return {"hello": name}

    @http("GET", "/stream", public=True)
    def stream(self, request):
        return Response((f"data: {i} सूचना\n\n".encode() for i in range(3)), mimetype="text/event-stream")


@pytest.fixture
def address(container_factory, rabbit_config):
    port = free_port()
    container = container_factory(EchoService, {**rabbit_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", **TEST_JWT_KEYS})
    container.start()
    return ("127.0.0.1", port)


class Client:
    def __init__(self, address):
        self.sock = socket.create_connection(address, timeout=5)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        self.buffer += data

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, size):
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def response(self, head_request=False):
        """(status, headers with lower-case names, body, chunks as they were framed)"""
        status = int(self._line().split(b" ", 2)[1])
        headers = {}
        while line := self._line():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        chunks = []
        if head_request or status in (100, 204, 304):
            body = b""
        elif headers.get("transfer-encoding") == "chunked":
            while size := int(self._line(), 16):
                chunks.append(self._exactly(size))
                assert self._line() == b""
            assert self._line() == b""
            body = b"".join(chunks)
        else:
            body = self._exactly(int(headers["content-length"]))
        return status, headers, body, chunks

    def closed_by_server(self):
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


@pytest.fixture
def client(address):
    client = Client(address)
    yield client
    client.close()


def post(path, body, extra=""):
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def test_pipelined_requests_on_one_connection_are_answered_in_order(client):
    letters = ["पहला पत्र".encode(), b"second letter", "तीसरा".encode()]
    client.send(b"".join(post("/echo", letter) for letter in letters))
    for letter in letters:
        status, headers, body, _ = client.response()
        assert status == 200 and headers["content-type"] == "application/json" and "date" in headers
        assert json.loads(body)["sha256"] == hashlib.sha256(letter).hexdigest()


def test_a_chunked_request_body_is_reassembled(client):
    parts = ["भाग एक, ".encode(), b"part two, ", "भाग तीन".encode()]
    framed = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\nX-Trailer: yes\r\n\r\n"
    client.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + framed)
    status, _, body, _ = client.response()
    assert status == 200
    assert json.loads(body)["sha256"] == hashlib.sha256(b"".join(parts)).hexdigest()
    client.send(b"GET /hello/again HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection is still in step
    assert json.loads(client.response()[2]) == {"hello": "again"}


def test_100_continue_is_sent_before_the_body_is_read(client):
    body = "निरीक्षण आख्या".encode() * 100
    client.send(f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode())
    assert client.response()[0] == 100
    client.send(body)
    status, _, answer, _ = client.response()
    assert status == 200 and json.loads(answer)["size"] == len(body)


def test_a_body_the_application_did_not_read_does_not_spill_into_the_next_request(client):
    client.send(post("/ignore", b"GET /hello/smuggled HTTP/1.1\r\n\r\n") + b"GET /hello/next HTTP/1.1\r\nHost: x\r\n\r\n")
    assert json.loads(client.response()[2]) == {"ignored": True}
    assert json.loads(client.response()[2]) == {"hello": "next"}


def test_a_streamed_response_is_chunked_piece_by_piece(client):
    client.send(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body, chunks = client.response()
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert chunks == [f"data: {i} सूचना\n\n".encode() for i in range(3)]


def test_devanagari_in_the_path_is_routed(client):
    client.send(f"GET /hello/{quote('झाँसी')} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert json.loads(client.response()[2]) == {"hello": "झाँसी"}


def test_head_gets_headers_without_a_body(client):
    client.send(b"HEAD /hello/x HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/y HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, _, _ = client.response(head_request=True)
    assert status == 200 and int(headers["content-length"]) > 0
    assert json.loads(client.response()[2]) == {"hello": "y"}


def test_http_1_0_and_connection_close_end_the_connection_after_the_answer(address):
    for request in (b"GET /hello/old HTTP/1.0\r\n\r\n", b"GET /hello/bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
        client = Client(address)
        client.send(request)
        status, headers, body, _ = client.response()
        assert status == 200 and headers.get("connection") == "close" and json.loads(body)["hello"] in ("old", "bye")
        assert client.closed_by_server()
        client.close()


def test_http_1_0_keep_alive_is_honoured(client):
    client.send(b"GET /hello/one HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello/two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert client.response()[1]["connection"] == "keep-alive"
    assert json.loads(client.response()[2]) == {"hello": "two"}


@pytest.mark.parametrize("request_bytes, status, reason", [
    (b"GET /hello/a b HTTP/1.1\r\n\r\n", 400, "malformed_request"),
    (b"POST /echo HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400, None),
    (b"GET /hello/x HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 400, None),
])
def test_a_malformed_request_is_refused_and_the_connection_closes(client, request_bytes, status, reason):
    client.send(request_bytes)
    answer_status, headers, body, _ = client.response()
    assert answer_status == status
    assert (json.loads(body)["error"] if body else None) == reason
    assert headers["connection"] == "close" and client.closed_by_server()


def test_a_malformed_chunk_is_refused_with_its_reason(client):
    client.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    status, _, body, _ = client.response()
    assert (status, json.loads(body)["error"]) == (400, "malformed_chunk")
