"""Who is asking, for which jurisdiction, in which language.

jurisdiction_id is a municipality's slug. The spec lets a server that serves one
jurisdiction treat it as optional; one that serves several must be told which. A key
belongs to one department of one municipality, so it settles the jurisdiction by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp import api_keys
from walkapp.georeport.errors import bad, forbidden, not_found
from walkapp.georeport.params import Params, value
from walkapp.models import LANGUAGES, ApiKey, Municipality


@dataclass(frozen=True)
class Caller:
    municipality: Municipality
    key: ApiKey | None  # None: the public
    lang: str

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.municipality.timezone)

    @property
    def department_id(self) -> int | None:
        return self.key.department_id if self.key is not None else None


def authenticate(session: Session, params: Params, *, required: bool, action: str,
                 now: datetime) -> ApiKey | None:
    """The caller's key. A key that is sent is always checked, also where none is needed: a
    system whose key stopped working should hear so, not quietly see less."""
    secret = value(params, "api_key")
    if secret is None:
        if required:
            raise forbidden(f"api_key was not provided -- can't proceed with {action}")
        return None
    key = api_keys.find(session, secret)
    if key is None:
        raise forbidden(f"Invalid api_key received -- can't proceed with {action}")
    if key.revoked_at is not None:
        raise forbidden(f"This api_key was revoked -- can't proceed with {action}")
    if not key.department.active:
        raise forbidden(f"The department of this api_key is deactivated -- "
                        f"can't proceed with {action}")
    api_keys.mark_used(key, now)
    return key


def jurisdiction(session: Session, params: Params, key: ApiKey | None) -> Municipality:
    wanted = value(params, "jurisdiction_id")
    if key is not None:
        muni = key.department.municipality
        if wanted is not None and wanted != muni.slug:
            raise forbidden(f"This api_key is not valid for jurisdiction_id {wanted!r}")
        return muni
    if wanted is not None:
        muni = session.scalar(select(Municipality).where(Municipality.slug == wanted))
        if muni is None:
            raise not_found(f"jurisdiction_id {wanted!r} not found")
        return muni
    munis = list(session.scalars(select(Municipality).order_by(Municipality.slug)))
    if len(munis) == 1:
        return munis[0]
    if not munis:
        raise not_found("This server serves no jurisdiction yet")
    raise bad("jurisdiction_id was not provided; this server serves several: "
              + ", ".join(m.slug for m in munis))


def language(params: Params, muni: Municipality) -> str:
    """Names and descriptions come in the jurisdiction's language unless `lang` (an extension
    of ours) asks for sv, da or en."""
    wanted = value(params, "lang")
    if wanted is None:
        return muni.default_language if muni.default_language in LANGUAGES else "en"
    if wanted not in LANGUAGES:
        raise bad(f"lang must be one of {', '.join(LANGUAGES)}")
    return wanted


def identify(session: Session, params: Params, now: datetime, *, key_required: bool = False,
             action: str = "the query") -> Caller:
    key = authenticate(session, params, required=key_required, action=action, now=now)
    muni = jurisdiction(session, params, key)
    return Caller(muni, key, language(params, muni))
