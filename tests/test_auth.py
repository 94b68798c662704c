"""Staff sessions end for real, sign-in resists guessing, and `next=` cannot hurt."""

import pytest
from sqlalchemy import select

from tests.conftest import make_test_app
from tests.test_review import csrf, login
from walkapp.extensions import db
from walkapp.models import User


def sign_out(client):
    return client.post("/logout", data={"csrf_token": csrf(client, "/review/")})


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def replay(app, cookies: dict):
    """A fresh browser that has only these cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_session_cookie_replayed_after_sign_out_opens_nothing(app, client, make_user):
    login(client, *make_user("official"))
    assert client.get("/review/").status_code == 200
    stolen = cookie(client, "session")
    sign_out(client)
    assert replay(app, {"session": stolen}).get("/review/").status_code == 302


def test_remember_cookie_dies_with_sign_out(app, client, make_user):
    email, password = make_user("official")
    client.post("/login", data={"email": email, "password": password, "remember": "y",
                                "csrf_token": csrf(client)})
    remember = cookie(client, "remember_token")
    assert remember
    assert replay(app, {"remember_token": remember}).get("/review/").status_code == 200
    sign_out(client)
    assert replay(app, {"remember_token": remember}).get("/review/").status_code == 302
    # signing in again gives a different cookie value
    client.post("/login", data={"email": email, "password": password, "remember": "y",
                                "csrf_token": csrf(client)})
    assert cookie(client, "remember_token") not in (None, remember)


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_password_change_and_deactivation_end_every_session(app, client, make_user, change):
    email, password = make_user("official")
    client.post("/login", data={"email": email, "password": password, "remember": "y",
                                "csrf_token": csrf(client)})
    remember = cookie(client, "remember_token")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if change == "password":
            user.set_password("a brand new password")
        else:
            user.active = False
        db.session.commit()
    assert client.get("/review/").status_code == 302
    assert replay(app, {"remember_token": remember}).get("/review/").status_code == 302


def test_a_new_user_keeps_a_token_of_its_own(app, make_user):
    make_user("official", email="a@example.org")
    make_user("official", email="b@example.org")
    with app.app_context():
        tokens = db.session.scalars(select(User.session_token)).all()
    assert len(set(tokens)) == 2 and all(len(t) >= 40 for t in tokens)


def test_secure_cookies_mark_both_cookies_secure_and_send_hsts(database_url, instance_dir,
                                                               world, make_user):
    email, password = make_user("official")
    app = make_test_app(database_url, instance_dir, SECURE_COOKIES=True)
    client = app.test_client()
    html = client.get("/login", base_url="https://localhost")
    assert html.headers["Strict-Transport-Security"] == "max-age=31536000"
    token = csrf_from(html.get_data(as_text=True))
    resp = client.post("/login", base_url="https://localhost", data={
        "email": email, "password": password, "remember": "y", "csrf_token": token},
        headers={"Referer": "https://localhost/login"})  # Flask-WTF checks it on HTTPS
    assert resp.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in resp.headers.getlist("Set-Cookie")}
    assert "Secure" in cookies["remember_token"] and "HttpOnly" in cookies["remember_token"]
    assert "Secure" in cookies["session"]


def test_no_hsts_without_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def csrf_from(html: str) -> str:
    import re

    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


# --- guessing -----------------------------------------------------------------------------

def test_unknown_email_costs_a_password_check_too(app, client, make_user, monkeypatch):
    """Timing must not tell staff e-mails from others: both paths verify one hash."""
    import walkapp.models.user as user_module
    from walkapp.extensions import db
    from walkapp.models import User

    email, password = make_user("official")
    with app.app_context():  # the real hash (make_user gives tests a cheap one)
        db.session.query(User).filter_by(email=email).one().set_password(password)
        db.session.commit()
    calls = []
    real = user_module.check_password_hash
    monkeypatch.setattr(user_module, "check_password_hash",
                        lambda h, p: calls.append(h) or real(h, p))
    assert login(client, email, "wrong password!").status_code == 400
    assert login(client, "nobody@example.org", "wrong password!").status_code == 400
    assert len(calls) == 2
    assert calls[0].split("$")[0] == calls[1].split("$")[0]  # same method and cost


def test_failed_sign_ins_make_the_account_wait_whatever_the_address(app, make_user):
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "3 per minute;10 per hour"  # default: 5 a minute
    email, password = make_user("official")
    other_email, other_password = make_user("official")
    for n in range(3):  # three addresses, one wrong guess each: the per-address limit sleeps
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert login(guesser, email, f"guess {n} wrong").status_code == 400
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    resp = login(owner, email, password)  # even the right password waits its turn
    assert resp.status_code == 429
    assert "Try again in 1 minute" in resp.get_data(as_text=True) or \
        "om 1 minut" in resp.get_data(as_text=True)
    assert owner.get("/review/").status_code == 302
    # another account is not affected
    assert login(owner, other_email, other_password).status_code == 302


def test_the_default_backoff_starts_after_five_failures(app):
    from limits import parse_many

    tiers = parse_many(app.config["RATELIMIT_LOGIN_ACCOUNT"])
    assert [(t.amount, t.get_expiry()) for t in tiers] == [(5, 60), (20, 3600), (60, 86400)]


def test_a_successful_sign_in_clears_the_failures(app, client, make_user):
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "2 per minute"
    email, password = make_user("official")
    assert login(client, email, "wrong guess 1").status_code == 400
    assert login(client, email, password).status_code == 302
    sign_out(client)
    assert login(client, email, "wrong guess 2").status_code == 400
    assert login(client, email, "wrong guess 3").status_code == 400  # 3 in all, 2 since
    assert login(client, email, password).status_code == 429


@pytest.mark.parametrize("target", [
    "/review/\r\nSet-Cookie: x=1", "/review/\nX: y", "/\\evil.example", "/\tx", "/r\x00",
])
def test_next_with_control_characters_or_backslash_stays_home(client, make_user, target):
    email, password = make_user("official")
    resp = client.post("/login", query_string={"next": target},
                       data={"email": email, "password": password,
                             "csrf_token": csrf(client)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/review/"
    # and when already signed in
    resp = client.get("/login", query_string={"next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/review/"


def test_next_to_a_page_of_ours_is_followed(client, make_user):
    email, password = make_user("official")
    resp = client.post("/login?next=/review/walks/ASEDA7", data={
        "email": email, "password": password, "csrf_token": csrf(client)})
    assert resp.headers["Location"] == "/review/walks/ASEDA7"
