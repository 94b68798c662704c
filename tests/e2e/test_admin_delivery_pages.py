"""The administrators' delivery pages in a real browser: axe-core finds nothing serious, they
reflow at 200% zoom (320 px), and work by keyboard — including the page that shows a new
webhook secret once."""

import re
import uuid

import pytest

from tests.conftest import comment_item
from tests.e2e.conftest import serious_violations
from walkapp.extensions import db
from walkapp.models import Delivery, Municipality, User

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(e2e_app):
    email = f"admin-{uuid.uuid4().hex[:6]}@example.org"
    with e2e_app.app_context():
        muni = db.session.scalar(db.select(Municipality))
        user = User(email=email, name="Ada Admin", role="admin", municipality_id=muni.id)
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
    return email, "correct horse battery"


def test_delivery_pages_pass_axe_reflow_and_work_by_keyboard(page, server, admin, e2e_app):
    client = e2e_app.test_client()
    device = client.post("/api/v1/devices").get_json()
    client.post("/api/v1/sync", json={"comments": [comment_item()]},
                headers={"Authorization": f"Bearer {device['token']}"})
    with e2e_app.app_context():
        for row in db.session.scalars(db.select(Delivery)):
            row.state, row.attempts, row.last_error = "failed", 8, "SMTP: 421 try later"
        db.session.commit()

    page.set_viewport_size({"width": 320, "height": 640})  # 640 px at 200% zoom
    page.goto(server.url + "/login?lang=en")
    page.fill("#email", admin[0])
    page.fill("#password", admin[1])
    page.click("#submit")
    page.goto(server.url + "/admin/deliveries")
    assert page.locator("text=Failed").first.is_visible()
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # By keyboard: Tab to "Send again" and press Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").startswith("Send again"):
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash")
    assert "sent again in a moment" in page.inner_text("p.flash")

    page.goto(server.url + "/admin/deliveries/departments")
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.click("text=Gata/park")
    page.wait_for_url(re.compile(r"/admin/deliveries/departments/\d+$"))
    assert serious_violations(page) == []
    page.fill("#webhook_url", "not a url")
    page.click("#submit")
    assert page.locator("#webhook_url-error").is_visible()
    assert serious_violations(page) == []
    page.fill("#webhook_url", "https://gata.example.org/walkapp")
    page.click("#submit")
    secret = page.input_value("#secret-value")
    assert secret.startswith("whsec_")
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
