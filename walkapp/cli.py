"""The `walkapp` command: init-db, create-user, import-areas, export-geojson, copy-photos,
demo, api-key, deliver, purge; the first-run and scripting commands are in
walkapp/cli_setup.py."""

import json
import logging
import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from walkapp.extensions import db
from walkapp.models import ROLES, ApiKey, Department, Municipality, User, utcnow


def main() -> None:
    from walkapp import create_app

    cli = FlaskGroup(create_app=create_app, help="walkapp: community walks, offline first.")
    cli.main(prog_name="walkapp")


def _municipality(slug: str | None) -> Municipality:
    munis = db.session.scalars(select(Municipality)).all()
    if slug:
        munis = [m for m in munis if m.slug == slug]
    if len(munis) != 1:
        names = ", ".join(m.slug for m in db.session.scalars(select(Municipality))) or "none"
        raise click.UsageError(
            f"choose a municipality with --municipality (known: {names})" if not slug else
            f"no municipality {slug!r} (known: {names})")
    return munis[0]


def _department(muni: Municipality, slug: str) -> Department:
    dept = db.session.scalar(select(Department).where(
        Department.municipality_id == muni.id, Department.slug == slug))
    if dept is None:
        known = ", ".join(d.slug for d in muni.departments) or "none"
        raise click.UsageError(f"no department {slug!r} in {muni.slug} (known: {known})")
    return dept


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the newest migration."""
    upgrade()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--municipality", "muni_slug", help="municipality slug (if more than one)")
@click.option("--department", "dept_slug", help="department slug (role 'department')")
@click.option("--password", help="prompted for if left out (better: keeps it out of history)")
@with_appcontext
def create_user(email, name, role, muni_slug, dept_slug, password) -> None:
    """Create a staff account."""
    muni = _municipality(muni_slug)
    dept = _department(muni, dept_slug) if dept_slug else None
    if role == "department" and dept is None:
        raise click.UsageError("role 'department' needs --department")
    if db.session.scalar(select(User).where(User.email == email.lower())):
        raise click.UsageError(f"a user with email {email!r} exists already")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.UsageError("the password must have at least 10 characters")
    user = User(email=email.lower(), name=name, role=role, municipality=muni, department=dept)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {user.email}")


@click.command("import-areas")
@click.argument("file", type=click.File("rb"))
@click.option("--department", "dept_slug", required=True, help="department the areas belong to")
@click.option("--municipality", "muni_slug", help="municipality slug (if more than one)")
@click.option("--replace", is_flag=True, help="delete the department's existing areas first")
@with_appcontext
def import_areas(file, dept_slug, muni_slug, replace) -> None:
    """Import service areas from a GeoJSON FeatureCollection of (Multi)Polygons.

    Feature properties: name, categories (list of slugs; absent = all), priority (integer).
    Nothing is written unless every feature is valid.
    """
    from walkapp.areas import AreaImportError, parse_feature_collection, replace_areas

    muni = _municipality(muni_slug)
    dept = _department(muni, dept_slug)
    try:
        areas = parse_feature_collection(file.read(), source=file.name)
    except AreaImportError as err:
        raise click.ClickException(str(err)) from None
    added = replace_areas(db.session, dept, areas, replace=replace)
    db.session.commit()
    click.echo(f"imported {added} area(s) for {dept.slug}")


@click.command("export-geojson")
@click.option("--walk", "join_code", help="only this walk")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--staff", is_flag=True,
              help="keep hidden inputs (marked) and the original texts: not for publication")
@with_appcontext
def export_geojson(join_code, output, staff) -> None:
    """Write comments as a GeoJSON FeatureCollection (RFC 7946).

    Public by default: hidden inputs left out, redacted texts. Never device ids or the
    server's per-batch arrival time (only the day it arrived).
    """
    from walkapp.export import comments_feature_collection

    fc = comments_feature_collection(db.session, join_code, public=not staff)
    json.dump(fc, output, ensure_ascii=False, indent=1)
    output.write("\n")
    if output is not sys.stdout:
        click.echo(f"wrote {len(fc['features'])} comment(s)", err=True)


@click.command("copy-photos")
@click.option("--to", "target", type=click.Choice(["local", "database"]), required=True,
              help="where the photos should be: the folder (PHOTO_FOLDER) or the database")
@with_appcontext
def copy_photos(target) -> None:
    """Copy every stored photo from the other storage into TARGET (e.g. before switching
    WALKAPP_PHOTO_STORAGE to database for several app servers). Safe to run again."""
    from walkapp import photo_store
    from walkapp.models import Photo
    from walkapp.photos import Processed

    cfg = current_app.config
    source = "database" if target == "local" else "local"
    src = photo_store.make_store(source, cfg["PHOTO_FOLDER"])
    dst = photo_store.make_store(target, cfg["PHOTO_FOLDER"])
    rows = db.session.execute(select(Photo.id, Photo.width, Photo.height)
                              .where(Photo.stored_at.is_not(None)).order_by(Photo.id)).all()
    copied, missing = 0, []
    for n, (photo_id, width, height) in enumerate(rows, 1):
        full, thumb = src.open(db.session, photo_id, "full"), src.open(db.session, photo_id,
                                                                          "thumb")
        if full is None or thumb is None:
            missing.append(str(photo_id))
        else:
            with full, thumb:
                dst.save(db.session, photo_id, Processed(full.read(), thumb.read(), width,
                                                         height))
            copied += 1
        if n % 100 == 0:
            db.session.commit()  # in slices: a big archive is not one transaction
    db.session.commit()
    click.echo(f"copied {copied} photo(s) from {source} to {target}")
    if missing:
        click.echo(f"{len(missing)} photo(s) had no bytes in {source}: {', '.join(missing[:10])}",
                   err=True)
        raise SystemExit(1)
    click.echo(f"now set WALKAPP_PHOTO_STORAGE={target} and restart the app servers")


@click.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--no-serve", is_flag=True, help="seed only")
@with_appcontext
def demo(host, port, no_serve) -> None:
    """Seed the Uppvidinge demo municipality and serve the app with local demo tiles."""
    from walkapp import photo_store
    from walkapp.demo import seed

    upgrade()
    info = seed(db.session, photos=photo_store.for_app(current_app))
    base = f"http://{host}:{port}"
    click.echo(info.describe(base))
    if no_serve:
        return
    from walkapp import serving

    app = current_app._get_current_object()
    app.config["DEMO_TILES"] = True
    # Not app.run(): Flask ignores it inside a `flask`/FlaskGroup command.
    server = serving.make(app, host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.group("api-key")
def api_key() -> None:
    """Open311 keys for departments' own systems (shown once, stored hashed, revocable)."""


@api_key.command("create")
@click.option("--department", "dept_slug", required=True, help="department the key is for")
@click.option("--name", required=True, help="which system will use it")
@click.option("--municipality", "muni_slug", help="municipality slug (if more than one)")
@with_appcontext
def api_key_create(dept_slug, name, muni_slug) -> None:
    """Issue a key. Only the key goes to stdout (KEY=$(walkapp api-key create …)); it is
    never shown again."""
    from walkapp import api_keys

    dept = _department(_municipality(muni_slug), dept_slug)
    try:
        issued = api_keys.issue(db.session, dept, name, utcnow())
    except api_keys.ApiKeyError as err:
        raise click.UsageError(str(err)) from None
    db.session.commit()
    click.echo(f"key {issued.key.id} ({issued.key.prefix}…) for {dept.slug}: {name}", err=True)
    click.echo(issued.secret)
    click.echo("Put it in that system's configuration now: it is not shown again.", err=True)


@api_key.command("list")
@click.option("--municipality", "muni_slug", help="municipality slug (if more than one)")
@with_appcontext
def api_key_list(muni_slug) -> None:
    """Every key of the municipality, newest first (never the keys themselves); times are
    the municipality's local times."""
    from zoneinfo import ZoneInfo

    from walkapp import api_keys

    muni = _municipality(muni_slug)
    tz = ZoneInfo(muni.timezone)
    for key in api_keys.keys_of(db.session, muni.id):
        state = (f"revoked {key.revoked_at.astimezone(tz):%Y-%m-%d}" if key.revoked_at else
                 "department deactivated" if not key.department.active else "active")
        used = (f"{key.last_used_at.astimezone(tz):%Y-%m-%d %H:%M}" if key.last_used_at
                else "never")
        click.echo(f"{key.id:>4}  {key.prefix}…  {key.department.slug:<16} {state:<22} "
                   f"last used {used:<16}  {key.name}")


@api_key.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def api_key_revoke(key_id) -> None:
    """Revoke a key (its id from `walkapp api-key list`); the system holding it is refused
    from the next request on."""
    from walkapp import api_keys

    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise click.UsageError(f"no key with id {key_id}")
    if not api_keys.revoke(key, utcnow()):
        click.echo(f"key {key.id} ({key.prefix}…) was revoked already")
        return
    db.session.commit()
    click.echo(f"revoked key {key.id} ({key.prefix}…) of {key.department.slug}: {key.name}")


@click.command("deliver")
@click.option("--loop", is_flag=True, help="keep running; wait --interval seconds when idle")
@click.option("--interval", type=float, help="seconds between runs with --loop "
              "(default WALKAPP_DELIVERY_INTERVAL_SECONDS)")
@with_appcontext
def deliver(loop, interval) -> None:
    """Send due e-mails, webhooks and push notices from the outbox.

    Safe to run as several processes at once: each outbox row is claimed by one of them.
    """
    from walkapp import delivery
    from walkapp.i18n import translations_for

    app = current_app._get_current_object()
    settings = delivery.Settings.from_config(app.config, translations_for(app))
    if not loop:
        counts = delivery.run_once(db.session, settings)
        click.echo("deliveries: " + " ".join(
            f"{state}={counts.get(state, 0)}" for state in ("sent", "retry", "failed",
                                                             "cancelled")))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # finish the message in hand, then stop
        signal.signal(sig, lambda *_: stopping.set())
    delivery.run_forever(db.session, settings,
                         interval or app.config["DELIVERY_INTERVAL_SECONDS"], stopping)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="count what would go, change nothing")
@with_appcontext
def purge(dry_run) -> None:
    """Remove personal data past its retention: residents' contact e-mails and push
    subscriptions (WALKAPP_PERSONAL_DATA_DAYS), and the payloads and recipients of old
    deliveries (WALKAPP_DELIVERY_PAYLOAD_DAYS). Submitted inputs are public records: kept."""
    from walkapp import privacy
    from walkapp.models import utcnow

    cfg = current_app.config
    counts = privacy.purge(db.session, utcnow(), cfg["PERSONAL_DATA_DAYS"],
                           cfg["DELIVERY_PAYLOAD_DAYS"])
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb}: " + ", ".join(f"{n} {what.replace('_', ' ')}"
                                        for what, n in counts.items()))


def init_app(app) -> None:
    from walkapp.cli_setup import COMMANDS

    for command in (init_db, create_user, import_areas, export_geojson, copy_photos, demo, api_key,
                    deliver, purge, *COMMANDS):
        app.cli.add_command(command)
