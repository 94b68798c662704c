"""Settings: defaults, then WALKAPP_* environment variables, then a test mapping overrides all."""

import os
import secrets
from pathlib import Path

MB = 1024 * 1024
# The browsers' push services (Chrome/Edge: FCM and WNS, Firefox: Mozilla, Safari: Apple).
PUSH_SERVICES = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "*.push.apple.com",
                 "*.notify.windows.com")


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(instance: Path) -> str:
    """WALKAPP_SECRET_KEY, else a key generated once into the instance folder (never in code)."""
    if key := os.environ.get("WALKAPP_SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def defaults(instance: Path) -> dict:
    env = os.environ.get
    return {
        "SECRET_KEY": None,  # filled lazily by load(): the test mapping may provide one
        "SQLALCHEMY_DATABASE_URI": env("WALKAPP_DATABASE_URL")
        or f"sqlite:///{instance / 'walkapp.db'}",
        "PHOTO_FOLDER": env("WALKAPP_PHOTO_DIR") or str(instance / "photos"),
        # Map tiles: a URL template for Leaflet. Relative URLs are served by walkapp itself,
        # from WALKAPP_MBTILES, or from the built-in demo renderer when WALKAPP_DEMO_TILES is on.
        "TILE_URL": env("WALKAPP_TILE_URL") or "/tiles/{z}/{x}/{y}.png",
        "TILE_ATTRIBUTION": env("WALKAPP_TILE_ATTRIBUTION") or "",
        "TILE_MIN_ZOOM": int(env("WALKAPP_TILE_MIN_ZOOM") or 5),
        "TILE_MAX_ZOOM": int(env("WALKAPP_TILE_MAX_ZOOM") or 18),
        "MBTILES_PATH": env("WALKAPP_MBTILES"),
        "DEMO_TILES": _env_bool("WALKAPP_DEMO_TILES", False),
        # Offline area download offered to residents when they join a walk.
        "OFFLINE_MIN_ZOOM": int(env("WALKAPP_OFFLINE_MIN_ZOOM") or 13),
        "OFFLINE_MAX_ZOOM": int(env("WALKAPP_OFFLINE_MAX_ZOOM") or 17),
        "OFFLINE_MAX_TILES": int(env("WALKAPP_OFFLINE_MAX_TILES") or 2500),
        "OFFLINE_MARGIN_M": float(env("WALKAPP_OFFLINE_MARGIN_M") or 300),
        # API limits.
        "SYNC_MAX_ITEMS": 200,
        "SYNC_MAX_BYTES": 2 * MB,
        "PHOTO_MAX_BYTES": int(env("WALKAPP_PHOTO_MAX_BYTES") or 15 * MB),
        "PHOTO_MAX_PIXELS": int(env("WALKAPP_PHOTO_MAX_PIXELS") or 40_000_000),
        "PHOTO_MAX_SIDE": 2048,
        "PHOTO_THUMB_SIDE": 320,
        "PHOTOS_PER_COMMENT": 6,
        "FEED_PAGE_SIZE": 100,
        # The feed cursor stays this far behind the clock (walkapp/api/devices.py).
        "FEED_SETTLE_SECONDS": float(env("WALKAPP_FEED_SETTLE_SECONDS") or 60),
        # The PWA shell's version; by default a hash of its files (walkapp/field/shell.py).
        "PWA_VERSION": env("WALKAPP_PWA_VERSION"),
        "TRACK_MAX_POINTS": 20_000,
        "MAX_CONTENT_LENGTH": 16 * MB,
        # Per client address. A whole walk may share one mobile network's NAT; phones only
        # register when they first have something to send, so registrations spread out.
        "RATELIMIT_DEVICES": env("WALKAPP_RATELIMIT_DEVICES") or "120 per minute;2000 per day",
        # Open311 POSTs per client address: a runaway integration must not flood the inboxes.
        "RATELIMIT_OPEN311_POST": env("WALKAPP_RATELIMIT_OPEN311_POST") or "120 per minute",
        "OPEN311_MAX_BODY": 128 * 1024,  # a 4000-character description, percent-encoded
        # Shown in the Open311 discovery document.
        "OPEN311_CONTACT": env("WALKAPP_OPEN311_CONTACT")
        or "Contact the municipality's walkapp administrators.",
        "OPEN311_KEY_SERVICE": env("WALKAPP_OPEN311_KEY_SERVICE")
        or "API keys are issued per department by the municipality's walkapp administrators.",
        "RATELIMIT_STORAGE_URI": env("WALKAPP_RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": env("WALKAPP_DEFAULT_LANGUAGE") or "sv",
        # One-time set-password links for invited staff (walkapp/invites.py).
        "INVITE_DAYS": float(env("WALKAPP_INVITE_DAYS") or 7),
        # The address residents and staff use: join links on posters, invite links, links in
        # e-mails and webhooks. None = the address of the request (pages); the delivery
        # worker has no request and falls back to http://127.0.0.1:5000, so set it there.
        "PUBLIC_URL": (env("WALKAPP_PUBLIC_URL") or "").rstrip("/") or None,
        # The officials' live view of an open walk asks for new pins this often.
        "LIVE_POLL_SECONDS": float(env("WALKAPP_LIVE_POLL_SECONDS") or 5),
        # For pages not tied to a municipality; each municipality has its own time zone.
        "DEFAULT_TIMEZONE": env("WALKAPP_DEFAULT_TIMEZONE") or "Europe/Stockholm",
        # Outgoing mail (walkapp/mailer.py). Without a host, e-mail deliveries fail and wait
        # on the admins' deliveries page until mail is configured and they are retried.
        "SMTP_HOST": env("WALKAPP_SMTP_HOST"),
        "SMTP_PORT": int(env("WALKAPP_SMTP_PORT") or 587),
        "SMTP_SECURITY": env("WALKAPP_SMTP_SECURITY") or "starttls",  # starttls | ssl | none
        "SMTP_USER": env("WALKAPP_SMTP_USER"),
        "SMTP_PASSWORD": env("WALKAPP_SMTP_PASSWORD"),
        "SMTP_FROM": env("WALKAPP_SMTP_FROM") or "walkapp@localhost",
        # The delivery worker (`walkapp deliver`, walkapp/delivery.py).
        "DELIVERY_MAX_ATTEMPTS": int(env("WALKAPP_DELIVERY_MAX_ATTEMPTS") or 8),
        "DELIVERY_BACKOFF_SECONDS": float(env("WALKAPP_DELIVERY_BACKOFF_SECONDS") or 60),
        "DELIVERY_BACKOFF_MAX_SECONDS": float(env("WALKAPP_DELIVERY_BACKOFF_MAX_SECONDS")
                                              or 6 * 3600),
        "DELIVERY_TIMEOUT_SECONDS": float(env("WALKAPP_DELIVERY_TIMEOUT_SECONDS") or 15),
        # How long a claimed row stays the claimer's; longer than any one send can take.
        "DELIVERY_LEASE_SECONDS": float(env("WALKAPP_DELIVERY_LEASE_SECONDS") or 120),
        "DELIVERY_INTERVAL_SECONDS": float(env("WALKAPP_DELIVERY_INTERVAL_SECONDS") or 10),
        "WEBHOOK_SECRET_GRACE_HOURS": float(env("WALKAPP_WEBHOOK_SECRET_GRACE_HOURS") or 24),
        # Web Push (walkapp/push.py): the VAPID key is made on first use unless given.
        "VAPID_PRIVATE_KEY": env("WALKAPP_VAPID_PRIVATE_KEY")
        or str(instance / "vapid_private.pem"),
        "VAPID_SUBJECT": env("WALKAPP_VAPID_SUBJECT"),  # default: mailto:<SMTP_FROM>
        # Devices may register push endpoints only at these push services (no SSRF).
        "PUSH_SERVICE_HOSTS": (env("WALKAPP_PUSH_SERVICE_HOSTS") or ",".join(PUSH_SERVICES))
        .split(","),
        "PUSH_ALLOW_HTTP": _env_bool("WALKAPP_PUSH_ALLOW_HTTP", False),
        # Personal data (walkapp/privacy.py, `walkapp purge`).
        "PERSONAL_DATA_DAYS": int(env("WALKAPP_PERSONAL_DATA_DAYS") or 365),
        "DELIVERY_PAYLOAD_DAYS": int(env("WALKAPP_DELIVERY_PAYLOAD_DAYS") or 90),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("WALKAPP_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }


def load(app, test_config: dict | None) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(defaults(instance))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance)
    Path(app.config["PHOTO_FOLDER"]).mkdir(parents=True, exist_ok=True)
