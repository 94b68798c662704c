"""Administration of staff accounts and the one-time set-password links."""

import re
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import submit
from walkapp import invites
from walkapp.extensions import db
from walkapp.models import User


def user_by_email(app, email) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def invite(client, world, **overrides):
    data = {"name": "Nils Nilsson", "email": "Nils@Kommun.example", "role": "department",
            "department": str(world["departments"]["parks"]), "language": "sv", **overrides}
    return submit(client, "/admin/users/new", data)


def link_in(resp) -> str:
    return re.search(r'id="invite-link"[^>]*value="([^"]+)"', resp.get_data(as_text=True)).group(1)


def test_invite_shows_a_one_time_link_that_sets_the_password(app, client, world, sign_in):
    sign_in("admin")
    resp = invite(client, world)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    link = link_in(resp)
    assert "/set-password/" in link and link.startswith("http://localhost/")
    nils = user_by_email(app, "nils@kommun.example")
    assert (nils.role, nils.department_id, nils.language, nils.password_set_at) == (
        "department", world["departments"]["parks"], "sv", None)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "Nils Nilsson" in listing

    stranger = app.test_client()
    path = link.removeprefix("http://localhost")
    page = stranger.get(path)
    assert page.status_code == 200 and "nils@kommun.example" in page.get_data(as_text=True)
    short = submit(stranger, path, {"password": "kort", "confirm": "kort"})
    assert short.status_code == 400
    assert 'id="password-error"' in short.get_data(as_text=True)
    differ = submit(stranger, path, {"password": "a long password", "confirm": "another one!"})
    assert differ.status_code == 400 and 'id="confirm-error"' in differ.get_data(as_text=True)
    assert user_by_email(app, "nils@kommun.example").password_set_at is None
    done = submit(stranger, path, {"password": "a long password", "confirm": "a long password"})
    assert done.status_code == 302
    assert stranger.get("/inbox/").status_code in (200, 404)  # signed in (inbox may not exist)
    nils = user_by_email(app, "nils@kommun.example")
    assert nils.password_set_at is not None and nils.check_password("a long password")
    # the link works once
    again = app.test_client().get(path)
    assert again.status_code == 400
    assert "used already" in again.get_data(as_text=True) or \
        "använts" in again.get_data(as_text=True)


def test_a_new_link_replaces_the_old_one(app, client, world, sign_in):
    sign_in("admin")
    first = link_in(invite(client, world)).removeprefix("http://localhost")
    nils = user_by_email(app, "nils@kommun.example")
    resp = submit(client, f"/admin/users/{nils.id}/link", page=f"/admin/users/{nils.id}")
    assert resp.status_code == 200
    second = link_in(resp).removeprefix("http://localhost")
    assert second != first
    assert app.test_client().get(first).status_code == 400
    assert app.test_client().get(second).status_code == 200


def test_links_expire_and_forgeries_fail(app, world, make_user):
    email, _ = make_user("official")
    user = user_by_email(app, email)
    token = invites.make_token("test-secret", user)
    with app.app_context():
        ok = invites.read_token(db.session, "test-secret", token, timedelta(days=1))
        assert ok.id == user.id
        for secret, age in (("another-secret", timedelta(days=1)),
                            ("test-secret", timedelta(seconds=-1))):
            try:
                invites.read_token(db.session, secret, token, age)
            except invites.FieldError as err:
                assert err.field == "token"
            else:
                raise AssertionError("accepted")
    client = app.test_client()
    assert client.get(f"/set-password/{token}x").status_code == 400
    assert client.get("/set-password/nonsense").status_code == 400


def test_bad_invites_are_refused_next_to_the_field(app, client, world, sign_in):
    admin = sign_in("admin")
    cases = [
        ({"name": ""}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": admin}, "email"),  # taken
        ({"role": "emperor"}, "role"),
        ({"role": "department", "department": ""}, "department"),
    ]
    for overrides, field in cases:
        resp = invite(client, world, **overrides)
        assert resp.status_code == 400, overrides
        html = resp.get_data(as_text=True)
        assert f'id="{field}-error"' in html or f'id="{field}-0"' in html, overrides
        assert 'class="error-summary"' in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.name == "Nils Nilsson")) is None


def test_edit_role_and_department(app, client, world, sign_in, make_user):
    sign_in("admin")
    email, _ = make_user("department", department="streets")
    target = user_by_email(app, email)
    resp = submit(client, f"/admin/users/{target.id}", {
        "name": "Omplacerad", "email": email, "role": "official", "department": "",
        "language": ""})
    assert resp.status_code == 302
    target = user_by_email(app, email)
    assert (target.name, target.role, target.department_id, target.language) == (
        "Omplacerad", "official", None, None)


def test_deactivate_signs_out_and_never_deletes(app, client, world, sign_in, make_user):
    admin_email = sign_in("admin")
    email, password = make_user("official")
    victim = user_by_email(app, email)
    other = app.test_client()
    assert submit(other, "/login", {"email": email, "password": password}).status_code == 302
    assert other.get("/review/").status_code == 200
    resp = submit(client, f"/admin/users/{victim.id}/active", page=f"/admin/users/{victim.id}")
    assert resp.status_code == 302
    assert user_by_email(app, email).active is False
    assert other.get("/review/").status_code == 302  # signed out at once
    assert submit(other, "/login", {"email": email, "password": password}).status_code == 400
    assert "Deactivated" in client.get("/admin/users").get_data(as_text=True) or \
        "Inaktiverad" in client.get("/admin/users").get_data(as_text=True)
    # reactivate
    submit(client, f"/admin/users/{victim.id}/active", page=f"/admin/users/{victim.id}")
    assert user_by_email(app, email).active is True
    # an admin cannot lock themselves out
    me = user_by_email(app, admin_email)
    resp = submit(client, f"/admin/users/{me.id}/active", page=f"/admin/users/{me.id}")
    assert resp.status_code == 400
    assert user_by_email(app, admin_email).active is True
    resp = submit(client, f"/admin/users/{me.id}", {"name": "Me", "email": admin_email,
                                                   "role": "official", "language": ""})
    assert resp.status_code == 400 and user_by_email(app, admin_email).role == "admin"


def test_admins_only_see_their_own_municipality(app, client, world, sign_in):
    from walkapp.models import Municipality

    with app.app_context():
        other = Municipality(slug="grannby", name="Grannby")
        stranger = User(email="s@grannby.example", name="S", role="official",
                        municipality=other)
        stranger.set_password("x" * 12)
        db.session.add_all([other, stranger])
        db.session.commit()
        stranger_id = stranger.id
    sign_in("admin")
    assert "s@grannby.example" not in client.get("/admin/users").get_data(as_text=True)
    assert client.get(f"/admin/users/{stranger_id}").status_code == 404
    resp = submit(client, f"/admin/users/{stranger_id}/active", page="/admin/users")
    assert resp.status_code == 404


def test_forms_and_buttons_need_the_csrf_token(app, client, world, sign_in):
    from walkapp.models import Device

    sign_in("admin")
    resp = client.post("/admin/users/new", data={"name": "N", "email": "n@example.org",
                                                 "role": "official"})
    assert resp.status_code == 400
    assert client.post("/review/walks/ASEDA7/scribe").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "n@example.org")) is None
        assert db.session.scalar(select(Device)) is None
