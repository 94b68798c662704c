"""Tiles walkapp serves itself: an MBTiles file, or the demo renderer; nothing from outside."""

import io
import sqlite3

import pytest
from PIL import Image

from walkapp.geo import lonlat_to_tile, tile_bounds, tiles_in_bbox


def make_mbtiles(path, z, x, y, data: bytes) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int,"
               " tile_data blob)")
    db.execute("INSERT INTO tiles VALUES (?,?,?,?)", (z, x, (1 << z) - 1 - y, data))
    db.commit()
    db.close()


def png(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), color).save(out, "PNG")
    return out.getvalue()


def test_demo_tiles_are_drawn_locally(client):
    resp = client.get("/tiles/14/8890/5005.png")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert Image.open(io.BytesIO(resp.data)).size == (256, 256)
    assert "max-age=86400" in resp.headers["Cache-Control"]


def test_mbtiles_rows_count_from_the_south(app, client, tmp_path):
    path = tmp_path / "map.mbtiles"
    make_mbtiles(path, 14, 8890, 5005, png((1, 2, 3)))
    app.config["MBTILES_PATH"] = str(path)
    resp = client.get("/tiles/14/8890/5005.png")
    assert resp.status_code == 200
    assert Image.open(io.BytesIO(resp.data)).getpixel((0, 0)) == (1, 2, 3)
    assert client.get("/tiles/14/8890/5006.png").status_code == 404


@pytest.mark.parametrize("url", ["/tiles/14/99999/5005.png", "/tiles/30/0/0.png",
                                 "/tiles/-1/0/0.png", "/tiles/a/b/c.png"])
def test_tiles_outside_the_world_are_404(client, url):
    assert client.get(url).status_code == 404


def test_no_tile_source_configured_is_404(app, client):
    app.config["DEMO_TILES"] = False
    assert client.get("/tiles/14/8890/5005.png").status_code == 404


def test_tile_maths_round_trip():
    x, y = lonlat_to_tile(15.345, 57.168, 14)
    west, south, east, north = tile_bounds(x, y, 14)
    assert west <= 15.345 < east and south < 57.168 <= north
    assert tiles_in_bbox([west + 1e-6, south + 1e-6, east - 1e-6, north - 1e-6], 14) == 1
    assert tiles_in_bbox([15.30, 57.14, 15.39, 57.19], 14) > 10


def test_tile_maths_agree_with_the_phone():
    """The same literals as tests/js/units.test.mjs: the phone's offline download and the
    server count the same tiles."""
    assert lonlat_to_tile(15.27, 57.15, 14) == (8886, 5006)
    bbox = [15.255, 57.137, 15.285, 57.163]
    assert [tiles_in_bbox(bbox, z) for z in (13, 14, 15)] == [2, 6, 20]
