"""walkapp/photo_store.py: one interface over the local folder and the database, and what
the database store is for: several app servers that all see the same photos."""

import uuid

import pytest

from tests.conftest import comment_item, make_test_app, small_jpeg, stored_photo, upload_photo
from tests.test_review import login
from walkapp import photo_store
from walkapp.extensions import db
from walkapp.models import Comment, Photo, utcnow
from walkapp.photos import Processed

JPEG = b"\xff\xd8 full bytes \xff\xd9"
THUMB = b"\xff\xd8 thumb bytes \xff\xd9"


@pytest.fixture
def stored(app, world, device, any_store):
    """A comment with one photo row, as sync leaves it (bytes not there yet)."""
    photo_id = uuid.uuid4()
    item = comment_item(photos=[str(photo_id)])
    device.sync(item)
    return photo_id, uuid.UUID(item["id"])


def test_save_open_delete(app, stored):
    photo_id, _ = stored
    with app.app_context():
        store = photo_store.for_app(app)
        assert store.open(db.session, photo_id) is None
        store.save(db.session, photo_id, Processed(JPEG, THUMB, 10, 5))
        db.session.get(Photo, photo_id).stored_at = utcnow()
        db.session.commit()
    assert stored_photo(app, photo_id) == JPEG
    assert stored_photo(app, photo_id, "thumb") == THUMB
    with app.app_context():  # the row goes first, then the bytes
        db.session.delete(db.session.get(Photo, photo_id))
        db.session.commit()
        photo_store.for_app(app).delete([photo_id])
    assert stored_photo(app, photo_id) is None and stored_photo(app, photo_id, "thumb") is None


def test_saving_again_replaces(app, stored):
    photo_id, _ = stored
    with app.app_context():
        store = photo_store.for_app(app)
        store.save(db.session, photo_id, Processed(b"old", b"old", 1, 1))
        db.session.commit()
        store.save(db.session, photo_id, Processed(JPEG, THUMB, 1, 1))
        db.session.commit()
    assert stored_photo(app, photo_id) == JPEG


def test_deleting_the_comment_takes_the_bytes(app, stored):
    photo_id, comment_id = stored
    with app.app_context():
        photo_store.for_app(app).save(db.session, photo_id, Processed(JPEG, THUMB, 1, 1))
        db.session.commit()
        db.session.delete(db.session.get(Comment, comment_id))
        db.session.commit()
        photo_store.for_app(app).delete([photo_id])
    assert stored_photo(app, photo_id) is None


def test_unknown_storage_is_named():
    with pytest.raises(ValueError, match="PHOTO_STORAGE must be one of local, database"):
        photo_store.make_store("s3", "/tmp/x")


@pytest.mark.parametrize(("storage", "seen_by_the_other"), [("database", 200), ("local", 404)])
def test_two_app_servers_see_the_same_photos_only_with_database_storage(
        database_url, instance_dir, world, make_user, new_device, storage, seen_by_the_other):
    """Two app servers behind a load balancer: the phone's upload lands on one, the
    official's request on the other. Each has its own disk."""
    one = make_test_app(database_url, instance_dir, PHOTO_STORAGE=storage)
    other = make_test_app(database_url, instance_dir, PHOTO_STORAGE=storage)
    assert one.config["PHOTO_FOLDER"] != other.config["PHOTO_FOLDER"]
    phone = one.test_client()
    token = phone.post("/api/v1/devices").get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    photo_id = str(uuid.uuid4())
    item = comment_item(photos=[photo_id])
    assert phone.post("/api/v1/sync", json={"comments": [item]}, headers=auth).status_code == 200
    resp = phone.put(f"/api/v1/comments/{item['id']}/photos/{photo_id}", data=small_jpeg(),
                     headers={**auth, "Content-Type": "image/jpeg"})
    assert resp.status_code == 201
    official = other.test_client()
    login(official, *make_user("official"))
    resp = official.get(f"/review/photos/{photo_id}")
    assert resp.status_code == seen_by_the_other
    if seen_by_the_other == 200:
        assert resp.mimetype == "image/jpeg" and resp.data.startswith(b"\xff\xd8")


def test_copy_photos_to_the_database_and_back(app, runner, world, device):
    _, photo_id = upload_photo(device)
    on_disk = stored_photo(app, photo_id)
    result = runner.invoke(args=["copy-photos", "--to", "database"])
    assert result.exit_code == 0, result.output
    assert "copied 1 photo(s) from local to database" in result.output
    assert "WALKAPP_PHOTO_STORAGE=database" in result.output
    with app.app_context():
        in_db = photo_store.make_store("database").open(db.session, uuid.UUID(photo_id))
        assert in_db.read() == on_disk
    again = runner.invoke(args=["copy-photos", "--to", "database"])  # safe to repeat
    assert again.exit_code == 0, again.output
    photo_store.for_app(app).delete([uuid.UUID(photo_id)])  # the folder is emptied
    assert stored_photo(app, photo_id) is None
    back = runner.invoke(args=["copy-photos", "--to", "local"])
    assert back.exit_code == 0, back.output
    assert stored_photo(app, photo_id) == on_disk


def test_copy_photos_names_photos_without_bytes(app, runner, world, device):
    photo_id = str(uuid.uuid4())
    item = comment_item(photos=[photo_id])
    device.sync(item)
    with app.app_context():  # a row that claims bytes the folder does not have
        db.session.get(Photo, uuid.UUID(photo_id)).stored_at = utcnow()
        db.session.commit()
    result = runner.invoke(args=["copy-photos", "--to", "database"])
    assert result.exit_code == 1 and photo_id in result.output
