"""The GeoReport v2 resources, each a thin adapter over walkapp.georeport.

Every URL ends in .json or .xml (the spec's format suffix). Errors, whatever raised them,
come back as the spec's error list in the format the URL asked for (XML when it cannot be
told), with the spec's status codes; never an HTML page, never a 500.
"""

from flask import current_app, request, url_for
from flask_babel import force_locale, gettext
from werkzeug.datastructures import MultiDict

from walkapp import router_cache
from walkapp.extensions import db, limiter
from walkapp.georeport import GeoReportError, create, queries, services
from walkapp.georeport.caller import identify
from walkapp.georeport.errors import bad
from walkapp.models import utcnow
from walkapp.open311 import bp, render

FMT = "<any(json, xml):fmt>"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# walkapp/errors.py hands every other error under /open311/ (no such URL, wrong method,
# body too large, rate limit, an unexpected exception) to render.http_error/unexpected:
# routing errors happen before any blueprint is chosen, so only the app can catch them all.
@bp.errorhandler(GeoReportError)
def _georeport_error(err: GeoReportError):
    return render.errors(err.status, err.description)


@bp.after_request
def _public_reads(resp):
    # Anyone may read GeoReport data, civic web apps on other origins included; no
    # credentials ride along (the key is a parameter, never a cookie).
    if request.method in ("GET", "HEAD"):
        resp.headers["Access-Control-Allow-Origin"] = "*"
    else:
        resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    cfg = current_app.config
    url = url_for("open311.service_list", fmt="xml", _external=True).rsplit("/", 1)[0]
    doc = services.discovery(url, utcnow(), cfg["OPEN311_CONTACT"], cfg["OPEN311_KEY_SERVICE"])
    return render.document(fmt, "discovery", doc)


@bp.get(f"/services.{FMT}")
def service_list(fmt: str):
    caller = identify(db.session, request.args, utcnow())
    return _done(render.document(fmt, "services", services.services(db.session, caller)))


@bp.get(f"/services/<code>.{FMT}")
def service_definition(fmt: str, code: str):
    caller = identify(db.session, request.args, utcnow())
    with force_locale(caller.lang):
        doc = services.definition(db.session, caller, code, gettext)
    return _done(render.document(fmt, "service_definition", doc))


@bp.get(f"/requests.{FMT}")
def request_list(fmt: str):
    now = utcnow()
    caller = identify(db.session, request.args, now)
    page = queries.find(db.session, caller, queries.parse(db.session, caller, request.args, now))
    resp = render.document(fmt, "service_requests", page.requests)
    if page.more:
        args = request.args.to_dict(flat=False)
        args["page"] = [str(int(request.args.get("page") or 1) + 1)]
        args.pop("api_key", None)  # a link is logged and shared: never put the key in one
        nxt = url_for("open311.request_list", fmt=fmt, _external=True, **args)
        resp.headers["Link"] = f'<{nxt}>; rel="next"'
    return _done(resp)


@bp.get(f"/requests/<request_id>.{FMT}")
def request_one(fmt: str, request_id: str):
    caller = identify(db.session, request.args, utcnow())
    return _done(render.document(fmt, "service_requests",
                                 queries.one(db.session, caller, request_id)))


@bp.get(f"/tokens/<token>.{FMT}")
def token(fmt: str, token: str):
    caller = identify(db.session, request.args, utcnow())
    return _done(render.document(fmt, "service_requests",
                                 queries.token(db.session, caller, token)))


def _form() -> MultiDict:
    """The POST's parameters, read in full before the database is touched: the body (form
    fields win) over the query string, which some clients use instead."""
    request.max_content_length = current_app.config["OPEN311_MAX_BODY"]
    if request.content_length and request.mimetype not in FORM_TYPES:
        raise bad("Send the request body as application/x-www-form-urlencoded")
    form = request.form
    if request.files:
        raise bad("media uploads are not accepted: send media_url, a link to the media")
    params = MultiDict(request.args)
    for name in form:
        params.setlist(name, form.getlist(name))
    return params


@bp.post(f"/requests.{FMT}")
@limiter.limit(lambda: current_app.config["RATELIMIT_OPEN311_POST"])
def request_create(fmt: str):
    params = _form()
    now = utcnow()
    caller = identify(db.session, params, now, key_required=True, action="create_request")
    new = create.parse(db.session, caller, params)
    comment = create.create(db.session, caller, new, now, router_cache.router_for)
    db.session.commit()
    with force_locale(caller.lang):
        notice = create.notice(comment, caller.municipality, gettext)
    return render.document(fmt, "service_requests", [
        {"service_request_id": str(comment.id), "service_notice": notice}])


def _done(resp):
    """End the read's transaction (and keep a key's last use, when it moved)."""
    db.session.commit()
    return resp
