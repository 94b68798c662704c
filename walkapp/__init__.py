"""walkapp: offline-first field app for municipal community walks."""

import os
from pathlib import Path

from flask import Flask
from flask_login import current_user

PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(name: str) -> str:
    # Installed wheels carry static/ and templates/ inside the package; a source checkout
    # (and an editable install) keeps them at the top level beside walkapp/.
    inside = PACKAGE_DIR / name
    return str(inside if inside.is_dir() else PACKAGE_DIR.parent / name)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; test_config overrides every other setting."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        # WALKAPP_INSTANCE moves the instance folder (database, secret key, photos) elsewhere.
        instance_path=os.environ.get("WALKAPP_INSTANCE") or None,
        static_folder=_resource_dir("static"),
        template_folder=_resource_dir("templates"),
    )
    from walkapp import config

    config.load(app, test_config)

    from walkapp import errors, i18n, photo_store, photos, security
    from walkapp.database import release_sessions_quietly, retry_on_lost_connection, tune_engine
    from walkapp.extensions import csrf, db, limiter, login_manager, migrate

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Client address and scheme from the proxies' X-Forwarded-For/-Proto, and only as
        # many hops as we trust: anything a client adds beyond them is ignored.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.extensions[photo_store.EXTENSION_KEY] = photo_store.make_store(
        app.config["PHOTO_STORAGE"], app.config["PHOTO_FOLDER"])
    app.extensions[photos.SLOTS_KEY] = photos.DecodeSlots(
        app.config["PHOTO_DECODE_SLOTS"], app.config["PHOTO_DECODE_WAIT_SECONDS"])
    db.init_app(app)
    release_sessions_quietly(app, db.session)
    with app.app_context():
        tune_engine(db.engine)
    # Batch mode lets later migrations alter SQLite tables (it recreates them).
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)

    from walkapp.admin import bp as admin_bp
    from walkapp.api import bp as api_bp
    from walkapp.auth import bp as auth_bp
    from walkapp.field import bp as field_bp
    from walkapp.inbox import bp as inbox_bp
    from walkapp.open311 import bp as open311_bp
    from walkapp.public import bp as public_bp
    from walkapp.review import bp as review_bp

    csrf.exempt(api_bp)  # token-authenticated JSON API: no cookies, so no CSRF
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(open311_bp)  # keys travel as parameters, never cookies: nothing to forge
    app.register_blueprint(open311_bp, url_prefix="/open311/v2")
    app.register_blueprint(field_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(inbox_bp, url_prefix="/inbox")
    app.register_blueprint(public_bp)

    from walkapp import cli

    cli.init_app(app)
    retry_on_lost_connection(app, db.session)

    from walkapp.access import nav_for

    app.add_template_global(lambda: nav_for(current_user), "staff_nav")
    return app
