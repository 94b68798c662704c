"""Staff pages in a real browser: axe-core finds nothing serious, and they reflow at 200%."""

import re

import pytest

from tests.e2e.conftest import serious_violations

pytestmark = pytest.mark.browser


def test_staff_pages_pass_axe_and_reflow(page, server, official):
    page.set_viewport_size({"width": 320, "height": 640})  # 640 px at 200% zoom
    page.goto(server.url + "/login")
    assert serious_violations(page) == []
    page.fill("#email", official[0])
    page.fill("#password", "wrong password")
    page.click("#submit")
    assert page.locator(".error").count() == 1  # a form message, not a blank page
    assert serious_violations(page) == []
    page.fill("#password", official[1])
    page.click("#submit")
    page.wait_for_url(re.compile(r"/review/$"))
    assert serious_violations(page) == []
    page.click("text=Vandring i Åseda")
    page.wait_for_url(re.compile(r"/review/walks/ASEDA7$"))
    assert serious_violations(page) == []
    # nothing makes the page itself scroll sideways (wide tables scroll in their own box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
