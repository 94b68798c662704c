"""What every API route needs: the calling device, the body (read first), a JSON body."""

import json

from flask import current_app, request
from sqlalchemy import select
from werkzeug.exceptions import ClientDisconnected

from walkapp.errors import ApiError, field_error
from walkapp.extensions import db
from walkapp.models import Device, hash_token


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def current_device() -> Device:
    """The device whose bearer token came with the request, or 401."""
    token = bearer_token()
    if token is None:
        raise ApiError(401, "unauthorized", "Send the device token as 'Authorization: Bearer …'.",
                       [field_error("Authorization", "missing or not a Bearer token")])
    device = db.session.scalar(select(Device).where(Device.token_hash == hash_token(token)))
    if device is None:
        raise ApiError(401, "unauthorized", "Unknown device token.",
                       [field_error("Authorization", "unknown or revoked token")])
    return device


def device_key() -> str:
    """Rate-limit key of the calling device, from its token alone (no database work);
    a request without one is counted by client address."""
    token = bearer_token()
    return f"device:{hash_token(token)}" if token else f"addr:{request.remote_addr}"


def read_body(max_bytes: int) -> bytes:
    """The whole request body, read before any database work (see walkapp/api/__init__.py).

    413 beyond max_bytes, also for a chunked body that announces no length (Werkzeug would
    cut such a body off at the limit and hand on the truncated part); 408 when the client
    stalls longer than the server's read timeout; 400 when it hangs up half-way.
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    request.max_content_length = max_bytes + 1  # one byte more tells "over" from "exactly"
    try:
        data = request.get_data(cache=True)
    except ClientDisconnected as err:
        if isinstance(err.__context__, TimeoutError):
            raise ApiError(408, "timeout", "The body stopped arriving; send it again.",
                           [field_error("body", "stalled before it was complete")]) from None
        raise ApiError(400, "bad_request", "The body ended before it was complete.",
                       [field_error("body", "incomplete")]) from None
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "too_large", f"The body is larger than {max_bytes:,} bytes.",
                    [field_error("body", f"at most {max_bytes:,} bytes")])


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_body():
    """The parsed JSON body (already read); 400 if it is not JSON at all."""
    if request.mimetype != "application/json":
        raise ApiError(400, "bad_request", "Send a JSON body with Content-Type: application/json.",
                       [field_error("body", "Content-Type must be application/json")])
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        raise ApiError(400, "bad_request", "The body is not valid JSON.",
                       [field_error("body", str(err)[:200])]) from None


def config(name: str):
    return current_app.config[name]
