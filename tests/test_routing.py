"""Tests for walkapp.routing: the selection rule, its edge cases and the fast paths.

Coordinates are in Småland (around Växjö / Åseda, lon 15.2-15.7, lat 56.8-57.2).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

import walkapp.routing as routing
from walkapp.routing import (
    AreaSpec,
    Decision,
    InvalidAreaError,
    Router,
    geodesic_area_m2,
    validate_area_geometry,
)

FALLBACK = "kommunen"


def area(id, geom, department=None, categories=None, priority=0, name=""):
    return AreaSpec(
        id=id,
        department=department or f"dept-{id}",
        geometry=geom,
        categories=None if categories is None else frozenset(categories),
        priority=priority,
        name=name,
    )


def both_paths(router, lon, lat, category):
    """Route one point through route() and through the vectorised route_many(); they must
    agree, and the tests below then check the (shared) answer."""
    single = router.route(lon, lat, category)
    (many,) = router.route_many([lon], [lat], [category])
    assert single == many, (single, many)
    return single


def naive_index(areas, lon, lat, category):
    """The rule written out directly, independent of Router's internals."""
    pt = Point(lon, lat)
    best, best_key = -1, None
    for i, a in enumerate(areas):
        if a.categories is not None and category not in a.categories:
            continue
        if not shapely.intersects(a.geometry, pt):
            continue
        key = (-a.priority, geodesic_area_m2(a.geometry), a.id)
        if best_key is None or key < best_key:
            best, best_key = i, key
    return best


# --------------------------------------------------------------------------- boundaries

# Multiples of 1/8 degree are exact in binary, so the midpoint of the diagonal below is
# exactly on the segment -- no floating-point luck involved.
TRIANGLE = Polygon([(15.25, 56.875), (15.75, 56.875), (15.25, 57.125)])


@pytest.mark.parametrize(
    "lon, lat",
    [
        (15.5, 56.875),  # on the horizontal edge
        (15.25, 57.0),  # on the vertical edge
        (15.5, 57.0),  # on the diagonal edge
        (15.25, 56.875),  # vertex
        (15.75, 56.875),  # vertex
        (15.25, 57.125),  # vertex
    ],
)
def test_point_on_boundary_counts_as_inside(lon, lat):
    router = Router([area(1, TRIANGLE)], FALLBACK)
    d = both_paths(router, lon, lat, "lighting")
    assert (d.area_id, d.reason, d.department) == (1, "area", "dept-1")


@pytest.mark.parametrize(
    "lon, lat",
    [
        (15.5, np.nextafter(56.875, 0)),  # one ulp below the horizontal edge
        (np.nextafter(15.25, 0), 57.0),  # one ulp west of the vertical edge
        (15.5 + 1e-9, 57.0 + 1e-9),  # just beyond the diagonal
    ],
)
def test_point_just_outside_boundary_is_not_inside(lon, lat):
    router = Router([area(1, TRIANGLE)], FALLBACK)
    d = both_paths(router, lon, lat, "lighting")
    assert (d.area_id, d.reason, d.department) == (None, "fallback", FALLBACK)


def test_shared_edge_between_neighbours_goes_to_the_better_one():
    west = area(1, box(15.3, 56.9, 15.4, 57.0), priority=0)
    east = area(2, box(15.4, 56.9, 15.5, 57.0), priority=5)
    router = Router([west, east], FALLBACK)
    assert both_paths(router, 15.4, 56.95, "roads").area_id == 2  # on both boundaries
    assert both_paths(router, 15.35, 56.95, "roads").area_id == 1


# --------------------------------------------------------------------------- selection rule

def test_higher_priority_beats_smaller_area():
    big_important = area(1, box(15.2, 56.8, 15.7, 57.2), priority=10)
    small = area(2, box(15.40, 56.95, 15.50, 57.05), priority=0)
    router = Router([small, big_important], FALLBACK)
    assert both_paths(router, 15.45, 57.0, "lighting").area_id == 1


def test_equal_priority_smaller_area_wins():
    big = area(1, box(15.2, 56.8, 15.7, 57.2), name="Uppvidinge")
    small = area(2, box(15.40, 56.95, 15.50, 57.05), name="Åseda centrum")
    router = Router([big, small], FALLBACK)
    assert both_paths(router, 15.45, 57.0, "lighting").area_id == 2
    assert both_paths(router, 15.25, 56.85, "lighting").area_id == 1


def test_area_compared_in_square_metres_not_square_degrees():
    # `north` reaches further north, where a degree of longitude is shorter, so although
    # it is 0.2 % wider in degrees it is smaller on the ground.
    north = area(1, box(15.40, 56.99, 15.50, 57.20), name="north")
    south = area(2, box(15.4001, 56.80, 15.4999, 57.01), name="south")
    assert north.geometry.area > south.geometry.area  # premise: bigger in degrees²
    assert geodesic_area_m2(north.geometry) < geodesic_area_m2(south.geometry)  # smaller m²
    for areas in ([north, south], [south, north]):
        router = Router(areas, FALLBACK)
        assert both_paths(router, 15.45, 57.0, "snow").area_id == 1


def test_full_tie_goes_to_lowest_id_whatever_the_order():
    geom = box(15.40, 56.95, 15.50, 57.05)
    a7, a3, a5 = area(7, geom), area(3, geom), area(5, geom)
    for areas in ([a7, a3, a5], [a5, a7, a3], [a3, a5, a7]):
        router = Router(areas, FALLBACK)
        assert both_paths(router, 15.45, 57.0, "parks").area_id == 3


def test_category_restricted_area_only_for_its_categories():
    general = area(1, box(15.2, 56.8, 15.7, 57.2), department="tekniska")
    lighting = area(
        2, box(15.40, 56.95, 15.50, 57.05), department="belysning",
        categories={"lighting", "snow"}, priority=5,
    )
    router = Router([general, lighting], FALLBACK)
    assert both_paths(router, 15.45, 57.0, "lighting").department == "belysning"
    assert both_paths(router, 15.45, 57.0, "snow").department == "belysning"
    assert both_paths(router, 15.45, 57.0, "waste").department == "tekniska"


def test_none_categories_accepts_everything_including_unknown():
    router = Router([area(1, box(15.40, 56.95, 15.50, 57.05))], FALLBACK)
    for cat in ("lighting", "waste", "never-heard-of-it", ""):
        assert both_paths(router, 15.45, 57.0, cat).area_id == 1


def test_unknown_category_only_matches_unrestricted_areas():
    restricted = area(1, box(15.40, 56.95, 15.50, 57.05), categories={"lighting"}, priority=9)
    router = Router([restricted], FALLBACK)
    assert both_paths(router, 15.45, 57.0, "broadband").reason == "fallback"
    open_area = area(2, box(15.2, 56.8, 15.7, 57.2))
    router = Router([restricted, open_area], FALLBACK)
    assert both_paths(router, 15.45, 57.0, "broadband").area_id == 2
    assert both_paths(router, 15.45, 57.0, "lighting").area_id == 1


# --------------------------------------------------------------------------- shapes

def test_multipolygon_parts_and_the_gap_between_them():
    two_parts = MultiPolygon([box(15.30, 56.90, 15.40, 57.00), box(15.50, 56.90, 15.60, 57.00)])
    router = Router([area(1, two_parts)], FALLBACK)
    assert both_paths(router, 15.35, 56.95, "waste").area_id == 1  # first part
    assert both_paths(router, 15.55, 56.95, "waste").area_id == 1  # second part
    assert both_paths(router, 15.60, 57.00, "waste").area_id == 1  # corner of second part
    assert both_paths(router, 15.45, 56.95, "waste").reason == "fallback"  # gap


def test_polygon_with_hole():
    outer = [(15.3, 56.9), (15.6, 56.9), (15.6, 57.1), (15.3, 57.1)]
    hole = [(15.4, 56.95), (15.5, 56.95), (15.5, 57.05), (15.4, 57.05)]
    ring = area(1, Polygon(outer, [hole]), priority=5)
    router = Router([ring], FALLBACK)
    assert both_paths(router, 15.35, 57.0, "parks").area_id == 1
    assert both_paths(router, 15.45, 57.0, "parks").reason == "fallback"  # in the hole
    assert both_paths(router, 15.4, 57.0, "parks").area_id == 1  # on the hole's edge
    # An area filling the hole takes over there despite its lower priority.
    plug = area(2, Polygon(hole))
    router = Router([ring, plug], FALLBACK)
    assert both_paths(router, 15.45, 57.0, "parks").area_id == 2
    assert both_paths(router, 15.4, 57.0, "parks").area_id == 1  # on both: priority


# --------------------------------------------------------------------------- fallback

def test_no_match_goes_to_fallback():
    router = Router([area(1, box(15.40, 56.95, 15.50, 57.05))], FALLBACK)
    d = both_paths(router, 15.65, 57.15, "waste")
    assert d == Decision(
        department=FALLBACK, area_id=None, reason="fallback",
        rule="no area contains the point for 'waste'; fallback department 'kommunen'",
    )


def test_fallback_none():
    router = Router([area(1, box(15.40, 56.95, 15.50, 57.05))], None)
    d = both_paths(router, 15.65, 57.15, "waste")
    assert (d.department, d.area_id, d.reason) == (None, None, "fallback")
    assert "no fallback department" in d.rule


def test_non_finite_coordinates_go_to_fallback():
    router = Router([area(1, box(15.40, 56.95, 15.50, 57.05))], FALLBACK)
    assert both_paths(router, float("nan"), 57.0, "waste").reason == "fallback"
    assert router.route_indices([15.45, np.nan, np.inf], [57.0, 57.0, 57.0], "waste").tolist() == [
        0, -1, -1,
    ]


def test_empty_router_routes_everything_to_fallback():
    router = Router([], FALLBACK)
    assert router.areas == ()
    assert both_paths(router, 15.45, 57.0, "lighting").department == FALLBACK
    idx = router.route_indices([15.45, 15.5], [57.0, 56.9], ["lighting", "waste"])
    assert idx.tolist() == [-1, -1]
    assert [d.department for d in router.route_many([15.45], [57.0], ["x"])] == [FALLBACK]


def test_zero_points():
    router = Router([area(1, box(15.40, 56.95, 15.50, 57.05))], FALLBACK)
    assert router.route_many([], [], []) == []
    idx = router.route_indices(np.array([]), np.array([]), np.array([], dtype=str))
    assert idx.shape == (0,) and np.issubdtype(idx.dtype, np.integer)


# --------------------------------------------------------------------------- decisions

def test_decision_rule_text_and_caching():
    centrum = area(
        12, box(15.25, 57.14, 15.27, 57.15), department="teknik", name="Åseda centrum",
        categories={"lighting"}, priority=10,
    )
    router = Router([centrum], FALLBACK)
    d = router.route(15.26, 57.145, "lighting")
    km2 = geodesic_area_m2(centrum.geometry) / 1e6
    assert d == Decision("teknik", 12, "area",
                         f"area 12 'Åseda centrum' (priority 10, {km2:.2f} km²) accepts 'lighting'")
    many = router.route_many([15.26, 15.2601, 15.0], [57.145, 57.1451, 57.0], "lighting")
    assert many[0] is many[1]  # cached per (area, category), not rebuilt per point
    assert many[2].reason == "fallback"
    assert router.route_many([15.26], [57.145], ["lighting"])[0] is many[0]


def test_unrestricted_area_rule_says_so():
    router = Router([area(3, box(15.40, 56.95, 15.50, 57.05))], FALLBACK)
    assert router.route(15.45, 57.0, "waste").rule.endswith(
        "accepts 'waste' (accepts all categories)"
    )


# --------------------------------------------------------------------------- validation

def _nan_polygon():
    with warnings.catch_warnings():  # shapely warns when building it; the point is to refuse it
        warnings.simplefilter("ignore", RuntimeWarning)
        return shapely.from_wkt("POLYGON ((15.4 56.9, NaN 56.9, 15.5 57, 15.4 56.9))")


BOW_TIE = Polygon([(15.40, 56.90), (15.50, 57.00), (15.50, 56.90), (15.40, 57.00)])


@pytest.mark.parametrize(
    "geom, expected",
    [
        (BOW_TIE, "Self-intersection"),
        (shapely.LineString([(15.4, 56.9), (15.5, 57.0)]), "LineString"),
        (Point(15.45, 57.0), "Point"),
        (shapely.GeometryCollection([box(15.4, 56.9, 15.5, 57.0)]), "GeometryCollection"),
        (Polygon(), "empty"),
        (MultiPolygon(), "empty"),
        (None, "None"),
        ("POLYGON ((15.4 56.9, 15.5 56.9, 15.5 57, 15.4 56.9))", "str"),
        # SWEREF 99 TM metres stored as if lon/lat:
        (box(480_000, 6_300_000, 490_000, 6_310_000), "out of lon/lat range"),
        (box(15.4, 89.5, 15.5, 90.5), "out of lon/lat range"),
        (_nan_polygon(), "non-finite"),
    ],
)
def test_invalid_geometry_is_refused_with_reason(geom, expected):
    with pytest.raises(InvalidAreaError, match=expected):
        validate_area_geometry(geom)
    with pytest.raises(InvalidAreaError, match=expected) as info:
        Router([area(1, box(15.2, 56.8, 15.3, 56.9)), area(42, geom, name="Lenhovda")], None)
    assert "area 42 'Lenhovda'" in str(info.value)  # names the culprit


def test_bow_tie_message_includes_is_valid_reason():
    with pytest.raises(InvalidAreaError) as info:
        validate_area_geometry(BOW_TIE)
    assert shapely.is_valid_reason(BOW_TIE) in str(info.value)


def test_valid_geometries_pass_validation():
    validate_area_geometry(TRIANGLE)
    validate_area_geometry(MultiPolygon([box(15.3, 56.9, 15.4, 57.0), box(15.5, 56.9, 15.6, 57.0)]))


def test_duplicate_ids_are_refused():
    with pytest.raises(InvalidAreaError, match="duplicate"):
        Router([area(1, TRIANGLE), area(1, box(15.3, 56.9, 15.4, 57.0))], None)


def test_categories_as_plain_string_is_a_type_error():
    with pytest.raises(TypeError):
        AreaSpec(id=1, department="x", geometry=TRIANGLE, categories="lighting")
    assert AreaSpec(1, "x", TRIANGLE, categories=["a", "b"]).categories == frozenset({"a", "b"})


def test_mismatched_lengths_are_refused():
    router = Router([area(1, TRIANGLE)], None)
    with pytest.raises(ValueError):
        router.route_indices([15.4, 15.5], [57.0], ["a", "b"])
    with pytest.raises(ValueError):
        router.route_indices([15.4, 15.5], [57.0, 57.0], ["a"])


def test_router_does_not_mutate_caller_geometries():
    geom = box(15.40, 56.95, 15.50, 57.05)
    Router([area(1, geom)], None)
    assert not shapely.is_prepared(geom)


# --------------------------------------------------------------------------- geodesic area

def test_geodesic_area_known_value_and_orientation():
    # 1° x 1° at the equator on WGS84 is 12,308.78 km².
    assert geodesic_area_m2(box(0, 0, 1, 1)) == pytest.approx(12_308_778_361, rel=1e-6)
    square = box(15.4, 56.9, 15.5, 57.0)
    cw = box(15.4, 56.9, 15.5, 57.0, ccw=False)
    assert geodesic_area_m2(cw) == pytest.approx(geodesic_area_m2(square))
    # ~6.07 km x 11.13 km in Småland
    assert geodesic_area_m2(square) == pytest.approx(67.6e6, rel=0.01)


def test_geodesic_area_holes_and_parts():
    outer = box(15.3, 56.9, 15.6, 57.1)
    hole = box(15.4, 56.95, 15.5, 57.05)
    # Same-direction hole ring must still be subtracted, not added.
    holed = Polygon(outer.exterior.coords, [hole.exterior.coords])
    expected = geodesic_area_m2(outer) - geodesic_area_m2(hole)
    assert geodesic_area_m2(holed) == pytest.approx(expected)
    a, b = box(15.3, 56.9, 15.4, 57.0), box(15.5, 56.9, 15.6, 57.0, ccw=False)
    assert geodesic_area_m2(MultiPolygon([a, b])) == pytest.approx(
        geodesic_area_m2(a) + geodesic_area_m2(b)
    )


# --------------------------------------------------------------------------- randomised

def random_areas(rng, n):
    """Overlapping blobs, boxes and holed/multi areas over Småland, random rules."""
    slugs = ["lighting", "roads", "waste", "parks", "snow"]
    areas = []
    for i in range(n):
        cx, cy = rng.uniform(15.2, 15.7), rng.uniform(56.8, 57.2)
        r = rng.choice([0.01, 0.03, 0.1, 0.25])
        kind = i % 4
        if kind == 0:
            geom = Point(cx, cy).buffer(r, quad_segs=int(rng.integers(2, 8)))
        elif kind == 1:
            geom = box(cx - r, cy - r / 2, cx + r, cy + r / 2)
        elif kind == 2:
            geom = Point(cx, cy).buffer(r).difference(Point(cx, cy).buffer(r / 3))
        else:
            geom = MultiPolygon([box(cx - r, cy - r, cx, cy), box(cx + r / 2, cy, cx + r, cy + r)])
        cats = None
        if rng.uniform() < 0.4:
            cats = rng.choice(slugs, size=int(rng.integers(1, 3)), replace=False).tolist()
        areas.append(area(100 + i, geom, categories=cats, priority=int(rng.integers(0, 3))))
    return areas


def random_points_with_boundaries(rng, areas, n):
    """Uniform points plus points exactly on vertices and on edges of the areas."""
    lons = list(rng.uniform(15.1, 15.8, n))
    lats = list(rng.uniform(56.7, 57.3, n))
    for a in areas:
        coords = shapely.get_coordinates(a.geometry)
        for x, y in coords[rng.integers(0, len(coords), 3)]:
            lons.append(x)
            lats.append(y)
        # Points on edges: a vertical/horizontal edge of a box keeps one coordinate exact.
        if a.geometry.geom_type == "Polygon" and len(coords) == 5:
            x0, y0, x1, y1 = a.geometry.bounds
            lons += [x0, rng.uniform(x0, x1)]
            lats += [rng.uniform(y0, y1), y1]
    cats = rng.choice(["lighting", "roads", "waste", "parks", "snow", "broadband"], len(lons))
    return np.array(lons), np.array(lats), cats.tolist()


@pytest.mark.parametrize("grid", ["coarse", "default", "fine"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_agrees_with_route_and_naive_loop(monkeypatch, seed, grid):
    # A coarse grid sends many points through the exact path, a fine one through the
    # table: all must give the same answers as the rule written out naively.
    if grid == "coarse":
        monkeypatch.setattr(routing, "_GRID_MAX_CELLS", 1024)
    elif grid == "fine":
        monkeypatch.setattr(routing, "_GRID_CELLS_PER_AREA", 1 << 20)
    rng = np.random.default_rng(seed)
    areas = random_areas(rng, 40)
    lons, lats, cats = random_points_with_boundaries(rng, areas, 2500)
    router = Router(areas, FALLBACK)
    idx = router.route_indices(lons, lats, cats)
    expected = [naive_index(areas, x, y, c) for x, y, c in zip(lons, lats, cats, strict=True)]
    assert idx.tolist() == expected
    assert (idx >= 0).mean() > 0.5 and (idx < 0).any()  # the sample exercises both outcomes
    decisions = router.route_many(lons, lats, cats)
    singles = [router.route(x, y, c) for x, y, c in zip(lons, lats, cats, strict=True)]
    assert decisions == singles
    ids = [None if i < 0 else areas[i].id for i in expected]
    assert [d.area_id for d in decisions] == ids


def test_numpy_inputs_match_list_inputs():
    rng = np.random.default_rng(7)
    areas = random_areas(rng, 20)
    lons, lats, cats = random_points_with_boundaries(rng, areas, 1000)
    router = Router(areas, FALLBACK)
    from_lists = router.route_indices(lons.tolist(), lats.tolist(), cats)
    assert router.route_indices(lons, lats, np.array(cats)).tolist() == from_lists.tolist()
    assert router.route_indices(lons, lats, np.array(cats, dtype=object)).tolist() == (
        from_lists.tolist()
    )
    one_cat = router.route_indices(lons, lats, "roads")
    assert one_cat.tolist() == router.route_indices(lons, lats, ["roads"] * len(lons)).tolist()


def test_router_keeps_area_order_and_fallback():
    areas = [area(5, TRIANGLE), area(2, box(15.3, 56.9, 15.4, 57.0))]
    router = Router(iter(areas), "x")  # any iterable
    assert router.areas == tuple(areas)
    assert router.fallback == "x"
    assert router.route_indices([15.35], [56.95], ["a"]).tolist() == [1]
