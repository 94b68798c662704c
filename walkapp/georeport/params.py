"""Reading GeoReport parameters: optional values, comma lists, numbers, text, W3C datetimes.

`params` is anything with get(name) and getlist(name) (a werkzeug MultiDict in the app).
The spec's "optional" means an empty parameter is the same as an absent one.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from walkapp.georeport.errors import bad

# C0 controls other than tab, line feed and carriage return, and DEL: they have no place in
# a description and cannot be written to XML 1.0 (nor NUL to PostgreSQL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A plain decimal number: float() would also take "nan", "inf" and "1_0".
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# The W3C note's profile of ISO 8601: a date, or a date and time with a zone designator.
_W3C = re.compile(r"^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$")


class Params(Protocol):
    def get(self, key: str, default=None): ...
    def getlist(self, key: str) -> list[str]: ...


def value(params: Params, name: str) -> str | None:
    """The parameter, stripped; None when absent or empty."""
    raw = params.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


def listed(params: Params, name: str) -> list[str]:
    """Every value of a parameter that may be repeated and comma-delimited, in order, once."""
    out: list[str] = []
    for raw in params.getlist(name):
        for part in raw.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def text(params: Params, name: str, max_chars: int) -> str | None:
    """Free text: at most max_chars characters, line breaks allowed, other controls not."""
    raw = value(params, name)
    if raw is None:
        return None
    if len(raw) > max_chars:
        raise bad(f"{name} may have at most {max_chars} characters (it has {len(raw)})")
    if _CONTROL.search(raw):
        raise bad(f"{name} must not contain control characters")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise bad(f"{name} must be valid UTF-8 text") from None
    return raw


def number(params: Params, name: str, low: float, high: float) -> float | None:
    raw = value(params, name)
    if raw is None:
        return None
    if not _NUMBER.match(raw):
        raise bad(f"{name} must be a decimal number, not {raw[:40]!r}")
    result = float(raw)
    if not math.isfinite(result) or not low <= result <= high:
        raise bad(f"{name} must be between {low:g} and {high:g}")
    return result


def positive_int(params: Params, name: str, default: int, high: int) -> int:
    raw = value(params, name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise bad(f"{name} must be a whole number from 1 to {high}")
    return int(raw)


def w3c_datetime(params: Params, name: str, tz: ZoneInfo) -> datetime | None:
    """A W3C datetime as an aware UTC datetime. A time must carry its zone (Z or ±hh:mm); a
    bare date means the start of that day in the jurisdiction's time zone."""
    raw = value(params, name)
    if raw is None:
        return None
    # An unencoded "+02:00" in a query string arrives as " 02:00": read it as meant.
    raw = re.sub(r" (\d{2}:\d{2})$", r"+\1", raw)
    match = _W3C.match(raw)
    if match is None:
        raise bad(f"{name} must be a W3C datetime with a time zone, "
                  f"e.g. 2026-05-20T16:00:00+02:00 or 2026-05-20T14:00:00Z")
    # Python reads at most six decimals of a second.
    raw = re.sub(r"(\.\d{6})\d+", r"\1", raw)
    try:
        if match.group(2) is None:
            parsed = datetime.combine(datetime.fromisoformat(raw).date(), time(), tzinfo=tz)
        else:
            parsed = datetime.fromisoformat(raw)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad(f"{name} is not a valid date and time: {raw[:40]!r}") from None


def w3c(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """A stored UTC time as the spec wants it: local time with its offset, to the second."""
    if moment is None:
        return None
    return moment.astimezone(tz).isoformat(timespec="seconds")
