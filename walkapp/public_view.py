"""What the public may see of a walk's inputs ("what happened with our input"). No Flask.

The one gate between stored inputs and the public page: hidden inputs are left out, the text
is the redacted version where there is one (Comment.shown_text), and nothing that identifies
or links a phone's inputs is carried (no device id, token, track, arrival or phone time, no
input id: inputs are numbered on the page). Duplicates are shown under their primary; a
duplicate whose primary is not on this walk's page stands alone with the primary's outcome.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from walkapp.models import Category, Comment, StatusChange, Walk


@dataclass
class Answer:
    text: str
    at: datetime


@dataclass
class PublicInput:
    n: int
    kind: str
    category: Category
    text: str
    status: str
    lon: float
    lat: float
    promised_on: date | None
    department: str | None
    answers: list[Answer]
    duplicates: list[str] = field(default_factory=list)  # their shown texts

    @property
    def answered(self) -> bool:
        return bool(self.answers)


@dataclass
class WalkResults:
    walk: Walk
    inputs: list[PublicInput]

    def counts(self) -> list[tuple[str, int]]:
        """How many inputs (duplicates counted with their primary) have each status."""
        return Counter(i.status for i in self.inputs).most_common()

    @property
    def total(self) -> int:
        return sum(1 + len(i.duplicates) for i in self.inputs)


def _answers(history: list[StatusChange]) -> list[Answer]:
    return [Answer(h.public_text, h.created_at) for h in history if h.public_text]


def _sorted(answers: list[Answer]) -> list[Answer]:
    return sorted(answers, key=lambda a: a.at)


def walk_results(session: Session, walk: Walk) -> WalkResults:
    rows = session.scalars(
        select(Comment).where(Comment.walk_id == walk.id, Comment.hidden_at.is_(None))
        .options(selectinload(Comment.category), selectinload(Comment.department),
                 selectinload(Comment.history),
                 selectinload(Comment.merged_into).selectinload(Comment.history),
                 selectinload(Comment.merged_into).selectinload(Comment.department))).all()
    here = {c.id for c in rows}
    primaries, nested = [], {}
    for c in rows:
        if c.merged_into_id is not None and c.merged_into_id in here:
            nested.setdefault(c.merged_into_id, []).append(c)
        else:
            primaries.append(c)
    primaries.sort(key=lambda c: (c.category.sort_order, c.category.slug, c.kind, c.id.hex))
    inputs = []
    for n, c in enumerate(primaries, start=1):
        # A duplicate standing alone tells what happened to the input it was merged into,
        # unless that one is hidden: then it says only that it was merged.
        outcome = c.merged_into if c.merged_into is not None and \
            c.merged_into.hidden_at is None else c
        inputs.append(PublicInput(
            n=n, kind=c.kind, category=c.category, text=c.shown_text, status=outcome.status,
            lon=round(c.lon, 6), lat=round(c.lat, 6), promised_on=outcome.promised_on,
            department=outcome.department.name if outcome.department else None,
            answers=_sorted(_answers(c.history)
                            + (_answers(outcome.history) if outcome is not c else [])),
            duplicates=[d.shown_text for d in sorted(nested.get(c.id, []),
                                                     key=lambda d: d.id.hex)]))
    return WalkResults(walk, inputs)
