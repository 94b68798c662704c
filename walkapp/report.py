"""The walk report for the dialogue meeting: what came in and what happens next. No Flask.

`build()` gathers one walk's inputs (hidden ones only counted; merged duplicates listed under
their primary), totals and the groups by department; `overview_svg()` draws the overview map
without any outside tiles: the walk's area, its planned route, the recorded tracks laid on top
of each other (where many walked, the line is darker) and numbered pins.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from walkapp.models import Comment, Municipality, Track, Walk
from walkapp.workflow import is_overdue, local_today

KIND_COLOURS = {"question": "#0b4f8a", "opinion": "#8a2b7a", "idea": "#1d6b2e"}
SVG_W, SVG_H, PAD = 760, 520, 24
TRACK_TOLERANCE = 0.00003  # degrees (≈ 2–3 m): tracks are simplified before drawing


@dataclass
class Entry:
    number: int
    comment: Comment
    overdue: bool
    duplicates: list[Comment] = field(default_factory=list)


@dataclass
class Report:
    walk: Walk
    municipality: Municipality
    today: date
    entries: list[Entry]
    groups: list[tuple[str | None, list[Entry]]]   # department name (None: not routed)
    totals: dict[str, Counter]
    shown: int
    hidden: int
    tracks: list[shapely.LineString]

    @property
    def overdue(self) -> int:
        return sum(1 for e in self.entries if e.overdue)


def build(session: Session, walk: Walk, now: datetime) -> Report:
    muni = session.get(Municipality, walk.municipality_id)
    today = local_today(now, muni.timezone)
    comments = session.scalars(
        select(Comment).where(Comment.walk_id == walk.id)
        .options(selectinload(Comment.category), selectinload(Comment.department),
                 selectinload(Comment.photos))
        .order_by(Comment.created_at, Comment.id)).all()
    shown = [c for c in comments if c.hidden_at is None]
    entries: list[Entry] = []
    by_id: dict = {}
    for c in shown:
        if c.merged_into_id is None:
            entry = Entry(len(entries) + 1, c,
                          is_overdue(c, today, muni.response_days, muni.timezone))
            entries.append(entry)
            by_id[c.id] = entry
    for c in shown:
        if c.merged_into_id is not None and c.merged_into_id in by_id:
            by_id[c.merged_into_id].duplicates.append(c)
        elif c.merged_into_id is not None:  # its primary is hidden or on another walk
            entries.append(Entry(len(entries) + 1, c, False))
    groups: dict[str | None, list[Entry]] = {}
    for e in entries:
        name = e.comment.department.name if e.comment.department else None
        groups.setdefault(name, []).append(e)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, (kv[0] or "").casefold()))
    totals = {
        "kind": Counter(c.kind for c in shown),
        "category": Counter(c.category.slug for c in shown),
        "department": Counter(c.department.name if c.department else None for c in shown),
    }
    tracks = [shapely.LineString([p[:2] for p in t.points])
              for t in session.scalars(select(Track).where(Track.walk_id == walk.id))
              if len(t.points) >= 2]
    return Report(walk, muni, today, entries, ordered, totals, len(shown),
                  len(comments) - len(shown), tracks)


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def overview_svg(report: Report, title: str) -> str:
    """An SVG overview map (no tiles): area, planned route, tracks, numbered pins."""
    walk = report.walk
    parts = [g for g in (walk.area, walk.route) if g is not None]
    parts += report.tracks
    parts += [shapely.Point(e.comment.lon, e.comment.lat) for e in report.entries]
    if not parts:
        return ""
    west, south, east, north = shapely.GeometryCollection(parts).bounds
    x0, y0 = _mercator(west, south)
    x1, y1 = _mercator(east, north)
    span = max(x1 - x0, y1 - y0, 1e-6)
    scale = min((SVG_W - 2 * PAD) / max(x1 - x0, span / 10),
                (SVG_H - 2 * PAD) / max(y1 - y0, span / 10))
    ox = (SVG_W - (x1 - x0) * scale) / 2
    oy = (SVG_H - (y1 - y0) * scale) / 2

    def xy(lon: float, lat: float) -> str:
        mx, my = _mercator(lon, lat)
        return f"{ox + (mx - x0) * scale:.1f},{SVG_H - oy - (my - y0) * scale:.1f}"

    def path(coords) -> str:
        return " ".join(xy(lon, lat) for lon, lat, *_ in coords)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_W} {SVG_H}" '
           f'role="img" aria-labelledby="overview-title" class="overview">',
           f'<title id="overview-title">{escape(title)}</title>',
           f'<rect width="{SVG_W}" height="{SVG_H}" fill="#f6f8f4"/>']
    if walk.area is not None:
        polygons = getattr(walk.area, "geoms", [walk.area])
        for poly in polygons:
            out.append(f'<polygon points="{path(poly.exterior.coords)}" fill="#dfe9f3" '
                       'stroke="#0b4f8a" stroke-width="2"/>')
    for track in report.tracks:
        simple = track.simplify(TRACK_TOLERANCE)
        out.append(f'<polyline points="{path(simple.coords)}" fill="none" stroke="#5b3f00" '
                   'stroke-opacity="0.25" stroke-width="3" stroke-linejoin="round"/>')
    if walk.route is not None:
        out.append(f'<polyline points="{path(walk.route.coords)}" fill="none" '
                   'stroke="#7a1f9e" stroke-width="3" stroke-dasharray="8 6"/>')
    for e in report.entries:
        c = e.comment
        x, y = xy(c.lon, c.lat).split(",")
        colour = KIND_COLOURS.get(c.kind, "#333")
        out.append(f'<g><circle cx="{x}" cy="{y}" r="9" fill="{colour}" stroke="#fff" '
                   f'stroke-width="1.5"/><text x="{x}" y="{float(y) + 3.5:.1f}" '
                   'font-size="9" font-family="DejaVu Sans, sans-serif" text-anchor="middle" '
                   f'fill="#fff">{e.number}</text></g>')
    out.append("</svg>")
    return "".join(out)
