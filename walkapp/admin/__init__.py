"""Administrators: users, departments and outside bodies, categories, service areas,
municipality settings, deliveries and Open311 keys. One module per section."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from walkapp.admin import deliveries, delivery_settings, routes  # noqa: E402, F401
