"""An input's workflow: which moves are legal, promised dates and what is overdue. No Flask.

routed → acknowledged → in_progress → done (public answer required)
                                    → wont_do (public answer required)
                                    → not_ours (reason required; back to the officials'
                                      queue, who reroute it)
A department may skip steps forward (answer at once) and reopen a closed input. States map
onto Open311's open/closed: see OPEN and CLOSED.

Besides moves a department writes internal notes, public answers without a status change and
promised dates, one by one or on a selection (all or nothing: see `bulk`). Every function
checks first and writes one history row through walkapp.history.record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from walkapp.checks import FieldError
from walkapp.history import Actor, record
from walkapp.labels import N_
from walkapp.models import STATUSES, Comment, StatusChange

OPEN = ("received", "routed", "acknowledged", "in_progress", "not_ours")
CLOSED = ("done", "wont_do", "duplicate", "noted")
NEEDS_ANSWER = frozenset({"done", "wont_do"})
NEEDS_REASON = frozenset({"not_ours"})
# The department still owes the resident something: it may promise a date.
ACTIVE = ("routed", "acknowledged", "in_progress")
MAX_TEXT = 5000  # characters in one answer or note: a letter, not a document
MAX_PROMISE_DAYS = 3 * 366
# WorkflowError params that hold a stored status: the web layer shows them as labels.
STATUS_PARAMS = frozenset({"from", "to", "now"})

# The moves a department may make on an input routed to it.
DEPARTMENT_MOVES: dict[str, frozenset[str]] = {
    "routed": frozenset({"acknowledged", "in_progress", "done", "wont_do", "not_ours"}),
    "acknowledged": frozenset({"in_progress", "done", "wont_do", "not_ours"}),
    "in_progress": frozenset({"done", "wont_do", "not_ours"}),
    "done": frozenset({"in_progress"}),     # reopened: the work was not finished after all
    "wont_do": frozenset({"in_progress"}),  # reconsidered
}


class WorkflowError(FieldError):
    """A move that is not allowed. field names the form field at fault; message is a msgid
    (translated by the web layer) with %(name)s placeholders filled from params."""


def allowed_moves(status: str) -> frozenset[str]:
    return DEPARTMENT_MOVES.get(status, frozenset())


def _not_merged(comment: Comment) -> None:
    if comment.merged_into_id is not None:
        raise WorkflowError(
            "status", N_("This input was merged into another one; answer that one instead."))


def _unchanged_since(comment: Comment, expected: str | None) -> None:
    """Refuse a form filled in while someone else changed the input: a reopened or closed
    input must not be moved on a picture of it that is no longer true."""
    if expected is not None and expected != comment.status:
        raise WorkflowError(
            "status", N_("Someone changed this input meanwhile: it is now “%(now)s”. "
                         "Check it and try again."), {"now": comment.status})


def _text(value: str | None, field_name: str, missing: str | None) -> str | None:
    """The text stripped, line ends as \n (browsers send \r\n); WorkflowError if it is
    required and blank, or too long."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text and missing:
        raise WorkflowError(field_name, missing)
    if len(text) > MAX_TEXT:
        raise WorkflowError(field_name, N_("Keep it under %(max)s characters."), {"max": MAX_TEXT})
    return text or None


def check_move(comment: Comment, to: str, public_text: str | None, note: str | None,
               expected: str | None = None) -> None:
    """Raise WorkflowError unless the department may move the input to `to` with these texts."""
    _not_merged(comment)
    _unchanged_since(comment, expected)
    if to not in STATUSES:
        raise WorkflowError("status", N_("Choose the new status from the list."))
    if to not in allowed_moves(comment.status):
        raise WorkflowError("status", N_("An input that is “%(from)s” cannot become “%(to)s”."),
                            {"from": comment.status, "to": to})
    _text(public_text, "public_text",
          N_("Write the answer the resident will see.") if to in NEEDS_ANSWER else None)
    _text(note, "note", N_("Say why this is not yours, so the officials can reroute it.")
          if to in NEEDS_REASON else None)


def move(session: Session, comment: Comment, to: str, actor: Actor, now: datetime, *,
         public_text: str | None = None, note: str | None = None,
         expected: str | None = None) -> StatusChange:
    """A department's workflow move, checked and recorded in the history."""
    check_move(comment, to, public_text, note, expected)
    return record(session, comment, "status", actor, now, status=to,
                  public_text=_text(public_text, "public_text", None),
                  note=_text(note, "note", None))


def add_note(session: Session, comment: Comment, text: str | None, actor: Actor,
             now: datetime) -> StatusChange:
    """An internal note: staff read it in the history; it never leaves the staff."""
    note = _text(text, "note", N_("Write the note."))
    return record(session, comment, "note", actor, now, note=note)


def check_answer(comment: Comment, text: str | None) -> str:
    _not_merged(comment)
    if comment.status == "not_ours":
        raise WorkflowError("public_text", N_(
            "This input went back to the officials for rerouting; it is not yours to answer."))
    return _text(text, "public_text", N_("Write the answer the resident will see."))


def answer(session: Session, comment: Comment, text: str | None, actor: Actor,
           now: datetime) -> StatusChange:
    """A public answer without a status change, stored and shown exactly as written."""
    return record(session, comment, "answer", actor, now, public_text=check_answer(comment, text))


def check_promise(comment: Comment, on: date | None, today: date) -> None:
    _not_merged(comment)
    if comment.status not in ACTIVE:
        raise WorkflowError("promised_on", N_(
            "Only an input still to be dealt with can get a promised date; this one is "
            "“%(now)s”."), {"now": comment.status})
    if on is not None and on < today:
        raise WorkflowError("promised_on", N_("The promised date cannot be in the past."))
    if on is not None and on > today + timedelta(days=MAX_PROMISE_DAYS):
        raise WorkflowError("promised_on", N_("The promised date is more than three years ahead."))


def promise(session: Session, comment: Comment, on: date | None, actor: Actor, now: datetime,
            today: date) -> StatusChange:
    """Set (or clear) the date the resident can expect an answer or the work by."""
    check_promise(comment, on, today)
    comment.promised_on = on
    return record(session, comment, "promise", actor, now,
                  data={"promised_on": on.isoformat() if on else None})


@dataclass
class Refused:
    comment: Comment
    error: WorkflowError


class BulkRefused(Exception):
    """Some inputs of a selection were refused; nothing was written for any of them."""

    def __init__(self, refused: list[Refused]):
        super().__init__(f"{len(refused)} refused")
        self.refused = refused


def bulk(comments: Iterable[Comment], check: Callable[[Comment], None],
         apply: Callable[[Comment], StatusChange]) -> list[StatusChange]:
    """Check every input first; write only if none is refused (all or nothing)."""
    comments = list(comments)
    refused = []
    for c in comments:
        try:
            check(c)
        except WorkflowError as err:
            refused.append(Refused(c, err))
    if refused:
        raise BulkRefused(refused)
    return [apply(c) for c in comments]


def acknowledge_all(session: Session, comments: Iterable[Comment], actor: Actor,
                    now: datetime) -> list[StatusChange]:
    return bulk(comments, lambda c: check_move(c, "acknowledged", None, None),
                lambda c: move(session, c, "acknowledged", actor, now))


def promise_all(session: Session, comments: Iterable[Comment], on: date | None, actor: Actor,
                now: datetime, today: date) -> list[StatusChange]:
    return bulk(comments, lambda c: check_promise(c, on, today),
                lambda c: promise(session, c, on, actor, now, today))


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def due_on(comment: Comment, response_days: int, timezone: str) -> date:
    """The promised date, else the municipality's default response time from arrival."""
    if comment.promised_on is not None:
        return comment.promised_on
    return local_today(comment.received_at, timezone) + timedelta(days=response_days)


def is_overdue(comment: Comment, today: date, response_days: int, timezone: str) -> bool:
    return comment.status in OPEN and today > due_on(comment, response_days, timezone)


def overdue_clause(today: date, response_days: int, timezone: str) -> ColumnElement[bool]:
    """is_overdue as SQL, so lists can filter and sort by it.

    today > local date of arrival + response_days  ⇔  arrival before local midnight starting
    the day (today - response_days): an instant, compared with the stored UTC time.
    """
    cutoff = datetime.combine(today - timedelta(days=response_days), time(0),
                              tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    return and_(Comment.status.in_(OPEN), or_(
        and_(Comment.promised_on.is_not(None), Comment.promised_on < today),
        and_(Comment.promised_on.is_(None), Comment.received_at < cutoff)))
