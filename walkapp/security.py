"""Headers on every response: a strict CSP (no inline script), no sniffing, no framing."""

from urllib.parse import urlsplit


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
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        return resp
