"""Signed webhooks, in the shape of the Standard Webhooks specification. No Flask here.

Each POST carries a JSON body and:
  webhook-id         the outbox row's idempotency key: the same on every resend of one event
  Idempotency-Key    the same value, under the name many frameworks look for
  webhook-timestamp  Unix seconds when this attempt was signed
  webhook-signature  "v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<body>'>"; during a secret
                     rotation's grace period a second "v1,…" signed with the previous secret
A receiver checks a signature with its secret, refuses timestamps outside its replay window,
and treats a webhook-id it has seen before as done (README, "Webhooks", has the snippet).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import requests

from walkapp.outcome import Outcome

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
USER_AGENT = "walkapp-webhooks/1"


def new_secret() -> str:
    """A fresh endpoint secret: 32 random bytes, base64, with the customary prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "Idempotency-Key": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets_),
    }


def body(event: dict) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def post(url: str, data: bytes, msg_id: str, secrets_: list[str], timeout: float,
         timestamp: int | None = None) -> Outcome:
    """One attempt, signed now (so a retry's timestamp is fresh for the receiver's replay
    window). Only a 2xx answer counts; redirects are not followed: the signed body must not
    go anywhere the department did not configure."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    try:
        resp = requests.post(url, data=data, headers=headers(secrets_, msg_id, timestamp, data),
                             timeout=timeout, allow_redirects=False)
    except requests.RequestException as err:
        return Outcome.retry(f"{url}: {err.__class__.__name__}: {err}")
    if 200 <= resp.status_code < 300:
        return Outcome.sent()
    return Outcome.retry(f"{url}: HTTP {resp.status_code} {resp.text[:200]}")
