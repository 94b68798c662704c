"""Every staff route, every role: the signed-out visitor goes to the sign-in page, a wrong role
gets 403, a right role never gets 403 or a 5xx.

The routes are read from the URL map, so a new staff route is covered the moment it exists;
one without a role check (walkapp.access.roles_required) fails test_every_staff_route_checks.
"""

import os
import tempfile
import uuid
from pathlib import Path
from unittest import mock

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter, UUIDConverter

from tests.conftest import make_test_app
from walkapp.access import STAFF_PREFIXES

ROLES = ("admin", "official", "department")


def _staff_rules():
    """(endpoint, method, rule) of every staff route, read from a throwaway app."""
    folder = Path(tempfile.mkdtemp(prefix="walkapp-authz-"))
    with mock.patch.dict(os.environ, {"WALKAPP_INSTANCE": str(folder)}):
        app = make_test_app("sqlite://", folder)
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(STAFF_PREFIXES):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule.rule))
    return out


STAFF_RULES = _staff_rules()


def _url(app, endpoint: str, rule_text: str) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint) if r.rule == rule_text)
    values = {}
    for name, conv in rule._converters.items():
        if isinstance(conv, UUIDConverter):
            values[name] = uuid.uuid4()
        elif isinstance(conv, IntegerConverter):
            values[name] = 1
        elif isinstance(conv, AnyConverter):
            values[name] = sorted(conv.items)[0]
        else:
            values[name] = "ASEDA7"
    with app.test_request_context():
        return rule.build(values, append_unknown=False)[1]


def test_staff_routes_exist():
    assert STAFF_RULES, "no staff routes found: did the prefixes change?"


@pytest.mark.parametrize(("endpoint", "method", "rule"), STAFF_RULES)
def test_every_staff_route_checks_roles(app, endpoint, method, rule):
    view = app.view_functions[endpoint]
    assert getattr(view, "allowed_roles", None), \
        f"{endpoint} ({rule}) has no walkapp.access.roles_required check"


@pytest.mark.parametrize("role", ("anonymous", *ROLES))
@pytest.mark.parametrize(("endpoint", "method", "rule"), STAFF_RULES)
def test_role_on_route(app, client, make_user, endpoint, method, rule, role):
    app.config["WTF_CSRF_ENABLED"] = False  # this test is about roles; CSRF has its own tests
    allowed = app.view_functions[endpoint].allowed_roles
    if role != "anonymous":
        email, password = make_user(role, department="streets" if role == "department" else None)
        resp = client.post("/login", data={"email": email, "password": password})
        assert resp.status_code == 302
    url = _url(app, endpoint, rule)
    resp = client.open(url, method=method, data={})
    if role == "anonymous":
        assert resp.status_code in (302, 401), (url, resp.status_code)
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"]
    elif role in allowed:
        assert resp.status_code != 403 and resp.status_code < 500, (url, resp.status_code)
    else:
        assert resp.status_code == 403, (url, resp.status_code)
