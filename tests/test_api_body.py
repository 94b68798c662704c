"""Request bodies are read in full before any database work, within limits and a timeout.

A phone that loses coverage in the middle of an upload is the common case on a walk: it must
not hold SQLite's write lock (every other request would wait 30 s and answer 500), and the
server must give up on it after its read timeout.
"""

import json
import select
import threading
import uuid

import pytest

from tests.conftest import comment_item

ROUTES = {
    "photo": ("PUT", "/api/v1/comments/{comment}/photos/{photo}", "image/jpeg"),
    "sync": ("POST", "/api/v1/sync", "application/json"),
    "track": ("PUT", "/api/v1/walks/ASEDA7/tracks/{photo}", "application/json"),
}


class _FirstReadSignal:
    """WSGI middleware: sets `event` when the app first reads a request body, i.e. when a
    stalled request is about to wait for bytes that will not come."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.event = wsgi_app, threading.Event()

    def __call__(self, environ, start_response):
        stream, event = environ["wsgi.input"], self.event

        class Spy:
            def read(self, *a):
                event.set()
                return stream.read(*a)

            def readline(self, *a):
                event.set()
                return stream.readline(*a)

        environ["wsgi.input"] = Spy()
        return self.wsgi_app(environ, start_response)


@pytest.fixture
def first_read(app):
    saved = app.wsgi_app
    app.wsgi_app = spy = _FirstReadSignal(saved)
    yield spy.event
    app.wsgi_app = saved


def send_part(live, method, path, content_type, token, size=200_000):
    """Send the headers and a tenth of the body, then nothing more."""
    sock = live.raw(timeout=15)
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {size}\r\n\r\n")
    sock.sendall(head.encode() + b"x" * (size // 10))
    return sock


@pytest.mark.parametrize("route", ROUTES)
def test_a_stalled_upload_blocks_no_one_and_times_out(live, world, device, first_read, route):
    photo_id = str(uuid.uuid4())
    item = comment_item(photos=[photo_id])
    assert device.sync(item).status_code == 200
    method, path, content_type = ROUTES[route]
    sock = send_part(live, method, path.format(comment=item["id"], photo=photo_id),
                     content_type, device.token)
    assert first_read.wait(10), "the server never started reading the body"
    auth = {"Authorization": f"Bearer {device.token}"}
    # Everything else goes on at once (the client gives up after 10 s; SQLite's busy
    # timeout, which a held write lock would run into, is 30 s).
    assert live.request("GET", "/api/v1/walks/ASEDA7")[0] == 200
    assert live.request("POST", "/api/v1/devices")[0] == 201
    assert live.request("GET", "/api/v1/devices/me/comments", headers=auth)[0] == 200
    status, body = live.request("POST", "/api/v1/sync", json.dumps({"comments": [
        comment_item()]}), {**auth, "Content-Type": "application/json"})
    assert status == 200 and body["results"][0]["status"] == "created"
    # ...while the stalled one is still waiting (a held lock would have made them wait
    # until it gave up).
    assert not select.select([sock], [], [], 0)[0], "the stalled request ended first"
    # It ends after the server's read timeout (3 s here), with a 408.
    reply = sock.makefile("rb").read().decode()  # to the end: the server closes
    sock.close()
    assert reply.startswith("HTTP/1.1 408"), reply
    assert '"code":"timeout"' in reply.replace(" ", "")


def chunked(live, method, path, body: bytes, content_type, token):
    """Send body with Transfer-Encoding: chunked (no Content-Length to refuse it by)."""
    pieces = (body[i:i + 65536] for i in range(0, len(body), 65536))
    return live.request(method, path, pieces, {
        "Authorization": f"Bearer {token}", "Content-Type": content_type,
        "Transfer-Encoding": "chunked"})


def sync_body(size: int) -> bytes:
    """A valid sync body padded with spaces to exactly `size` bytes."""
    raw = json.dumps({"comments": [comment_item()]}).encode()
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


def test_chunked_body_over_the_limit_is_413(app, live, world, device):
    app.config["SYNC_MAX_BYTES"] = 5000
    status, body = chunked(live, "POST", "/api/v1/sync", sync_body(5001), "application/json",
                           device.token)
    assert status == 413, body
    assert body["error"]["fields"][0]["field"] == "body"
    status, body = chunked(live, "POST", "/api/v1/sync", sync_body(5000), "application/json",
                           device.token)
    assert status == 200 and body["results"][0]["status"] == "created"


def test_chunked_photo_over_the_limit_is_413(app, live, world, device):
    photo_id = str(uuid.uuid4())
    item = comment_item(photos=[photo_id])
    device.sync(item)
    app.config["PHOTO_MAX_BYTES"] = 100_000
    status, body = chunked(live, "PUT", f"/api/v1/comments/{item['id']}/photos/{photo_id}",
                           b"\xff\xd8" + b"x" * 150_000, "image/jpeg", device.token)
    assert status == 413 and body["error"]["code"] == "too_large"


def test_announced_length_over_the_limit_is_413(app, client, world, device):
    app.config["SYNC_MAX_BYTES"] = 5000
    resp = device.sync(comment_item(text="x" * 6000))
    assert resp.status_code == 413
    assert resp.get_json()["error"]["fields"] == [
        {"field": "body", "message": "at most 5,000 bytes"}]
