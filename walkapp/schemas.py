"""Request shapes of API v1 as pydantic models: one source for validation and the OpenAPI doc."""

import math
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    ValidationError,
)

MAX_TEXT = 4000
JOIN_CODE = r"^[A-Za-z0-9]{3,16}$"
SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _iso_string(value):
    # pydantic would also take a Unix timestamp; the contract says ISO 8601 text with an offset.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string with a UTC offset")
    return value


def _to_utc(value: datetime) -> datetime:
    # Stored in UTC; "0001-01-01T00:00+14:00" has no UTC equivalent a datetime can hold.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time is out of range") from None


Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_string), AfterValidator(_to_utc)]


# Numbers must be JSON numbers: "12" is a client bug we would rather report than guess at.
Accuracy = Annotated[StrictFloat, Field(ge=0, description="metres"), AfterValidator(_finite)]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180, description="longitude, WGS84")]
Latitude = Annotated[StrictFloat, Field(ge=-90, le=90, description="latitude, WGS84")]


class PointGeometry(BaseModel):
    """A GeoJSON Point, [longitude, latitude] in WGS84."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["Point"]
    coordinates: tuple[Longitude, Latitude]


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (lone surrogate found)") from None
    return value


def _unique(values: list[uuid.UUID]) -> list[uuid.UUID]:
    if len(set(values)) != len(values):
        raise ValueError("photo ids must be unique")
    return values


class CommentItem(BaseModel):
    """One pin as the phone sends it; `id` is the client's UUID and the idempotency key."""

    model_config = ConfigDict(extra="ignore")
    id: uuid.UUID
    walk: Annotated[str, Field(pattern=JOIN_CODE, description="the walk's join code")]
    kind: Literal["question", "opinion", "idea"]
    category: Annotated[str, Field(pattern=SLUG, description="a category slug")]
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_text)]
    location: PointGeometry
    accuracy_m: Accuracy | None = None
    created_at: Timestamp
    photos: Annotated[list[uuid.UUID], Field(max_length=6), AfterValidator(_unique)] = []


class SyncRequest(BaseModel):
    """The envelope; items are validated one by one so one bad item never blocks the rest."""

    comments: Annotated[list[dict], Field(min_length=1, max_length=200)]


class TrackRequest(BaseModel):
    """A recorded route: points as [lon, lat, time ISO 8601, accuracy in metres or null]."""

    model_config = ConfigDict(extra="ignore")
    points: Annotated[
        list[tuple[Longitude, Latitude, Timestamp, Accuracy | None]],
        Field(min_length=1, max_length=20_000),
    ]


def error_fields(err: ValidationError, prefix: str = "") -> list[dict]:
    """pydantic errors as API field errors: dotted path to the field and a readable message."""
    out = []
    for e in err.errors(include_url=False):
        path = ".".join(str(p) for p in e["loc"])
        field = f"{prefix}.{path}" if prefix and path else (prefix or path or "body")
        out.append({"field": field, "message": e["msg"]})
    return out


# --- the resident's optional personal data: answer notifications -------------------------------

Language = Literal["sv", "da", "en"]


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # base64url without padding: a 65-byte uncompressed P-256 point (0x04…) and 16 bytes.
    p256dh: Annotated[str, Field(pattern=r"^B[A-P][A-Za-z0-9_-]{84}[AEIMQUYcgkosw048]$",
                                 description="the browser's P-256 public key, base64url")]
    auth: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{21}[AQgw]$",
                               description="the browser's 16-byte auth secret, base64url")]


class PushSubscriptionJSON(BaseModel):
    """What PushSubscription.toJSON() gives in the browser."""

    model_config = ConfigDict(extra="ignore")  # expirationTime
    endpoint: Annotated[str, Field(
        max_length=2000, pattern=r"^https?://", json_schema_extra={"format": "uri"},
        description="the https URL at the browser's push service; other hosts are "
                    "refused")]
    keys: PushKeys


class PushRequest(BaseModel):
    """Subscribe this device to answer notifications by Web Push."""

    model_config = ConfigDict(extra="ignore")
    subscription: PushSubscriptionJSON
    language: Language | None = Field(None, description="language of the notifications")


class EmailRequest(BaseModel):
    """An address the resident gives to hear of answers by e-mail; used for nothing else."""

    model_config = ConfigDict(extra="ignore")
    email: Annotated[str, Field(
        min_length=3, max_length=254, json_schema_extra={"format": "email"},
        description="an address at a real domain; special-use names no mail reaches "
                    "(.test, .invalid, localhost…) are refused")]
    language: Language | None = Field(None, description="language of the e-mails")
