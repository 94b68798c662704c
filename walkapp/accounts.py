"""Staff accounts: invite, change role or department, deactivate (never delete: their names
stay on the history they wrote). No Flask; the caller commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from walkapp import checks, invites
from walkapp.checks import FieldError
from walkapp.labels import N_
from walkapp.models import ROLES, Department, Municipality, User
from walkapp.organisation import email as checked_email


def _department(session: Session, muni: Municipality, role: str,
                department_id: int | None) -> Department | None:
    """Department staff belong to exactly one department; others to none."""
    if role not in ROLES:
        raise FieldError("role", N_("Choose a role."))
    if role != "department":
        return None
    dept = session.get(Department, department_id) if department_id else None
    if dept is None or dept.municipality_id != muni.id:
        raise FieldError("department", N_("Department staff must belong to a department."))
    return dept


def _email(session: Session, value: str | None, user: User | None = None) -> str:
    address = checked_email(value, required=True)
    other = session.scalar(select(User).where(func.lower(User.email) == address))
    if other is not None and other is not user:
        raise FieldError("email", N_("Someone has this e-mail address already."))
    return address


def invite(session: Session, muni: Municipality, *, name: str, email: str, role: str,
           department_id: int | None = None, language: str | None = None) -> User:
    """A new account without a password; pass on invites.make_token() so they choose one."""
    user = User(municipality=muni, name=checks.text(name, "name"),
                email=_email(session, email), role=role,
                department=_department(session, muni, role, department_id),
                language=checks.language(language) if language else None, active=True)
    invites.reset(user)
    session.add(user)
    session.flush()
    return user


def update(session: Session, user: User, acting: User, *, name: str, email: str, role: str,
           department_id: int | None = None, language: str | None = None) -> None:
    if user.id == acting.id and role != "admin":
        raise FieldError("role", N_("You cannot take away your own administrator role."))
    user.department = _department(session, user.municipality, role, department_id)
    user.name, user.email, user.role = checks.text(name, "name"), _email(session, email, user), role
    user.language = checks.language(language) if language else None
    session.flush()


def set_active(session: Session, user: User, acting: User, active: bool) -> None:
    if user.id == acting.id and not active:
        raise FieldError("active", N_("You cannot deactivate your own account."))
    user.active = active
    session.flush()
