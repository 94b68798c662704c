"""Administrators: users, departments and outside bodies, categories, service areas,
municipality settings, deliveries and Open311 keys. One module per section."""

from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.app_template_filter("area_size")
def area_size(m2: float) -> str:
    """m² below a hectare, km² above (with the decimals that matter)."""
    return f"{m2:,.0f} m²".replace(",", "\u00a0") if m2 < 10_000 else f"{m2 / 1e6:.2f} km²"

from walkapp.admin import (  # noqa: E402, F401
    api_keys,
    areas,
    categories,
    deliveries,
    delivery_settings,
    departments,
    municipality,
    routes,
    users,
)
