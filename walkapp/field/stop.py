"""/notifications/stop/<token>: the link in every e-mail to a resident. It stops the e-mails
without the app: a page with one button, and the one-click POST mail programs send
(RFC 8058). The signed token names the device and the address it was sent to."""

from flask import abort, current_app, render_template, request

from walkapp.delivery import read_stop_token
from walkapp.extensions import csrf, db
from walkapp.field import bp
from walkapp.models import Device


@bp.route("/notifications/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # a mail program's one-click POST has no form token; the signed URL is the proof
def stop_email(token: str):
    found = read_stop_token(current_app.config["SECRET_KEY"], token)
    if found is None:
        abort(404)
    device_id, email = found
    if request.method == "GET":
        return render_template("notifications/stop.html", email=email, done=False)
    device = db.session.get(Device, device_id)
    if device is not None and device.contact_email == email:  # not a newer address
        device.contact_email, device.contact_email_at = None, None
        db.session.commit()
    return render_template("notifications/stop.html", email=email, done=True)
