"""An input's workflow: which moves are legal, promised dates and what is overdue. No Flask.

routed → acknowledged → in_progress → done (public answer required)
                                    → wont_do (public answer required)
                                    → not_ours (reason required; back to the officials'
                                      queue, who reroute it)
A department may skip steps forward (answer at once) and reopen a closed input. States map
onto Open311's open/closed: see OPEN and CLOSED.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from walkapp.checks import FieldError
from walkapp.history import Actor, record
from walkapp.labels import N_
from walkapp.models import Comment, StatusChange

OPEN = ("received", "routed", "acknowledged", "in_progress", "not_ours")
CLOSED = ("done", "wont_do", "duplicate", "noted")
NEEDS_ANSWER = frozenset({"done", "wont_do"})
NEEDS_REASON = frozenset({"not_ours"})

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


def check_move(comment: Comment, to: str, public_text: str | None, note: str | None) -> None:
    """Raise WorkflowError unless the department may move the input to `to` with these texts."""
    if comment.merged_into_id is not None:
        raise WorkflowError(
            "status", N_("This input was merged into another one; answer that one instead."))
    if to not in allowed_moves(comment.status):
        raise WorkflowError("status", N_("An input that is “%(from)s” cannot become “%(to)s”."),
                            {"from": comment.status, "to": to})
    if to in NEEDS_ANSWER and not (public_text or "").strip():
        raise WorkflowError("public_text", N_("Write the answer the resident will see."))
    if to in NEEDS_REASON and not (note or "").strip():
        raise WorkflowError(
            "note", N_("Say why this is not yours, so the officials can reroute it."))


def move(session: Session, comment: Comment, to: str, actor: Actor, now: datetime, *,
         public_text: str | None = None, note: str | None = None) -> StatusChange:
    """A department's workflow move, checked and recorded in the history."""
    check_move(comment, to, public_text, note)
    return record(session, comment, "status", actor, now, status=to,
                  public_text=(public_text or "").strip() or None,
                  note=(note or "").strip() or None)


def promise(session: Session, comment: Comment, on: date | None, actor: Actor, now: datetime,
            today: date) -> StatusChange:
    """Set (or clear) the date the resident can expect an answer or the work by."""
    if on is not None and on < today:
        raise WorkflowError("promised_on", N_("The promised date cannot be in the past."))
    comment.promised_on = on
    return record(session, comment, "promise", actor, now,
                  data={"promised_on": on.isoformat() if on else None})


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def due_on(comment: Comment, response_days: int, timezone: str) -> date:
    """The promised date, else the municipality's default response time from arrival."""
    if comment.promised_on is not None:
        return comment.promised_on
    return local_today(comment.received_at, timezone) + timedelta(days=response_days)


def is_overdue(comment: Comment, today: date, response_days: int, timezone: str) -> bool:
    return comment.status in OPEN and today > due_on(comment, response_days, timezone)
