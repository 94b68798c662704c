"""Checks shared by the CLI, the admin pages and the walk form: slugs, time zones, languages,
GeoJSON geometries. Every failure is a FieldError naming the field at fault. No Flask."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

import numpy as np
import shapely
from shapely.geometry import shape

from walkapp.labels import N_
from walkapp.models import LANGUAGES
from walkapp.schemas import SLUG

_SLUG_RE = re.compile(SLUG)
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ß": "ss"})


@dataclass
class FieldError(ValueError):
    """Bad input. field names the form field (or CLI option) at fault; message is a msgid,
    translated by the web layer, with %(name)s placeholders filled from params."""

    field: str
    message: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


def text(value: str | None, name: str, max_length: int = 200, required: bool = True) -> str:
    """Trimmed text; required and length-checked."""
    value = (value or "").strip()
    if required and not value:
        raise FieldError(name, N_("This field is required."))
    if len(value) > max_length:
        raise FieldError(name, N_("At most %(n)s characters."), {"n": max_length})
    return value


def slugify(value: str) -> str:
    """A URL- and CLI-friendly name: "Gata/park, Åseda" → "gata-park-aseda"."""
    folded = unicodedata.normalize("NFKD", value.lower().translate(_FOLD))
    ascii_only = folded.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:64] or "x"


def slug(value: str | None, name: str = "slug") -> str:
    value = (value or "").strip()
    if not _SLUG_RE.match(value):
        raise FieldError(name, N_("Use lower-case letters a–z, digits, - and _ (at most 64), "
                                  "starting with a letter or digit."))
    return value


@cache
def timezones() -> tuple[str, ...]:
    """IANA names, Europe first: that is where walkapp is used."""
    names = sorted(n for n in available_timezones() if "/" in n and not n.startswith("Etc/"))
    return tuple(sorted(names, key=lambda n: not n.startswith("Europe/")))


def timezone(value: str | None, name: str = "timezone") -> str:
    value = (value or "").strip()
    if value not in timezones():
        raise FieldError(name, N_("Unknown time zone %(tz)s; use an IANA name such as "
                                  "Europe/Stockholm or Europe/Copenhagen."), {"tz": value or "—"})
    return value


def language(value: str | None, name: str = "language") -> str:
    if value not in LANGUAGES:
        raise FieldError(name, N_("Choose one of %(langs)s."), {"langs": ", ".join(LANGUAGES)})
    return value


def whole_number(value, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise FieldError(name, N_("Write a whole number.")) from None
    if not low <= number <= high:
        raise FieldError(name, N_("Write a number from %(low)s to %(high)s."),
                         {"low": low, "high": high})
    return number


# --- GeoJSON geometries ------------------------------------------------------------------

def _geometry_of(doc, name: str) -> dict:
    """The one geometry of a bare geometry, a Feature or a FeatureCollection of one feature."""
    if not isinstance(doc, dict):
        raise FieldError(name, N_("Expected a GeoJSON object."))
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise FieldError(name, N_("Expected exactly one feature, found %(n)s."),
                             {"n": len(features) if isinstance(features, list) else 0})
        doc = features[0]
        kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or not doc.get("type"):
        raise FieldError(name, N_("The GeoJSON has no geometry."))
    return doc


def geometry(raw: str | bytes | None, name: str, kinds: tuple[str, ...]):
    """A valid lon/lat geometry of one of `kinds` from GeoJSON text, or None if raw is blank.

    The message names the problem, with shapely's reason for an invalid shape.
    """
    if raw is None or not raw.strip():
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise FieldError(name, N_("This is not valid JSON: %(reason)s"),
                         {"reason": str(err)[:120]}) from None
    data = _geometry_of(doc, name)
    if data["type"] not in kinds:
        raise FieldError(name, N_("Expected %(expected)s, got %(got)s."),
                         {"expected": " / ".join(kinds), "got": str(data["type"])[:40]})
    try:
        geom = shape(data)
    except Exception as err:  # shapely raises several types for malformed coordinates
        raise FieldError(name, N_("The coordinates cannot be read: %(reason)s"),
                         {"reason": str(err)[:120]}) from None
    return checked(geom, name)


def checked(geom, name: str):
    """geom if it is a non-empty, valid shape in lon/lat range; else a FieldError."""
    if geom.is_empty:
        raise FieldError(name, N_("The shape is empty."))
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all() or (np.abs(coords[:, 0]) > 180).any() \
            or (np.abs(coords[:, 1]) > 90).any():
        raise FieldError(name, N_("Coordinates must be longitude -180…180 and latitude "
                                  "-90…90 (WGS84); is the file in another projection?"))
    if geom.geom_type == "LineString" and len(coords) < 2:
        raise FieldError(name, N_("A route needs at least two points."))
    if not geom.is_valid:
        raise FieldError(name, N_("The shape is not valid: %(reason)s"),
                         {"reason": shapely.is_valid_reason(geom)})
    return geom


def point(lon, lat, name: str = "meeting_point"):
    """A (lon, lat) pair, both given or both blank; None when blank."""
    blank = [v is None or str(v).strip() == "" for v in (lon, lat)]
    if all(blank):
        return None
    if any(blank):
        raise FieldError(name, N_("Give both latitude and longitude, or neither."))
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise FieldError(name, N_("Latitude and longitude must be numbers.")) from None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise FieldError(name, N_("Coordinates must be longitude -180…180 and latitude "
                                  "-90…90 (WGS84); is the file in another projection?"))
    return round(x, 7), round(y, 7)
