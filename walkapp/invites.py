"""One-time set-password links for invited users (and password resets). No Flask.

A link carries the user's id and a fingerprint of their current password hash, signed with
the app's secret key and stamped with its time (itsdangerous). It stops working when it
expires, when the user sets a password (the hash changes, so the fingerprint no longer
matches: a link works once), when the administrator makes a new link (a new random hash),
or when the user is deactivated. Nothing about links is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from walkapp.checks import FieldError
from walkapp.labels import N_
from walkapp.models import User

SALT = "walkapp.set-password"
MIN_PASSWORD = 10


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def reset(user: User) -> None:
    """Invalidate the user's password and every earlier link: only a new link gets them in."""
    # 256 random bits nobody knows: a slow password hash would protect nothing here.
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32), "pbkdf2:sha256:1000")
    user.password_set_at = None


def make_token(secret_key: str, user: User) -> str:
    return _serializer(secret_key).dumps([user.id, _fingerprint(user)])


def read_token(session: Session, secret_key: str, token: str, max_age: timedelta) -> User:
    """The user a link is for, or FieldError("token", why it no longer works)."""
    try:
        user_id, fingerprint = _serializer(secret_key).loads(
            token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise FieldError("token", N_("This link has expired. Ask your administrator for a "
                                     "new one.")) from None
    except (BadSignature, ValueError, TypeError):
        raise FieldError("token", N_("This link is not valid. Check that you copied all of "
                                     "it, or ask your administrator for a new one.")) from None
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        raise FieldError("token", N_("This link has been used already or was replaced by a "
                                     "newer one. Sign in, or ask your administrator for a new "
                                     "link."))
    return user


def set_password(user: User, password: str, confirm: str, now: datetime) -> None:
    """Check and set the new password; this also uses up the link."""
    if len(password or "") < MIN_PASSWORD:
        raise FieldError("password", N_("Use at least %(n)s characters."), {"n": MIN_PASSWORD})
    if password != confirm:
        raise FieldError("confirm", N_("The two passwords are not the same."))
    user.set_password(password, now)
