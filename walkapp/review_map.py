"""The officials' review map: filters + bbox + zoom → points or server-side clusters. No Flask.

A view with at most POINT_LIMIT inputs comes back as points; a busier one as clusters
counted by the database: every comment stores its Web Mercator cell at geo.CELL_ZOOM, a
coarser cell is a right shift of it, and one GROUP BY over the cell index range counts them
(with a kind/status breakdown). The browser never gets more than MAX_CELLS clusters, whatever
bbox and zoom it asks for. Filters arrive as strings and leave as SQL conditions; a bad one
raises FilterError naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

from walkapp.geo import CELL_ZOOM, cell_to_lonlat, lonlat_to_cell
from walkapp.labels import N_
from walkapp.models import KINDS, STATUSES, Category, Comment, Department, Municipality, Walk
from walkapp.workflow import OPEN, WorkflowError, is_overdue, local_today

POINT_LIMIT = 400       # more inputs than this in view: clusters
MAX_CELLS = 2048        # a cluster grid never has more cells than this
CLUSTER_BITS = 2        # a cluster cell is a quarter of a map tile (64 px) across
PAGE_SIZE = 25
MAX_PAGE = 10_000
TEXT_MAX = 200
EXCERPT = 160
NO_DEPARTMENT = "none"  # department filter value: not routed to anyone
SORTS = ("created", "kind", "category", "department", "status", "walk")
HIDDEN = ("include", "exclude", "only")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class FilterError(WorkflowError):
    """A filter the server cannot use; field names the query parameter."""


@dataclass(frozen=True)
class Scope:
    """What filters are checked against: one municipality's walks, categories, departments."""

    municipality_id: int
    timezone: str
    response_days: int
    today: date
    walks: dict[str, int]        # join code → id
    categories: dict[str, int]   # slug → id
    departments: dict[str, int]  # slug → id
    # The list sorts categories as residents see them, departments by name.
    rank: dict[str, dict[int, object]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, municipality_id: int, now: datetime) -> Scope:
        muni = session.get(Municipality, municipality_id)

        def rows(*columns):
            return session.execute(select(*columns).where(
                columns[0].class_.municipality_id == municipality_id)).all()

        cats = rows(Category.id, Category.slug, Category.sort_order)
        depts = rows(Department.id, Department.slug, Department.name)
        return cls(municipality_id, muni.timezone, muni.response_days,
                   local_today(now, muni.timezone),
                   {code: i for i, code in rows(Walk.id, Walk.join_code)},
                   {slug: i for i, slug, _o in cats}, {slug: i for i, slug, _n in depts},
                   {"category": {i: o for i, _s, o in cats},
                    "department": {i: n.casefold() for i, _s, n in depts}})

    def walk_codes(self) -> dict[int, str]:
        return {v: k for k, v in self.walks.items()}

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), ZoneInfo(self.timezone))


@dataclass(frozen=True)
class Filters:
    walks: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    categories: tuple[int, ...] = ()
    departments: tuple[int | None, ...] = ()
    statuses: tuple[str, ...] = ()
    overdue: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    hidden: str = "include"


@dataclass(frozen=True)
class View:
    bbox: tuple[float, float, float, float]
    zoom: int
    sort: str = "created"
    descending: bool = True
    page: int = 1
    page_size: int = PAGE_SIZE


# --- parsing -------------------------------------------------------------------------------

def _values(args: Mapping[str, list[str]], name: str) -> list[str]:
    """Repeated parameters and comma-separated lists alike; blanks dropped."""
    raw = args.get(name) or []
    return [v.strip() for item in raw for v in item.split(",") if v.strip()]


def _one(args: Mapping[str, list[str]], name: str) -> str:
    values = args.get(name) or []
    if len(values) > 1:
        raise FilterError(name, N_("Give %(field)s only once."), {"field": name})
    return values[0].strip() if values else ""


def _choose(args, name: str, known: Mapping[str, object] | tuple, *, upper: bool = False):
    out = []
    for value in _values(args, name):
        key = value.upper() if upper else value
        if key not in known:
            raise FilterError(name, N_("Unknown %(field)s: “%(value)s”."),
                              {"field": name, "value": value[:60]})
        out.append(known[key] if isinstance(known, Mapping) else key)
    return tuple(dict.fromkeys(out))


def _date(args, name: str) -> date | None:
    value = _one(args, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(name, N_("%(field)s must be a date like 2026-05-20."),
                          {"field": name}) from None


def _flag(args, name: str) -> bool | None:
    value = _one(args, name).lower()
    if value in ("", "any"):
        return None
    if value in TRUE or value in FALSE:
        return value in TRUE
    raise FilterError(name, N_("%(field)s must be yes or no."), {"field": name})


def parse_filters(args: Mapping[str, list[str]], scope: Scope) -> Filters:
    """Filters from query parameters (name → list of values); FilterError names a bad one."""
    departments = {**scope.departments, NO_DEPARTMENT: None}
    date_from, date_to = _date(args, "from"), _date(args, "to")
    if date_from and date_to and date_from > date_to:
        raise FilterError("to", N_("The end date is before the start date."))
    q = _one(args, "q")
    if len(q) > TEXT_MAX:
        raise FilterError("q", N_("Search for at most %(n)s characters."), {"n": TEXT_MAX})
    hidden = _one(args, "hidden") or "include"
    if hidden not in HIDDEN:
        raise FilterError("hidden", N_("Unknown %(field)s: “%(value)s”."),
                          {"field": "hidden", "value": hidden[:60]})
    return Filters(
        walks=_choose(args, "walk", scope.walks, upper=True),
        kinds=_choose(args, "kind", KINDS),
        categories=_choose(args, "category", scope.categories),
        departments=_choose(args, "department", departments),
        statuses=_choose(args, "status", STATUSES),
        overdue=_flag(args, "overdue"), date_from=date_from, date_to=date_to, q=q,
        hidden=hidden)


def _number(args, name: str, kind=float):
    value = _one(args, name)
    if not value:
        raise FilterError(name, N_("%(field)s is required."), {"field": name})
    try:
        number = kind(value)
    except ValueError:
        raise FilterError(name, N_("%(field)s must be a number."), {"field": name}) from None
    if not math.isfinite(number):
        raise FilterError(name, N_("%(field)s must be a number."), {"field": name})
    return number


def parse_view(args: Mapping[str, list[str]]) -> View:
    """bbox (west,south,east,north in degrees), zoom, sort and page of the list."""
    parts = _values(args, "bbox")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise FilterError("bbox", N_("bbox must be four numbers: west,south,east,north."),
                          ) from None
    if not all(map(math.isfinite, (west, south, east, north))) or not (
            -180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise FilterError("bbox", N_("bbox must be four numbers: west,south,east,north."))
    zoom = _number(args, "zoom", int)
    if not 0 <= zoom <= 22:
        raise FilterError("zoom", N_("zoom must be between 0 and 22."))
    sort = _one(args, "sort") or "-created"
    descending = sort.startswith("-")
    if sort.lstrip("-") not in SORTS:
        raise FilterError("sort", N_("Unknown %(field)s: “%(value)s”."),
                          {"field": "sort", "value": sort[:60]})
    page = _number(args, "page", int) if _one(args, "page") else 1
    if not 1 <= page <= MAX_PAGE:
        raise FilterError("page", N_("page must be between 1 and %(n)s."), {"n": MAX_PAGE})
    return View((west, south, east, north), zoom, sort.lstrip("-"), descending, page)


# --- SQL -----------------------------------------------------------------------------------

def overdue_condition(scope: Scope) -> ColumnElement[bool]:
    """workflow.is_overdue in SQL: open, and past the promised date or the default time."""
    cutoff = scope.local_midnight(scope.today - timedelta(days=scope.response_days))
    return and_(Comment.status.in_(OPEN), or_(
        and_(Comment.promised_on.is_not(None), Comment.promised_on < scope.today),
        and_(Comment.promised_on.is_(None), Comment.received_at < cutoff)))


def conditions(scope: Scope, f: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Comment.municipality_id == scope.municipality_id]
    for column, values in ((Comment.walk_id, f.walks), (Comment.kind, f.kinds),
                           (Comment.category_id, f.categories), (Comment.status, f.statuses)):
        if values:
            where.append(column.in_(values))
    if f.departments:
        ids = [d for d in f.departments if d is not None]
        either = [Comment.department_id.in_(ids)] if ids else []
        if None in f.departments:
            either.append(Comment.department_id.is_(None))
        where.append(or_(*either))
    if f.overdue is not None:
        overdue = overdue_condition(scope)
        where.append(overdue if f.overdue else not_(overdue))
    if f.date_from:
        where.append(Comment.created_at >= scope.local_midnight(f.date_from))
    if f.date_to:
        where.append(Comment.created_at < scope.local_midnight(f.date_to + timedelta(days=1)))
    if f.q:
        pattern = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(Comment.text.ilike(pattern, escape="\\"),
                         Comment.public_text.ilike(pattern, escape="\\")))
    if f.hidden == "exclude":
        where.append(Comment.hidden_at.is_(None))
    elif f.hidden == "only":
        where.append(Comment.hidden_at.is_not(None))
    return where


def filtered(scope: Scope, f: Filters) -> Select:
    """The comments matching the filters, as ORM objects (exports, the report)."""
    return select(Comment).where(*conditions(scope, f))


def cell_range(bbox: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    west, south, east, north = bbox
    x0, y0 = lonlat_to_cell(west, north)
    x1, y1 = lonlat_to_cell(east, south)
    return x0, y0, x1, y1


def cluster_shift(cells: tuple[int, int, int, int], zoom: int) -> int:
    """Bits to drop from a cell for this zoom, coarsened until the grid fits MAX_CELLS."""
    x0, y0, x1, y1 = cells
    shift = max(CELL_ZOOM - zoom - CLUSTER_BITS, 0)
    while ((x1 >> shift) - (x0 >> shift) + 1) * ((y1 >> shift) - (y0 >> shift) + 1) > MAX_CELLS:
        shift += 1
    return shift


def in_bbox(bbox) -> ColumnElement[bool]:
    x0, y0, x1, y1 = cell_range(bbox)
    return and_(Comment.cell_x.between(x0, x1), Comment.cell_y.between(y0, y1))


# --- the view ------------------------------------------------------------------------------

POINT_COLUMNS = (Comment.id, Comment.lon, Comment.lat, Comment.kind, Comment.status,
                 Comment.category_id, Comment.department_id, Comment.walk_id,
                 Comment.created_at, Comment.received_at, Comment.promised_on,
                 Comment.hidden_at, Comment.merged_into_id)
LIST_COLUMNS = (*POINT_COLUMNS, Comment.text, Comment.public_text, Comment.source)


@dataclass
class Result:
    mode: str                       # points | clusters
    total: int
    points: list[dict] = field(default_factory=list)
    clusters: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)
    page: int = 1
    pages: int = 1

    def as_dict(self) -> dict:
        return {"mode": self.mode, "total": self.total, "points": self.points,
                "clusters": self.clusters, "counts": self.counts,
                "list": {"items": self.items, "page": self.page, "pages": self.pages}}


def _point(row, scope: Scope) -> dict:
    return {"id": str(row.id), "lon": row.lon, "lat": row.lat, "kind": row.kind,
            "status": row.status, "hidden": row.hidden_at is not None,
            "merged": row.merged_into_id is not None,
            "overdue": is_overdue(row, scope.today, scope.response_days, scope.timezone)}


def _item(row, scope: Scope, ids: dict[str, dict]) -> dict:
    text = row.text if len(row.text) <= EXCERPT else row.text[:EXCERPT - 1] + "…"
    return {**_point(row, scope), "category": ids["category"].get(row.category_id),
            "department": ids["department"].get(row.department_id),
            "walk": ids["walk"].get(row.walk_id), "created_at": _iso(row.created_at),
            "text": text, "redacted": row.public_text is not None, "source": row.source}


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _sort_key(sort: str):
    status_order = case({s: i for i, s in enumerate(STATUSES)}, value=Comment.status)
    kind_order = case({k: i for i, k in enumerate(KINDS)}, value=Comment.kind)
    return {"created": Comment.created_at, "kind": kind_order, "status": status_order,
            "category": Category.sort_order, "department": Department.name,
            "walk": Walk.starts_at}[sort]


def _count(rows_by_key: list[tuple[str, str | None, int]]) -> dict:
    """{"kind": {...}, "category": {...}, "department": {...}} from (group, key, n) triples."""
    out: dict[str, dict] = {"kind": {}, "category": {}, "department": {}}
    for group, key, n in rows_by_key:
        bucket = out[group]
        bucket[key or NO_DEPARTMENT] = bucket.get(key or NO_DEPARTMENT, 0) + n
    return out


def _ids(scope: Scope) -> dict[str, dict]:
    return {"category": {v: k for k, v in scope.categories.items()},
            "department": {v: k for k, v in scope.departments.items()},
            "walk": scope.walk_codes()}


def view(session: Session, scope: Scope, f: Filters, v: View) -> Result:
    """What the map shows for this bbox, zoom and filters, with counts and one list page.

    The cluster count comes first (from the covering index alone when the filter allows):
    it is the total, and only a view of at most POINT_LIMIT inputs reads the rows themselves.
    """
    where = [*conditions(scope, f), in_bbox(v.bbox)]
    ids = _ids(scope)
    clusters, total, by_kind = _clusters(session, where,
                                         cluster_shift(cell_range(v.bbox), v.zoom))
    if total <= POINT_LIMIT:
        rows = session.execute(select(*LIST_COLUMNS).where(*where)).all()
        return _points_view(rows, scope, ids, v)
    by_both = session.execute(select(Comment.category_id, Comment.department_id, func.count())
                              .where(*where)
                              .group_by(Comment.category_id, Comment.department_id)).all()
    counts = _count([("kind", k, n) for k, n in by_kind.items()] + [
        (group, ids[group].get(key), n) for cat, dept, n in by_both
        for group, key in (("category", cat), ("department", dept))])
    pages = max(1, math.ceil(total / v.page_size))
    page = min(v.page, pages)
    key = _sort_key(v.sort)
    query = (select(*LIST_COLUMNS).where(*where)
             .order_by(key.desc() if v.descending else key.asc(),
                       Comment.id.desc() if v.descending else Comment.id.asc())
             .limit(v.page_size).offset((page - 1) * v.page_size))
    if v.sort == "category":
        query = query.join(Category, Category.id == Comment.category_id)
    elif v.sort == "department":
        query = query.outerjoin(Department, Department.id == Comment.department_id)
    elif v.sort == "walk":
        query = query.outerjoin(Walk, Walk.id == Comment.walk_id)
    items = [_item(r, scope, ids) for r in session.execute(query)]
    return Result("clusters", total, clusters=clusters, counts=counts, items=items,
                  page=page, pages=pages)


def _clusters(session: Session, where, shift: int) -> tuple[list[dict], int, dict]:
    cx, cy = Comment.cell_x.op(">>")(shift), Comment.cell_y.op(">>")(shift)
    query = (select(cx, cy, Comment.kind, Comment.status, func.count(),
                    func.sum(Comment.cell_x), func.sum(Comment.cell_y),
                    func.min(Comment.cell_x), func.min(Comment.cell_y),
                    func.max(Comment.cell_x), func.max(Comment.cell_y))
             .where(*where).group_by(cx, cy, Comment.kind, Comment.status))
    cells: dict[tuple[int, int], dict] = {}
    by_kind: dict[str, int] = {}
    for x, y, kind, status, n, sx, sy, minx, miny, maxx, maxy in session.execute(query):
        c = cells.get((x, y))
        if c is None:
            c = cells[(x, y)] = {"count": 0, "sx": 0, "sy": 0, "kinds": {}, "statuses": {},
                                 "box": [minx, miny, maxx, maxy]}
        c["count"] += n
        c["sx"] += sx
        c["sy"] += sy
        c["kinds"][kind] = c["kinds"].get(kind, 0) + n
        c["statuses"][status] = c["statuses"].get(status, 0) + n
        box = c["box"]
        c["box"] = [min(box[0], minx), min(box[1], miny), max(box[2], maxx), max(box[3], maxy)]
        by_kind[kind] = by_kind.get(kind, 0) + n
    out = []
    for c in cells.values():
        lon, lat = cell_to_lonlat(c["sx"] / c["count"] + 0.5, c["sy"] / c["count"] + 0.5)
        west, north = cell_to_lonlat(c["box"][0], c["box"][1])
        east, south = cell_to_lonlat(c["box"][2] + 1, c["box"][3] + 1)
        out.append({"count": c["count"], "lon": round(lon, 6), "lat": round(lat, 6),
                    "kinds": c["kinds"], "statuses": c["statuses"],
                    "bbox": [round(west, 6), round(south, 6), round(east, 6), round(north, 6)]})
    return out, sum(c["count"] for c in out), by_kind


def _points_view(rows, scope: Scope, ids: dict, v: View) -> Result:
    counts = _count([(group, key, 1) for r in rows for group, key in (
        ("kind", r.kind), ("category", ids["category"].get(r.category_id)),
        ("department", ids["department"].get(r.department_id)))])
    key = {"created": lambda r: r.created_at, "kind": lambda r: KINDS.index(r.kind),
           "status": lambda r: STATUSES.index(r.status),
           "category": lambda r: scope.rank["category"].get(r.category_id, 0),
           "department": lambda r: scope.rank["department"].get(r.department_id, ""),
           "walk": lambda r: ids["walk"].get(r.walk_id) or ""}[v.sort]
    ordered = sorted(rows, key=lambda r: (key(r), r.id), reverse=v.descending)
    pages = max(1, math.ceil(len(rows) / v.page_size))
    page = min(v.page, pages)
    start = (page - 1) * v.page_size
    return Result("points", len(rows), points=[_point(r, scope) for r in rows], counts=counts,
                  items=[_item(r, scope, ids) for r in ordered[start:start + v.page_size]],
                  page=page, pages=pages)

