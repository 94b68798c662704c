"""The inbox's filters: read from the query string, checked, applied to a query. No Flask.

Every value is checked against what exists; a wrong one is named with a message (the page
says which filter it ignored) rather than silently showing everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, case, or_, select

from walkapp import workflow
from walkapp.labels import N_
from walkapp.models import KINDS, STATUSES, Category, Comment, Walk

OPEN_FILTER = "open"  # the default: what the department still has to deal with
ALL_FILTER = "all"
STATUS_CHOICES = (OPEN_FILTER, ALL_FILTER, *STATUSES)
MAX_QUERY = 200


@dataclass
class InboxFilters:
    status: str = OPEN_FILTER
    kind: str = ""
    category: str = ""
    walk: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)  # filter name → msgid

    @classmethod
    def parse(cls, args, categories: list[str], walks: list[str]) -> InboxFilters:
        """From a query-string mapping; unknown values are dropped and named in errors."""
        f = cls()
        checks = [("status", STATUS_CHOICES, N_("Choose a status from the list.")),
                  ("kind", KINDS, N_("Choose a kind from the list.")),
                  ("category", categories, N_("Choose a category from the list.")),
                  ("walk", walks, N_("Choose a walk from the list."))]
        for name, allowed, message in checks:
            value = (args.get(name) or "").strip()
            if name == "walk":
                value = value.upper()
            if not value:
                continue
            if value in allowed:
                setattr(f, name, value)
            else:
                f.errors[name] = message
        f.overdue = args.get("overdue") in ("1", "on", "true")
        f.q = " ".join((args.get("q") or "").split())
        if len(f.q) > MAX_QUERY:
            f.q = f.q[:MAX_QUERY]
            f.errors["q"] = N_("The search text was shortened to 200 characters.")
        page = args.get("page") or "1"
        if page.isdigit() and int(page) >= 1:
            f.page = int(page)
        else:
            f.errors["page"] = N_("There is no such page.")
        return f

    def args(self, **changes) -> dict[str, str]:
        """The query string of these filters (page 1 unless given), for links and forms."""
        values = {"status": self.status, "kind": self.kind, "category": self.category,
                  "walk": self.walk, "overdue": "1" if self.overdue else "", "q": self.q,
                  "page": str(self.page) if self.page > 1 else ""}
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "status" and v == OPEN_FILTER)}

    def apply(self, query: Select, overdue: ColumnElement) -> Select:
        if self.status == OPEN_FILTER:
            query = query.where(Comment.status.in_(workflow.ACTIVE))
        elif self.status != ALL_FILTER:
            query = query.where(Comment.status == self.status)
        if self.kind:
            query = query.where(Comment.kind == self.kind)
        if self.category:
            query = query.where(Comment.category_id.in_(
                select(Category.id).where(Category.slug == self.category)))
        if self.walk:
            query = query.where(Comment.walk_id.in_(
                select(Walk.id).where(Walk.join_code == self.walk)))
        if self.overdue:
            query = query.where(overdue)
        if self.q:
            query = query.where(or_(
                Comment.text.icontains(self.q, autoescape=True),
                Comment.answer.icontains(self.q, autoescape=True)))
        return query


def ordered(query: Select, overdue: ColumnElement) -> Select:
    """Overdue first, then the soonest promised date, then the oldest."""
    return query.order_by(case((overdue, 0), else_=1), Comment.promised_on.is_(None),
                          Comment.promised_on, Comment.received_at, Comment.id)


def overdue_for(today: date, municipality) -> ColumnElement:
    return workflow.overdue_clause(today, municipality.response_days, municipality.timezone)
