"""Officials plan walks: create and edit title, locality, local date and time, meeting point,
status, and the area and planned route drawn on the map or uploaded as GeoJSON."""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import DateField, RadioField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Optional

from walkapp import labels, walks
from walkapp.access import OFFICIALS, roles_required
from walkapp.extensions import db
from walkapp.geo import to_geojson
from walkapp.models import Walk, utcnow
from walkapp.review import bp
from walkapp.webforms import body_first, save, status

GEOJSON_FILES = ".geojson,.json,application/geo+json"


class WalkForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired()])
    locality = StringField(_l("Locality"), validators=[DataRequired()])
    date = DateField(_l("Date"), validators=[Optional()])
    time = TimeField(_l("Starts at"), validators=[Optional()])
    meeting_point = StringField(_l("Meeting point"))
    meeting_lat = StringField(_l("Latitude"), render_kw={"inputmode": "decimal"})
    meeting_lon = StringField(_l("Longitude"), render_kw={"inputmode": "decimal"})
    status = RadioField(_l("Status"))
    area = TextAreaField(_l("Area (GeoJSON Polygon)"),
                         render_kw={"rows": 4, "spellcheck": "false"})
    area_file = FileField(_l("…or upload the area"), render_kw={"accept": GEOJSON_FILES})
    route = TextAreaField(_l("Planned route (GeoJSON LineString)"),
                          render_kw={"rows": 4, "spellcheck": "false"})
    route_file = FileField(_l("…or upload the route"), render_kw={"accept": GEOJSON_FILES})
    submit = SubmitField(_l("Save the walk"))


STATUS_HINTS = {
    "planned": _l("Residents can open it and get ready, but not pin yet."),
    "open": _l("Residents can pin."),
    "closed": _l("No new pins; what was pinned before closing still arrives."),
}

HINTS = {
    "time": _l("Local time in %(zone)s."),
    "meeting_point": _l("In words, e.g. “The square by Storgatan”."),
    "area": _l("Drawn on the map above, or paste GeoJSON here."),
    "route": _l("Drawn on the map above, or paste GeoJSON here."),
}


def own_walk(join_code: str) -> Walk:
    """A walk of the signed-in user's municipality, or 404."""
    walk = db.session.scalar(select(Walk).where(
        Walk.join_code == join_code.upper(), Walk.municipality_id == current_user.municipality_id))
    if walk is None:
        abort(404)
    return walk


def _as_text(geom) -> str:
    return json.dumps(to_geojson(geom)) if geom is not None else ""


def _initial(walk: Walk) -> dict:
    day, at = walks.to_local(walk.starts_at, walk.municipality.timezone)
    return {"title": walk.title, "locality": walk.locality, "date": day, "time": at,
            "meeting_point": walk.meeting_point,
            "meeting_lat": "" if walk.meeting_lat is None else f"{walk.meeting_lat:.6f}",
            "meeting_lon": "" if walk.meeting_lon is None else f"{walk.meeting_lon:.6f}",
            "status": walk.status, "area": _as_text(walk.area), "route": _as_text(walk.route)}


def _text_or_file(text: str | None, upload) -> str | None:
    """An uploaded file wins over the text box (it is the explicit, later choice)."""
    if upload:
        return upload.read().decode("utf-8", errors="replace")
    return text


def _form_page(form: WalkForm, walk: Walk | None):
    muni = current_user.municipality
    hints = {k: str(v) for k, v in HINTS.items()}
    hints["time"] = _("Local time in %(zone)s.", zone=muni.timezone)
    title = _("Edit the walk") if walk else _("New walk")
    return render_template("review/walk_form.html", form=form, walk=walk, title=title,
                           hints=hints), status(form)


def _handle(form: WalkForm, walk: Walk | None):
    form.status.choices = [(s, f"{_(labels.WALK_STATUS[s])} — {STATUS_HINTS[s]}")
                           for s in walks.statuses_for(walk)]
    if not form.validate_on_submit():
        return _form_page(form, walk)
    data = walks.WalkInput(
        title=form.title.data, locality=form.locality.data, day=form.date.data,
        at=form.time.data, meeting_point=form.meeting_point.data,
        meeting_lon=form.meeting_lon.data, meeting_lat=form.meeting_lat.data,
        area=_text_or_file(form.area.data, form.area_file.data),
        route=_text_or_file(form.route.data, form.route_file.data), status=form.status.data)
    saved = []
    if not save(form, lambda: saved.append(walks.save_walk(
            db.session, current_user.municipality, data, utcnow(), walk))):
        return _form_page(form, walk)
    code = saved[0].join_code
    flash(_("The walk is saved. Its join code is %(code)s.", code=code))
    return redirect(url_for("review.walk", join_code=code))


@bp.route("/walks/new", methods=["GET", "POST"])
@roles_required(*OFFICIALS)
def new_walk():
    body_first()
    form = WalkForm(data={"status": "planned", "time": None} if request.method == "GET" else None)
    return _handle(form, None)


@bp.route("/walks/<join_code>/edit", methods=["GET", "POST"])
@roles_required(*OFFICIALS)
def edit_walk(join_code: str):
    body_first()
    walk = own_walk(join_code)
    return _handle(WalkForm(data=_initial(walk)), walk)

