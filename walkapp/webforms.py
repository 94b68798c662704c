"""What every staff form shares: people's words for choices, domain errors shown next to
their field, and reading an upload before a database transaction is opened."""

from __future__ import annotations

from flask import request
from flask_babel import gettext
from wtforms import Form

from walkapp.checks import FieldError
from walkapp.extensions import db


def choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    """(value, translated label) pairs from a value → msgid mapping (walkapp.labels)."""
    return [(value, gettext(msgid)) for value, msgid in mapping.items()]


def optional_int(value) -> int | None:
    """Coerce a select's value; the blank choice is None."""
    return int(value) if value not in (None, "", "None") else None


def show_error(form: Form, err: FieldError, aliases: dict[str, str] | None = None) -> None:
    """Put a domain error next to its field (aliases map domain names to form fields), or at
    the top of the form when no field matches."""
    message = gettext(err.message, **err.params)
    name = (aliases or {}).get(err.field, err.field)
    field = form._fields.get(name)
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = [*field.errors, message]


def body_first() -> None:
    """Read the request body with no transaction open (an upload may arrive slowly); the
    signed-in user is loaded again on next use."""
    db.session.rollback()
    request.form  # noqa: B018  (reads and parses the whole body now)


def save(form: Form, write, aliases: dict[str, str] | None = None) -> bool:
    """Run a domain write (it flushes); commit and return True, or roll back, show its
    FieldError on the form and return False: nothing is half-written."""
    try:
        write()
    except FieldError as err:
        db.session.rollback()
        show_error(form, err, aliases)
        return False
    db.session.commit()
    return True


def status(form: Form) -> int:
    """400 for a form shown again with errors, else 200."""
    return 400 if form.errors or form.form_errors else 200
