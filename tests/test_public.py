"""The public page per walk, "what happened with our input": what it shows, in which words and
times, and above all what it never shows."""

import json
import re
import uuid
from datetime import UTC, date, datetime

import pytest

from tests.conftest import comment_item
from walkapp import workflow
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import Comment, Device, StatusChange

CLERK = Actor(name="Gata/park", role="department")
TRACK_POINTS = [[15.263417, 57.143871, "2026-05-20T16:01:00+02:00", 5.0],
                [15.264829, 57.144912, "2026-05-20T16:02:00+02:00", 6.0]]


def at(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def walk_with_inputs(app, world, new_device):
    """Two phones' inputs on ASEDA7, moderated and answered; returns what must (not) show."""
    alice, bob = new_device(), new_device()
    items = {
        "answered": comment_item(text="Potthål vid torget", location=at(15.2611, 57.1581)),
        "hidden": comment_item(text="HEMLIG kränkande text", location=at(15.2622, 57.1572)),
        "redacted": comment_item(text="Ring mig på 070-1234567 om lampan", kind="idea",
                                 category="lighting", location=at(15.2633, 57.1563)),
        "duplicate": comment_item(text="Samma potthål som någon annan", location=at(15.2612,
                                                                                    57.1582)),
    }
    alice.sync(items["answered"], items["hidden"])
    bob.sync(items["redacted"], items["duplicate"])
    track = alice.put(f"/api/v1/walks/ASEDA7/tracks/{uuid.uuid4()}",
                      json={"points": TRACK_POINTS})
    assert track.status_code == 201
    with app.app_context():
        c = {k: db.session.get(Comment, uuid.UUID(v["id"])) for k, v in items.items()}
        # late in the evening UTC: already the next day in Stockholm
        answered_at = datetime(2026, 6, 2, 22, 30, tzinfo=UTC)
        workflow.promise(db.session, c["answered"], date(2026, 9, 30), CLERK, answered_at,
                         date(2026, 6, 2))
        workflow.move(db.session, c["answered"], "in_progress", CLERK, answered_at,
                      public_text="Vi lagar hålet i september.")
        c["hidden"].hidden_at, c["hidden"].hidden_reason = answered_at, "kränkande"
        c["redacted"].public_text = "Ring mig på [borttaget] om lampan"
        c["duplicate"].merged_into_id, c["duplicate"].status = c["answered"].id, "duplicate"
        db.session.commit()
        received = [v.received_at.isoformat() for v in c.values()]
        devices = [d.id for d in db.session.query(Device).all()]
    return {"items": items, "devices": devices, "tokens": [alice.token, bob.token],
            "received": received}


def page(client, lang="en", code="ASEDA7"):
    resp = client.get(f"/p/{code}?lang={lang}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def embedded_json(html: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(
        r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S)]


def test_public_page_shows_status_promise_and_answer(client, walk_with_inputs):
    html = page(client)
    assert "What happened with our input" in html and "Vandring i Åseda" in html
    assert "Potthål vid torget" in html and "In progress" in html
    assert "Promised by Sep 30, 2026" in html
    assert "Vi lagar hålet i september." in html
    assert "Answer, Jun 3, 2026" in html  # 22:30 UTC on 2 June is 3 June in Stockholm
    assert "Idea · Lighting" in html and "Question · Roads and traffic" in html
    assert "Sent to: Gata/park" in html
    # the duplicate appears under its primary, not as an input of its own
    assert "1 similar input was merged into this one" in html
    assert "Samma potthål som någon annan" in html
    assert html.count('class="result"') == 2
    (data,) = embedded_json(html)
    assert len(data["points"]) == 2 and data["area"]["type"] == "Polygon"
    assert {p["flag"] for p in data["points"]} == {"answered", ""}


def test_public_page_leaks_nothing(client, app, walk_with_inputs):
    """No device id, token, hidden text, redacted original, track point, arrival time or
    input id in the HTML or in the JSON it carries for its map."""
    html = page(client)
    everything = html + json.dumps(embedded_json(html))
    forbidden = [*walk_with_inputs["devices"], *walk_with_inputs["tokens"],
                 "HEMLIG", "kränkande", "070-1234567",
                 *walk_with_inputs["received"],
                 *[item["id"] for item in walk_with_inputs["items"].values()],
                 *[uuid.UUID(item["id"]).hex for item in walk_with_inputs["items"].values()]]
    for lon, lat, *_ in TRACK_POINTS:
        forbidden += [str(lon), str(lat), f"{lon:.5f}", f"{lat:.5f}", f"{lon:.4f},"]
    for secret in forbidden:
        assert secret not in everything, secret
    assert "Ring mig på [borttaget] om lampan" in html  # the redacted version is what shows
    # no staff-only history: internal notes, authors
    with app.app_context():
        assert db.session.query(StatusChange).count() > 0
    assert "Gata/park" in html  # (as the department answering, not as an author column)


def test_hidden_primary_leaves_its_duplicate_alone(client, app, walk_with_inputs):
    with app.app_context():
        primary = db.session.get(Comment, uuid.UUID(walk_with_inputs["items"]["answered"]["id"]))
        primary.hidden_at = datetime.now(UTC)
        db.session.commit()
    html = page(client)
    assert "Potthål vid torget" not in html and "Vi lagar hålet" not in html
    assert "Samma potthål som någon annan" in html
    assert "Merged with a similar input" in html


@pytest.mark.parametrize(("lang", "words"), [
    ("sv", ["Vad hände med våra inspel", "Pågår", "Idé"]),
    ("da", ["Hvad skete der med vores input", "I gang", "Idé"]),
    ("en", ["What happened with our input", "In progress", "Idea"]),
])
def test_public_page_in_three_languages(client, walk_with_inputs, lang, words):
    html = page(client, lang)
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html, word


def test_unknown_walk_is_404_and_codes_are_case_blind(client, world):
    assert client.get("/p/NOPE42").status_code == 404
    resp = client.get("/p/aseda7")
    assert resp.status_code == 301 and resp.headers["Location"].endswith("/p/ASEDA7")
    assert "No inputs from this walk yet." in page(client)


def test_public_page_needs_no_sign_in_and_prints(client, walk_with_inputs):
    html = page(client)
    assert "/login" not in html.split("<main", 1)[1]
    assert 'class="print-only"' in html and "http://localhost/p/ASEDA7" in html
