"""All models, importable from one place (Alembic and the app need every table registered)."""

from walkapp.models.base import Base, utcnow
from walkapp.models.comment import (
    ACTIONS,
    KINDS,
    SOURCES,
    STATUSES,
    UNREVIEWED,
    Comment,
    Photo,
    RoutingDecision,
    StatusChange,
)
from walkapp.models.delivery import CHANNELS, EVENTS, STATES, Delivery
from walkapp.models.device import Device, hash_token
from walkapp.models.municipality import (
    EMAIL_MODES,
    LANGUAGES,
    Category,
    Department,
    Municipality,
    ServiceArea,
)
from walkapp.models.open311 import ApiKey, Open311Request
from walkapp.models.photo_data import PhotoData
from walkapp.models.user import ROLES, User
from walkapp.models.walk import WALK_STATUSES, Track, Walk

__all__ = [
    "ACTIONS", "CHANNELS", "EMAIL_MODES", "EVENTS", "KINDS", "LANGUAGES", "ROLES", "SOURCES",
    "STATES", "STATUSES", "UNREVIEWED", "WALK_STATUSES",
    "ApiKey", "Base", "Category", "Comment", "Delivery", "Department", "Device", "Municipality",
    "Open311Request", "Photo", "PhotoData", "RoutingDecision", "ServiceArea", "StatusChange",
    "Track", "User", "Walk",
    "hash_token", "utcnow",
]
