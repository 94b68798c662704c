"""`walkapp` commands for a municipality without the demo, for scripting what the admin and
walk pages do: create-municipality, add-department, add-category, create-walk,
set-walk-status. Every check lives in walkapp.organisation / walkapp.walks, so the commands
and the pages refuse the same input, and nothing is written unless all of it is valid."""

from datetime import datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from walkapp import checks, organisation, walks
from walkapp.checks import FieldError
from walkapp.cli import _municipality
from walkapp.extensions import db
from walkapp.models import WALK_STATUSES, Walk, utcnow
from walkapp.organisation import DEPARTMENT_KINDS


def _fail(err: FieldError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(f"{err.field}: {err}")


def _read(file) -> str | None:
    return file.read() if file is not None else None


@click.command("create-municipality")
@click.option("--name", required=True, help='e.g. "Uppvidinge kommun"')
@click.option("--slug", required=True, help="short name for commands, e.g. uppvidinge")
@click.option("--boundary", type=click.File("rb"),
              help="GeoJSON Polygon/MultiPolygon (a Feature or a collection of one) in WGS84")
@click.option("--timezone", default="Europe/Stockholm", show_default=True)
@click.option("--language", type=click.Choice(["sv", "da", "en"]), default="sv",
              show_default=True, help="default language for residents")
@click.option("--fallback-department", required=True,
              help="name of the department that gets what no service area covers")
@click.option("--fallback-email", help="its contact e-mail")
@click.option("--response-days", default=21, show_default=True, type=int,
              help="default days a department has to answer")
@click.option("--country", default="SE", show_default=True)
@click.option("--no-default-categories", is_flag=True,
              help="start without the standard categories (add them with add-category)")
@with_appcontext
def create_municipality(name, slug, boundary, timezone, language, fallback_department,
                        fallback_email, response_days, country, no_default_categories) -> None:
    """Create a municipality, its fallback department and its starting categories."""
    try:
        shape = checks.geometry(_read(boundary), "boundary", ("Polygon", "MultiPolygon"))
        muni = organisation.create_municipality(
            db.session, name=name, slug=slug, timezone=timezone, language=language,
            boundary=shape, fallback_name=fallback_department, fallback_email=fallback_email,
            response_days=response_days, country=country,
            categories=[] if no_default_categories else organisation.DEFAULT_CATEGORIES)
    except FieldError as err:
        raise _fail(err) from None
    db.session.commit()
    click.echo(f"created municipality {muni.slug} ({muni.name}); fallback department "
               f"{muni.fallback_department.slug}; {len(muni.categories)} categories")
    click.echo("next: walkapp create-user --role admin …, then sign in at /login")


@click.command("add-department")
@click.option("--name", required=True)
@click.option("--slug", help="short name for commands (default: made from the name)")
@click.option("--kind", type=click.Choice(list(DEPARTMENT_KINDS)), default="municipal",
              show_default=True, help="external = an outside body (company, agency, police)")
@click.option("--email", help="contact e-mail")
@click.option("--language", type=click.Choice(["sv", "da", "en"]),
              help="language of its mail (default: the municipality's)")
@click.option("--municipality", "muni_slug", help="municipality slug (if more than one)")
@with_appcontext
def add_department(name, slug, kind, email, language, muni_slug) -> None:
    """Add a department or an outside body."""
    muni = _municipality(muni_slug)
    try:
        dept = organisation.save_department(db.session, muni, name=name, slug=slug, kind=kind,
                                            email_address=email, language=language)
    except FieldError as err:
        raise _fail(err) from None
    db.session.commit()
    click.echo(f"added department {dept.slug} ({dept.name})")


@click.command("add-category")
@click.option("--slug", required=True, help="what phones send and areas list, e.g. snow")
@click.option("--sv", required=True, help="Swedish label")
@click.option("--da", required=True, help="Danish label")
@click.option("--en", required=True, help="English label")
@click.option("--position", type=int, help="place in the list (default: last)")
@click.option("--municipality", "muni_slug", help="municipality slug (if more than one)")
@with_appcontext
def add_category(slug, sv, da, en, position, muni_slug) -> None:
    """Add a category residents can choose."""
    muni = _municipality(muni_slug)
    try:
        cat = organisation.save_category(db.session, muni, slug=slug, sv=sv, da=da, en=en,
                                         sort_order=position)
    except FieldError as err:
        raise _fail(err) from None
    db.session.commit()
    click.echo(f"added category {cat.slug}")


@click.command("create-walk")
@click.option("--title", required=True)
@click.option("--locality", required=True)
@click.option("--starts", required=True, metavar="'YYYY-MM-DD HH:MM'",
              help="local time in the municipality's time zone")
@click.option("--meeting-point", default="", help="where people meet, in words")
@click.option("--meeting-lonlat", metavar="LON,LAT", help="the meeting point on the map")
@click.option("--area", type=click.File("rb"), help="GeoJSON Polygon the walk covers")
@click.option("--route", type=click.File("rb"), help="GeoJSON LineString of the planned route")
@click.option("--open", "open_now", is_flag=True, help="open it for pins at once")
@click.option("--municipality", "muni_slug", help="municipality slug (if more than one)")
@with_appcontext
def create_walk(title, locality, starts, meeting_point, meeting_lonlat, area, route, open_now,
                muni_slug) -> None:
    """Plan a walk; prints its join code."""
    muni = _municipality(muni_slug)
    try:
        when = datetime.strptime(starts.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise click.BadParameter("use 'YYYY-MM-DD HH:MM', e.g. '2026-05-20 17:30'",
                                 param_hint="--starts") from None
    lon, _, lat = (meeting_lonlat or "").partition(",")
    data = walks.WalkInput(title=title, locality=locality, day=when.date(), at=when.time(),
                           meeting_point=meeting_point, meeting_lon=lon, meeting_lat=lat,
                           area=_read(area), route=_read(route),
                           status="open" if open_now else "planned")
    try:
        walk = walks.save_walk(db.session, muni, data, utcnow())
    except FieldError as err:
        raise _fail(err) from None
    db.session.commit()
    click.echo(f"created walk {walk.join_code} ({walk.status}): {walk.title}")


@click.command("set-walk-status")
@click.argument("join_code")
@click.argument("status", type=click.Choice(WALK_STATUSES))
@with_appcontext
def set_walk_status(join_code, status) -> None:
    """Open or close a walk (closing stops new pins made after this moment)."""
    walk = db.session.scalar(select(Walk).where(Walk.join_code == join_code.upper()))
    if walk is None:
        raise click.UsageError(f"no walk has the join code {join_code!r}")
    if walk.status != status:
        try:
            walks.set_status(db.session, walk, status, utcnow())
        except FieldError as err:
            raise _fail(err) from None
    db.session.commit()
    click.echo(f"walk {walk.join_code} is {walk.status}")


COMMANDS = (create_municipality, add_department, add_category, create_walk, set_walk_status)
