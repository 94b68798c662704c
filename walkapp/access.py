"""Who may do what on the staff side: role checks for views and "what may this user see".

Every official, admin and department view is wrapped in `roles_required`; the wrapper
records the roles on the view, so tests/test_authz.py can walk the URL map and prove that
every staff route refuses every other role (and the signed-out visitor).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, url_for
from flask_login import current_user
from sqlalchemy import Select, false, select

from walkapp.extensions import login_manager
from walkapp.labels import N_
from walkapp.models import Comment

OFFICIALS = ("official", "admin")  # an admin can do everything an official can
ADMINS = ("admin",)
DEPARTMENT = ("department",)
STAFF = ("official", "admin", "department")

# URL prefixes whose every route must carry a role check (see tests/test_authz.py).
STAFF_PREFIXES = ("/review", "/admin", "/inbox")


def roles_required(*roles: str):
    """Signed in (else the login page) and one of `roles` (else 403)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.allowed_roles = frozenset(roles)
        return wrapped
    return decorate


def visible_comments(user, *, include_hidden: bool = True) -> Select:
    """The inputs this user may see: the municipality's, or only their own department's.

    A department user whose department is gone sees nothing, never "everything unrouted".
    """
    query = select(Comment).where(Comment.municipality_id == user.municipality_id)
    if user.role == "department":
        query = query.where(Comment.department_id == user.department_id
                            if user.department_id is not None else false())
    if not include_hidden:
        query = query.where(Comment.hidden_at.is_(None))
    return query


def visible_comment(session, user, comment_id, *, lock: bool = False, options=()) -> Comment:
    """One input the user may see, or 404: never confirm to the wrong department that it
    exists. lock: the row is about to change (FOR UPDATE where the database has it)."""
    query = visible_comments(user).where(Comment.id == comment_id).options(*options)
    comment = session.scalar(query.with_for_update(of=Comment) if lock else query)
    if comment is None:
        abort(404)
    return comment


# The staff menu: endpoint, label msgid, roles. An entry appears once its blueprint exists.
NAV = [
    ("review.index", N_("Walks"), OFFICIALS),
    ("review.map", N_("Review map"), OFFICIALS),
    ("inbox.index", N_("Inbox"), DEPARTMENT),
    ("admin.index", N_("Administration"), ADMINS),
]


def nav_for(user) -> list[tuple[str, str]]:
    """(url, label msgid) of the menu entries this user may open."""
    if not getattr(user, "is_authenticated", False):
        return []
    views = current_app.view_functions
    return [(url_for(endpoint), text) for endpoint, text, roles in NAV
            if endpoint in views and user.role in roles]


def home_for(user) -> str:
    """Where a user lands after signing in: the first entry of their menu."""
    entries = nav_for(user)
    return entries[0][0] if entries else url_for("review.index")
