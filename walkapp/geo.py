"""GeoJSON in and out, and the bounding boxes the phone caches for offline use. No Flask."""

import math

import shapely
from shapely.geometry.base import BaseGeometry

METRES_PER_DEGREE = 111_320.0


def to_geojson(geom: BaseGeometry | None) -> dict | None:
    return None if geom is None else shapely.geometry.mapping(geom)


def expand_bbox(bbox: tuple[float, float, float, float], margin_m: float) -> list[float]:
    """Grow a lon/lat bbox by a margin in metres (a degree of longitude shrinks with latitude)."""
    west, south, east, north = bbox
    mid_lat = math.radians((south + north) / 2)
    dlat = margin_m / METRES_PER_DEGREE
    dlon = margin_m / (METRES_PER_DEGREE * max(math.cos(mid_lat), 0.01))
    return [
        round(max(west - dlon, -180.0), 6), round(max(south - dlat, -85.0511), 6),
        round(min(east + dlon, 180.0), 6), round(min(north + dlat, 85.0511), 6),
    ]


def walk_bbox(area, route, meeting: tuple[float, float] | None, margin_m: float) -> list | None:
    """Bbox of everything drawn for a walk, plus a margin; None if the walk has no geometry."""
    parts = [g for g in (area, route) if g is not None and not g.is_empty]
    if meeting is not None:
        parts.append(shapely.Point(meeting))
    if not parts:
        return None
    return expand_bbox(shapely.GeometryCollection(parts).bounds, margin_m)


def tiles_in_bbox(bbox: list[float], zoom: int) -> int:
    """How many web-mercator tiles cover bbox at zoom (what an offline download would fetch)."""
    x0, y1 = lonlat_to_tile(bbox[0], bbox[1], zoom)
    x1, y0 = lonlat_to_tile(bbox[2], bbox[3], zoom)
    return (x1 - x0 + 1) * (y1 - y0 + 1)


def lonlat_to_tile(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    n = 2**zoom
    lat_r = math.radians(max(min(lat, 85.0511), -85.0511))
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(x: int, y: int, zoom: int) -> tuple[float, float, float, float]:
    """west, south, east, north of a web-mercator tile in degrees."""
    n = 2**zoom

    def lat(yy: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


# Every comment stores the Web Mercator tile it falls in at this zoom (≈ 2.4 m at the
# equator): a coarser zoom's cell is a right shift of it, so the review map clusters with a
# GROUP BY over an index range instead of fetching points (walkapp/review_map.py).
CELL_ZOOM = 24


def lonlat_to_cell(lon: float, lat: float) -> tuple[int, int]:
    return lonlat_to_tile(lon, lat, CELL_ZOOM)


def cell_to_lonlat(x: float, y: float, zoom: int = CELL_ZOOM) -> tuple[float, float]:
    """The lon/lat of a (fractional) tile coordinate: the inverse of lonlat_to_tile."""
    n = 2**zoom
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return x / n * 360.0 - 180.0, lat


def is_null_island(lon: float, lat: float) -> bool:
    """[0, 0]: what a phone or a bug reports when there is no position at all."""
    return abs(lon) < 1e-7 and abs(lat) < 1e-7


class Region:
    """Where a municipality's comments can plausibly be: a lon/lat geometry, measured in
    metres on a local equirectangular plane (good to a few per cent over a municipality;
    points that fail the test are tens of kilometres off, so that is plenty)."""

    def __init__(self, geom: BaseGeometry):
        _, south, _, north = geom.bounds
        self._kx = METRES_PER_DEGREE * math.cos(math.radians((south + north) / 2))
        self._geom = shapely.transform(geom, lambda xy: xy * [self._kx, METRES_PER_DEGREE])
        shapely.prepare(self._geom)

    def near(self, lon: float, lat: float, margin_m: float) -> bool:
        point = shapely.Point(lon * self._kx, lat * METRES_PER_DEGREE)
        return bool(shapely.dwithin(self._geom, point, margin_m))

    @classmethod
    def around(cls, *geoms: BaseGeometry | None) -> "Region | None":
        parts = [g for g in geoms if g is not None and not g.is_empty]
        return cls(shapely.GeometryCollection(parts)) if parts else None
