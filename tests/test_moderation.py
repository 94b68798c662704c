"""Officials' actions on inputs: each one's effect and history row, each refusal naming its
field with nothing written, duplicates found and merged, and the forms that drive them."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.conftest import comment_item, csrf_token, sync_items
from walkapp import moderation
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import Comment, Department, RoutingDecision, StatusChange, User

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
OFFICIAL = Actor(name="Anna Official", user_id=None, role="official")
NEAR = [15.2700, 57.1500]
TEN_METRES_EAST = [15.27016, 57.1500]
FAR = [15.2620, 57.1420]


@pytest.fixture
def inputs(app, world, device):
    """Four inputs: two 10 m apart on roads, one with a similar text far away, one parks."""
    items = {
        "a": comment_item(text="Hål i asfalten vid busshållplatsen", location={
            "type": "Point", "coordinates": NEAR}),
        "b": comment_item(text="Stora gropar här", location={
            "type": "Point", "coordinates": TEN_METRES_EAST}),
        "c": comment_item(text="Hål i asfalten vid busshållplatsen!", location={
            "type": "Point", "coordinates": FAR}),
        "d": comment_item(text="Fler bänkar i parken", category="parks", location={
            "type": "Point", "coordinates": TEN_METRES_EAST}),
    }
    sync_items(device, list(items.values()))
    return {k: uuid.UUID(v["id"]) for k, v in items.items()}


@pytest.fixture
def load(ctx, inputs):
    return lambda key: db.session.get(Comment, inputs[key])


def _counts():
    return (db.session.scalar(select(func.count()).select_from(StatusChange)),
            db.session.scalar(select(func.count()).select_from(RoutingDecision)))


def refused(fn, field):
    db.session.commit()  # what the test did before stays; the refusal must add nothing
    before = _counts()
    with pytest.raises(moderation.ModerationError) as err:
        fn()
    assert err.value.field == field
    db.session.rollback()
    assert _counts() == before  # nothing half-written
    return err.value


def dept(world, slug):
    return world["departments"][slug]


# --- reroute -------------------------------------------------------------------------------

def test_reroute(load, world):
    c = load("a")
    change = moderation.reroute(db.session, c, dept(world, "parks"), " Parken sköter den ",
                                OFFICIAL, NOW)
    db.session.commit()
    assert (c.status, c.department_id) == ("routed", dept(world, "parks"))
    assert (change.action, change.note, change.from_status) == ("reroute", "Parken sköter den",
                                                                "routed")
    assert change.data == {"from_department_id": dept(world, "streets"),
                           "to_department_id": dept(world, "parks")}
    decision = c.decisions[-1]
    assert (decision.reason, decision.decided_by, decision.rule) == (
        "manual", "official", "Parken sköter den")
    assert c.changed_at == NOW


def test_reroute_refusals(load, world, app):
    c = load("a")
    s = db.session
    refused(lambda: moderation.reroute(s, c, dept(world, "parks"), "  ", OFFICIAL, NOW),
            "reason")
    refused(lambda: moderation.reroute(s, c, None, "x", OFFICIAL, NOW), "department")
    refused(lambda: moderation.reroute(s, c, 99999, "x", OFFICIAL, NOW), "department")
    refused(lambda: moderation.reroute(s, c, dept(world, "streets"), "x", OFFICIAL, NOW),
            "department")
    refused(lambda: moderation.reroute(s, c, dept(world, "parks"), "x" * 2001, OFFICIAL, NOW),
            "reason")
    s.get(Department, dept(world, "parks")).active = False
    refused(lambda: moderation.reroute(s, c, dept(world, "parks"), "x", OFFICIAL, NOW),
            "department")
    assert c.status == "routed" and c.department_id == dept(world, "streets")


def test_not_ours_goes_back_and_may_be_sent_again(load, world):
    c = load("a")
    c.status = "not_ours"
    moderation.reroute(db.session, c, dept(world, "streets"), "Jo, den är er.", OFFICIAL, NOW)
    assert c.status == "routed"


# --- hide, redact, note, reply -------------------------------------------------------------

def test_hide_and_unhide(load):
    c = load("a")
    s = db.session
    refused(lambda: moderation.hide(s, c, "", OFFICIAL, NOW), "reason")
    moderation.hide(s, c, "Personangrepp", OFFICIAL, NOW)
    assert (c.hidden_at, c.hidden_reason) == (NOW, "Personangrepp")
    refused(lambda: moderation.hide(s, c, "igen", OFFICIAL, NOW), "reason")
    refused(lambda: moderation.unhide(s, c, "", OFFICIAL, NOW), "reason")
    moderation.unhide(s, c, "Missförstånd", OFFICIAL, NOW)
    assert c.hidden_at is None and c.hidden_reason is None
    assert [h.action for h in c.history][-2:] == ["hide", "unhide"]
    assert c.history[-2].note == "Personangrepp"
    refused(lambda: moderation.unhide(s, c, "x", OFFICIAL, NOW), "reason")


def test_redact_keeps_the_original(load):
    c = load("a")
    s = db.session
    refused(lambda: moderation.redact(s, c, "   ", OFFICIAL, NOW), "public_text")
    refused(lambda: moderation.redact(s, c, c.text, OFFICIAL, NOW), "public_text")
    refused(lambda: moderation.redact(s, c, None, OFFICIAL, NOW, clear=True), "public_text")
    original = c.text
    moderation.redact(s, c, "Hål i asfalten vid [adress]", OFFICIAL, NOW)
    assert (c.text, c.public_text, c.shown_text) == (
        original, "Hål i asfalten vid [adress]", "Hål i asfalten vid [adress]")
    assert original not in str(c.history[-1].data)
    moderation.redact(s, c, None, OFFICIAL, NOW, clear=True)
    assert c.public_text is None and c.shown_text == original
    assert c.history[-1].data == {"cleared": True}


def test_note_is_internal_and_moves_no_feed(load):
    c = load("a")
    before = c.changed_at
    refused(lambda: moderation.note(db.session, c, "", OFFICIAL, NOW), "note")
    change = moderation.note(db.session, c, "Ring Trafikverket", OFFICIAL, NOW)
    assert (change.note, change.public_text, c.answer, c.changed_at) == (
        "Ring Trafikverket", None, None, before)


def test_reply(load):
    c = load("a")
    refused(lambda: moderation.reply(db.session, c, " ", OFFICIAL, NOW), "public_text")
    change = moderation.reply(db.session, c, "Vi lagar hålet i juni.", OFFICIAL, NOW)
    assert (change.action, c.answer, c.answered_at, c.status) == (
        "answer", "Vi lagar hålet i juni.", NOW, "routed")


# --- duplicates ----------------------------------------------------------------------------

def test_likely_duplicates(load):
    found = {f["comment"].text: f for f in moderation.likely_duplicates(db.session, load("a"))}
    # 10 m away, same category: near; far away but nearly the same words: text; the bench
    # wish 10 m away is another category with other words: not a duplicate.
    assert found["Stora gropar här"]["why"] == "near"
    assert 5 < found["Stora gropar här"]["distance_m"] < 15
    assert found["Hål i asfalten vid busshållplatsen!"]["why"] == "text"
    assert "Fler bänkar i parken" not in found
    assert moderation.distance_m(*NEAR, *TEN_METRES_EAST) == pytest.approx(9.7, abs=0.5)
    assert moderation.similarity("Hål i vägen!", "hål i VÄGEN") == 1.0


def test_merge_and_the_residents_see_the_primary_answer(load, inputs, device, client):
    a, b, c = load("a"), load("b"), load("c")
    s = db.session
    moderation.merge(s, b, [c], OFFICIAL, NOW)  # c first merged into b …
    moderation.merge(s, a, [b], OFFICIAL, NOW, note="Samma hål")  # … then b into a
    moderation.reply(s, a, "Lagas vecka 23.", OFFICIAL, NOW)
    s.commit()
    assert (b.status, b.merged_into_id, c.merged_into_id) == ("duplicate", a.id, a.id)
    assert b.history[-1].action == "merge" and b.history[-1].note == "Samma hål"
    assert a.history[-2].data == {"merged": [str(b.id)]}
    feed = {f["id"]: f for f in device.get("/api/v1/devices/me/comments").get_json()["comments"]}
    for key in ("b", "c"):
        mine = feed[str(inputs[key])]
        assert mine["merged"] is True
        assert [r["text"] for r in mine["responses"]] == ["Lagas vecka 23."]


def test_merge_refusals(load):
    a, b, c = load("a"), load("b"), load("c")
    s = db.session
    refused(lambda: moderation.merge(s, a, [], OFFICIAL, NOW), "duplicates")
    refused(lambda: moderation.merge(s, a, [a], OFFICIAL, NOW), "duplicates")
    moderation.merge(s, a, [b], OFFICIAL, NOW)
    refused(lambda: moderation.merge(s, c, [b], OFFICIAL, NOW), "duplicates")
    refused(lambda: moderation.merge(s, b, [c], OFFICIAL, NOW), "comment")
    refused(lambda: moderation.reply(s, b, "x", OFFICIAL, NOW), "comment")
    refused(lambda: moderation.merge(s, a, [c], OFFICIAL, NOW, note="x" * 2001), "note")


# --- the forms -----------------------------------------------------------------------------

def _post(client, cid, action, **data):
    token = csrf_token(client, f"/review/inputs/{cid}")
    return client.post(f"/review/inputs/{cid}/{action}", data={"csrf_token": token, **data})


def test_detail_page(official, app, inputs):
    html = official.get(f"/review/inputs/{inputs['a']}").get_data(as_text=True)
    assert "Hål i asfalten vid busshållplatsen" in html
    assert "Stora gropar här" in html  # suggested as a likely duplicate
    assert ">routed<" not in html and "routed</" not in html  # labels, not enum values
    assert "±8 m" in html  # GPS accuracy
    assert official.get(f"/review/inputs/{uuid.uuid4()}").status_code == 404


FORM_ERRORS = [
    ("reroute", {"department": "", "reason": "x"}, "reroute-department-error"),
    ("reroute", {"department": "streets", "reason": ""}, "reroute-department-error"),
    ("hide", {"reason": ""}, "hide-reason-error"),
    ("redact", {"public_text": ""}, "redact-public_text-error"),
    ("note", {"note": ""}, "note-note-error"),
    ("reply", {"public_text": ""}, "reply-public_text-error"),
    ("merge", {}, "merge-duplicates-error"),
    ("merge", {"duplicates": "not-a-uuid"}, "merge-duplicates-error"),
]


def test_form_errors_write_nothing(official, app, inputs):
    with app.app_context():
        before = _counts()
    for action, data, field in FORM_ERRORS:
        resp = _post(official, inputs["a"], action, **data)
        assert resp.status_code == 400, action
        html = resp.get_data(as_text=True)
        assert f'id="{field}"' in html and 'aria-invalid="true"' in html, (action, data)
    with app.app_context():
        assert _counts() == before


def test_forms_act_and_record_who(official, app, inputs, world):
    a, b = inputs["a"], inputs["b"]
    back = "/review/map?walk=ASEDA7"
    resp = _post(official, a, "reroute", department=str(dept(world, "parks")),
                 reason="Parkens ansvar", back=back)
    assert resp.status_code == 302 and "back=/review/map" in resp.headers["Location"]
    assert _post(official, a, "merge", duplicates=str(b)).status_code == 302
    assert _post(official, a, "hide", reason="Olämpligt").status_code == 302
    assert _post(official, a, "unhide", reason="Fel").status_code == 302
    assert _post(official, a, "redact", public_text="Hål vid [plats]").status_code == 302
    assert _post(official, a, "note", note="Intern").status_code == 302
    assert _post(official, a, "reply", public_text="Vi åtgärdar").status_code == 302
    with app.app_context():
        c = db.session.get(Comment, a)
        actions = [h.action for h in c.history]
        assert actions[-7:] == ["reroute", "merge", "hide", "unhide", "redact", "note",
                                "answer"]
        who = db.session.get(User, c.history[-1].user_id)
        assert who.role == "official" and c.history[-1].author == who.name
        assert db.session.get(Comment, b).merged_into_id == a
    page = official.get(f"/review/inputs/{a}?back={back}").get_data(as_text=True)
    assert 'href="/review/map?walk=ASEDA7"' in page
    assert "Vi åtgärdar" in page and "Intern" in page


def test_forms_need_csrf(official, inputs):
    resp = official.post(f"/review/inputs/{inputs['a']}/note", data={"note": "x"})
    assert resp.status_code == 400


def test_back_link_stays_on_the_map(official, inputs):
    page = official.get(f"/review/inputs/{inputs['a']}?back=//evil.example/review/map")
    assert "evil.example" not in page.get_data(as_text=True)
