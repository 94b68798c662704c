"""POST requests: a department's system (or a civic app holding a key) files a new input.

The request becomes an input like any other: a Comment (source "open311", no walk, no
device, the key's municipality), routed by the same router as the phones' inputs, with the
routing decision stored and the route written through `walkapp.history.record`, so the
department it lands with is told the usual way.

Decisions, and why:
- Location: lat and long are required. The spec also allows only address_string or
  address_id, but walkapp has no geocoder (it runs offline) and an input without a point
  cannot be routed or shown on a map; guessing a point would route it wrongly. Such a
  request is refused with a 400 that says coordinates are required. An address sent along
  with coordinates is kept and returned as `address` / `address_id`.
- media_url is kept as a reference and returned as it came; walkapp never fetches it. A
  server-side fetch would let any key holder make the server request arbitrary URLs (SSRF
  into the municipality's network), and the media is already where the sender put it.
- email, first_name, last_name, phone, device_id and account_id are personal data about
  the person behind the request. walkapp's inputs are anonymous and it never contacts an
  Open311 submitter (the sending system does, and learns the outcome through GET), so these
  are accepted, as the spec allows, and dropped unread: never stored, logged or returned.
- A POST repeated with exactly the same content by the same key within ten minutes answers
  the first request's id instead of filing a second one: Open311 has no idempotency key,
  and a retry after a lost response must not become a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp import history
from walkapp.georeport.caller import Caller
from walkapp.georeport.errors import bad
from walkapp.georeport.params import Params, number, text, value
from walkapp.georeport.services import DEFAULT_KIND, attributes_for, category
from walkapp.labels import N_
from walkapp.models import (
    Category,
    Comment,
    Department,
    Municipality,
    Open311Request,
    RoutingDecision,
)
from walkapp.router_cache import MunicipalRouter
from walkapp.workflow import due_on

MAX_DESCRIPTION = 4000  # the spec's limit
MAX_ADDRESS = 500
MAX_ADDRESS_ID = 200
MAX_URL = 2000
RETRY_WINDOW = timedelta(minutes=10)
# Characters RFC 3986 allows in a URI: anything else must come percent-encoded.
_URI = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]*)\](\[\])?$")


@dataclass(frozen=True)
class NewRequest:
    """A POST's content, validated; nothing is written until all of it is."""

    service_code: str
    lat: float
    long: float
    description: str
    kind: str
    address_string: str | None
    address_id: str | None
    media_url: str | None

    def digest(self, api_key_id: int) -> str:
        canon = json.dumps({"key": api_key_id, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(canon.encode()).hexdigest()


def _location(params: Params, muni: Municipality) -> tuple[float, float]:
    lat = number(params, "lat", -90, 90)
    long = number(params, "long", -180, 180)
    if lat is None and long is None:
        named = [n for n in ("address_string", "address_id") if value(params, n)]
        if named:
            raise bad(f"lat and long are required: this server has no geocoder, so it cannot "
                      f"place {' or '.join(named)} on the map")
        raise bad("lat and long were not provided: a request needs a location")
    if lat is None or long is None:
        raise bad(f"{'lat' if lat is None else 'long'} was not provided: "
                  f"lat and long must be sent together")
    if muni.boundary is not None and not shapely.intersects_xy(muni.boundary, long, lat):
        raise bad(f"lat and long lie outside jurisdiction {muni.slug!r}")
    return lat, long


def _media_url(params: Params) -> str | None:
    url = value(params, "media_url")
    if url is None:
        return None
    if len(url) > MAX_URL or not _URI.match(url) or not re.match(r"^https?://[^/?#]+", url):
        raise bad(f"media_url must be an absolute http or https URL of at most {MAX_URL} "
                  f"characters (percent-encode anything else)")
    return url


def _kind(params: Params, cat: Category) -> str:
    """The attribute[...] answers: today only attribute[kind]."""
    known = {a.code: a for a in attributes_for(cat)}
    kind = DEFAULT_KIND
    for name in params:
        match = _ATTRIBUTE.match(name)
        if match is None:
            continue
        code, many = match.groups()
        attr = known.get(code)
        if attr is None:
            raise bad(f"{name[:60]} is not an attribute of service {cat.slug!r}")
        answers = [v.strip() for v in params.getlist(name) if v.strip()]
        if many or len(answers) > 1:
            raise bad(f"attribute[{code}] takes one value")
        if answers and answers[0] not in attr.values:
            raise bad(f"attribute[{code}] must be one of {', '.join(attr.values)}")
        if answers:
            kind = answers[0]
    return kind


def parse(session: Session, caller: Caller, params: Params) -> NewRequest:
    code = value(params, "service_code")
    if code is None:
        raise bad("service_code was not provided")
    cat = category(session, caller, code)  # 404 for an unknown service before anything else
    lat, long = _location(params, caller.municipality)
    return NewRequest(
        service_code=code, lat=lat, long=long,
        description=text(params, "description", MAX_DESCRIPTION) or "",
        kind=_kind(params, cat),
        address_string=text(params, "address_string", MAX_ADDRESS),
        address_id=text(params, "address_id", MAX_ADDRESS_ID),
        media_url=_media_url(params))


def create(session: Session, caller: Caller, new: NewRequest, now: datetime,
           router_for: Callable[[Session, Municipality], MunicipalRouter]) -> Comment:
    """File and route the request (the caller commits); an identical POST by the same key
    moments ago answers with the input it filed, and nothing new is written."""
    key, muni = caller.key, caller.municipality
    digest = new.digest(key.id)
    # created_at is the POST's time for these (and ix_comment_municipality_created finds it).
    earlier = session.scalar(select(Comment).where(
        Comment.municipality_id == muni.id, Comment.created_at >= now - RETRY_WINDOW,
        Comment.source == "open311", Comment.content_hash == digest))
    if earlier is not None:
        return earlier
    cat = category(session, caller, new.service_code)
    mr = router_for(session, muni)
    decision = mr.router.route(new.long, new.lat, cat.slug)
    dept_id = mr.department_ids.get(decision.department) if decision.department else None
    comment = Comment(
        id=uuid.uuid4(), municipality_id=muni.id, walk_id=None, device_id=None,
        source="open311", kind=new.kind, category=cat, text=new.description,
        lon=new.long, lat=new.lat, accuracy_m=None, created_at=now, received_at=now,
        updated_at=now, changed_at=now, content_hash=digest, status="received",
        department=session.get(Department, dept_id) if dept_id is not None else None)
    session.add(comment)
    session.add(Open311Request(comment=comment, api_key_id=key.id,
                               address_string=new.address_string, address_id=new.address_id,
                               media_url=new.media_url))
    session.add(RoutingDecision(
        comment=comment, department_id=dept_id, service_area_id=decision.area_id,
        reason=decision.reason, rule=decision.rule, decided_at=now, decided_by="router"))
    # Through history.record, the one way a history row is written: it is where the
    # department's notification hooks in.
    history.record(session, comment, "route", history.ROUTER, now,
                   status="routed" if dept_id else "received", department_id=dept_id,
                   data={"source": "open311", "api_key_id": key.id})
    return comment


def notice(comment: Comment, muni: Municipality, _: Callable[[str], str]) -> str:
    """service_notice: where the request went and by when an answer is due."""
    if comment.department is None:
        return _(N_("Received; it will be sent on to whoever is responsible."))
    due = due_on(comment, muni.response_days, muni.timezone)
    return _(N_("Sent to %(department)s, who should answer by %(date)s.")) % {
        "department": comment.department.name, "date": due.isoformat()}
