"""Staff sign-in and the review pages: authorisation, CSRF, department scoping, photos."""

import io
import re
import uuid

import pytest
from PIL import Image

from tests.conftest import comment_item

IN_ESTATE = [15.274, 57.154]


def csrf(client, url="/login") -> str:
    html = client.get(url).get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf(client)})


@pytest.mark.parametrize("url", ["/review/", "/review/walks/ASEDA7",
                                 f"/review/photos/{uuid.uuid4()}"])
def test_staff_pages_need_sign_in(client, world, url):
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_sign_in_and_out(client, make_user):
    email, password = make_user("official")
    resp = login(client, email.upper(), password)  # email is case-insensitive
    assert resp.status_code == 302 and resp.headers["Location"] == "/review/"
    page = client.get("/review/").get_data(as_text=True)
    assert "Vandring i Åseda" in page and "ASEDA7" in page
    # signing out is a POST with a CSRF token; a bare GET does nothing
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    resp = client.post("/logout", data={"csrf_token": csrf(client, "/review/")})
    assert resp.status_code == 302
    assert client.get("/review/").status_code == 302


def test_wrong_password_is_a_form_error(client, make_user):
    email, _ = make_user("official")
    resp = login(client, email, "wrong password!")
    assert resp.status_code == 400
    assert "Wrong email or password" in resp.get_data(as_text=True) or \
        "Fel e-post eller lösenord" in resp.get_data(as_text=True)
    assert client.get("/review/").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_user):
    email, password = make_user("official")
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 400
    assert client.get("/review/").status_code == 302


def test_login_does_not_redirect_off_site(client, make_user):
    email, password = make_user("official")
    resp = client.post("/login?next=//evil.example/x", data={
        "email": email, "password": password, "csrf_token": csrf(client)})
    assert resp.headers["Location"] == "/review/"


def test_inactive_user_cannot_sign_in(app, client, make_user):
    from walkapp.extensions import db
    from walkapp.models import User

    email, password = make_user("official")
    with app.app_context():
        db.session.query(User).filter_by(email=email).one().active = False
        db.session.commit()
    assert login(client, email, password).status_code == 400


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def two_comments(world, device):
    """One comment routed to streets (with a photo), one to the housing company."""
    photo = str(uuid.uuid4())
    streets = comment_item(text="Gatan är trasig", photos=[photo])
    housing = comment_item(text="Trapphuset är mörkt", category="housing",
                           location={"type": "Point", "coordinates": IN_ESTATE})
    device.sync(streets, housing)
    device.put(f"/api/v1/comments/{streets['id']}/photos/{photo}", data=jpeg(),
               headers={"Content-Type": "image/jpeg"})
    return photo


def test_official_sees_every_comment_and_photo(client, make_user, two_comments):
    login(client, *make_user("official"))
    page = client.get("/review/walks/aseda7").get_data(as_text=True)
    assert "Gatan är trasig" in page and "Trapphuset är mörkt" in page
    resp = client.get(f"/review/photos/{two_comments}/thumb")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"


def test_department_user_sees_only_its_comments(client, make_user, two_comments):
    login(client, *make_user("department", department="housing"))
    page = client.get("/review/walks/ASEDA7").get_data(as_text=True)
    assert "Trapphuset är mörkt" in page and "Gatan är trasig" not in page
    assert client.get(f"/review/photos/{two_comments}").status_code == 404


def test_comment_text_is_escaped(client, world, device, make_user):
    device.sync(comment_item(text="<script>alert(1)</script>"))
    login(client, *make_user("official"))
    page = client.get("/review/walks/ASEDA7").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_walk_is_404(client, make_user):
    login(client, *make_user("official"))
    assert client.get("/review/walks/NOSUCH").status_code == 404
