"""DELETE /api/v1/comments/<id>: a resident withdraws a pin until it is reviewed."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.conftest import comment_item, stored_photo, upload_photo
from walkapp.extensions import db
from walkapp.models import Comment, Photo, RoutingDecision, StatusChange


def test_delete_removes_comment_photos_and_files(app, world, device, any_store):
    comment_id, photo_id = upload_photo(device)
    item = {"id": comment_id}
    assert stored_photo(app, photo_id) and stored_photo(app, photo_id, "thumb")
    resp = device.delete(f"/api/v1/comments/{item['id']}")
    assert resp.status_code == 204 and resp.data == b""
    with app.app_context():
        for model in (Comment, Photo, RoutingDecision, StatusChange):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert stored_photo(app, photo_id) is None and stored_photo(app, photo_id, "thumb") is None
    assert device.get("/api/v1/devices/me/comments").get_json()["comments"] == []
    assert device.delete(f"/api/v1/comments/{item['id']}").status_code == 404


def test_cannot_delete_someone_elses_comment(app, world, device, new_device):
    item = comment_item()
    device.sync(item)
    assert new_device().delete(f"/api/v1/comments/{item['id']}").status_code == 403
    with app.app_context():
        assert db.session.get(Comment, uuid.UUID(item["id"])) is not None


def test_cannot_delete_after_review(app, world, device):
    item = comment_item()
    device.sync(item)
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        c.status, c.reviewed_at = "acknowledged", datetime.now(UTC)
        db.session.commit()
    resp = device.delete(f"/api/v1/comments/{item['id']}")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "already_reviewed"


def test_delete_needs_token(client, world, device):
    item = comment_item()
    device.sync(item)
    assert client.delete(f"/api/v1/comments/{item['id']}").status_code == 401
    assert device.delete("/api/v1/comments/not-a-uuid").status_code == 404
