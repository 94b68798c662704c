"""Headers on every response: a strict CSP (no inline script), no sniffing, no framing;
HSTS behind HTTPS; and nothing a signed-in person sees is kept by any cache."""

from urllib.parse import urlsplit

from flask import request
from flask_login import current_user

# Blueprints whose pages are staff-only or carry a form token (sign-in), whoever asks.
STAFF_BLUEPRINTS = frozenset({"auth", "review"})
HSTS = "max-age=31536000"  # one year; no includeSubDomains: other hosts are not ours to pin


def _private() -> bool:
    if request.endpoint == "static" or request.blueprint == "api":
        # Shared caches do not store answers to requests with an Authorization header
        # (RFC 9111 §3.5), and the phone fetches with cache: 'no-store' itself.
        return False
    return request.blueprint in STAFF_BLUEPRINTS or current_user.is_authenticated


def _tile_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def init_app(app) -> None:
    tiles = _tile_origin(app.config["TILE_URL"])
    extra = f" {tiles}" if tiles else ""
    csp = "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        # Leaflet positions its panes with style attributes set from script.
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{extra}",
        f"connect-src 'self'{extra}",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])

    @app.after_request
    def _headers(resp):
        if _private():
            # A shared office computer, a proxy or the back button after sign-out must not
            # show a resident's text or photo again.
            resp.headers["Cache-Control"] = "no-store, private"
            resp.vary.add("Cookie")
        if app.config["SECURE_COOKIES"]:
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        return resp
