"""The walk's public results page: no sign-in, nothing that identifies a phone."""

from flask import abort, g, redirect, render_template, url_for
from sqlalchemy import select

from walkapp.extensions import db
from walkapp.geo import to_geojson
from walkapp.i18n import input_title
from walkapp.models import Walk
from walkapp.public import bp
from walkapp.public_view import walk_results


@bp.get("/p/<join_code>")
def walk(join_code: str):
    """What happened with our input: a walk's public inputs, their status and answers."""
    code = join_code.strip().upper()
    if code != join_code:  # a code typed in lower case: one address per walk
        return redirect(url_for("public.walk", join_code=code), 301)
    w = db.session.scalar(select(Walk).where(Walk.join_code == code))
    if w is None:
        abort(404)
    g.timezone = w.municipality.timezone  # dates in the municipality's zone
    results = walk_results(db.session, w)
    points = [{"n": i.n, "lat": i.lat, "lon": i.lon, "url": f"#item-{i.n}",
               "title": f"{i.n}. {input_title(i.kind, i.category, i.status)}",
               "flag": "answered" if i.answered else ""} for i in results.inputs]
    return render_template("public/walk.html", w=w, results=results, points=points,
                           area=to_geojson(w.area))
