"""The walk report for the dialogue meeting: a printable page and the same page as PDF."""

from pathlib import Path

from flask import abort, current_app, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from walkapp import report as walk_report
from walkapp.access import OFFICIALS, roles_required
from walkapp.extensions import db
from walkapp.models import LANGUAGES, Walk, utcnow
from walkapp.review import bp

officials_required = roles_required(*OFFICIALS)
STYLESHEET = "css/report.css"


def _walk(join_code: str) -> Walk:
    walk = db.session.scalar(select(Walk).where(
        Walk.join_code == join_code.upper(), Walk.municipality_id == current_user.municipality_id))
    if walk is None:
        abort(404)
    return walk


def _language() -> str:
    lang = request.args.get("language") or str(get_locale())
    return lang if lang in LANGUAGES else current_app.config["BABEL_DEFAULT_LOCALE"]


def _render(join_code: str, pdf: bool) -> str:
    walk = _walk(join_code)
    now = utcnow()
    data = walk_report.build(db.session, walk, now)
    style = (Path(current_app.static_folder) / STYLESHEET).read_text(encoding="utf-8")
    language = _language()
    with force_locale(language):
        svg = walk_report.overview_svg(data, _("Overview map of %(walk)s", walk=walk.title))
        # Both are ours: the SVG escapes every text it carries, the CSS is a static file.
        return render_template("review/report.html", r=data, walk=walk,
                               svg=Markup(svg),  # noqa: S704
                               style=Markup(style),  # noqa: S704
                               pdf=pdf, language=language, lang=language,
                               generated=now, languages=LANGUAGES)


@bp.get("/walks/<join_code>/report")
@officials_required
def report(join_code: str):
    return _render(join_code, pdf=False)


def _no_fetch(url: str, *args, **kwargs):
    # The PDF is drawn from what the page carries inline: never fetch anything, anywhere.
    raise ValueError(f"walkapp's report fetches nothing ({url[:60]})")


@bp.get("/walks/<join_code>/report.pdf")
@officials_required
def report_pdf(join_code: str):
    html = _render(join_code, pdf=True)
    db.session.rollback()  # drawing the PDF is slow: hold no transaction meanwhile
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    resp = current_app.response_class(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="walk-report-{join_code.upper()}-{_language()}.pdf"')
    resp.headers["Cache-Control"] = "no-store"
    return resp
