"""Scribe mode: an official's own phone pins for residents without a smartphone.

The official asks for it here (a CSRF-protected POST); the server issues a device token
bound to them (Device.user_id) and the page hands it to the field app on this phone
(static/js/scribe.js stores it like any device token). From then on the phone is an ordinary
field app — offline, outbox, sync, routing — and sync marks its pins source="scribe",
recorded_by = the official. The token is shown once and never stored in clear.
"""

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from walkapp.access import OFFICIALS, roles_required
from walkapp.extensions import db
from walkapp.models import Device
from walkapp.review import bp
from walkapp.review.walk_form import own_walk


@bp.post("/walks/<join_code>/scribe")
@roles_required(*OFFICIALS)
def scribe(join_code: str):
    walk = own_walk(join_code)
    if walk.status == "closed":
        flash(_("This walk is closed: no new pins can be added."))
        return redirect(url_for("review.walk", join_code=walk.join_code))
    device, token = Device.issue(user_id=current_user.id)
    db.session.add(device)
    db.session.commit()
    resp = make_response(render_template("review/scribe.html", walk=walk, device=device,
                                         token=token))
    resp.headers["Cache-Control"] = "no-store"
    return resp
