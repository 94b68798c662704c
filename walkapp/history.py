"""Write one entry of an input's history. No Flask here.

Every staff action on an input (a workflow move, a reroute, a merge, hiding, redacting, a
note, a public answer, a promised date) goes through `record`, so the history is the whole
audit trail and the resident's feed moves whenever something they may see changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from walkapp import delivery
from walkapp.models import Comment, StatusChange


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, a department's system, or the router."""

    name: str
    user_id: int | None = None
    role: str | None = None  # admin | official | department | system | router
    department_id: int | None = None

    @classmethod
    def of(cls, user) -> Actor:
        return cls(name=user.name, user_id=user.id, role=user.role,
                   department_id=user.department_id)


ROUTER = Actor(name="router", role="router")

# Actions the resident's phone shows even when the status stays as it was (a reroute keeps
# "routed" but names another department); internal notes are not among them.
SEEN_BY_RESIDENTS = frozenset({"promise", "merge", "hide", "unhide", "redact", "reroute"})


def record(session: Session, comment: Comment, action: str, actor: Actor, now: datetime, *,
           status: str | None = None, public_text: str | None = None,
           note: str | None = None, department_id: int | None = None,
           data: dict | None = None) -> StatusChange:
    """Add a history row (status defaults to the comment's current one) and apply its effects:
    the new status, the public answer, a moved feed cursor for every resident concerned, and
    the outbox rows that tell the department (route, reroute) and the residents who asked
    to hear (an answer, a new status) — in the caller's transaction, like the row itself."""
    before = comment.status
    if status is not None:
        comment.status = status
    change = StatusChange(
        comment=comment, action=action, from_status=before, status=comment.status,
        public_text=public_text or None, note=note or None, author=actor.name,
        user_id=actor.user_id, created_at=now,
        department_id=department_id if department_id is not None else comment.department_id,
        data=data)
    session.add(change)
    if public_text:
        comment.answer, comment.answered_at = public_text, now
    # A note is not news for the resident: their feed stays put.
    if comment.status != before or public_text or action in SEEN_BY_RESIDENTS:
        touch(session, comment, now)
    if action in ("route", "reroute") and change.department_id is not None:
        delivery.tell_department(session, comment, change.department_id, action, now)
    if public_text or comment.status != before:
        delivery.tell_residents(session, comment, "answer" if public_text else "status", now)
    return change


def touch(session: Session, comment: Comment, now: datetime) -> None:
    """Move the feed cursor of this input and of every duplicate merged into it: residents
    behind a merged input see the primary's answer."""
    comment.changed_at = now
    session.execute(update(Comment).where(Comment.merged_into_id == comment.id)
                    .values(changed_at=now))
