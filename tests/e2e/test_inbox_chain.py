"""The whole chain in real Chromium: a resident's pin syncs from the phone, the department
acknowledges it, promises a date and answers in its inbox (signed in, by the forms), the
resident's feed carries the answer and the date, and the walk's public page shows it.
axe-core finds nothing serious on the inbox, an input's page or the public page, and they
reflow at 320 px (a phone, or 640 px at 200% zoom)."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.e2e.conftest import serious_violations
from walkapp.extensions import db
from walkapp.models import Department, User
from walkapp.workflow import local_today

pytestmark = pytest.mark.browser

ANSWER = "Tack! Vi byter armaturen vecka 24.\nHälsningar, Gata/park"


@pytest.fixture
def clerk(e2e_app):
    email = f"gata-{uuid.uuid4().hex[:6]}@example.org"
    with e2e_app.app_context():
        dept = db.session.scalar(select(Department).where(Department.slug == "streets"))
        user = User(email=email, name="Greta Gata", role="department",
                    municipality_id=dept.municipality_id, department_id=dept.id)
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
    return email, "correct horse battery"


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def watch(page, problems: list) -> None:
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)


def test_pin_to_answer_and_back_to_the_phone(phone, page, browser, server, clerk):
    text = f"Gatlyktan vid busshållplatsen är trasig {uuid.uuid4().hex[:6]}"
    phone.join()
    phone.add_pin(text, category="lighting")
    page.wait_for_function(
        "() => document.getElementById('indicator').dataset.state === 'done'")
    (pin,) = [p for p in phone.pins() if p["text"] == text]

    staff = browser.new_context(locale="en-GB", viewport={"width": 320, "height": 640})
    desk = staff.new_page()
    problems = []  # script errors, CSP refusals, failed loads: none on any of these pages
    watch(desk, problems)
    try:
        desk.goto(server.url + "/login")
        desk.fill("#email", clerk[0])
        desk.fill("#password", clerk[1])
        desk.click("#submit")
        desk.wait_for_url(re.compile(r"/inbox/$"))  # department staff land on their inbox
        desk.wait_for_selector("#map[data-ready]")
        assert serious_violations(desk) == []
        assert fits(desk, 320)

        desk.fill("#f-q", text)
        desk.click("form.filters button[type=submit]")
        desk.wait_for_url(re.compile(r"/inbox/\?.*q=Gatlyktan"))
        desk.click("#link-1")
        desk.wait_for_url(re.compile(rf"/inbox/{pin['id']}$"))
        desk.wait_for_selector("#item-map[data-ready]")
        assert serious_violations(desk) == []
        assert fits(desk, 320)

        desk.select_option("#status", "acknowledged")
        desk.click("#status-form button[type=submit]")
        desk.wait_for_selector(".flash:has-text('Acknowledged')")

        promised = local_today(datetime.now(UTC), "Europe/Stockholm") + timedelta(days=20)
        desk.fill("#promised_on", promised.isoformat())
        desk.click("#promise-form button[type=submit]")
        desk.wait_for_selector(".flash:has-text('can expect an answer')")

        desk.fill("#answer", ANSWER)
        desk.click("#answer-form button[type=submit]")
        desk.wait_for_selector(".flash:has-text('sees your answer')")
        history = desk.locator(".history").inner_text()
        assert "Public answer" in history and "Promised date" in history
        assert "from “Sent to the department” to “Acknowledged”" in history

        # The resident's phone: its own feed carries the answer and the promised date.
        feed = page.evaluate("""async () => {
            const db = await import('/static/js/db.js');
            const { token } = await db.getMeta('device');
            const resp = await fetch('/api/v1/devices/me/comments',
                                     { headers: { Authorization: `Bearer ${token}` } });
            return (await resp.json()).comments;
        }""")
        (mine,) = [c for c in feed if c["id"] == pin["id"]]
        assert mine["status"] == "acknowledged"
        assert mine["promised_at"] == promised.isoformat()
        assert [r["text"] for r in mine["responses"]] == [ANSWER]

        # The walk's public page, signed out, on a phone.
        public = browser.new_context(locale="da-DK", viewport={"width": 320, "height": 640})
        reader = public.new_page()
        fetched = []
        reader.on("request", lambda r: fetched.append(r.url))
        watch(reader, problems)
        reader.goto(server.url + "/p/ASEDA7")
        reader.wait_for_selector("#map[data-ready]")
        item = reader.locator("li.result", has_text=text)
        assert "Modtaget af afdelingen" in item.inner_text()
        assert "Vi byter armaturen vecka 24." in item.inner_text()
        assert serious_violations(reader) == []
        assert fits(reader, 320)
        # Our own origin only (tiles too), and no JSON loaded: the page carries its data.
        assert all(u.startswith(server.url + "/") for u in fetched), fetched
        assert not [u for u in fetched if "/api/" in u or u.endswith(".json")], fetched
        reader.emulate_media(media="print")  # the printout: the list without map or menus
        assert reader.locator("#map").is_hidden() and item.is_visible()
        assert reader.locator(".print-only").is_visible()
        public.close()
        assert problems == []
    finally:
        staff.close()
