"""walkapp.areas.parse_feature_collection: what a GeoJSON file must look like to be imported."""

import json

import pytest
import shapely

from walkapp.areas import AreaImportError, ParsedArea, parse_feature_collection

SQUARE = {"type": "Polygon",
          "coordinates": [[[15.0, 57.0], [15.01, 57.0], [15.01, 57.01], [15.0, 57.01],
                           [15.0, 57.0]]]}


def feature(geometry=SQUARE, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def parse(*features) -> list[ParsedArea]:
    return parse_feature_collection(collection(*features), source="areas.geojson")


def error(*features) -> str:
    with pytest.raises(AreaImportError) as err:
        parse(*features)
    return str(err.value)


def test_full_feature():
    [area] = parse(feature(name="Torget", categories=["roads", "lighting"], priority=7))
    assert area == ParsedArea("Torget", shapely.geometry.shape(SQUARE), ["roads", "lighting"], 7)


def test_defaults_when_properties_are_missing_or_null():
    a, b = parse(feature(), {"type": "Feature", "geometry": SQUARE, "properties": None})
    assert (a.name, a.categories, a.priority) == ("feature 0", None, 0)
    assert (b.name, b.categories, b.priority) == ("feature 1", None, 0)


@pytest.mark.parametrize(("value", "expected"), [
    ("parks", ["parks"]),
    ("parks,lighting", ["parks", "lighting"]),
    (" parks , lighting ,", ["parks", "lighting"]),
    ("shops_services,public_transport", ["shops_services", "public_transport"]),
])
def test_categories_as_comma_separated_text(value, expected):
    assert parse(feature(categories=value))[0].categories == expected


@pytest.mark.parametrize("value", [
    "Parks", "parks;lighting", ["parks", 3], ["vägar"], {"parks": True}, 5, ["-parks"],
])
def test_categories_must_be_slugs(value):
    message = error(feature(name="Ängen", categories=value))
    assert message == ("areas.geojson: feature 0 ('Ängen'): "
                       "'categories' must be a list of category slugs")


@pytest.mark.parametrize("value", ["10", 1.5, True, None, [1]])
def test_priority_must_be_an_integer(value):
    message = error(feature(name="A"), feature(name="B", priority=value))
    assert message == "areas.geojson: feature 1 ('B'): 'priority' must be an integer"


def test_negative_priority_is_allowed():
    assert parse(feature(priority=-3))[0].priority == -3


@pytest.mark.parametrize("doc", [
    {"type": "FeatureCollection", "features": []},
    {"type": "FeatureCollection"},
    {"type": "FeatureCollection", "features": {"type": "Feature"}},
])
def test_no_features(doc):
    with pytest.raises(AreaImportError, match=r"^in\.json: the FeatureCollection has no features$"):
        parse_feature_collection(json.dumps(doc), source="in.json")


@pytest.mark.parametrize(("raw", "got"), [
    (json.dumps(feature()), "'Feature'"),
    (json.dumps(SQUARE), "'Polygon'"),
    ("[]", "'list'"),
    ('"FeatureCollection"', "'str'"),
    (json.dumps({"features": []}), "None"),
])
def test_only_a_feature_collection(raw, got):
    with pytest.raises(AreaImportError) as err:
        parse_feature_collection(raw, source="in.json")
    assert str(err.value) == f"in.json: expected a GeoJSON FeatureCollection, got {got}"


def test_invalid_json():
    with pytest.raises(AreaImportError, match=r"^in\.json: not valid JSON \("):
        parse_feature_collection(b'{"type": "FeatureCollection", ', source="in.json")


def test_utf8_bytes():
    raw = collection(feature(name="Älghults äng")).encode()
    assert parse_feature_collection(raw)[0].name == "Älghults äng"


def test_a_member_that_is_not_a_feature():
    assert error(feature(), "Torget") == "areas.geojson: feature 1 ('feature 1'): " \
                                         "not a GeoJSON Feature"
    assert "not a GeoJSON Feature" in error({"type": "Polygon", "coordinates": []})


@pytest.mark.parametrize(("geometry", "reason"), [
    ({"type": "LineString", "coordinates": [[15.0, 57.0], [15.01, 57.01]]},
     "geometry must be a Polygon or MultiPolygon, got LineString"),
    ({"type": "Point", "coordinates": [15.0, 57.0]},
     "geometry must be a Polygon or MultiPolygon, got Point"),
    ({"type": "GeometryCollection", "geometries": [SQUARE]},
     "geometry must be a Polygon or MultiPolygon, got GeometryCollection"),
    ({"type": "Polygon", "coordinates": [[[15.0, 57.0], [15.01, 57.01], [15.01, 57.0],
                                          [15.0, 57.01], [15.0, 57.0]]]},
     "geometry is invalid: Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[500000, 6300000], [501000, 6300000],
                                          [501000, 6301000], [500000, 6300000]]]},
     "is out of lon/lat range"),
    ({"type": "Polygon", "coordinates": [[[15.0, 57.0], [15.01, 57.0]]]},
     "unreadable geometry"),
    ({"type": "Polygon", "coordinates": []}, "geometry is an empty Polygon"),
])
def test_bad_geometries_name_the_feature_and_the_reason(geometry, reason):
    message = error(feature(name="Torget"), feature(geometry, name="Gångvägen"))
    assert message.startswith("areas.geojson: feature 1 ('Gångvägen'): ")
    assert reason in message


def test_multipolygon_and_hole():
    ring = [[15.0, 57.0], [15.02, 57.0], [15.02, 57.02], [15.0, 57.02], [15.0, 57.0]]
    hole = [[15.005, 57.005], [15.005, 57.01], [15.01, 57.01], [15.01, 57.005],
            [15.005, 57.005]]
    apart = [[15.05, 57.0], [15.06, 57.0], [15.06, 57.01], [15.05, 57.01], [15.05, 57.0]]
    multi = {"type": "MultiPolygon", "coordinates": [[ring, hole], [apart]]}
    [area] = parse(feature(multi, name="Två delar"))
    assert area.geometry.geom_type == "MultiPolygon"
    assert len(area.geometry.geoms) == 2
    assert len(area.geometry.geoms[0].interiors) == 1


@pytest.mark.parametrize("value", ["", " , ", []])
def test_empty_categories_are_refused_rather_than_matching_nothing(value):
    message = error(feature(name="Ängen", categories=value))
    assert message.endswith("'categories' is empty; leave it out to accept every category")


@pytest.mark.parametrize("geometry", [None, "POLYGON((0 0, 1 0, 1 1, 0 0))", []])
def test_missing_geometry_is_named(geometry):
    assert error(feature(geometry, name="Torget")) == \
        "areas.geojson: feature 0 ('Torget'): geometry is missing"
