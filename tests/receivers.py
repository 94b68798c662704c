"""Real receivers on loopback for the delivery tests: an SMTP server (aiosmtpd), an HTTP
server for webhooks, and a Web Push endpoint that decrypts what it gets (http_ece).

Each records what it received, can be stopped (connection refused: "the receiver is down")
and started again on the same port, and can be told how to answer or to hold a request.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


class _LoopbackController(Controller):
    """aiosmtpd's controller on an ephemeral port (it wants a fixed one by default)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpReceiver:
    """Records every message it accepts. `on_data(message)` runs before the answer (it may
    wait on `release`); `refuse` answers DATA with that reply instead of 250; `drop` takes
    the message, then closes the connection instead of answering."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.port = 0
        self.on_data = None
        self.refuse: str | None = None
        self.drop = False
        self.release = threading.Event()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        if self.refuse:
            return self.refuse
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        if self.drop:
            server.transport.close()
            return "250 never read"
        if self.on_data is not None:
            self.on_data(msg)
            while not self.release.is_set():  # hold the answer: the client waits for it
                await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpReceiver:
        self._controller = _LoopbackController(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self.release.set()
            self._controller.stop()
            self._controller = None

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every POST. `answer(request)` gives the status (default 200); it may block."""

    requests: list[Request] = field(default_factory=list)
    answer: object = None
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(self.path, {k.lower(): v for k, v in self.headers.items()},
                              self.rfile.read(length))
                receiver.requests.append(req)
                status = receiver.answer(req) if receiver.answer else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class PushClient:
    """A browser's half of Web Push: a key pair and auth secret to subscribe with, and the
    decryption of what the push service (here: our loopback receiver) was sent."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode()

    def keys(self) -> dict:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
                "auth": self.auth}

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(body, private_key=self.private_key,
                                 auth_secret=base64.urlsafe_b64decode(self.auth + "=="),
                                 version="aes128gcm")
        return json.loads(plain)
