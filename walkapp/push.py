"""Web Push (RFC 8030/8291) with VAPID (RFC 8292) for answer notifications. No Flask here.

The VAPID key pair is made on first use into the instance folder (mode 0600) unless one is
configured; its public half goes to the PWA, which subscribes with it. Devices may register
endpoints only at the browsers' push services (PUSH_SERVICE_HOSTS): the server POSTs to the
endpoint, so any other address would let a stranger make it call into the local network.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass
from email.utils import parseaddr
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02, b64urlencode
from pywebpush import WebPushException, webpush

from walkapp.labels import N_
from walkapp.outcome import Outcome

GONE = N_("The phone no longer accepts notifications (the subscription has ended).")
TTL_SECONDS = 7 * 24 * 3600  # the push service keeps it a week for a phone that is off
MAX_ENDPOINT = 2000


@dataclass(frozen=True)
class PushConfig:
    key_path: str
    subject: str
    timeout: float = 15

    @classmethod
    def from_config(cls, cfg) -> PushConfig:
        sender = parseaddr(cfg["SMTP_FROM"])[1] or cfg["SMTP_FROM"]
        return cls(key_path=cfg["VAPID_PRIVATE_KEY"],
                   subject=cfg["VAPID_SUBJECT"] or f"mailto:{sender}",
                   timeout=cfg["DELIVERY_TIMEOUT_SECONDS"])


def _create_key(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.link(tmp, path)  # atomic and refuses to replace: two first users keep one key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


@cache
def vapid(key_path: str) -> Vapid02:
    """The server's VAPID key, made on first use."""
    path = Path(key_path)
    if not path.exists():
        _create_key(path)
    return Vapid02.from_file(str(path))


def public_key(key_path: str) -> str:
    """The applicationServerKey for PushManager.subscribe: the uncompressed P-256 point,
    base64url without padding."""
    point = vapid(key_path).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(point)


def _b64url_bytes(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def check_subscription(sub, allowed_hosts: list[str], allow_http: bool) -> list[tuple[str, str]]:
    """(field, problem) for each thing wrong with a PushSubscription's JSON; [] if usable."""
    if not isinstance(sub, dict):
        return [("subscription", "must be an object with endpoint and keys")]
    problems = []
    endpoint = sub.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or not parts.hostname or len(endpoint) > MAX_ENDPOINT:
        problems.append(("subscription.endpoint", "must be the push service URL"))
    elif parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        problems.append(("subscription.endpoint", "must be an https URL"))
    elif not any(fnmatch(parts.hostname.lower(), host.strip().lower())
                 for host in allowed_hosts if host.strip()):
        problems.append(("subscription.endpoint",
                         f"{parts.hostname} is not a known browser push service"))
    keys = sub.get("keys")
    if not isinstance(keys, dict):
        return [*problems, ("subscription.keys", "must hold p256dh and auth")]
    for name, size in (("p256dh", 65), ("auth", 16)):
        value = keys.get(name)
        try:
            raw = _b64url_bytes(value) if isinstance(value, str) and len(value) < 200 else b""
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != size or (name == "p256dh" and raw[0] != 4):
            problems.append((f"subscription.keys.{name}",
                             f"must be the browser's base64url {name} key ({size} bytes)"))
    return problems


def send(cfg: PushConfig, subscription: dict, message: dict, topic: str) -> Outcome:
    """Encrypt (aes128gcm) and POST one message. The Topic header makes the push service
    replace an undelivered earlier message of the same topic, so a resend after a crash
    reaches the phone once; the notification's tag does the same on the phone."""
    try:
        webpush(subscription, json.dumps(message, ensure_ascii=False),
                vapid_private_key=vapid(cfg.key_path), vapid_claims={"sub": cfg.subject},
                ttl=TTL_SECONDS, timeout=cfg.timeout,
                headers={"Topic": topic[:32], "Urgency": "normal"})
    except WebPushException as err:
        status = err.response.status_code if err.response is not None else None
        if status in (404, 410):
            return Outcome.cancelled(GONE, gone=True)
        if status in (400, 403, 413):  # our request itself is wrong: retrying will not help
            return Outcome.failed(f"push service: HTTP {status}: {err}")
        return Outcome.retry(f"push service: {err}")
    except requests.RequestException as err:
        return Outcome.retry(f"push service: {err.__class__.__name__}: {err}")
    return Outcome.sent()
