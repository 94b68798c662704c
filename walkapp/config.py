"""Settings: defaults, then WALKAPP_* environment variables, then a test mapping overrides all."""

import os
import secrets
from datetime import timedelta
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
        # A pooled connection the database has closed (restart, failover, an idle timeout,
        # pg_terminate_backend) is noticed and replaced before a request uses it.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Photo bytes: "local" (PHOTO_FOLDER) or "database" (shared by every app server).
        "PHOTO_STORAGE": env("WALKAPP_PHOTO_STORAGE") or "local",
        "PHOTO_FOLDER": env("WALKAPP_PHOTO_DIR") or str(instance / "photos"),
        # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none, and
        # those headers are ignored, so a client cannot choose its own address).
        "TRUSTED_PROXIES": int(env("WALKAPP_TRUSTED_PROXIES") or 0),
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
        # A push subscription or an e-mail address: a few hundred bytes.
        "SMALL_BODY_MAX_BYTES": 8 * 1024,
        "PHOTO_MAX_BYTES": int(env("WALKAPP_PHOTO_MAX_BYTES") or 15 * MB),
        # The field app sends at most 1600 px on the long side (≤ 2.6 Mpx); 8 Mpx leaves a
        # margin for other clients and a 3264×2448 camera original, and bounds one decode's
        # memory to ~100 MB (a 40 Mpx PNG took 648 MB).
        "PHOTO_MAX_PIXELS": int(env("WALKAPP_PHOTO_MAX_PIXELS") or 8_000_000),
        # Photos decoded at once per process, and how long one waits for its turn.
        "PHOTO_DECODE_SLOTS": int(env("WALKAPP_PHOTO_DECODE_SLOTS") or 2),
        "PHOTO_DECODE_WAIT_SECONDS": float(env("WALKAPP_PHOTO_DECODE_WAIT_SECONDS") or 30),
        "PHOTO_MAX_SIDE": 2048,
        "PHOTO_THUMB_SIDE": 320,
        "PHOTOS_PER_COMMENT": 6,
        "FEED_PAGE_SIZE": 100,
        # The feed cursor stays this far behind the clock (walkapp/api/devices.py).
        "FEED_SETTLE_SECONDS": float(env("WALKAPP_FEED_SETTLE_SECONDS") or 60),
        # The PWA shell's version; by default a hash of its files (walkapp/field/shell.py).
        "PWA_VERSION": env("WALKAPP_PWA_VERSION"),
        "TRACK_MAX_POINTS": 20_000,
        # A pin dated further ahead than this is refused (a phone clock may be a little off,
        # or in the wrong time zone; year 9999 is not a clock that is a little off).
        "CLOCK_SKEW_SECONDS": float(env("WALKAPP_CLOCK_SKEW_SECONDS") or 24 * 3600),
        # A pin further than this from the municipality (its boundary, else its service
        # areas, else the walk) is refused: [0, 0] is a GPS fault, not a place in town.
        "LOCATION_MARGIN_M": float(env("WALKAPP_LOCATION_MARGIN_M") or 20_000),
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
        # Per device: photos that had to be decoded (a retry of a stored photo costs nothing
        # and is not counted). A phone draining a whole walk's outbox stays well inside.
        "RATELIMIT_PHOTOS": env("WALKAPP_RATELIMIT_PHOTOS") or "60 per minute;600 per hour",
        # Failed sign-ins per account (whatever the address): a growing wait, not a lockout.
        "RATELIMIT_LOGIN_ACCOUNT": env("WALKAPP_RATELIMIT_LOGIN_ACCOUNT")
        or "5 per minute;20 per hour;60 per day",
        "RATELIMIT_STORAGE_URI": env("WALKAPP_RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_KEY_PREFIX": env("WALKAPP_RATELIMIT_KEY_PREFIX") or "walkapp",
        # Redis unreachable: each process counts on its own meanwhile, rather than every
        # request failing; it switches back when Redis answers again.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
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
        # Served over HTTPS: Secure on the session and remember cookies, and HSTS
        # (walkapp/security.py). One switch, so the two cookies never disagree.
        "SECURE_COOKIES": _env_bool("WALKAPP_SECURE_COOKIES", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # Seconds the dev server (`walkapp demo`) waits for a slow client before giving up.
        "REQUEST_READ_TIMEOUT": float(env("WALKAPP_REQUEST_READ_TIMEOUT") or 30),
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
    secure = bool(app.config["SECURE_COOKIES"])
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
