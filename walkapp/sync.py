"""Apply a batch of comments from a phone: validate, store idempotently, route. No Flask here.

Every item stands alone: it is validated and checked against what is stored, and only
items that pass are written, all in one transaction. A concurrent request that inserts the
same new UUID first makes our commit fail on the primary key; we then roll back and run the
batch again, and that item now answers "unchanged" (same content) or "updated" — never a
second row, never a 500 (the lesson of formhub, iNaturalist and Kobo).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

import shapely
from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from walkapp import delivery, notices
from walkapp.geo import Region, is_null_island, lonlat_to_cell
from walkapp.models import (
    Category,
    Comment,
    Delivery,
    Department,
    Device,
    Municipality,
    Photo,
    RoutingDecision,
    StatusChange,
    Walk,
)
from walkapp.router_cache import MunicipalRouter
from walkapp.schemas import CommentItem, error_fields

RETRIES = 3
# No comment of this app can be older (a phone whose clock reset to 1970 or year 1).
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limits:
    """What a plausible pin looks like (config CLOCK_SKEW_SECONDS, LOCATION_MARGIN_M)."""

    clock_skew_s: float = 24 * 3600
    location_margin_m: float = 20_000


@dataclass
class Result:
    id: str | None
    status: str  # created | unchanged | updated | rejected
    errors: list[dict] = field(default_factory=list)
    comment: Comment | NewComment | None = None

    def as_dict(self, departments: dict[int, Department]) -> dict:
        c = self.comment
        dept = departments.get(c.department_id) if c is not None and c.department_id else None
        return {
            "id": self.id,
            "status": self.status,
            "errors": self.errors,
            "department": dept.as_ref() if dept else None,
            "comment_status": c.status if c is not None else None,
            "missing_photos": c.missing_photos() if c is not None else [],
        }


class NewComment(SimpleNamespace):
    """A comment row about to be inserted in bulk: the ORM's per-object unit of work costs
    more than the rest of the request, and nothing reads these rows back before commit."""

    def missing_photos(self) -> list[str]:
        return [str(p) for p in self.photo_ids]


def content_hash(item: CommentItem) -> str:
    """What makes two sends of one pin "the same": every field the resident controls."""
    canon = {
        "walk": item.walk.upper(),
        "kind": item.kind,
        "category": item.category,
        "text": item.text,
        "location": list(item.location.coordinates),
        "accuracy_m": item.accuracy_m,
        "created_at": item.created_at.isoformat(),
        "photos": [str(p) for p in item.photos],
    }
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()


def _reject(item_id, field_name: str, message: str, code: str = "invalid") -> Result:
    return Result(item_id, "rejected", [{"field": field_name, "message": message, "code": code}])


def _validate(raw_items: list) -> list[Result | CommentItem]:
    out: list[Result | CommentItem] = []
    seen: set[uuid.UUID] = set()
    for i, raw in enumerate(raw_items):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        raw_id = raw_id if isinstance(raw_id, str) else None
        if not isinstance(raw, dict):
            out.append(_reject(None, f"comments.{i}", "must be an object"))
            continue
        try:
            item = CommentItem.model_validate(raw)
        except ValidationError as err:
            errors = [dict(e, code="invalid") for e in error_fields(err, f"comments.{i}")]
            out.append(Result(raw_id, "rejected", errors))
            continue
        if item.id in seen:
            out.append(_reject(raw_id, f"comments.{i}.id", "appears more than once in this batch"))
            continue
        seen.add(item.id)
        out.append(item)
    return out


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


class Batch:
    """One attempt at applying the validated items inside the session's transaction."""

    def __init__(self, session: Session, device_id: str, now: datetime,
                 router_for: Callable[[Walk], MunicipalRouter], limits: Limits,
                 recorded_by: int | None = None):
        self.session, self.device_id, self.now = session, device_id, now
        self.router_for, self.limits = router_for, limits
        # Scribe mode: the official whose phone this is pins for residents without one.
        self.recorded_by = recorded_by
        self.removed_photos: list[uuid.UUID] = []  # stored files to delete after the commit
        # Decision, history and outbox rows, inserted in bulk after the comments (nothing
        # reads them back, so they skip the ORM's per-object bookkeeping).
        self.decisions: list[dict] = []
        self.history: list[dict] = []
        self.deliveries: list[dict] = []
        self.new: list[NewComment] = []

    def load(self, items: list[CommentItem]) -> None:
        s = self.session
        codes = {it.walk.upper() for it in items}
        walks = s.scalars(select(Walk).where(Walk.join_code.in_(codes)))
        self.walks = {w.join_code: w for w in walks}
        munis = {w.municipality_id for w in self.walks.values()}
        self.categories = {
            (c.municipality_id, c.slug): c
            for c in s.scalars(select(Category).where(Category.municipality_id.in_(munis)))
        }
        # How each department is told (walkapp/delivery.py), and the local clock for digests.
        self.departments = {d.id: d for d in s.scalars(
            select(Department).where(Department.municipality_id.in_(munis)))}
        self.timezones = dict(s.execute(select(Municipality.id, Municipality.timezone)
                                        .where(Municipality.id.in_(munis))).all())
        ids = [it.id for it in items]
        # Locked (PostgreSQL) so an edit and a concurrent photo upload to the same comment
        # take turns and its photo count stays within the limit; in id order, so two
        # batches never wait for each other crosswise.
        self.existing = {
            c.id: c
            for c in s.scalars(
                select(Comment).where(Comment.id.in_(ids)).options(selectinload(Comment.photos))
                .order_by(Comment.id).with_for_update(of=Comment)
            )
        }
        photo_ids = {p for it in items for p in it.photos}
        # Photo id → comment id, as stored; items of this batch add theirs as they pass.
        self.photo_owner = dict(
            s.execute(select(Photo.id, Photo.comment_id).where(Photo.id.in_(photo_ids))).all()
        ) if photo_ids else {}
        self.category_by_id = {c.id: c for c in self.categories.values()}

    def check(self, i: int, item: CommentItem) -> Result | None:
        """A rejection if the item cannot be applied, else None."""
        sid = str(item.id)
        walk = self.walks.get(item.walk.upper())
        if walk is None:
            return _reject(sid, f"comments.{i}.walk", f"no walk has the join code {item.walk!r}",
                           "unknown_walk")
        if (walk.municipality_id, item.category) not in self.categories:
            return _reject(sid, f"comments.{i}.category",
                           f"unknown category {item.category!r} for this walk", "unknown_category")
        for p in item.photos:
            owner = self.photo_owner.get(p)
            if owner is not None and owner != item.id:
                return _reject(sid, f"comments.{i}.photos",
                               f"photo {p} belongs to another comment", "conflict")
        existing = self.existing.get(item.id)
        if existing is None:
            if walk.status == "closed" and walk.closed_at and item.created_at > walk.closed_at:
                return _reject(sid, f"comments.{i}.walk",
                               "the walk was closed before this comment was made", "walk_closed")
            return self._implausible(i, item, walk)
        if existing.device_id != self.device_id:
            return _reject(sid, f"comments.{i}.id",
                           "this id belongs to a comment sent from another device", "conflict")
        if existing.content_hash != content_hash(item):
            return self._implausible(i, item, walk)  # an edit; a retry of a stored pin passes
        return None

    def _implausible(self, i: int, item: CommentItem, walk: Walk) -> Result | None:
        """A rejection for a time or place that cannot be right, else None."""
        sid, lim = str(item.id), self.limits
        ahead = (item.created_at - self.now).total_seconds()
        if ahead > lim.clock_skew_s:
            return _reject(sid, f"comments.{i}.created_at",
                           f"is {_duration(ahead)} ahead of the server's clock (more than "
                           f"{_duration(lim.clock_skew_s)}): check the phone's date and time",
                           "implausible_time")
        if item.created_at < EARLIEST:
            return _reject(sid, f"comments.{i}.created_at",
                           f"is before {EARLIEST:%Y-%m-%d}: check the phone's date and time",
                           "implausible_time")
        lon, lat = item.location.coordinates
        if is_null_island(lon, lat):
            return _reject(sid, f"comments.{i}.location",
                           "is [0, 0], what a phone sends when it has no position",
                           "out_of_area")
        region = self.router_for(walk).region or Region.around(
            walk.area, walk.route, shapely.Point(walk.meeting_lon, walk.meeting_lat)
            if walk.meeting_lon is not None else None)
        if region is not None and not region.near(lon, lat, lim.location_margin_m):
            return _reject(sid, f"comments.{i}.location",
                           f"is more than {lim.location_margin_m / 1000:g} km outside "
                           f"{walk.municipality.name}: check the phone's location",
                           "out_of_area")
        return None

    def apply(self, items: list[Result | CommentItem]) -> list[Result]:
        with self.session.no_autoflush:  # insert each comment once, already routed
            results = self._apply(items)
        self.session.flush()  # edits of existing comments
        if self.new:
            rows = [vars(c).copy() for c in self.new]
            photos = [{"id": pid, "comment_id": r["id"], "position": pos}
                      for r in rows for pos, pid in enumerate(r.pop("photo_ids"))]
            # Core inserts on the tables: one executemany each, no ORM bookkeeping.
            self.session.execute(insert(Comment.__table__), rows)
            if photos:
                self.session.execute(insert(Photo.__table__), photos)
        if self.decisions:
            self.session.execute(insert(RoutingDecision.__table__), self.decisions)
            self.session.execute(insert(StatusChange.__table__), self.history)
        if self.deliveries:  # the same transaction as the routing they announce
            self.session.execute(insert(Delivery.__table__), self.deliveries)
        if any(r.status in ("created", "updated") for r in results):
            # Only when something was written: a retry must stay a write-free no-op.
            self.session.execute(update(Device).where(Device.id == self.device_id)
                                 .values(last_seen_at=self.now))
        return results

    def _apply(self, items: list[Result | CommentItem]) -> list[Result]:
        valid = [it for it in items if isinstance(it, CommentItem)]
        self.load(valid)
        results: list[Result] = []
        to_route: list[tuple[Comment, Walk]] = []
        for i, it in enumerate(items):
            if isinstance(it, Result):
                results.append(it)
                continue
            rejected = self.check(i, it)
            if rejected is not None:
                results.append(rejected)
                continue
            result = self._store(i, it, to_route)
            results.append(result)
            if result.status != "rejected":
                # Claim its photo ids: a later item of this batch cannot announce them too.
                self.photo_owner.update(dict.fromkeys(it.photos, it.id))
        self._route(to_route)
        return results

    def _store(self, i: int, item: CommentItem, to_route: list) -> Result:
        sid, digest = str(item.id), content_hash(item)
        walk = self.walks[item.walk.upper()]
        category = self.categories[(walk.municipality_id, item.category)]
        comment = self.existing.get(item.id)
        if comment is None:
            lon, lat = item.location.coordinates
            # The bulk insert skips the ORM's listeners: place the pin in its map cell here.
            cell_x, cell_y = lonlat_to_cell(lon, lat)
            new = NewComment(
                id=item.id, municipality_id=walk.municipality_id, walk_id=walk.id,
                device_id=self.device_id, source="scribe" if self.recorded_by else "app",
                recorded_by_id=self.recorded_by, kind=item.kind,
                category_id=category.id, text=item.text, lon=lon, lat=lat,
                cell_x=cell_x, cell_y=cell_y, accuracy_m=item.accuracy_m,
                created_at=item.created_at, received_at=self.now, updated_at=self.now,
                changed_at=self.now, content_hash=digest, status="received",
                department_id=None, photo_ids=list(item.photos))
            self.new.append(new)
            to_route.append((new, walk))
            return Result(sid, "created", comment=new)
        if comment.content_hash == digest:
            return Result(sid, "unchanged", comment=comment)
        if not comment.editable:
            return Result(sid, "rejected", [{
                "field": f"comments.{i}", "code": "already_reviewed",
                "message": "an official has already reviewed this comment; it can no longer "
                           "be changed"}], comment=comment)
        moved = (comment.lon, comment.lat, comment.category_id, comment.walk_id) != (
            *item.location.coordinates, category.id, walk.id)
        comment.walk_id, comment.kind, comment.category_id = walk.id, item.kind, category.id
        comment.municipality_id = walk.municipality_id
        comment.text = item.text
        comment.lon, comment.lat = item.location.coordinates
        comment.accuracy_m, comment.created_at = item.accuracy_m, item.created_at
        comment.content_hash, comment.updated_at, comment.changed_at = digest, self.now, self.now
        self._sync_photos(comment, item.photos)
        if moved:
            to_route.append((comment, walk))
        return Result(sid, "updated", comment=comment)

    def _sync_photos(self, comment: Comment, wanted: list[uuid.UUID]) -> None:
        have = {p.id: p for p in comment.photos}
        for p in list(comment.photos):
            if p.id not in wanted:
                comment.photos.remove(p)  # the resident removed it before review
                if p.stored_at is not None:
                    self.removed_photos.append(p.id)
        for pos, pid in enumerate(wanted):
            photo = have.get(pid) or Photo(id=pid)
            photo.position = pos
            if pid not in have:
                comment.photos.append(photo)

    def _route(self, pending: list[tuple[Comment, Walk]]) -> None:
        by_muni: dict[int, list[tuple[Comment, Walk]]] = {}
        for comment, walk in pending:
            by_muni.setdefault(walk.municipality_id, []).append((comment, walk))
        for muni_id, group in by_muni.items():
            mr = self.router_for(group[0][1])
            slugs = [self.category_by_id[c.category_id].slug for c, _ in group]
            decisions = mr.router.route_many(
                [c.lon for c, _ in group], [c.lat for c, _ in group], slugs)
            for (comment, walk), d in zip(group, decisions, strict=True):
                dept_id = mr.department_ids.get(d.department) if d.department else None
                if comment.department_id == dept_id and comment.status != "received":
                    continue  # an edit that lands with the same department: nothing to record
                before = comment.status
                comment.department_id = dept_id
                comment.status = "routed" if dept_id else "received"
                self.decisions.append({
                    "comment_id": comment.id, "department_id": dept_id,
                    "service_area_id": d.area_id, "reason": d.reason, "rule": d.rule,
                    "decided_at": self.now, "decided_by": "router"})
                self.history.append({"comment_id": comment.id, "action": "route",
                                     "from_status": before, "status": comment.status,
                                     "department_id": dept_id, "author": "router",
                                     "created_at": self.now})
                if dept_id in self.departments:
                    self._tell(comment, walk, self.departments[dept_id], muni_id)

    def _tell(self, comment, walk: Walk, department: Department, muni_id: int) -> None:
        category = self.category_by_id[comment.category_id]
        payload = notices.input_event(comment, walk, category, department, "route", self.now)
        self.deliveries += delivery.department_rows(
            department, self.timezones[muni_id], comment.id, "route", payload, self.now)


@dataclass
class Outcome:
    results: list[dict]                 # one per item, in item order
    removed_photos: list[uuid.UUID]     # photos dropped by edits: their files may be deleted


def apply_batch(session: Session, device_id: str, raw_items: list, now: datetime,
                router_for: Callable[[Walk], MunicipalRouter],
                limits: Limits | None = None, recorded_by: int | None = None) -> Outcome:
    """Apply and commit the batch. recorded_by: the official whose scribe device sent it."""
    validated = _validate(raw_items)
    for attempt in range(RETRIES):
        try:
            batch = Batch(session, device_id, now, router_for, limits or Limits(), recorded_by)
            results = batch.apply(validated)
            dept_ids = {r.comment.department_id for r in results if r.comment is not None}
            departments = {
                d.id: d for d in session.scalars(
                    select(Department).where(Department.id.in_(dept_ids - {None})))
            }
            out = [r.as_dict(departments) for r in results]
            session.commit()
            return Outcome(out, batch.removed_photos)
        except IntegrityError:
            # Someone else inserted one of our new ids (or photo ids) first: start over and
            # see their rows as existing.
            session.rollback()
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")
