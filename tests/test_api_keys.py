"""Open311 keys: issued per department, shown once, stored hashed, revocable, from the admin
page and the CLI. (tests/test_authz.py proves every role on every /admin route.)"""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.test_review import csrf, login
from walkapp import api_keys
from walkapp.extensions import db
from walkapp.models import ApiKey, Department, Municipality, User

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
KEY = re.compile(r"o311_[A-Za-z0-9_-]{43}")


def _dept(world, slug="housing") -> Department:
    return db.session.get(Department, world["departments"][slug])


def _rows_text() -> str:
    return repr(db.session.execute(select(ApiKey.__table__)).all())


# --- the domain module --------------------------------------------------------------------

def test_issue_find_revoke(ctx, world):
    issued = api_keys.issue(db.session, _dept(world), "  Fastighetssystemet ", NOW)
    db.session.commit()
    assert KEY.fullmatch(issued.secret)
    key = issued.key
    assert key.name == "Fastighetssystemet" and key.prefix == issued.secret[:12]
    assert key.key_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in _rows_text()  # only its hash is kept
    assert api_keys.find(db.session, issued.secret) is key
    assert api_keys.find(db.session, issued.secret + "x") is None
    assert api_keys.find(db.session, "") is None
    assert api_keys.revoke(key, NOW, revoked_by_id=None) is True
    assert api_keys.revoke(key, NOW + timedelta(days=1)) is False  # once only
    assert key.revoked_at == NOW and not key.usable
    other = api_keys.issue(db.session, _dept(world), "Test", NOW).secret
    assert other != issued.secret


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("   ", "name"), ("x" * 201, "name")])
def test_a_key_needs_a_name(ctx, world, name, field):
    with pytest.raises(api_keys.ApiKeyError) as err:
        api_keys.issue(db.session, _dept(world), name, NOW)
    assert err.value.field == field


def test_no_key_for_a_deactivated_department(ctx, world):
    dept = _dept(world)
    dept.active = False
    with pytest.raises(api_keys.ApiKeyError) as err:
        api_keys.issue(db.session, dept, "System", NOW)
    assert err.value.field == "department"


def test_last_use_is_kept_to_the_hour(ctx, world):
    key = api_keys.issue(db.session, _dept(world), "System", NOW).key
    api_keys.mark_used(key, NOW)
    api_keys.mark_used(key, NOW + timedelta(minutes=59))
    assert key.last_used_at == NOW  # a read every minute is not a write every minute
    api_keys.mark_used(key, NOW + timedelta(hours=1))
    assert key.last_used_at == NOW + timedelta(hours=1)


def test_keys_of_a_municipality_only(ctx, world):
    api_keys.issue(db.session, _dept(world), "Ours", NOW)
    elsewhere = Municipality(slug="annanby", name="Annanby")
    dept = Department(municipality=elsewhere, slug="gata", name="Gata")
    db.session.add_all([elsewhere, dept])
    api_keys.issue(db.session, dept, "Theirs", NOW)
    db.session.flush()
    assert [k.name for k in api_keys.keys_of(db.session, world["municipality_id"])] == ["Ours"]


# --- the CLI --------------------------------------------------------------------------------

def test_cli_create_list_revoke(app, runner, world, client):
    result = runner.invoke(args=["api-key", "create", "--department", "housing",
                                 "--name", "Fastighetssystemet"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert KEY.fullmatch(secret)  # only the key on stdout: KEY=$(walkapp api-key create …)
    assert "not shown again" in result.stderr
    listed = runner.invoke(args=["api-key", "list"])
    assert secret[:12] in listed.output and secret not in listed.output
    assert "housing" in listed.output and "active" in listed.output
    assert client.get(f"/open311/v2/requests.json?api_key={secret}").status_code == 200
    with app.app_context():
        key_id = api_keys.find(db.session, secret).id
    revoked = runner.invoke(args=["api-key", "revoke", str(key_id)])
    assert revoked.exit_code == 0 and "revoked key" in revoked.output
    assert "revoked already" in runner.invoke(args=["api-key", "revoke", str(key_id)]).output
    assert client.get(f"/open311/v2/requests.json?api_key={secret}").status_code == 403
    assert "revoked" in runner.invoke(args=["api-key", "list"]).output


def test_cli_refusals(runner, world):
    unknown = runner.invoke(args=["api-key", "create", "--department", "nope", "--name", "x"])
    assert unknown.exit_code != 0 and "no department 'nope'" in unknown.output
    blank = runner.invoke(args=["api-key", "create", "--department", "housing", "--name", " "])
    assert blank.exit_code != 0 and "Say which system" in blank.output
    missing = runner.invoke(args=["api-key", "revoke", "999"])
    assert missing.exit_code != 0 and "no key with id 999" in missing.output


# --- the admin page -------------------------------------------------------------------------

@pytest.fixture
def admin(client, make_user):
    email, password = make_user("admin")
    assert login(client, email, password).status_code == 302
    return client


def _issue(admin, world, department="housing", name="Fastighetssystemet"):
    return admin.post("/admin/api-keys", data={
        "department": world["departments"][department], "name": name,
        "csrf_token": csrf(admin, "/admin/api-keys")})


def test_a_new_key_is_shown_once_and_can_be_revoked(app, admin, world):
    index = admin.get("/admin/?lang=en").get_data(as_text=True)
    assert 'href="/admin/api-keys"' in index and "Open311 keys" in index
    resp = _issue(admin, world)
    assert resp.status_code == 201 and "no-store" in resp.headers["Cache-Control"]
    page = resp.get_data(as_text=True)
    (secret,) = KEY.findall(page)
    assert "Fastighetssystemet" in page and "Bostadsbolaget" in page
    assert 'value="Fastighetssystemet"' not in page  # the form is empty again
    later = admin.get("/admin/api-keys").get_data(as_text=True)
    assert secret not in later and secret[:12] in later
    assert "Set-Cookie" not in resp.headers or secret not in resp.headers["Set-Cookie"]
    with app.app_context():
        key = api_keys.find(db.session, secret)
        assert key.created_by.role == "admin" and secret not in _rows_text()
    posted = admin.post("/open311/v2/requests.json", data={
        "api_key": secret, "service_code": "roads", "lat": "57.15", "long": "15.27"})
    assert posted.status_code == 200
    assert "Aldrig" not in admin.get("/admin/api-keys?lang=sv").get_data(as_text=True)  # used
    # Revoking takes a confirmation; from then on the system holding the key is refused.
    with app.app_context():
        key_id = api_keys.find(db.session, secret).id
    confirm = admin.get(f"/admin/api-keys/{key_id}/revoke?lang=en")
    assert confirm.status_code == 200
    assert "Fastighetssystemet" in confirm.get_data(as_text=True)
    assert admin.post(f"/admin/api-keys/{key_id}/revoke").status_code == 400  # no CSRF token
    resp = admin.post(f"/admin/api-keys/{key_id}/revoke", data={
        "csrf_token": csrf(admin, f"/admin/api-keys/{key_id}/revoke")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/api-keys"
    page = admin.get("/admin/api-keys?lang=en").get_data(as_text=True)
    assert "is revoked" in page and "Revoked" in page
    with app.app_context():
        key = db.session.get(ApiKey, key_id)
        assert key.revoked_at is not None and key.revoked_by.role == "admin"
    refused = admin.get(f"/open311/v2/requests.json?api_key={secret}")
    assert refused.status_code == 403 and "revoked" in refused.get_json()[0]["description"]
    again = admin.get(f"/admin/api-keys/{key_id}/revoke?lang=en").get_data(as_text=True)
    assert "was revoked" in again and "<form" not in again.split("<main")[1]


def test_the_form_refuses_what_it_cannot_issue(app, admin, world):
    resp = admin.post("/admin/api-keys?lang=en", data={
        "department": "", "name": "", "csrf_token": csrf(admin, "/admin/api-keys")})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Choose who the key is for." in page and "Say which system will use the key." in page
    assert 'aria-invalid="true"' in page and not KEY.search(page)
    no_token = admin.post("/admin/api-keys", data={
        "department": world["departments"]["housing"], "name": "X"})
    assert no_token.status_code == 400 and not KEY.search(no_token.get_data(as_text=True))
    # Only active departments of the admin's own municipality can get keys.
    with app.app_context():
        db.session.get(Department, world["departments"]["parks"]).active = False
        elsewhere = Municipality(slug="annanby", name="Annanby")
        foreign = Department(municipality=elsewhere, slug="gata", name="Annanby gata")
        db.session.add_all([elsewhere, foreign])
        db.session.commit()
        foreign_id = foreign.id
    page = admin.get("/admin/api-keys?lang=sv").get_data(as_text=True)
    assert "Parkenheten" not in page and "Annanby gata" not in page
    assert 'label="Kommunens förvaltningar"' in page and "Gata/park" in page
    for dept_id in (world["departments"]["parks"], foreign_id):
        resp = admin.post("/admin/api-keys", data={
            "department": dept_id, "name": "X", "csrf_token": csrf(admin, "/admin/api-keys")})
        assert resp.status_code == 400 and not KEY.search(resp.get_data(as_text=True))
    with app.app_context():
        assert db.session.query(ApiKey).count() == 0


def test_another_municipalitys_admin_cannot_see_or_revoke(app, client, world, issue_key):
    secret = issue_key("housing")
    with app.app_context():
        elsewhere = Municipality(slug="annanby", name="Annanby")
        user = User(email="admin@annanby.example", name="Other admin", role="admin",
                    municipality=elsewhere)
        user.set_password("correct horse battery")
        db.session.add_all([elsewhere, user])
        db.session.commit()
        key_id = api_keys.find(db.session, secret).id
    login(client, "admin@annanby.example", "correct horse battery")
    assert secret[:12] not in client.get("/admin/api-keys").get_data(as_text=True)
    assert client.get(f"/admin/api-keys/{key_id}/revoke").status_code == 404
    token = csrf(client, "/admin/api-keys")
    resp = client.post(f"/admin/api-keys/{key_id}/revoke", data={"csrf_token": token})
    assert resp.status_code == 404
    with app.app_context():
        assert db.session.get(ApiKey, key_id).revoked_at is None
