"""What officials do to an input: reroute, merge duplicates, hide, redact, note, reply. No Flask.

Each function checks everything first and raises ModerationError (field + msgid) before it
changes anything, then writes through walkapp.history.record, so a refused action leaves
nothing half-written and every action is one history row with who, when and why.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.orm import Session

from walkapp.history import Actor, record
from walkapp.labels import N_
from walkapp.models import Comment, Department, RoutingDecision
from walkapp.workflow import WorkflowError

REASON_MAX = 2000
TEXT_MAX = 4000
NEAR_M = 25.0            # a likely duplicate lies this close and has the same category …
SIMILAR = 0.82           # … or its text is at least this similar (difflib ratio, normalised)
TEXT_RADIUS_M = 2000.0   # similar texts are looked for this far around (a walk's extent)
CANDIDATES_MAX = 500     # rows read to look for text twins


class ModerationError(WorkflowError):
    """An action refused: field names the form field; message is a msgid with params."""


def _text(value: str | None, field: str, message: str, limit: int = REASON_MAX) -> str:
    text = (value or "").strip()
    if not text:
        raise ModerationError(field, message)
    if len(text) > limit:
        raise ModerationError(field, N_("Write at most %(n)s characters."), {"n": limit})
    return text


def _not_merged(comment: Comment) -> None:
    if comment.merged_into_id is not None:
        raise ModerationError("comment", N_(
            "This input was merged into another one; act on that one instead."))


def reroute(session: Session, comment: Comment, department_id: int | None, reason: str | None,
            actor: Actor, now: datetime):
    """Send the input to another department: status routed, a manual routing decision."""
    _not_merged(comment)
    dept = session.get(Department, department_id) if department_id else None
    if dept is None or dept.municipality_id != comment.municipality_id:
        raise ModerationError("department", N_("Choose the department to send it to."))
    if not dept.active:
        raise ModerationError("department", N_("That department is no longer active."))
    if dept.id == comment.department_id and comment.status != "not_ours":
        raise ModerationError("department", N_("The input is already with that department."))
    why = _text(reason, "reason", N_("Say why it goes to another department."))
    before = comment.department_id
    session.add(RoutingDecision(
        comment=comment, department_id=dept.id, service_area_id=None, reason="manual",
        rule=why, decided_at=now, decided_by="official", user_id=actor.user_id))
    comment.department_id = dept.id
    comment.reviewed_at = comment.reviewed_at or now
    comment.reviewed_by_id = comment.reviewed_by_id or actor.user_id
    return record(session, comment, "reroute", actor, now, status="routed", note=why,
                  department_id=dept.id,
                  data={"from_department_id": before, "to_department_id": dept.id})


def hide(session: Session, comment: Comment, reason: str | None, actor: Actor, now: datetime):
    """Keep the input from every public view; it stays a record for staff."""
    if comment.hidden_at is not None:
        raise ModerationError("reason", N_("This input is hidden already."))
    why = _text(reason, "reason", N_("Say why the input is hidden."))
    comment.hidden_at, comment.hidden_reason = now, why
    return record(session, comment, "hide", actor, now, note=why)


def unhide(session: Session, comment: Comment, reason: str | None, actor: Actor,
           now: datetime):
    if comment.hidden_at is None:
        raise ModerationError("reason", N_("This input is not hidden."))
    why = _text(reason, "reason", N_("Say why the input is shown again."))
    comment.hidden_at, comment.hidden_reason = None, None
    return record(session, comment, "unhide", actor, now, note=why)


def redact(session: Session, comment: Comment, public_text: str | None, actor: Actor,
           now: datetime, *, clear: bool = False):
    """Set the public version of the text (personal data removed); the original stays."""
    if clear:
        if comment.public_text is None:
            raise ModerationError("public_text", N_("The input has no redacted version."))
        comment.public_text = None
        return record(session, comment, "redact", actor, now, data={"cleared": True})
    text = _text(public_text, "public_text", N_("Write the text the public may see."),
                 TEXT_MAX)
    if text == comment.text.strip():
        raise ModerationError("public_text", N_(
            "The public version is the same as the original: remove what must not be shown."))
    comment.public_text = text
    return record(session, comment, "redact", actor, now, data={"cleared": False})


def note(session: Session, comment: Comment, text: str | None, actor: Actor, now: datetime):
    """An internal note: staff only, never shown to residents."""
    return record(session, comment, "note", actor, now,
                  note=_text(text, "note", N_("Write the note."), TEXT_MAX))


def reply(session: Session, comment: Comment, text: str | None, actor: Actor, now: datetime):
    """A public answer: the resident sees it on their phone (and those merged into it)."""
    _not_merged(comment)
    answer = _text(text, "public_text", N_("Write the answer the resident will see."),
                   TEXT_MAX)
    return record(session, comment, "answer", actor, now, public_text=answer)


def merge(session: Session, primary: Comment, duplicates: Sequence[Comment], actor: Actor,
          now: datetime, note: str | None = None) -> list:
    """Make `duplicates` point at `primary` (status duplicate); their residents then see the
    primary's answers. Duplicates already merged into one of them follow to the primary."""
    _not_merged(primary)
    if not duplicates:
        raise ModerationError("duplicates", N_("Choose at least one input to merge."))
    for d in duplicates:
        if d.id == primary.id:
            raise ModerationError("duplicates", N_("An input cannot be merged into itself."))
        if d.municipality_id != primary.municipality_id:
            raise ModerationError("duplicates", N_("Choose the duplicates among the inputs."))
        if d.merged_into_id is not None:
            raise ModerationError("duplicates", N_("One of them is merged already."))
    why = (note or "").strip() or None
    if why and len(why) > REASON_MAX:
        raise ModerationError("note", N_("Write at most %(n)s characters."), {"n": REASON_MAX})
    changes = []
    for d in duplicates:
        # Inputs merged into this one earlier now point at the new primary directly.
        session.execute(update(Comment).where(Comment.merged_into_id == d.id)
                        .values(merged_into_id=primary.id, changed_at=now))
        d.merged_into_id = primary.id
        changes.append(record(session, d, "merge", actor, now, status="duplicate", note=why,
                              data={"into": str(primary.id)}))
    changes.append(record(session, primary, "merge", actor, now, note=why,
                          data={"merged": [str(d.id) for d in duplicates]}))
    return changes


# --- likely duplicates ---------------------------------------------------------------------

def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine), plenty for tens of metres."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _normal(a), _normal(b), autojunk=False).ratio()


def _around(comment: Comment, metres: float):
    dlat = metres / 111_320.0
    dlon = metres / (111_320.0 * max(math.cos(math.radians(comment.lat)), 0.01))
    return and_(Comment.lon.between(comment.lon - dlon, comment.lon + dlon),
                Comment.lat.between(comment.lat - dlat, comment.lat + dlat))


def likely_duplicates(session: Session, comment: Comment, limit: int = 10) -> list[dict]:
    """Inputs that probably say the same: within NEAR_M and of the same category, or with
    very similar text on the same walk or nearby. Best first: [{comment, distance_m,
    similarity, why}] where why is "near" or "text"."""
    query = (select(Comment).where(
        Comment.municipality_id == comment.municipality_id, Comment.id != comment.id,
        Comment.merged_into_id.is_(None),
        or_(_around(comment, TEXT_RADIUS_M),
            Comment.walk_id == comment.walk_id if comment.walk_id else false()))
        .order_by(Comment.created_at.desc()).limit(CANDIDATES_MAX))
    found = []
    for other in session.scalars(query):
        metres = distance_m(comment.lon, comment.lat, other.lon, other.lat)
        ratio = similarity(comment.text, other.text)
        near = metres <= NEAR_M and other.category_id == comment.category_id
        if near or ratio >= SIMILAR:
            found.append({"comment": other, "distance_m": metres, "similarity": ratio,
                          "why": "near" if near else "text"})
    # The nearby ones first (closest first), then text twins (most similar first).
    found.sort(key=lambda f: (0, f["distance_m"]) if f["why"] == "near"
               else (1, -f["similarity"]))
    return found[:limit]
