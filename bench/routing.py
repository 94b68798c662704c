"""Benchmark walkapp.routing.Router against a naive loop and shapely's containment floor.

Run from the repo root:  /work/venv/bin/python bench/routing.py [--points N] [--seed S]

Synthetic but Småland-like data: 500 service areas over ~50 x 50 km around lon 15.45,
lat 57.0 (small blobs and street buffers, medium districts, a few large areas some with
holes or in several parts; ~35 % category-restricted; random priorities) and N random
points (default 1,000,000) with categories drawn from 9 slugs plus one no area lists.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# Make `walkapp` importable when run as a plain script from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import shapely

from walkapp.routing import AreaSpec, Router, geodesic_area_m2

CENTER_LON, CENTER_LAT = 15.45, 57.0
HALF_SIZE_M = 25_000
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(CENTER_LAT))
CATEGORIES = (
    "lighting", "roads", "waste", "parks", "water", "snow", "graffiti", "playgrounds",
    "benches",
)
POINT_CATEGORIES = (*CATEGORIES, "broadband")  # nobody lists broadband: unknown category
FALLBACK = "kommunen"


def _to_lonlat(x_m, y_m):
    """Local metres east/north of the centre -> lon/lat (equirectangular, fine at 25 km)."""
    lon = CENTER_LON + np.asarray(x_m) / M_PER_DEG_LON
    return lon, CENTER_LAT + np.asarray(y_m) / M_PER_DEG_LAT


def _blob(rng, cx, cy, radius, n_vertices):
    """Random star-shaped polygon (sorted angles -> always simple, so valid)."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, n_vertices))
    radii = radius * rng.uniform(0.55, 1.0, n_vertices)
    lon, lat = _to_lonlat(cx + radii * np.cos(angles), cy + radii * np.sin(angles))
    return shapely.Polygon(np.column_stack([lon, lat]))


def _street_buffer(rng, cx, cy, length, width):
    """Buffer around a random walk, like 'lighting along this road'."""
    steps = rng.integers(4, 10)
    heading = rng.uniform(0, 2 * math.pi)
    pts = [(cx, cy)]
    for _ in range(steps):
        heading += rng.normal(0, 0.5)
        seg = length / steps
        pts.append((pts[-1][0] + seg * math.cos(heading), pts[-1][1] + seg * math.sin(heading)))
    xy = np.array(pts)
    lon, lat = _to_lonlat(xy[:, 0], xy[:, 1])
    line = shapely.LineString(np.column_stack([lon, lat]))
    # Buffer in degrees of latitude; good enough for a synthetic street corridor.
    return line.buffer(width / M_PER_DEG_LAT, quad_segs=4)


def make_areas(rng, n_areas=500):
    areas = []
    for i in range(n_areas):
        cx, cy = rng.uniform(-HALF_SIZE_M, HALF_SIZE_M, 2)
        kind = rng.uniform()
        if i < 12:  # large: municipal districts, some with a hole, some in two parts
            geom = _blob(rng, cx, cy, rng.uniform(8_000, 20_000), int(rng.integers(40, 120)))
            if i % 3 == 0:
                geom = geom.difference(shapely.Point(*_to_lonlat(cx, cy)).buffer(0.02))
            elif i % 3 == 1:
                ox, oy = rng.uniform(-HALF_SIZE_M, HALF_SIZE_M, 2)
                other = _blob(rng, ox, oy, rng.uniform(3_000, 6_000), 30)
                geom = shapely.MultiPolygon([geom, other]) if geom.disjoint(other) else geom
        elif i < 80:  # medium: villages / parks
            geom = _blob(rng, cx, cy, rng.uniform(1_500, 5_000), int(rng.integers(20, 60)))
        elif kind < 0.5:
            geom = _blob(rng, cx, cy, rng.uniform(100, 1_200), int(rng.integers(8, 30)))
        else:
            geom = _street_buffer(rng, cx, cy, rng.uniform(300, 3_000), rng.uniform(15, 60))
        geom = shapely.make_valid(geom) if not geom.is_valid else geom
        cats = None
        if rng.uniform() < 0.35:
            k = int(rng.integers(1, 4))
            cats = frozenset(rng.choice(CATEGORIES, size=k, replace=False).tolist())
        areas.append(
            AreaSpec(
                id=1000 + i,
                department=f"dept-{i % 23}",
                geometry=geom,
                categories=cats,
                priority=int(rng.choice([0, 0, 0, 5, 10, 20])),
                name=f"area {i}",
            )
        )
    return areas


def make_points(rng, n):
    margin = 1.05  # a few points fall outside every area
    lon, lat = _to_lonlat(
        rng.uniform(-HALF_SIZE_M * margin, HALF_SIZE_M * margin, n),
        rng.uniform(-HALF_SIZE_M * margin, HALF_SIZE_M * margin, n),
    )
    cats = np.array(POINT_CATEGORIES)[rng.integers(0, len(POINT_CATEGORIES), n)].tolist()
    return lon, lat, cats


def naive_indices(areas, area_m2, lons, lats, cats):
    """Per-point loop straight from the rule: for each area in order, test and compare."""
    geoms = [a.geometry for a in areas]
    out = np.full(len(lons), -1, dtype=np.intp)
    for p, (x, y, c) in enumerate(zip(lons, lats, cats, strict=True)):
        pt = shapely.Point(x, y)
        best, best_key = -1, None
        for i, a in enumerate(areas):
            if a.categories is not None and c not in a.categories:
                continue
            if not shapely.intersects(geoms[i], pt):
                continue
            key = (-a.priority, area_m2[i], a.id)
            if best_key is None or key < best_key:
                best, best_key = i, key
        out[p] = best
    return out


def median_time(fn, runs):
    """Median wall time of *runs* calls (and the last result, to avoid recomputing it)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000, help="number of points")
    ap.add_argument("--areas", type=int, default=500, help="number of service areas")
    ap.add_argument("--naive-sample", type=int, default=20_000,
                    help="points timed for the naive loop (then extrapolated)")
    ap.add_argument("--runs", type=int, default=5, help="runs per fast measurement")
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    areas = make_areas(rng, args.areas)
    lons, lats, cats = make_points(rng, args.points)
    n = args.points

    print(f"python {platform.python_version()}, shapely {shapely.__version__}, "
          f"GEOS {shapely.geos_version_string}, numpy {np.__version__}, "
          f"cpus {os.cpu_count()}, {platform.machine()}")
    n_restricted = sum(a.categories is not None for a in areas)
    print(f"{len(areas)} areas ({n_restricted} category-restricted, "
          f"{sum(len(shapely.get_coordinates(a.geometry)) for a in areas)} vertices), "
          f"{n:,} points, {len(POINT_CATEGORIES)} point categories")

    build, router = median_time(lambda: Router(areas, FALLBACK), args.runs)
    print(f"Router construction: {build * 1e3:.1f} ms (median of {args.runs})")
    grid = router._grid  # internals, printed only to explain the figures below
    print(f"    grid {grid['nx']} x {grid['ny']} cells x {router._n_classes} category classes, "
          f"table {grid['table'].nbytes / 2**20:.1f} MiB, "
          f"{(grid['table'] == -2).mean():.1%} of entries need the exact test")

    t_router, result = median_time(lambda: router.route_indices(lons, lats, cats), args.runs)
    print(f"(1) Router.route_indices: {n / t_router:>13,.0f} points/s "
          f"({t_router * 1e3:.0f} ms for {n:,}, median of {args.runs}; categories as list[str])")
    matched = (result >= 0).mean()
    print(f"    {matched:.1%} of points matched an area, the rest went to the fallback")

    # Same answers without the grid: every point through STRtree bbox query + prepared
    # point-in-polygon. Shows what the precomputed grid buys.
    codes = router._category_codes(cats, n)
    t_exact, exact = median_time(lambda: router._exact(lons, lats, codes), 3)
    assert (exact == result).all(), "exact path and grid path disagree"
    print(f"    exact path alone:     {n / t_exact:>13,.0f} points/s "
          f"(STRtree bbox query + intersects_xy on prepared areas, no grid; median of 3)")

    t_many, _ = median_time(lambda: router.route_many(lons, lats, cats), max(1, args.runs // 2))
    print(f"    Router.route_many:    {n / t_many:>13,.0f} points/s (Decision objects)")

    m = min(args.naive_sample, n)
    area_m2 = [geodesic_area_m2(a.geometry) for a in areas]  # once, outside the timing
    t_naive, expected = median_time(
        lambda: naive_indices(areas, area_m2, lons[:m], lats[:m], cats[:m]), 3
    )
    print(f"(2) naive per-point loop: {m / t_naive:>13,.0f} points/s "
          f"(timed on the first {m:,} points, median of 3, extrapolated: "
          f"~{t_naive * n / m:.0f} s for {n:,})")

    geoms = [a.geometry for a in areas]
    shapely.prepare(geoms)

    def floor():
        for g in geoms:
            shapely.contains_xy(g, lons, lats)

    floor_runs = max(1, min(args.runs, 3))
    t_floor, _ = median_time(floor, floor_runs)
    print(f"(3) shapely floor:        {n / t_floor:>13,.0f} points/s "
          f"(contains_xy(prepared area, xs, ys) for each of {len(geoms)} areas, "
          f"no selection; median of {floor_runs})")
    print(f"ratios: router/naive = {t_naive * n / m / t_router:,.0f}x, "
          f"router/floor = {t_floor / t_router:,.1f}x")

    # Correctness guard: the fast path must agree with the naive rule on a sample.
    mismatches = int((expected != result[:m]).sum())
    assert mismatches == 0, f"router and naive loop disagree on {mismatches} of {m} points"
    print(f"check: router == naive on all {m:,} sampled points")


if __name__ == "__main__":
    main()
