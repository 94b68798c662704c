"""Route georeferenced comments to the department responsible for them.

Pure Python + shapely/numpy/pyproj: plain values in, plain values out, so the rule can be
tested and benchmarked without the web app and reused from batch jobs.

Rule: among the service areas that contain the point (a point on the boundary counts as
inside) and accept the category (``categories=None`` accepts every category), the one with
the highest priority wins, then the one with the smallest geodesic area (m² on the WGS84
ellipsoid -- square degrees would favour areas far north), then the lowest area id so the
result never depends on input order. No match -> the fallback department (may be None).

Speed: a :class:`Router` is built once per set of areas. Besides an STRtree over the
prepared geometries it precomputes a regular lon/lat grid storing, per grid cell and
"category class", the winning area when that is decidable without looking at the point
(the best candidate covers the whole cell), and a marker when it is not (a candidate's
boundary crosses the cell). Most points are then resolved by pure numpy arithmetic plus
one table lookup; only points in marked cells take the exact STRtree + point-in-polygon
path. See ``bench/routing.py`` for the measured effect.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

__all__ = [
    "AreaSpec",
    "Decision",
    "InvalidAreaError",
    "Router",
    "geodesic_area_m2",
    "validate_area_geometry",
]

_GEOD = Geod(ellps="WGS84")

# Values stored in the grid table besides area indices.
_FALLBACK = -1
_AMBIGUOUS = -2

# Grid size budget. More cells -> thinner band of "ambiguous" cells along boundaries (fewer
# exact tests) but more memory and construction time. The table holds one int16 per
# (cell, category class): at most 2**22 entries = 8 MiB per router. Measured on the bench
# (500 areas, 10 classes, 1M points): 4 MiB -> 354 ms, 8 MiB -> 242 ms, 16 MiB -> 200 ms.
# Few areas need few cells, hence the per-area allowance.
_GRID_MAX_CELLS = 1 << 20
_GRID_MAX_ENTRIES = 1 << 22
_GRID_CELLS_PER_AREA = 2048

# The Decision cache is keyed by (area, category text); categories come from user input,
# so bound it rather than let arbitrary strings grow it forever.
_DECISION_CACHE_MAX = 1 << 16


class InvalidAreaError(ValueError):
    """A service area cannot be used for routing; the message says why."""


@dataclass(frozen=True)
class AreaSpec:
    """One service area as the router sees it (no ORM objects)."""

    id: int
    department: str  # department slug
    geometry: BaseGeometry  # Polygon or MultiPolygon in lon/lat (WGS84)
    categories: frozenset[str] | None = None  # None = accepts every category
    priority: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        # A bare string would silently become a set of characters; other iterables
        # (list, set, DB tuples) are normalised so hashing/equality behave.
        if isinstance(self.categories, str):
            raise TypeError("categories must be a set of slugs or None, not a str")
        if self.categories is not None and not isinstance(self.categories, frozenset):
            object.__setattr__(self, "categories", frozenset(self.categories))


@dataclass(frozen=True)
class Decision:
    """Outcome of routing one comment; ``rule`` is kept for the audit trail."""

    department: str | None
    area_id: int | None  # None for fallback
    reason: str  # "area" or "fallback"
    rule: str


def validate_area_geometry(geom) -> None:
    """Raise :class:`InvalidAreaError` unless *geom* is a usable lon/lat (Multi)Polygon."""
    if geom is None:
        raise InvalidAreaError("geometry is missing (None)")
    if not isinstance(geom, BaseGeometry):
        raise InvalidAreaError(
            f"geometry must be a shapely Polygon or MultiPolygon, got {type(geom).__name__}"
        )
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidAreaError(
            f"geometry must be a Polygon or MultiPolygon, got {geom.geom_type}"
        )
    if geom.is_empty:
        raise InvalidAreaError(f"geometry is an empty {geom.geom_type}")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise InvalidAreaError("geometry has non-finite (NaN/inf) coordinates")
    bad = (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0)
    if bad.any():
        x, y = coords[np.argmax(bad)]
        # The usual cause is a projected CRS (e.g. SWEREF 99 TM metres) stored as lon/lat.
        raise InvalidAreaError(
            f"coordinate ({float(x)!r}, {float(y)!r}) is out of lon/lat range "
            "(lon -180..180, lat -90..90); is the geometry in a projected CRS?"
        )
    if not shapely.is_valid(geom):
        raise InvalidAreaError(f"geometry is invalid: {shapely.is_valid_reason(geom)}")


def geodesic_area_m2(geom) -> float:
    """Area of a lon/lat (Multi)Polygon in m² on the WGS84 ellipsoid.

    pyproj sums signed ring areas, so rings are oriented first (exterior CCW, holes CW);
    otherwise a clockwise shell or a same-direction hole would give a wrong total.
    """
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    area, _perimeter = _GEOD.geometry_area_perimeter(oriented)
    return abs(float(area))


def _area_label(area: AreaSpec) -> str:
    return f"area {area.id} {area.name!r}" if area.name else f"area {area.id}"


def _format_area(m2: float) -> str:
    if m2 >= 10_000:  # 0.01 km²
        return f"{m2 / 1e6:.2f} km²"
    return f"{m2:.0f} m²"


class _CategoryCodes(dict):
    """category -> class code; anything unknown maps to the "unknown category" class."""

    __slots__ = ("unknown",)

    def __init__(self, mapping: dict, unknown: int) -> None:
        super().__init__(mapping)
        self.unknown = unknown

    def __missing__(self, key) -> int:
        return self.unknown


class Router:
    """Routes points to service areas; build once per set of areas, then query often.

    ``areas`` keeps the order given; :meth:`route_indices` returns indices into it.
    """

    def __init__(self, areas: Iterable[AreaSpec], fallback: str | None) -> None:
        areas = tuple(areas)
        seen: dict[int, AreaSpec] = {}
        for pos, area in enumerate(areas):
            if not isinstance(area, AreaSpec):
                raise TypeError(f"areas[{pos}] is a {type(area).__name__}, not an AreaSpec")
            try:
                validate_area_geometry(area.geometry)
            except InvalidAreaError as exc:
                raise InvalidAreaError(f"{_area_label(area)}: {exc}") from None
            # Duplicate ids would make the "lowest id" tie-break meaningless.
            if area.id in seen:
                raise InvalidAreaError(f"{_area_label(area)}: duplicate area id {area.id}")
            seen[area.id] = area
        self.areas: tuple[AreaSpec, ...] = areas
        self.fallback: str | None = fallback
        self._decisions: dict = {}

        n = len(areas)
        # Own copies: shapely.prepare() mutates geometries and the caller may share theirs.
        geoms = np.empty(n, dtype=object)
        geoms[:] = [a.geometry for a in areas]
        geoms = shapely.from_wkb(shapely.to_wkb(geoms)) if n else geoms
        shapely.prepare(geoms)
        self._geoms = geoms
        self._tree = shapely.STRtree(geoms)
        self._area_m2 = np.array([geodesic_area_m2(g) for g in geoms], dtype=float)

        # One total order replaces the three-key rule: rank 0 = best area.
        priority = np.array([a.priority for a in areas], dtype=np.int64)
        ids = np.array([a.id for a in areas], dtype=np.int64)
        self._by_rank = np.lexsort((ids, self._area_m2, -priority)).astype(np.intp)
        self._rank = np.empty(n, dtype=np.intp)
        self._rank[self._by_rank] = np.arange(n)
        # rank -> area index, with an extra slot so "no candidate" (rank n) maps to -1.
        self._by_rank_ext = np.append(self._by_rank, _FALLBACK).astype(np.intp)

        self._build_category_classes()
        self._warm_up_prepared()
        self._grid = self._build_grid() if n else None

    # ------------------------------------------------------------------ construction

    def _build_category_classes(self) -> None:
        """Group categories accepted by exactly the same areas into one class.

        Class 0 is "a category no area lists" (only ``categories=None`` areas accept it);
        known categories that behave identically share a class, which keeps the grid table
        narrow however many slugs exist.
        """
        areas = self.areas
        unrestricted = np.array([a.categories is None for a in areas], dtype=bool)
        known = dict.fromkeys(c for a in areas if a.categories is not None for c in a.categories)
        columns = [unrestricted]
        class_of_column: dict[bytes, int] = {unrestricted.tobytes(): 0}
        mapping: dict[str, int] = {}
        for cat in known:
            col = unrestricted | np.array(
                [a.categories is not None and cat in a.categories for a in areas], dtype=bool
            )
            key = col.tobytes()
            if key not in class_of_column:
                class_of_column[key] = len(columns)
                columns.append(col)
            mapping[cat] = class_of_column[key]
        self._accept = np.stack(columns, axis=1) if areas else np.zeros((0, 1), dtype=bool)
        self._n_classes = len(columns)
        self._codes = _CategoryCodes(mapping, 0)

    def _warm_up_prepared(self) -> None:
        # GEOS builds a prepared geometry's point-location index lazily on first use; do
        # it now (single-threaded) so concurrent requests never race to build it.
        if len(self._geoms):
            reps = shapely.point_on_surface(self._geoms)
            shapely.intersects_xy(self._geoms, shapely.get_x(reps), shapely.get_y(reps))

    def _build_grid(self) -> dict:
        """Precompute the per-cell, per-category-class answer table (see module doc)."""
        geoms = self._geoms
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        # Cells roughly square in metres: a degree of longitude shrinks with cos(lat).
        kx = max(math.cos(math.radians((miny + maxy) / 2)), 0.05)
        width, height = (maxx - minx) * kx, maxy - miny
        target = min(
            _GRID_MAX_CELLS,
            _GRID_MAX_ENTRIES // self._n_classes,
            _GRID_CELLS_PER_AREA * len(geoms),
        )
        target = max(target, 1024)
        # Not below ~10 cm: the rounding slack below must stay far above float precision.
        side = max(math.sqrt(width * height / target), 1e-6)
        dy, dx = side, side / kx
        # One spare cell on each side so every boundary lies strictly inside the grid.
        nx = int((maxx - minx) / dx) + 3
        ny = int((maxy - miny) / dy) + 3
        x0, y0 = minx - dx, miny - dy
        inv_dx, inv_dy = 1.0 / dx, 1.0 / dy
        # Rounding slack when assigning boundary segments to cells: far above float error
        # (~1e-14 deg), far below a cell. Points near a cell edge may be put in either cell
        # by floating point; marking with this slack makes both cells ambiguous.
        eps_x, eps_y = dx * 1e-6, dy * 1e-6

        # Boundary segments of every area, short enough (<= one cell per axis) that each
        # segment's bounding box covers at most 2-3 cells per axis, and ordered by area.
        parts, part_area = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_area = part_area[ring_part]
        rings = shapely.segmentize(rings, max_segment_length=min(dx, dy))
        coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        same = ring_of[:-1] == ring_of[1:]
        xa, xb = coords[:-1, 0][same], coords[1:, 0][same]
        ya, yb = coords[:-1, 1][same], coords[1:, 1][same]
        seg_area = ring_area[ring_of[:-1][same]]
        ia = np.floor((np.minimum(xa, xb) - eps_x - x0) * inv_dx).astype(np.intp)
        ib = np.floor((np.maximum(xa, xb) + eps_x - x0) * inv_dx).astype(np.intp)
        ja = np.floor((np.minimum(ya, yb) - eps_y - y0) * inv_dy).astype(np.intp)
        jb = np.floor((np.maximum(ya, yb) + eps_y - y0) * inv_dy).astype(np.intp)
        seg_start = np.searchsorted(seg_area, np.arange(len(geoms) + 1))

        dtype = np.int16 if len(geoms) < np.iinfo(np.int16).max else np.int32
        table = np.full((self._n_classes, ny, nx), _FALLBACK, dtype=dtype)

        # Painter's algorithm: worst-ranked area first, best last, so each (cell, class)
        # ends up holding the best area touching that cell -- its index if it covers the
        # whole cell, _AMBIGUOUS if its boundary crosses the cell.
        for i in self._by_rank[::-1]:
            s, e = seg_start[i], seg_start[i + 1]
            a_ia, a_ib, a_ja, a_jb = ia[s:e], ib[s:e], ja[s:e], jb[s:e]
            cx0, cx1 = int(a_ia.min()), int(a_ib.max()) + 1
            cy0, cy1 = int(a_ja.min()), int(a_jb.max()) + 1
            h, w = cy1 - cy0, cx1 - cx0
            boundary = np.zeros((h, w), dtype=bool)
            for k in range(int((a_ib - a_ia).max()) + 1):
                for m in range(int((a_jb - a_ja).max()) + 1):
                    sel = (a_ia + k <= a_ib) & (a_ja + m <= a_jb)
                    boundary[a_ja[sel] + m - cy0, a_ia[sel] + k - cx0] = True
            # Cells not touched by the boundary are wholly inside or wholly outside. Two
            # horizontally adjacent such cells share an edge the boundary does not touch,
            # so each run of them along a row is on one side: test one centre per run.
            free = ~boundary
            after_wall = np.ones((h, w), dtype=bool)
            after_wall[:, 1:] = boundary[:, :-1]
            run_start = free & after_wall
            ry, rx = np.nonzero(run_start)
            if len(ry) == 0:
                inside = np.zeros((h, w), dtype=bool)
            else:
                run_inside = shapely.contains_xy(
                    geoms[i], x0 + (cx0 + rx + 0.5) * dx, y0 + (cy0 + ry + 0.5) * dy
                )
                run_id = np.cumsum(run_start.ravel()) - 1
                inside = (free.ravel() & run_inside[np.maximum(run_id, 0)]).reshape(h, w)
            for c in np.flatnonzero(self._accept[i]):
                sub = table[c, cy0:cy1, cx0:cx1]
                sub[inside] = i
                sub[boundary] = _AMBIGUOUS

        return {
            "x0": x0, "y0": y0, "inv_dx": inv_dx, "inv_dy": inv_dy,
            "nx": nx, "ny": ny, "table": table.ravel(),
        }

    # ------------------------------------------------------------------ queries

    def _category_codes(self, categories, n: int) -> np.ndarray:
        if isinstance(categories, str):  # one category for every point
            return np.full(n, self._codes[categories], dtype=np.intp)
        if isinstance(categories, np.ndarray):
            categories = categories.ravel()
            if categories.dtype.kind == "U" and len(self._codes) <= 20 and len(categories) == n:
                # One vectorised comparison per known slug beats both np.unique (sorts
                # strings) and converting to Python str objects, while the slugs are few.
                codes = np.full(n, self._codes.unknown, dtype=np.intp)
                for cat, code in self._codes.items():
                    if code != self._codes.unknown:
                        codes[categories == cat] = code
                return codes
            categories = categories.tolist()
        if len(categories) != n:
            raise ValueError(f"got {n} coordinates but {len(categories)} categories")
        # map() + dict lookups run in C: ~40 ns per element, no Python-level loop body.
        return np.fromiter(map(self._codes.__getitem__, categories), dtype=np.intp, count=n)

    def _exact(self, xs: np.ndarray, ys: np.ndarray, cls: np.ndarray) -> np.ndarray:
        """Exact winner per point: STRtree bbox query + point-in-prepared-polygon."""
        n_areas = len(self.areas)
        pt, ar = self._tree.query(shapely.points(xs, ys))
        ok = self._accept[ar, cls[pt]]  # cheap category filter before the geometry test
        pt, ar = pt[ok], ar[ok]
        hit = shapely.intersects_xy(self._geoms[ar], xs[pt], ys[pt])
        pt, ar = pt[hit], ar[hit]
        best = np.full(len(xs), n_areas, dtype=np.intp)
        np.minimum.at(best, pt, self._rank[ar])
        return self._by_rank_ext[best]

    def route_indices(self, lons, lats, categories) -> np.ndarray:
        """Index into :attr:`areas` of the winning area per point, -1 for fallback.

        *lons*, *lats*, *categories* are equal-length sequences or arrays (*categories* may
        also be a single str applied to all points). Vectorised: no Python loop per point.
        """
        xs = np.asarray(lons, dtype=float).ravel()
        ys = np.asarray(lats, dtype=float).ravel()
        if xs.shape != ys.shape:
            raise ValueError(f"got {xs.size} longitudes but {ys.size} latitudes")
        n = xs.size
        cls = self._category_codes(categories, n)
        if cls.shape[0] != n:
            raise ValueError(f"got {n} coordinates but {cls.shape[0]} categories")
        out = np.full(n, _FALLBACK, dtype=np.intp)
        g = self._grid
        if n == 0 or g is None:
            return out
        fx = (xs - g["x0"]) * g["inv_dx"]
        fy = (ys - g["y0"]) * g["inv_dy"]
        # Outside the grid (or NaN) no area can contain the point: stays fallback.
        inside = (fx >= 0) & (fx < g["nx"]) & (fy >= 0) & (fy < g["ny"])
        if inside.all():
            sel, c = None, cls
        else:
            sel = np.flatnonzero(inside)
            fx, fy, c = fx[sel], fy[sel], cls[sel]
        key = c * g["ny"] + fy.astype(np.intp)
        key *= g["nx"]
        key += fx.astype(np.intp)
        found = g["table"][key].astype(np.intp)
        if sel is None:
            out = found
        else:
            out[sel] = found
        todo = np.flatnonzero(out == _AMBIGUOUS)
        if todo.size:
            out[todo] = self._exact(xs[todo], ys[todo], cls[todo])
        return out

    def route(self, lon: float, lat: float, category: str) -> Decision:
        """Route one point.

        Deliberately a separate, simple code path (STRtree + candidates in rank order, no
        grid) -- it is what a single request needs and it cross-checks the vectorised path.
        """
        x, y = float(lon), float(lat)
        winner = _FALLBACK
        if math.isfinite(x) and math.isfinite(y) and self.areas:
            candidates = self._tree.query(shapely.Point(x, y))
            for i in sorted(candidates.tolist(), key=self._rank.__getitem__):
                cats = self.areas[i].categories
                if (cats is None or category in cats) and shapely.intersects_xy(
                    self._geoms[i], x, y
                ):
                    winner = i
                    break
        return self._decision(winner, category)

    def route_many(self, lons, lats, categories) -> list[Decision]:
        """Route many points; Decision objects are cached per (area, category)."""
        idx = self.route_indices(lons, lats, categories).tolist()
        if isinstance(categories, str):
            cats = [categories] * len(idx)
        else:
            cats = categories.tolist() if isinstance(categories, np.ndarray) else categories
        get, make = self._decisions.get, self._decision
        return [get((i, c)) or make(i, c) for i, c in zip(idx, cats, strict=True)]

    def _decision(self, idx: int, category) -> Decision:
        key = (idx, category)
        cached = self._decisions.get(key)
        if cached is not None:
            return cached
        if idx < 0:
            tail = (
                f"fallback department {self.fallback!r}"
                if self.fallback is not None
                else "no fallback department configured"
            )
            decision = Decision(
                department=self.fallback,
                area_id=None,
                reason="fallback",
                rule=f"no area contains the point for {category!r}; {tail}",
            )
        else:
            area = self.areas[idx]
            scope = "" if area.categories is not None else " (accepts all categories)"
            decision = Decision(
                department=area.department,
                area_id=area.id,
                reason="area",
                rule=(
                    f"{_area_label(area)} (priority {area.priority}, "
                    f"{_format_area(self._area_m2[idx])}) accepts {category!r}{scope}"
                ),
            )
        if len(self._decisions) >= _DECISION_CACHE_MAX:
            self._decisions.clear()
        self._decisions[key] = decision
        return decision
