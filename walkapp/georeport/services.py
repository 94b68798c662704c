"""Services (a municipality's categories) and their definitions, and the discovery document.

Every category has one attribute: the input's kind (question, opinion or idea), the same
choice a resident makes on the phone. It is optional and defaults to a question, so simple
clients that never read a definition still work; clients that do can ask residents the same
question the walk app asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp.georeport.caller import Caller
from walkapp.georeport.errors import not_found
from walkapp.labels import KIND, N_
from walkapp.models import KINDS, Category

Translate = Callable[[str], str]
DEFAULT_KIND = "question"  # a request asks the municipality to answer or act
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str  # msgid
    values: dict[str, str]  # key → msgid of its name
    required: bool = False
    datatype: str = "singlevaluelist"


KIND_ATTRIBUTE = Attribute(
    code="kind",
    description=N_("What kind of input is this? Without an answer it is taken as a question."),
    values={k: KIND[k] for k in KINDS})


def attributes_for(category: Category) -> list[Attribute]:
    """The attributes a request of this category may carry (the same for every category)."""
    return [KIND_ATTRIBUTE]


def categories(session: Session, municipality_id: int) -> list[Category]:
    return list(session.scalars(select(Category).where(Category.municipality_id == municipality_id)
                                .order_by(Category.sort_order, Category.slug)))


def category(session: Session, caller: Caller, code: str) -> Category:
    """The category with this service_code, or the spec's 404."""
    found = session.scalar(select(Category).where(
        Category.municipality_id == caller.municipality.id, Category.slug == code))
    if found is None:
        raise not_found(f"service_code {code!r} not found in jurisdiction "
                        f"{caller.municipality.slug!r}")
    return found


def service(c: Category, lang: str) -> dict:
    other = [c.label(o) for o in ("sv", "da", "en") if o != lang and c.label(o) != c.label(lang)]
    return {
        "service_code": c.slug,
        "service_name": c.label(lang),
        "description": None,
        "metadata": bool(attributes_for(c)),
        "type": "realtime",  # the id is known at once: no token needed
        # Its name in our other languages: synonyms a search may match.
        "keywords": ", ".join(dict.fromkeys(other)) or None,
        "group": None,
    }


def services(session: Session, caller: Caller) -> list[dict]:
    return [service(c, caller.lang) for c in categories(session, caller.municipality.id)]


def definition(session: Session, caller: Caller, code: str, _: Translate) -> dict:
    """The service definition; a service without attributes has none (metadata false: 404)."""
    found = category(session, caller, code)
    attrs = attributes_for(found)
    if not attrs:
        raise not_found(f"service_code {code!r} has no attributes, so no service definition "
                        f"(its metadata is false)")
    return {
        "service_code": found.slug,
        "attributes": [{
            "variable": True,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": None,
            "order": order,
            "description": _(a.description),
            "values": [{"key": key, "name": _(name)} for key, name in a.values.items()],
        } for order, a in enumerate(attrs, start=1)],
    }


def discovery(url: str, now: datetime, contact: str, key_service: str) -> dict:
    """The Service Discovery document. Categories carry no change time, so the changeset is
    the start of the current UTC day: clients that cache the service list refresh daily."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    changeset = day.isoformat().replace("+00:00", "Z")
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": changeset,
                       "type": "production", "formats": FORMATS}],
    }
