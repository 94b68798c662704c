"""Routers built from the database, one per municipality, rebuilt when its areas change.

No Flask here: callers pass a SQLAlchemy session. The cache is per process and keyed by the
municipality's areas_version, which every change to its service areas bumps, so each worker
notices a change made by another one on its next lookup. The municipality's boundary is read
with its areas: whoever changes the boundary calls areas_changed() too.
"""

import threading
from dataclasses import dataclass

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp.geo import Region
from walkapp.models import Department, Municipality, ServiceArea
from walkapp.routing import AreaSpec, Router


@dataclass(frozen=True)
class MunicipalRouter:
    version: int
    router: Router
    department_ids: dict[str, int]  # slug → id, to store decisions
    # Where its comments can be: the boundary, else the box around its service areas.
    region: Region | None = None


_cache: dict[int, MunicipalRouter] = {}
_lock = threading.Lock()


def build(session: Session, municipality: Municipality) -> MunicipalRouter:
    rows = session.execute(
        select(ServiceArea, Department.slug)
        .join(Department, ServiceArea.department_id == Department.id)
        # A deactivated department answers nothing: its areas stop routing until it is back.
        .where(Department.municipality_id == municipality.id, Department.active.is_(True))
        .order_by(ServiceArea.id)
    ).all()
    areas = [
        AreaSpec(
            id=area.id,
            department=slug,
            geometry=area.geometry,
            categories=frozenset(area.categories) if area.categories is not None else None,
            priority=area.priority,
            name=area.name,
        )
        for area, slug in rows
    ]
    departments = dict(
        session.execute(
            select(Department.slug, Department.id).where(
                Department.municipality_id == municipality.id
            )
        ).all()
    )
    fallback = municipality.fallback_department.slug if municipality.fallback_department else None
    region = Region.around(municipality.boundary) or Region.around(
        shapely.box(*shapely.GeometryCollection([a.geometry for a in areas]).bounds)
        if areas else None)
    return MunicipalRouter(municipality.areas_version, Router(areas, fallback), departments,
                           region)


def router_for(session: Session, municipality: Municipality) -> MunicipalRouter:
    cached = _cache.get(municipality.id)
    if cached is not None and cached.version == municipality.areas_version:
        return cached
    with _lock:  # one build at a time; others wait and reuse it
        cached = _cache.get(municipality.id)
        if cached is None or cached.version != municipality.areas_version:
            cached = _cache[municipality.id] = build(session, municipality)
        return cached


def areas_changed(municipality: Municipality) -> None:
    """Call in the same transaction as any change to the municipality's service areas."""
    municipality.areas_version = (municipality.areas_version or 0) + 1


def clear() -> None:
    _cache.clear()
