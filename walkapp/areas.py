"""Service areas in from GeoJSON: validate everything first, then write. No Flask."""

import json
import re
from dataclasses import dataclass

import shapely
from shapely.geometry import shape
from sqlalchemy import delete
from sqlalchemy.orm import Session

from walkapp import checks
from walkapp.checks import FieldError
from walkapp.labels import N_
from walkapp.models import Department, ServiceArea
from walkapp.router_cache import areas_changed
from walkapp.routing import InvalidAreaError, geodesic_area_m2, validate_area_geometry
from walkapp.schemas import SLUG


class AreaImportError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedArea:
    name: str
    geometry: shapely.Geometry
    categories: list[str] | None
    priority: int


def _categories(value, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(
            isinstance(v, str) and re.match(SLUG, v) for v in value):
        raise AreaImportError(f"{where}: 'categories' must be a list of category slugs")
    if not value:  # an area that accepts nothing would silently never match
        raise AreaImportError(
            f"{where}: 'categories' is empty; leave it out to accept every category")
    return value


def parse_feature_collection(raw: bytes | str, source: str = "input") -> list[ParsedArea]:
    try:
        doc = json.loads(raw)
    except ValueError as err:
        raise AreaImportError(f"{source}: not valid JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        got = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise AreaImportError(f"{source}: expected a GeoJSON FeatureCollection, got {got!r}")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise AreaImportError(f"{source}: the FeatureCollection has no features")
    out = []
    for i, feat in enumerate(features):
        props = (feat.get("properties") or {}) if isinstance(feat, dict) else {}
        name = str(props.get("name") or f"feature {i}")
        where = f"{source}: feature {i} ({name!r})"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise AreaImportError(f"{where}: not a GeoJSON Feature")
        if not isinstance(feat.get("geometry"), dict):
            raise AreaImportError(f"{where}: geometry is missing")
        try:
            geom = shape(feat["geometry"])
        except Exception as err:  # shapely raises several types for malformed GeoJSON
            raise AreaImportError(f"{where}: unreadable geometry ({err})") from None
        try:
            validate_area_geometry(geom)
        except InvalidAreaError as err:
            raise AreaImportError(f"{where}: {err}") from None
        priority = props.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise AreaImportError(f"{where}: 'priority' must be an integer")
        out.append(ParsedArea(name, geom, _categories(props.get("categories"), where), priority))
    return out


def replace_areas(session: Session, dept: Department, areas: list[ParsedArea],
                  replace: bool = False) -> int:
    """Add the areas to the department (after deleting its old ones if replace) and mark the
    municipality's router stale. The caller commits."""
    if replace:
        session.execute(delete(ServiceArea).where(ServiceArea.department_id == dept.id))
    for a in areas:
        session.add(ServiceArea(department=dept, name=a.name, geometry=a.geometry,
                                categories=a.categories, priority=a.priority,
                                area_m2=geodesic_area_m2(a.geometry)))
    areas_changed(dept.municipality)
    return len(areas)


def update_area(session: Session, area: ServiceArea, *, name: str,
                categories: list[str] | None, priority) -> None:
    """Rename an area, set the categories it accepts (None = all) and its priority."""
    name = checks.text(name, "name")
    if categories is not None and not categories:
        raise FieldError("categories", N_("Choose at least one category, or accept every "
                                          "category."))
    area.name, area.categories = name, categories
    area.priority = checks.whole_number(priority, "priority", -1000, 1000)
    areas_changed(area.department.municipality)
    session.flush()


def delete_area(session: Session, area: ServiceArea) -> None:
    areas_changed(area.department.municipality)
    session.delete(area)
    session.flush()
