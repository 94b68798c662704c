"""A printable A4 poster per walk: title, local time, meeting point, a QR code of the join
link (segno, inline SVG: no image files, sharp at any print size) and the join code."""

import segno
from flask import current_app, render_template, request, url_for
from flask_babel import force_locale
from markupsafe import Markup

from walkapp.access import OFFICIALS, roles_required
from walkapp.models import LANGUAGES
from walkapp.review import bp
from walkapp.review.walk_form import own_walk


def public_url(endpoint: str, **values) -> str:
    """An absolute link for print: WALKAPP_PUBLIC_URL if set, else the address asked for."""
    base = current_app.config["PUBLIC_URL"]
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_svg(data: str, title: str) -> Markup:
    # Error correction "Q" (25 %): a poster outdoors gets rained on and taped over.
    code = segno.make(data, error="q", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", title=title,
                          dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704  (segno writes only its own markup and escapes the title)


@bp.get("/walks/<join_code>/poster")
@roles_required(*OFFICIALS)
def poster(join_code: str):
    walk = own_walk(join_code)
    lang = request.args.get("in")
    lang = lang if lang in LANGUAGES else walk.municipality.default_language
    join_url = public_url("field.walk", join_code=walk.join_code)
    results_url = (public_url("public.walk", join_code=walk.join_code)
                   if "public.walk" in current_app.view_functions else None)
    with force_locale(lang):
        return render_template("review/poster.html", walk=walk, join_url=join_url,
                               results_url=results_url, poster_lang=lang,
                               qr=qr_svg(join_url, walk.join_code))
