"""PUT /api/v1/comments/<id>/photos/<photo_id>: re-encoded, EXIF-free, limited, idempotent."""

import io
import struct
import threading
import time
import uuid
import zlib
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import comment_item, stored_photo
from walkapp.extensions import db
from walkapp.models import Comment, Photo

GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def jpeg_with_exif(size=(120, 60), orientation=1) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "PhoneCorp"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (57.0, 9.0, 30.0), 3: "E", 4: (15.0, 16.0, 12.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture has GPS
    return data


def png_bytes(mode="RGBA", size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 100) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture(autouse=True)
def _every_store(any_store):
    """Every test here runs on the local folder and on the database storage."""
    return any_store


@pytest.fixture
def pin(world, device):
    """A synced comment announcing one photo; returns (comment_id, photo_id)."""
    photo_id = str(uuid.uuid4())
    item = comment_item(photos=[photo_id])
    result = device.sync(item).get_json()["results"][0]
    assert result["missing_photos"] == [photo_id]
    return item["id"], photo_id


def put(device, comment_id, photo_id, data, content_type="image/jpeg"):
    return device.put(f"/api/v1/comments/{comment_id}/photos/{photo_id}", data=data,
                      headers={"Content-Type": content_type})


def test_upload_is_reencoded_without_exif(app, device, pin):
    comment_id, photo_id = pin
    resp = put(device, comment_id, photo_id, jpeg_with_exif())
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == {"id": photo_id, "comment": comment_id, "status": "stored",
                               "width": 120, "height": 60}
    raw = stored_photo(app, photo_id)
    assert b"Exif" not in raw and b"PhoneCorp" not in raw
    with Image.open(io.BytesIO(raw)) as img:
        assert img.format == "JPEG" and not img.getexif() and "exif" not in img.info
    with Image.open(io.BytesIO(stored_photo(app, photo_id, "thumb"))) as img:
        assert img.format == "JPEG" and max(img.size) <= 320


def test_camera_rotation_is_applied_before_exif_is_dropped(app, device, pin):
    comment_id, photo_id = pin
    resp = put(device, comment_id, photo_id, jpeg_with_exif((120, 60), orientation=6))
    assert (resp.get_json()["width"], resp.get_json()["height"]) == (60, 120)


def test_large_photo_is_scaled_down(app, device, pin):
    comment_id, photo_id = pin
    out = io.BytesIO()
    Image.new("RGB", (3000, 1500), (1, 2, 3)).save(out, "JPEG")
    resp = put(device, comment_id, photo_id, out.getvalue())
    assert (resp.get_json()["width"], resp.get_json()["height"]) == (2048, 1024)


def test_png_with_transparency_becomes_jpeg(app, device, pin):
    comment_id, photo_id = pin
    assert put(device, comment_id, photo_id, png_bytes(), "image/png").status_code == 201
    with Image.open(io.BytesIO(stored_photo(app, photo_id))) as img:
        assert (img.format, img.mode) == ("JPEG", "RGB")


def test_webp_is_accepted(device, pin):
    out = io.BytesIO()
    Image.new("RGB", (30, 30), (9, 9, 9)).save(out, "WEBP")
    assert put(device, *pin, out.getvalue(), "image/webp").status_code == 201


def test_reupload_is_idempotent(app, device, pin):
    data = jpeg_with_exif()
    assert put(device, *pin, data).status_code == 201
    again = put(device, *pin, data)
    assert again.status_code == 200 and again.get_json()["status"] == "stored"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 1


def test_sync_retry_no_longer_reports_the_uploaded_photo(world, device, pin):
    comment_id, photo_id = pin
    put(device, comment_id, photo_id, jpeg_with_exif())
    feed = device.get("/api/v1/devices/me/comments").get_json()["comments"]
    assert feed[0]["photos"] == [{"id": photo_id, "stored": True}]


@pytest.mark.parametrize(("data", "content_type", "status"), [
    (b"hello, not an image", "text/plain", 415),
    (b"hello, not an image", "image/jpeg", 415),
    (b"\xff\xd8\xff\xe0 truncated jpeg", "image/jpeg", 415),
    ("png-as-jpeg", "image/jpeg", 415),
    (b"", "image/jpeg", 400),
])
def test_bad_bodies_are_refused(app, device, pin, data, content_type, status):
    if data == "png-as-jpeg":
        data = png_bytes()
    resp = put(device, *pin, data, content_type)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["fields"][0]["field"] == "body"
    with app.app_context():
        assert db.session.get(Photo, uuid.UUID(pin[1])).stored_at is None
    assert stored_photo(app, pin[1]) is None


def test_decompression_bomb_is_refused(app, device, pin):
    resp = put(device, *pin, png_claiming(30_000, 30_000), "image/png")
    assert resp.status_code == 413
    assert "pixels" in resp.get_json()["error"]["message"]


def test_too_many_bytes_is_413(app, device, pin):
    app.config["PHOTO_MAX_BYTES"] = 1000
    resp = put(device, *pin, jpeg_with_exif((400, 400)))
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"


def test_unknown_comment_is_404(device, pin):
    resp = put(device, str(uuid.uuid4()), pin[1], jpeg_with_exif())
    assert resp.status_code == 404
    assert resp.get_json()["error"]["fields"][0]["field"] == "comment_id"


def test_someone_elses_comment_is_403(new_device, pin):
    resp = put(new_device(), *pin, jpeg_with_exif())
    assert resp.status_code == 403


def test_no_token_is_401(client, pin):
    resp = client.put(f"/api/v1/comments/{pin[0]}/photos/{pin[1]}", data=jpeg_with_exif(),
                      content_type="image/jpeg")
    assert resp.status_code == 401


def test_photo_id_of_another_comment_is_409(world, device, pin):
    other = comment_item()
    device.sync(other)
    assert put(device, other["id"], pin[1], jpeg_with_exif()).status_code == 409


def test_unannounced_photo_is_accepted_before_review_only(app, device, pin):
    comment_id, _ = pin
    assert put(device, comment_id, str(uuid.uuid4()), jpeg_with_exif()).status_code == 201
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(comment_id))
        c.status, c.reviewed_at = "acknowledged", datetime.now(UTC)
        db.session.commit()
    late = put(device, comment_id, str(uuid.uuid4()), jpeg_with_exif())
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "already_reviewed"
    # the announced photo still arrives: it was part of the pin before review
    assert put(device, *pin, jpeg_with_exif()).status_code == 201


def test_photo_count_is_limited(app, device, pin):
    app.config["PHOTOS_PER_COMMENT"] = 2
    assert put(device, pin[0], str(uuid.uuid4()), jpeg_with_exif()).status_code == 201
    assert put(device, pin[0], str(uuid.uuid4()), jpeg_with_exif()).status_code == 409


def test_editing_away_a_photo_deletes_its_file(app, world, device):
    photo_id = str(uuid.uuid4())
    item = comment_item(photos=[photo_id])
    device.sync(item)
    put(device, item["id"], photo_id, jpeg_with_exif())
    assert stored_photo(app, photo_id) is not None
    result = device.sync(dict(item, photos=[])).get_json()["results"][0]
    assert result["status"] == "updated"
    assert stored_photo(app, photo_id) is None
    assert stored_photo(app, photo_id, "thumb") is None


# --- metadata beyond EXIF ----------------------------------------------------------------------

SECRET = "Storgatan 5, Åseda"


def jpeg_with_comment_and_xmp() -> bytes:
    out = io.BytesIO()
    xmp = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{SECRET}'
           '</rdf:Description></x:xmpmeta>').encode()
    Image.new("RGB", (64, 48), (20, 90, 200)).save(
        out, "JPEG", comment=SECRET.encode(), xmp=xmp)
    data = out.getvalue()
    assert SECRET.encode() in data and b"\xff\xfe" in data  # a COM segment holds the address
    return data


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("comment", SECRET)               # tEXt; Pillow would turn it into a COM
    info.add_text("Author", SECRET, zip=True)       # zTXt
    info.add_itxt("Description", SECRET, lang="sv")  # iTXt
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 90, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(("make", "content_type"), [
    (jpeg_with_comment_and_xmp, "image/jpeg"), (png_with_text, "image/png")],
    ids=["jpeg comment and xmp", "png text chunks"])
def test_comments_and_text_chunks_do_not_survive(app, device, pin, make, content_type):
    comment_id, photo_id = pin
    assert put(device, comment_id, photo_id, make(), content_type).status_code == 201
    for variant in ("full", "thumb"):
        raw = stored_photo(app, photo_id, variant)
        assert SECRET.encode() not in raw and b"Storgatan" not in raw
        assert b"\xff\xfe" not in raw  # no COM segment at all
        with Image.open(io.BytesIO(raw)) as img:
            assert "comment" not in img.info and "xmp" not in img.info


# --- limits: pixels, concurrent decodes, uploads per device ----------------------------------

def test_default_pixel_limit_fits_what_phones_send(app, device, pin):
    """The field app sends ≤ 1600 px; a 12 Mpx bomb-shaped PNG is refused before decoding."""
    assert 1600 * 1600 * 2 <= app.config["PHOTO_MAX_PIXELS"] <= 10_000_000
    resp = put(device, *pin, png_claiming(4000, 3000), "image/png")
    assert resp.status_code == 413 and "4000×3000" in resp.get_json()["error"]["message"]
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), (1, 2, 3)).save(out, "JPEG")  # 6 Mpx: still fine
    assert put(device, *pin, out.getvalue()).status_code == 201


def test_decode_slots_make_extra_uploads_wait_then_give_up():
    from walkapp.photos import DecodeSlots, PhotoError

    slots = DecodeSlots(1, wait=0.05)
    with slots.slot(), pytest.raises(PhotoError) as err, slots.slot():
        pass
    assert (err.value.status, err.value.code) == (503, "busy")
    with slots.slot():  # released again
        pass


def test_concurrent_decodes_are_bounded_per_process(app, world, new_device, monkeypatch):
    from walkapp import photos

    app.extensions[photos.SLOTS_KEY] = photos.DecodeSlots(2, wait=30)
    state = {"now": 0, "most": 0}
    lock, release = threading.Lock(), threading.Event()
    real = photos.process

    def counting(*args, **kwargs):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        release.wait(10)
        with lock:
            state["now"] -= 1
        return real(*args, **kwargs)

    monkeypatch.setattr(photos, "process", counting)
    uploads = []
    for _ in range(5):
        device = new_device()
        photo_id = str(uuid.uuid4())
        item = comment_item(photos=[photo_id])
        device.sync(item)
        uploads.append((device, item["id"], photo_id))
    statuses = []
    threads = [threading.Thread(target=lambda u=u: statuses.append(
        put(u[0], u[1], u[2], jpeg_with_exif()).status_code)) for u in uploads]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while state["now"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for t in threads:
        t.join(30)
    assert statuses == [201] * 5 and state["most"] == 2


def test_busy_decoder_answers_503_with_a_json_error(app, device, pin):
    from walkapp import photos

    slots = app.extensions[photos.SLOTS_KEY] = photos.DecodeSlots(1, wait=0.05)
    with slots.slot():  # another upload is being decoded
        resp = put(device, *pin, jpeg_with_exif())
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "busy"
    assert stored_photo(app, pin[1]) is None
    assert put(device, *pin, jpeg_with_exif()).status_code == 201  # and later it goes in


def test_photo_uploads_are_rate_limited_per_device(app, device, new_device, pin):
    app.config["RATELIMIT_PHOTOS"] = "2 per minute"
    comment_id, photo_id = pin
    assert put(device, comment_id, photo_id, jpeg_with_exif()).status_code == 201
    assert put(device, comment_id, photo_id, jpeg_with_exif()).status_code == 200  # retry: free
    assert put(device, comment_id, str(uuid.uuid4()), jpeg_with_exif()).status_code == 201
    resp = put(device, comment_id, str(uuid.uuid4()), jpeg_with_exif())
    assert resp.status_code == 429 and resp.get_json()["error"]["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) > 0
    other = new_device()  # another phone on the same address is not affected
    item = comment_item(photos=[str(uuid.uuid4())])
    other.sync(item)
    assert put(other, item["id"], item["photos"][0], jpeg_with_exif()).status_code == 201


def test_concurrent_uploads_cannot_exceed_the_photo_limit(app, device, pin, monkeypatch):
    """Eight uploads of new photos pass the first check together; the limit is enforced again
    in the storing transaction, one comment at a time (it used to store 8-9 on PostgreSQL)."""
    from walkapp import photos

    n = 8
    app.extensions[photos.SLOTS_KEY] = photos.DecodeSlots(n, wait=30)
    barrier = threading.Barrier(n, timeout=15)
    real = photos.process

    def together(*args, **kwargs):
        barrier.wait()  # everyone has passed the first check before anyone stores
        return real(*args, **kwargs)

    monkeypatch.setattr(photos, "process", together)
    comment_id, _announced = pin
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(
        put(device, comment_id, str(uuid.uuid4()), jpeg_with_exif()).status_code))
        for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # one photo was announced by the sync item, so five more fit under the limit of six
    assert sorted(statuses) == [201] * 5 + [409] * 3
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(comment_id))
        assert len(c.photos) == 6
        assert sorted(p.position for p in c.photos) == list(range(6))


def test_announced_photo_files_are_written_with_no_transaction_open(app, device, pin,
                                                                    any_store, monkeypatch):
    """On SQLite an open write transaction is the lock every other request waits for; the
    disk's fsync happens before it. (The database store writes inside it, by design.)"""
    from walkapp import photo_store

    store = photo_store.for_app(app)
    seen = []
    real = type(store).save

    def spying(self, session, photo_id, processed):
        seen.append(session().in_transaction())  # db.session is a scoped_session
        return real(self, session, photo_id, processed)

    monkeypatch.setattr(type(store), "save", spying)
    assert put(device, *pin, jpeg_with_exif()).status_code == 201
    assert seen == [any_store == "database"]
