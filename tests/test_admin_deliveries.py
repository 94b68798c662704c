"""Administration → Deliveries (failed ones shown and sent again, with CSRF) and each
department's delivery settings (e-mail mode, digest hour, webhook, a secret shown once).
Who may open them is tests/test_authz.py's job; here: what admins see and do."""

import re
import uuid

import pytest
from sqlalchemy import select

from tests.conftest import comment_item
from tests.test_review import csrf, login
from walkapp.extensions import db
from walkapp.models import Delivery, Department, Municipality


@pytest.fixture
def admin(client, make_user):
    """A signed-in administrator who reads English."""
    assert login(client, *make_user("admin")).status_code == 302
    client.get("/admin/?lang=en")  # the language sticks to the session
    return client


def fail_all(app):
    with app.app_context():
        for row in db.session.scalars(select(Delivery)):
            row.state, row.attempts, row.last_error = "failed", 8, "SMTP 127.0.0.1:25: refused"
        db.session.commit()


def test_failed_deliveries_are_listed_in_peoples_words_and_local_time(app, admin, device):
    device.sync(comment_item(text="Trasig kantsten"))
    fail_all(app)
    page = admin.get("/admin/deliveries?lang=en")
    assert page.status_code == 200
    text = page.text
    assert "E-mail to the department" in text and "Failed" in text and "Gata/park" in text
    assert "Trasig kantsten" in text and "SMTP 127.0.0.1:25: refused" in text
    assert ">email<" not in text and ">failed<" not in text  # labels, not stored values
    with app.app_context():
        row = db.session.scalar(select(Delivery))
        utc = row.created_at.strftime("%H:%M")
    assert "UTC" not in text and (utc not in text or row.created_at.utcoffset() is None)


def test_an_admin_sends_a_failed_delivery_again(app, admin, device):
    device.sync(comment_item())
    fail_all(app)
    with app.app_context():
        row_id = db.session.scalar(select(Delivery.id))
    token = csrf(admin, "/admin/deliveries")
    assert admin.post(f"/admin/deliveries/{row_id}/retry").status_code == 400  # no CSRF
    resp = admin.post(f"/admin/deliveries/{row_id}/retry", data={"csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        row = db.session.get(Delivery, row_id)
        assert (row.state, row.attempts) == ("pending", 0)
    again = admin.post(f"/admin/deliveries/{row_id}/retry", data={"csrf_token": token},
                       follow_redirects=True)
    assert "Only a failed delivery can be sent again." in again.text


def test_send_all_failed_again(app, admin, device):
    device.sync(comment_item(), comment_item())
    fail_all(app)
    token = csrf(admin, "/admin/deliveries")
    resp = admin.post("/admin/deliveries/retry-failed", data={"csrf_token": token},
                      follow_redirects=True)
    assert "2 failed deliveries will be sent again." in resp.text
    with app.app_context():
        assert {r.state for r in db.session.scalars(select(Delivery))} == {"pending"}


def test_another_municipalitys_deliveries_are_not_there(app, admin, world, new_device):
    with app.app_context():
        db.session.add(Municipality(slug="annan", name="Annan kommun"))
        db.session.commit()
        other = db.session.scalar(select(Municipality).filter_by(slug="annan"))
        d = new_device()
        d.sync(comment_item())
        row = db.session.scalar(select(Delivery))
        row.municipality_id, row.state = other.id, "failed"
        db.session.commit()
        row_id = row.id
    assert "Gata/park" not in admin.get("/admin/deliveries?show=all").text
    token = csrf(admin, "/admin/deliveries")
    assert admin.post(f"/admin/deliveries/{row_id}/retry",
                      data={"csrf_token": token}).status_code == 404


def test_bad_filters_are_refused(admin, world):
    assert admin.get("/admin/deliveries?show=everything").status_code == 400
    assert admin.get("/admin/deliveries?channel=pigeon").status_code == 400
    assert admin.get("/admin/deliveries?show=sent&channel=webhook").status_code == 200


def test_paging_goes_back_in_time(app, admin, device):
    app_rows = 55
    device.sync(*[comment_item() for _ in range(app_rows)])
    first = admin.get("/admin/deliveries?show=all").text
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = admin.get(older).text
    ids = lambda html: set(re.findall(r'id="d-(\d+)"', html))  # noqa: E731
    assert len(ids(first)) == 50 and len(ids(second)) == 5 and not ids(first) & ids(second)


# --- delivery settings -----------------------------------------------------------------------

def dept_id(app, slug="streets") -> int:
    with app.app_context():
        return db.session.scalar(select(Department.id).filter_by(slug=slug))


def test_settings_list_every_department_in_words(admin, world):
    page = admin.get("/admin/deliveries/departments?lang=en").text
    for name in ("Gata/park", "Parkenheten", "Bostadsbolaget", "Stadsnätet", "Kundtjänst"):
        assert name in page
    assert "An e-mail for each input" in page and ">immediate<" not in page


def test_setting_a_webhook_makes_a_secret_shown_once(app, admin, world):
    url = f"/admin/deliveries/departments/{dept_id(app)}"
    token = csrf(admin, url)
    resp = admin.post(url, data={"csrf_token": token, "email_mode": "digest",
                                 "digest_hour": "6", "webhook_url": "https://gata.example.org/in"})
    assert resp.status_code == 200 and "no-store" in resp.headers["Cache-Control"]
    secret = re.search(r'value="(whsec_[^"]+)"', resp.text).group(1)
    with app.app_context():
        d = db.session.get(Department, dept_id(app))
        assert (d.email_mode, d.digest_hour, d.webhook_url, d.webhook_secret) == (
            "digest", 6, "https://gata.example.org/in", secret)
    assert secret not in admin.get(url).text  # never again
    assert secret not in admin.get("/admin/deliveries/departments").text


def test_rotating_keeps_the_previous_secret_for_the_grace_period(app, admin, world):
    url = f"/admin/deliveries/departments/{dept_id(app)}"
    token = csrf(admin, url)
    first = admin.post(url, data={"csrf_token": token, "email_mode": "immediate",
                                  "digest_hour": "7", "webhook_url": "https://x.example.org/"})
    old = re.search(r'value="(whsec_[^"]+)"', first.text).group(1)
    assert admin.post(url + "/secret").status_code == 400  # CSRF
    resp = admin.post(url + "/secret", data={"csrf_token": token})
    new = re.search(r'value="(whsec_[^"]+)"', resp.text).group(1)
    assert new != old and "still signs too for 24 hours" in resp.text
    with app.app_context():
        d = db.session.get(Department, dept_id(app))
        assert (d.webhook_secret, d.webhook_secret_previous) == (new, old)


@pytest.mark.parametrize(("field", "value"), [
    ("webhook_url", "ftp://gata.example.org"), ("webhook_url", "gata.example.org/in"),
    ("email_mode", "weekly"), ("digest_hour", "25"), ("digest_hour", "seven"),
])
def test_bad_settings_get_a_form_message_and_change_nothing(app, admin, world, field, value):
    url = f"/admin/deliveries/departments/{dept_id(app)}?lang=en"
    data = {"csrf_token": csrf(admin, url), "email_mode": "off", "digest_hour": "7",
            "webhook_url": "", field: value}
    resp = admin.post(url, data=data)
    assert resp.status_code == 400 and f'id="{field}-error"' in resp.text
    assert f'name="{field}"' in resp.text.split(f'id="{field}-error"')[0]
    with app.app_context():
        d = db.session.get(Department, dept_id(app))
        assert (d.email_mode, d.webhook_url) == ("immediate", None)


def test_another_municipalitys_department_is_not_found(app, admin, world):
    with app.app_context():
        other = Municipality(slug="annan", name="Annan")
        db.session.add(other)
        db.session.add(Department(municipality=other, slug="x", name="X"))
        db.session.commit()
        other_id = db.session.scalar(select(Department.id).filter_by(slug="x"))
    assert admin.get(f"/admin/deliveries/departments/{other_id}").status_code == 404
    assert admin.get(f"/admin/deliveries/departments/{uuid.uuid4().int % 10**6 + 1000}"
                     ).status_code == 404


def test_the_administration_page_lists_both_sections(admin, world):
    page = admin.get("/admin/?lang=en").text
    assert 'href="/admin/deliveries"' in page and 'href="/admin/deliveries/departments"' in page


def test_the_item_link_in_mails_leads_staff_to_the_input(app, client, make_user, device):
    item = comment_item()
    device.sync(item)
    login(client, *make_user("official"))
    resp = client.get(f"/review/items/{item['id']}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/review/inputs/{item['id']}")
    assert client.get(f"/review/items/{uuid.uuid4()}").status_code == 404


def test_the_item_link_does_not_confirm_another_departments_input(app, client, make_user,
                                                                 device):
    item = comment_item()  # routed to streets
    device.sync(item)
    login(client, *make_user("department", department="parks"))
    assert client.get(f"/review/items/{item['id']}").status_code == 404
