"""The walk report for the dialogue meeting: page and PDF, three languages, the SVG overview
map with no outside tiles, totals, inputs by department with status, answer and overdue."""

import io
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import comment_item, sync_items
from walkapp import moderation, report, workflow
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import Comment, Track, Walk, utcnow


@pytest.fixture
def walked(app, world, device):
    items = [
        comment_item(text="Gatlampan är trasig vid ån", category="lighting", kind="question"),
        comment_item(text="Mer blommor i parken, tack", category="parks", kind="idea",
                     location={"type": "Point", "coordinates": [15.267, 57.147]}),
        comment_item(text="Gatlampan är trasig vid ån!", category="lighting", kind="question"),
        comment_item(text="Dumheter", category="other", kind="opinion"),
    ]
    sync_items(device, items)
    ids = [uuid.UUID(i["id"]) for i in items]
    now = utcnow()
    with app.app_context():
        s = db.session
        actor = Actor(name="Anna", role="official")
        lamp, park, twin, rude = (s.get(Comment, i) for i in ids)
        workflow.move(s, lamp, "in_progress", actor, now)
        workflow.promise(s, lamp, date.today() + timedelta(days=10), actor, now, date.today())
        moderation.reply(s, lamp, "Vi byter lampan nästa vecka.", actor, now)
        moderation.merge(s, lamp, [twin], actor, now)
        park.received_at = now - timedelta(days=60)  # long past the 21 days: overdue
        moderation.hide(s, rude, "Olämpligt", actor, now)
        walk = s.scalar(select(Walk).where(Walk.join_code == "ASEDA7"))
        s.add(Track(id=uuid.uuid4(), walk_id=walk.id, device_id=device.id, content_hash="x",
                    points=[[15.262, 57.142, 0, 5], [15.27, 57.15, 60, 5],
                            [15.275, 57.155, 120, 5]]))
        s.commit()
    return ids


def test_build(app, walked):
    with app.app_context():
        walk = db.session.scalar(select(Walk).where(Walk.join_code == "ASEDA7"))
        r = report.build(db.session, walk, datetime.now(UTC))
        assert (r.shown, r.hidden, len(r.entries)) == (3, 1, 2)
        lamp = next(e for e in r.entries if e.comment.id == walked[0])
        assert [d.id for d in lamp.duplicates] == [walked[2]]
        assert r.overdue == 1 and r.totals["kind"]["question"] == 2
        svg = report.overview_svg(r, "Översikt")
        root = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        assert root.find(f"{ns}title").text == "Översikt"
        assert len(root.findall(f"{ns}polygon")) == 1  # the walk area
        assert len(root.findall(f"{ns}polyline")) == 2  # a track and the planned route
        assert len(root.findall(f"{ns}g")) == 2  # one numbered pin per listed input
        assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no tiles


@pytest.mark.parametrize(("lang", "words"), [
    ("sv", ["Rapport", "Försenad"]), ("da", ["Rapport", "Forsinket"]),
    ("en", ["Walk report", "Overdue"])])
def test_report_page(official, walked, lang, words):
    resp = official.get(f"/review/walks/ASEDA7/report?language={lang}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html, word
    assert "Vi byter lampan nästa vecka." in html
    assert "Dumheter" not in html and "Olämpligt" not in html  # hidden: only counted
    assert "<svg" in html and "Gatlampan är trasig vid ån" in html
    assert "Gata/park" in html and "Parkenheten" in html


def test_report_pdf(official, walked):
    resp = official.get("/review/walks/ASEDA7/report.pdf?language=sv")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF") and len(resp.data) > 5000
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    for expected in ("Vandring i Åseda", "Gatlampan är trasig vid ån", "Vi byter lampan",
                     "Gata/park", "Försenad"):
        assert expected in text, expected
    assert "Dumheter" not in text


def test_unknown_walk_report_is_404(official, world):
    assert official.get("/review/walks/NOPE/report").status_code == 404
    assert official.get("/review/walks/NOPE/report.pdf").status_code == 404
