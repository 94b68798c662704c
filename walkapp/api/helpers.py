"""What every API route needs: the calling device, a JSON body, a size limit."""

import json

from flask import current_app, request
from sqlalchemy import select

from walkapp.errors import ApiError, field_error
from walkapp.extensions import db
from walkapp.models import Device, hash_token


def current_device() -> Device:
    """The device whose bearer token came with the request, or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Send the device token as 'Authorization: Bearer …'.",
                       [field_error("Authorization", "missing or not a Bearer token")])
    device = db.session.scalar(select(Device).where(Device.token_hash == hash_token(token.strip())))
    if device is None:
        raise ApiError(401, "unauthorized", "Unknown device token.",
                       [field_error("Authorization", "unknown or revoked token")])
    return device


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_body(max_bytes: int | None = None):
    """The parsed JSON body; 413 beyond max_bytes, 400 if it is not JSON at all."""
    if max_bytes is not None:
        request.max_content_length = max_bytes
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
