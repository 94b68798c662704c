"""The device's own record: what the server holds about it, its answer notifications (Web
Push, e-mail) and erasure. Every piece of personal data here is optional."""

from email_validator import EmailNotValidError, validate_email
from flask import current_app, jsonify
from pydantic import BaseModel, ValidationError

from walkapp import photo_store, privacy, push
from walkapp.api import bp
from walkapp.api.helpers import current_device, json_body
from walkapp.api.serialize import iso
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db
from walkapp.models import Device, utcnow
from walkapp.schemas import EmailRequest, PushRequest, error_fields


def me_json(device: Device) -> dict:
    return {"device_id": device.id, "created_at": iso(device.created_at),
            "language": device.language, "contact_email": device.contact_email,
            "push": device.push_endpoint is not None}


def _body(model: type[BaseModel]):
    # The body was read (at most SMALL_BODY_MAX_BYTES) before the view: see walkapp/api.
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.",
                       [field_error("body", "must be an object")])
    try:
        return model.model_validate(body)
    except ValidationError as err:
        raise ApiError(400, "bad_request", "The request is not valid.",
                       error_fields(err)) from None


def _saved(device: Device, created: bool, language: str | None):
    """Commit an opt-in; 201 for a new one, 200 for the same one given again (which restarts
    its retention)."""
    device.language = language or device.language
    db.session.commit()
    return jsonify(me_json(device)), 201 if created else 200


@bp.get("/devices/me")
def me():
    """What this server holds about the device (the resident's right of access)."""
    return jsonify(me_json(current_device()))


@bp.delete("/devices/me")
def erase_me():
    """Erase the device: its personal data, its drafts, its token. Submitted inputs stay as
    public records with no link to the phone."""
    device = current_device()
    erased = privacy.erase_device(db.session, device)
    db.session.commit()
    # after the commit: the rows are gone, so the files may go
    photo_store.for_app(current_app).delete(erased.photo_ids)
    return jsonify({"drafts_deleted": erased.drafts_deleted,
                    "inputs_kept": erased.inputs_kept})


@bp.get("/push/key")
def push_key():
    """The VAPID public key the browser subscribes with (made on first use)."""
    return jsonify({"public_key": push.public_key(current_app.config["VAPID_PRIVATE_KEY"])})


@bp.put("/devices/me/push")
def subscribe_push():
    req = _body(PushRequest)
    sub = req.subscription.model_dump()
    cfg = current_app.config
    problems = push.check_subscription(sub, cfg["PUSH_SERVICE_HOSTS"], cfg["PUSH_ALLOW_HTTP"])
    if problems:
        raise ApiError(400, "bad_request", "This push subscription cannot be used.",
                       [field_error(f, m) for f, m in problems])
    device = current_device()
    created = device.push_endpoint != sub["endpoint"]
    device.push_endpoint, device.push_keys, device.push_at = sub["endpoint"], sub["keys"], utcnow()
    return _saved(device, created, req.language)


@bp.delete("/devices/me/push")
def unsubscribe_push():
    device = current_device()
    device.push_endpoint, device.push_keys, device.push_at = None, None, None
    db.session.commit()
    return "", 204


@bp.put("/devices/me/email")
def set_email():
    req = _body(EmailRequest)
    try:
        # Syntax only: looking the domain up would make the request slow and leak it.
        email = validate_email(req.email.strip(), check_deliverability=False,
                               allow_smtputf8=False).normalized
    except EmailNotValidError as err:
        raise ApiError(400, "bad_request", "This is not an e-mail address we can write to.",
                       [field_error("email", str(err))]) from None
    device = current_device()
    created = device.contact_email != email
    device.contact_email, device.contact_email_at = email, utcnow()
    return _saved(device, created, req.language)


@bp.delete("/devices/me/email")
def remove_email():
    device = current_device()
    device.contact_email, device.contact_email_at = None, None
    db.session.commit()
    return "", 204
