"""The Open311 keys page in a real browser: axe-core finds nothing serious on the list, the
page that shows a new key, or the revoke confirmation; it works at 320 px (200% zoom)."""

import re

import pytest

from tests.e2e.conftest import serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(staff_account):
    return staff_account("admin", "Ada Admin")


def test_issue_and_revoke_a_key(page, server, admin):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(server.url + "/login?lang=en")
    page.fill("#email", admin[0])
    page.fill("#password", admin[1])
    page.click("#submit")
    page.wait_for_url(re.compile(r"/review/$"))
    page.click("nav.staff-nav >> text=Administration")
    page.wait_for_url(re.compile(r"/admin/$"))
    page.click("text=Open311 keys")
    page.wait_for_url(re.compile(r"/admin/api-keys$"))
    assert serious_violations(page) == []
    page.click("#submit")  # nothing filled in: the form says what is missing
    page.wait_for_selector("#name-error")
    assert page.get_attribute("#name", "aria-invalid") == "true"
    page.select_option("#department", label="Bostadsbolaget")
    page.fill("#name", "Fastighetssystemet")
    page.click("#submit")
    key = page.locator("#new-key")
    key.wait_for()
    assert re.fullmatch(r"o311_[A-Za-z0-9_-]{43}", key.input_value())
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    row = page.locator("tr", has_text="Fastighetssystemet")
    row.get_by_role("link", name=re.compile("Revoke")).click()
    page.wait_for_url(re.compile(r"/revoke$"))
    assert serious_violations(page) == []
    page.click("#submit")
    page.wait_for_url(re.compile(r"/admin/api-keys$"))
    assert "is revoked" in page.locator(".flash").inner_text()
    assert page.locator("tr", has_text="Fastighetssystemet").get_by_role(
        "link", name=re.compile("Revoke")).count() == 0
