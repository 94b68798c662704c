"""What no cache may keep, whose address a request has behind a proxy, and who sees what."""

import uuid

import pytest

from tests.conftest import comment_item, make_test_app
from tests.test_review import login


def test_staff_pages_and_photos_are_never_cached(client, make_user, device):
    photo = str(uuid.uuid4())
    item = comment_item(photos=[photo])
    device.sync(item)
    from tests.test_review import jpeg

    device.put(f"/api/v1/comments/{item['id']}/photos/{photo}", data=jpeg(),
               headers={"Content-Type": "image/jpeg"})
    assert client.get("/login").headers["Cache-Control"] == "no-store, private"
    login(client, *make_user("official"))
    for url in ("/review/", "/review/walks/ASEDA7", f"/review/photos/{photo}",
                f"/review/photos/{photo}/thumb"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["Cache-Control"] == "no-store, private", url
        assert "public" not in resp.headers["Cache-Control"]
        assert "Cookie" in resp.headers["Vary"]


def test_public_assets_keep_their_caching(client, make_user):
    login(client, *make_user("official"))
    resp = client.get("/static/css/staff.css")
    assert resp.status_code == 200 and "no-store" not in resp.headers.get("Cache-Control", "")


def test_department_user_without_department_sees_nothing(client, make_user, device):
    """`department_id == None` is SQL's IS NULL: it used to show every unrouted comment."""
    from walkapp.extensions import db
    from walkapp.models import Comment

    device.sync(comment_item(text="Ingen avdelning"))
    with client.application.app_context():  # an unrouted comment
        for c in db.session.query(Comment):
            c.department_id, c.status = None, "received"
        db.session.commit()
    login(client, *make_user("department"))  # a department user attached to none
    assert "Ingen avdelning" not in client.get("/review/walks/ASEDA7").get_data(as_text=True)
    index = client.get("/review/").get_data(as_text=True).replace(" ", "").replace("\n", "")
    assert "<td>0</td></tr>" in index and "<td>1</td></tr>" not in index


# --- client addresses behind a reverse proxy ------------------------------------------------

def register(client, forwarded_for: str):
    return client.post("/api/v1/devices", headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": "10.0.0.2"})  # the proxy


@pytest.fixture
def proxied(database_url, instance_dir):
    def make(hops: int):
        return make_test_app(database_url, instance_dir, TRUSTED_PROXIES=hops,
                             RATELIMIT_DEVICES="2 per minute").test_client()
    return make


def test_behind_a_trusted_proxy_each_phone_has_its_own_limit(app, proxied):
    client = proxied(1)
    for _ in range(2):
        assert register(client, "203.0.113.1").status_code == 201
    assert register(client, "203.0.113.1").status_code == 429
    assert register(client, "203.0.113.2").status_code == 201  # another phone is not locked out
    # a phone cannot pick an address: the proxy appends the real one, we take the last hop
    assert register(client, "198.51.100.9, 203.0.113.1").status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(app, proxied):
    client = proxied(0)
    assert register(client, "203.0.113.1").status_code == 201
    assert register(client, "203.0.113.2").status_code == 201
    assert register(client, "203.0.113.3").status_code == 429  # all one client: 10.0.0.2


def test_trusted_proxy_gives_the_client_address_and_scheme(database_url, instance_dir):
    from flask import request

    app = make_test_app(database_url, instance_dir, TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/_whoami_test")
    def _whoami():
        seen.update(scheme=request.scheme, addr=request.remote_addr)
        return ""

    app.test_client().get("/_whoami_test", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                          headers={"X-Forwarded-Proto": "https",
                                   "X-Forwarded-For": "198.51.100.1, 203.0.113.5"})
    assert seen == {"scheme": "https", "addr": "203.0.113.5"}
