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

from sqlalchemy import ColumnElement, Select, and_, func, not_, null, or_, select
from sqlalchemy.orm import Session

from walkapp.geo import CELL_ZOOM, cell_to_lonlat, lonlat_to_cell
from walkapp.labels import N_
from walkapp.models import KINDS, STATUSES, Category, Comment, Department, Municipality, Walk
from walkapp.workflow import OPEN, WorkflowError, is_overdue, local_today

POINT_LIMIT = 400       # more inputs than this in view: clusters
MAX_CELLS = 768         # a cluster grid never has more cells than this (a 2560×1200 screen)
CLUSTER_BITS = 2        # a cluster cell is a quarter of a map tile (64 px) across
PAGE_SIZE = 25
MAX_PAGE = 10_000
TEXT_MAX = 200
EXCERPT = 160
NO_DEPARTMENT = "none"  # department filter value: not routed to anyone
SORTS = ("created", "kind", "category", "department", "status")
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
    dialect: str = "sqlite"

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
                    "department": {i: n.casefold() for i, _s, n in depts}},
                   session.get_bind().dialect.name)

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
        where.append(_text_search(f.q, scope.dialect))
    if f.hidden == "exclude":
        where.append(Comment.hidden_at.is_(None))
    elif f.hidden == "only":
        where.append(Comment.hidden_at.is_not(None))
    return where


def _text_search(q: str, dialect: str) -> ColumnElement[bool]:
    """Case-insensitive substring search. SQLite's lower() folds ASCII only, so there the
    query is also tried in lower and upper case: "ÅSEDA", "åseda" and "Åseda" find each other
    without a slow Python function per row."""
    variants = {q} if dialect == "postgresql" else {q, q.lower(), q.upper()}
    either = []
    for variant in sorted(variants):
        pattern = "%" + variant.replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        either += [Comment.text.ilike(pattern, escape="\\"),
                   Comment.public_text.ilike(pattern, escape="\\")]
    return or_(*either)


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


# The list's sort keys: the column, and the order of its values (department: by name,
# category: as residents see them, None last).
KEY_COLUMNS = {"kind": Comment.kind, "status": Comment.status,
               "category": Comment.category_id, "department": Comment.department_id}


def _key_order(scope: Scope, sort: str) -> list:
    if sort == "kind":
        return list(KINDS)
    if sort == "status":
        return list(STATUSES)
    rank = scope.rank[sort]
    return [*sorted(rank, key=rank.get), None]


def _ids(scope: Scope) -> dict[str, dict]:
    return {"category": {v: k for k, v in scope.categories.items()},
            "department": {v: k for k, v in scope.departments.items()},
            "walk": scope.walk_codes()}


def _counts(by: dict[str, dict], ids: dict[str, dict]) -> dict:
    """Counts by kind, category slug and department slug ("none": not routed)."""
    return {"kind": dict(by["kind"]),
            "category": {ids["category"].get(k): n for k, n in by["category"].items()},
            "department": {ids["department"].get(k) or NO_DEPARTMENT: n
                           for k, n in by["department"].items()}}


def view(session: Session, scope: Scope, f: Filters, v: View) -> Result:
    """What the map shows for this bbox, zoom and filters, with counts and one list page.

    The cluster count comes first (from the covering index alone when the filter allows):
    it is the total, and only a view of at most POINT_LIMIT inputs reads the rows themselves.
    """
    where = [*conditions(scope, f), in_bbox(v.bbox)]
    ids = _ids(scope)
    # A filter the cell index answers alone (kind, status, category, department) is cheapest
    # as two index-only passes; one that reads rows (walk, text, dates, overdue, hidden)
    # reads them once, with category and department as extra group keys.
    in_index = not (f.walks or f.q or f.date_from or f.date_to or f.overdue is not None
                    or f.hidden != "include")
    clusters, by = _clusters(session, where, cluster_shift(cell_range(v.bbox), v.zoom),
                             counts=not in_index)
    total = sum(by["kind"].values())
    if total <= POINT_LIMIT:
        rows = session.execute(select(*LIST_COLUMNS).where(*where)).all()
        return _points_view(rows, scope, ids, v)
    if in_index:
        for cat, dept, n in session.execute(
                select(Comment.category_id, Comment.department_id, func.count())
                .where(*where).group_by(Comment.category_id, Comment.department_id)):
            by["category"][cat] = by["category"].get(cat, 0) + n
            by["department"][dept] = by["department"].get(dept, 0) + n
    pages = max(1, math.ceil(total / v.page_size))
    page = min(v.page, pages)
    rows = _page(session, scope, where, v, by, (page - 1) * v.page_size)
    return Result("clusters", total, clusters=clusters, counts=_counts(by, ids),
                  items=[_item(r, scope, ids) for r in rows], page=page, pages=pages)


def _newest(where, descending: bool = True) -> Select:
    """The view's rows in time order: a walk along the (municipality, created_at) index
    that stops after one page, instead of sorting everything in view."""
    order = (Comment.created_at.desc(), Comment.id.desc()) if descending else (
        Comment.created_at.asc(), Comment.id.asc())
    return (select(*LIST_COLUMNS).where(*where).order_by(*order)
            .with_hint(Comment, "INDEXED BY ix_comment_municipality_created", "sqlite"))


def _page(session: Session, scope: Scope, where, v: View, by: dict, offset: int) -> list:
    """One page of the list. Sorted by a key (kind, status, category, department), the
    counts per value say which values the page spans; each is then read newest first."""
    if v.sort == "created":
        return session.execute(_newest(where, v.descending).offset(offset)
                               .limit(v.page_size)).all()
    column, rows = KEY_COLUMNS[v.sort], []
    order = _key_order(scope, v.sort)
    for value in reversed(order) if v.descending else order:
        n = by[v.sort].get(value, 0)
        if offset >= n:
            offset -= n
            continue
        same = column.is_(None) if value is None else column == value
        rows += session.execute(_newest([*where, same]).offset(offset)
                                .limit(v.page_size - len(rows))).all()
        offset = 0
        if len(rows) >= v.page_size:
            break
    return rows


def _clusters(session: Session, where, shift: int, counts: bool) -> tuple[list[dict], dict]:
    """Clusters of the view and the counts by kind and status they add up to; with
    `counts`, by category and department too (extra group keys, in the same pass)."""
    cx, cy = Comment.cell_x.op(">>")(shift), Comment.cell_y.op(">>")(shift)
    keys = (cx, cy, Comment.kind, Comment.status, Comment.category_id if counts else null(),
            Comment.department_id if counts else null())
    query = (select(*keys, func.count(),
                    func.sum(Comment.cell_x), func.sum(Comment.cell_y),
                    func.min(Comment.cell_x), func.min(Comment.cell_y),
                    func.max(Comment.cell_x), func.max(Comment.cell_y))
             .where(*where).group_by(*keys[:6 if counts else 4]))
    cells: dict[tuple[int, int], dict] = {}
    by: dict[str, dict] = {"kind": {}, "status": {}, "category": {}, "department": {}}
    for x, y, kind, status, cat, dept, n, sx, sy, minx, miny, maxx, maxy in \
            session.execute(query):
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
        for group, key in (("kind", kind), ("status", status), ("category", cat),
                           ("department", dept))[:4 if counts else 2]:
            by[group][key] = by[group].get(key, 0) + n
    out = []
    for c in cells.values():
        lon, lat = cell_to_lonlat(c["sx"] / c["count"] + 0.5, c["sy"] / c["count"] + 0.5)
        west, north = cell_to_lonlat(c["box"][0], c["box"][1])
        east, south = cell_to_lonlat(c["box"][2] + 1, c["box"][3] + 1)
        out.append({"count": c["count"], "lon": round(lon, 6), "lat": round(lat, 6),
                    "kinds": c["kinds"], "statuses": c["statuses"],
                    "bbox": [round(west, 6), round(south, 6), round(east, 6), round(north, 6)]})
    return out, by


def _points_view(rows, scope: Scope, ids: dict, v: View) -> Result:
    """A quiet view: every row is here, so counts and the list are made in Python, in the
    same order the busy view's queries give."""
    by: dict[str, dict] = {"kind": {}, "category": {}, "department": {}}
    for r in rows:
        for group, key in (("kind", r.kind), ("category", r.category_id),
                           ("department", r.department_id)):
            by[group][key] = by[group].get(key, 0) + 1
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id),
                     reverse=v.descending or v.sort != "created")
    if v.sort != "created":
        rank = {value: i for i, value in enumerate(_key_order(scope, v.sort))}
        column = KEY_COLUMNS[v.sort].key
        ordered.sort(key=lambda r: rank.get(getattr(r, column), len(rank)),
                     reverse=v.descending)  # stable: newest first within a value
    pages = max(1, math.ceil(len(rows) / v.page_size))
    page = min(v.page, pages)
    start = (page - 1) * v.page_size
    return Result("points", len(rows), points=[_point(r, scope) for r in rows],
                  counts=_counts(by, ids),
                  items=[_item(r, scope, ids) for r in ordered[start:start + v.page_size]],
                  page=page, pages=pages)
