"""All models, importable from one place (Alembic and the app need every table registered)."""

from walkapp.models.base import Base, utcnow
from walkapp.models.comment import (
    KINDS,
    STATUSES,
    UNREVIEWED,
    Comment,
    Photo,
    RoutingDecision,
    StatusChange,
)
from walkapp.models.device import Device, hash_token
from walkapp.models.municipality import LANGUAGES, Category, Department, Municipality, ServiceArea
from walkapp.models.photo_data import PhotoData
from walkapp.models.user import ROLES, User
from walkapp.models.walk import WALK_STATUSES, Track, Walk

__all__ = [
    "KINDS", "LANGUAGES", "ROLES", "STATUSES", "UNREVIEWED", "WALK_STATUSES",
    "Base", "Category", "Comment", "Department", "Device", "Municipality", "Photo", "PhotoData",
    "RoutingDecision", "ServiceArea", "StatusChange", "Track", "User", "Walk",
    "hash_token", "utcnow",
]
