"""Device registration and the resident's feed of their own comments."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.conftest import comment_item
from walkapp.extensions import db
from walkapp.models import Comment, Device, StatusChange


def test_register_issues_id_and_token_kept_only_hashed(app, client):
    resp = client.post("/api/v1/devices")
    assert resp.status_code == 201
    body = resp.get_json()
    assert set(body) == {"device_id", "token"} and len(body["token"]) >= 40
    with app.app_context():
        row = db.session.get(Device, body["device_id"])
        assert row.token_hash != body["token"] and body["token"] not in row.token_hash


def test_registration_is_rate_limited(app, client):
    app.config["RATELIMIT_DEVICES"] = "2 per minute"
    assert [client.post("/api/v1/devices").status_code for _ in range(2)] == [201, 201]
    resp = client.post("/api/v1/devices")
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "rate_limited"


def test_feed_needs_a_token(client):
    assert client.get("/api/v1/devices/me/comments").status_code == 401


def test_feed_holds_only_own_comments(world, device, new_device):
    mine = comment_item()
    device.sync(mine)
    new_device().sync(comment_item())
    feed = device.get("/api/v1/devices/me/comments").get_json()
    assert [c["id"] for c in feed["comments"]] == [mine["id"]]
    c = feed["comments"][0]
    assert (c["status"], c["department"], c["editable"]) == (
        "routed", {"slug": "streets", "name": "Gata/park"}, True)
    assert c["location"] == mine["location"] and c["walk"] == "ASEDA7"


def test_feed_pages_with_a_cursor_and_returns_changes(app, world, device):
    app.config["FEED_PAGE_SIZE"] = 2
    app.config["FEED_SETTLE_SECONDS"] = 0  # the settle window has its own tests below
    items = [comment_item(text=f"nr {i}") for i in range(5)]
    for item in items:
        device.sync(item)
    seen, since = [], None
    while True:
        page = device.get("/api/v1/devices/me/comments",
                          query_string={"since": since} if since else {}).get_json()
        seen += [c["id"] for c in page["comments"]]
        since = page["cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == sorted(i["id"] for i in items) and len(seen) == 5
    empty = device.get("/api/v1/devices/me/comments", query_string={"since": since}).get_json()
    assert empty == {"comments": [], "cursor": since, "has_more": False}

    # an official answers one comment: it comes back on the next call, with the answer
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(items[2]["id"]))
        c.status, c.reviewed_at = "in_progress", datetime.now(UTC)
        c.changed_at = datetime.now(UTC)
        db.session.add(StatusChange(comment=c, status="in_progress", author="Gata/park",
                                    public_text="Vi byter lampan i maj.", note="internt"))
        db.session.commit()
    page = device.get("/api/v1/devices/me/comments", query_string={"since": since}).get_json()
    (changed,) = page["comments"]
    assert changed["id"] == items[2]["id"]
    assert (changed["status"], changed["editable"]) == ("in_progress", False)
    assert [r["text"] for r in changed["responses"]] == ["Vi byter lampan i maj."]
    assert "internt" not in str(page)


def _stamp(app, item, seconds_ago):
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        c.changed_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
        db.session.commit()


def _feed(device, since=None):
    query = {"since": since} if since else {}
    return device.get("/api/v1/devices/me/comments", query_string=query).get_json()


def test_feed_cursor_stays_behind_changes_that_may_still_be_committing(app, world, device):
    app.config["FEED_SETTLE_SECONDS"] = 60
    old, recent, late = (comment_item(text=t) for t in ("old", "recent", "late"))
    device.sync(old, recent)
    _stamp(app, old, 120)
    _stamp(app, recent, 30)
    first = _feed(device)
    assert [c["text"] for c in first["comments"]] == ["old", "recent"]
    # A change stamped 45 s ago commits only now (a slow transaction): it sorts before
    # "recent", which the phone has already seen, so a cursor at "recent" would skip it.
    device.sync(late)
    _stamp(app, late, 45)
    second = _feed(device, first["cursor"])
    assert [c["text"] for c in second["comments"]] == ["late", "recent"]
    # Once everything has settled the cursor moves past it and nothing comes twice.
    _stamp(app, late, 90)
    _stamp(app, recent, 90)
    third = _feed(device, second["cursor"])
    assert [c["text"] for c in third["comments"]] == ["late", "recent"]
    assert _feed(device, third["cursor"])["comments"] == []


def test_a_full_page_of_unsettled_changes_does_not_ask_for_more(app, world, device):
    app.config["FEED_PAGE_SIZE"] = 2
    items = [comment_item(text=f"nr {i}") for i in range(3)]
    device.sync(*items)
    page = _feed(device)
    # Asking again at once would return the same page: the phone waits for its next poll.
    assert len(page["comments"]) == 2 and page["cursor"] is None and not page["has_more"]
    for item in items:
        _stamp(app, item, 120)
    seen, since = [], None
    while True:
        page = _feed(device, since)
        seen += [c["text"] for c in page["comments"]]
        since = page["cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == ["nr 0", "nr 1", "nr 2"]


def test_invalid_cursor_is_400(world, device):
    for bad in ("garbage", "12-xyz", "1-" + "0" * 31, "12345678901234567-" + "a" * 32):
        resp = device.get("/api/v1/devices/me/comments", query_string={"since": bad})
        assert resp.status_code == 400, bad
        assert resp.get_json()["error"]["fields"][0]["field"] == "since"


def test_token_lookup_uses_the_hash(app, client, device):
    with app.app_context():
        assert db.session.scalar(select(Device.id).where(Device.token_hash == device.token)) \
            is None
