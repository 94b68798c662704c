"""The officials' review map: the page, its one JSON endpoint, and exports of the filter."""

from flask import current_app, jsonify, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from walkapp import export, labels, review_map
from walkapp.access import OFFICIALS, roles_required
from walkapp.errors import error_response, field_error
from walkapp.extensions import db
from walkapp.geo import walk_bbox
from walkapp.models import (
    KINDS,
    LANGUAGES,
    STATUSES,
    Category,
    Comment,
    Department,
    Walk,
    utcnow,
)
from walkapp.review import bp

officials_required = roles_required(*OFFICIALS)


def scope() -> review_map.Scope:
    return review_map.Scope.load(db.session, current_user.municipality_id, utcnow())


def filter_error(err: review_map.FilterError):
    message = _(err.message, **err.params)
    return error_response(400, "bad_request", message, [field_error(err.field, message)])


def _args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def choices() -> dict:
    """What the filter form offers: this municipality's walks, categories, departments."""
    muni = current_user.municipality_id
    lang = str(get_locale())
    return {
        "walks": db.session.scalars(select(Walk).where(Walk.municipality_id == muni)
                                    .order_by(Walk.starts_at.desc())).all(),
        "categories": [(c.slug, c.label(lang)) for c in db.session.scalars(
            select(Category).where(Category.municipality_id == muni)
            .order_by(Category.sort_order))],
        "departments": db.session.scalars(
            select(Department).where(Department.municipality_id == muni)
            .order_by(Department.name)).all(),
        "kinds": KINDS, "statuses": STATUSES,
    }


@bp.get("/map")
@officials_required
def map():
    found = choices()
    lang = str(get_locale())
    page_labels = {
        "kind": {k: _(labels.msgid("kind", k)) for k in KINDS},
        "status": {s: _(labels.msgid("status", s)) for s in STATUSES},
        "category": dict(found["categories"]),
        "department": {d.slug: d.name for d in found["departments"]}
        | {review_map.NO_DEPARTMENT: _("Not routed")},
        "walk": {w.join_code: w.title for w in found["walks"]},
    }
    tiles = {k.lower(): current_app.config[k] for k in
             ("TILE_URL", "TILE_ATTRIBUTION", "TILE_MIN_ZOOM", "TILE_MAX_ZOOM")}
    boundary = current_user.municipality.boundary
    # Choosing walks moves the map to them: each walk's extent (area, route, meeting point).
    walk_bounds = {w.join_code: bbox for w in found["walks"] if (bbox := walk_bbox(
        w.area, w.route, (w.meeting_lon, w.meeting_lat) if w.meeting_lon is not None
        else None, 100)) is not None}
    return render_template(
        "review/map.html", **found, labels=page_labels, tiles=tiles, lang=lang,
        timezone=current_user.municipality.timezone, first=request.args.to_dict(),
        chosen={k: {v.strip() for item in vals for v in item.split(",")}
                for k, vals in _args().items()},
        bounds=list(boundary.bounds) if boundary is not None else None,
        walk_bounds=walk_bounds)


@bp.get("/map/data")
@officials_required
def map_data():
    """bbox + zoom + filters → points or clusters, counts, and one page of the list."""
    s = scope()
    try:
        filters = review_map.parse_filters(_args(), s)
        view = review_map.parse_view(_args())
    except review_map.FilterError as err:
        return filter_error(err)
    result = review_map.view(db.session, s, filters, view)
    resp = jsonify(result.as_dict())
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _export_rows():
    s = scope()
    filters = review_map.parse_filters(_args(), s)
    return db.session.scalars(
        review_map.filtered(s, filters).options(*export.LOAD)
        .outerjoin(Walk, Walk.id == Comment.walk_id)
        .order_by(Walk.starts_at, Comment.created_at))


def _export_lang() -> str:
    lang = request.args.get("lang") or str(get_locale())
    if lang not in LANGUAGES:
        raise review_map.FilterError("lang", labels.N_("Unknown %(field)s: “%(value)s”."),
                                     {"field": "lang", "value": lang[:10]})
    return lang


def _public() -> bool:
    value = request.args.get("public", "")
    if value not in ("", "0", "1"):
        raise review_map.FilterError("public", labels.N_("%(field)s must be yes or no."),
                                     {"field": "public"})
    return value == "1"


@bp.get("/export.<any(geojson, csv):fmt>")
@officials_required
def export_filter(fmt: str):
    """The current filter (or one walk: ?walk=CODE) as GeoJSON or CSV."""
    try:
        lang, public = _export_lang(), _public()
        rows = list(_export_rows())
    except review_map.FilterError as err:
        return filter_error(err)
    # Everything the file needs is loaded: end the transaction (on SQLite it holds the write
    # lock phones need) before the slow part, writing the file.
    db.session.expunge_all()
    db.session.rollback()
    now = utcnow()
    stamp = now.strftime("%Y%m%d")
    suffix = "-public" if public else ""
    with force_locale(lang):
        if fmt == "csv":
            body = export.csv_bytes(rows, now, public=public, lang=lang, translate=_)
            mimetype = "text/csv; charset=utf-8"
        else:
            body = jsonify(export.feature_collection(rows, now, public=public, lang=lang,
                                                     translate=_)).get_data()
            mimetype = "application/geo+json"
    resp = current_app.response_class(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="walkapp-{stamp}{suffix}.{fmt}"')
    resp.headers["Cache-Control"] = "no-store"
    return resp
