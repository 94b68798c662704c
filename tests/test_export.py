"""Exports of a walk or the current filter: GeoJSON re-read by the geojson library, CSV with
a BOM that round-trips å ä ö æ ø, local times, labels; never device ids or received_at."""

import csv
import io
import uuid
from datetime import UTC, datetime

import geojson
import pytest

from tests.conftest import comment_item, sync_items
from walkapp import moderation
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import Comment

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def exported(app, world, device):
    items = [
        comment_item(text="Ängen vid ån behöver slåttras, tack! Æble øl", category="parks",
                     kind="idea", created_at=datetime(2026, 5, 20, 16, 5, tzinfo=UTC).isoformat()),
        comment_item(text="Ring mig på 070-123 45 67 om gropen", kind="opinion"),
        comment_item(text="Skällsord om grannen", kind="question"),
    ]
    sync_items(device, items)
    ids = [uuid.UUID(i["id"]) for i in items]
    with app.app_context():
        s = db.session
        actor = Actor(name="Anna", role="official")
        moderation.redact(s, s.get(Comment, ids[1]), "Ring mig om gropen", actor, NOW)
        moderation.hide(s, s.get(Comment, ids[2]), "Personangrepp", actor, NOW)
        s.commit()
    return {"ids": [str(i) for i in ids], "device": device}


def _no_private(raw: str, exported) -> None:
    assert exported["device"].id not in raw and exported["device"].token not in raw
    assert "received_at" not in raw


def test_geojson_staff_export(official, exported):
    resp = official.get("/review/export.geojson?walk=ASEDA7&lang=en")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data(as_text=True)
    fc = geojson.loads(raw)
    assert isinstance(fc, geojson.FeatureCollection) and fc.is_valid, fc.errors()
    _no_private(raw, exported)
    by_id = {f["id"]: f for f in fc["features"]}
    assert set(by_id) == set(exported["ids"])
    meadow = by_id[exported["ids"][0]]["properties"]
    assert meadow["text"].startswith("Ängen vid ån")
    assert meadow["kind_label"] == "Idea" and meadow["category_label"] == "Parks and nature"
    assert meadow["created_at"] == "2026-05-20T18:05:00+02:00"  # local time, with its offset
    assert len(meadow["received_on"]) == 10
    phone = by_id[exported["ids"][1]]["properties"]
    assert phone["text"].startswith("Ring mig på 070") and phone["public_text"] == \
        "Ring mig om gropen"
    hidden = by_id[exported["ids"][2]]["properties"]
    assert hidden["hidden"] is True and hidden["hidden_reason"] == "Personangrepp"


def test_geojson_public_export(official, exported):
    raw = official.get("/review/export.geojson?walk=ASEDA7&public=1").get_data(as_text=True)
    fc = geojson.loads(raw)
    assert fc.is_valid
    texts = {f["id"]: f["properties"]["text"] for f in fc["features"]}
    assert set(texts) == set(exported["ids"][:2])  # the hidden one is left out
    assert texts[exported["ids"][1]] == "Ring mig om gropen"
    assert "070-123" not in raw and "Personangrepp" not in raw and "Skällsord" not in raw
    assert not any("hidden" in f["properties"] for f in fc["features"])


@pytest.mark.parametrize(("lang", "header", "kind"), [
    ("sv", "Kategori", "Idé"), ("da", "Kategori", "Idé"), ("en", "Category", "Idea")])
def test_csv_round_trip(official, exported, lang, header, kind):
    resp = official.get(f"/review/export.csv?walk=ASEDA7&lang={lang}&kind=idea")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    body = resp.get_data()
    assert body.startswith("\ufeff".encode())  # so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header in rows[0]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row[header] in ("Parker och natur", "Parker og natur", "Parks and nature")
    assert kind in row.values()
    assert "Ängen vid ån behöver slåttras, tack! Æble øl" in row.values()
    assert "2026-05-20 18:05" in row.values()  # local time, no offset needed in a sheet
    _no_private(body.decode("utf-8"), exported)


def test_csv_public_leaves_hidden_out(official, exported):
    body = official.get("/review/export.csv?public=1&lang=en").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2 and "Hidden" not in rows[0]
    assert {r["Text"] for r in rows} >= {"Ring mig om gropen"}


@pytest.mark.parametrize(("query", "field"), [
    ("kind=rant", "kind"), ("lang=fi", "lang"), ("public=maybe", "public"),
    ("walk=NOPE", "walk")])
def test_export_bad_filter_is_400(official, exported, query, field):
    resp = official.get(f"/review/export.csv?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["fields"][0]["field"] == field


def test_cli_export_is_public_unless_asked(runner, exported):
    public = runner.invoke(args=["export-geojson"])
    assert public.exit_code == 0, public.output
    fc = geojson.loads(public.stdout)
    assert fc.is_valid and len(fc["features"]) == 2
    assert "Skällsord" not in public.stdout and "received_at" not in public.stdout
    staff = runner.invoke(args=["export-geojson", "--staff"])
    assert len(geojson.loads(staff.stdout)["features"]) == 3
