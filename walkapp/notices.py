"""What deliveries say: e-mails to departments (one per input, or a daily digest), webhook
bodies, and the notices residents get by push or e-mail. No Flask here.

Words come from the one gettext catalogue, in the reader's language: `tr` is a
gettext.NullTranslations-like object for that language (walkapp.i18n.translations).
Times are shown in the municipality's time zone. Links are absolute, on PUBLIC_URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from walkapp.labels import N_, STATUS, msgid

ITEM_PATH = "/review/items/{id}"      # staff: redirects to the input (walkapp/review/links.py)
PIN_PATH = "/w/{code}?pin={id}"       # resident: the field app, opened on the pin
EXCERPT = 300


@dataclass(frozen=True)
class Reader:
    """Who reads: their language, and the municipality's time zone for times."""

    tr: object
    language: str
    timezone: str

    def _(self, text: str, **params) -> str:
        out = self.tr.gettext(text)
        return out % params if params else out

    def when(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value, "medium", tzinfo=ZoneInfo(self.timezone),
                               locale=self.language)

    def day(self, value) -> str:
        return format_date(value, "long", locale=self.language) if value else ""


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the event, as stored in the outbox row --------------------------------------------------

def input_event(comment, walk, category, department, event: str, now: datetime) -> dict:
    """A department event's payload: what the input was when it was routed. `comment` may be a
    Comment or sync's NewComment (photo_ids instead of photos)."""
    photo_ids = getattr(comment, "photo_ids", None)
    photos = len(photo_ids) if photo_ids is not None else len(comment.photos)
    return {
        "type": "input.rerouted" if event == "reroute" else "input.routed",
        "timestamp": iso(now),
        "department": {"slug": department.slug, "name": department.name},
        "input": {
            "id": str(comment.id),
            "kind": comment.kind,
            "category": {"slug": category.slug, "labels": category.labels()},
            "text": getattr(comment, "shown_text", comment.text),
            "location": {"type": "Point", "coordinates": [comment.lon, comment.lat]},
            "accuracy_m": comment.accuracy_m,
            "created_at": iso(comment.created_at),
            "received_at": iso(comment.received_at),
            "source": getattr(comment, "source", "app"),
            "walk": {"join_code": walk.join_code, "title": walk.title} if walk else None,
            "photos": photos,
            "path": ITEM_PATH.format(id=comment.id),
        },
    }


def webhook_event(payload: dict, key: str, public_url: str) -> dict:
    """The webhook body: Standard Webhooks' {type, timestamp, data}, plus our id."""
    data = dict(payload["input"])
    data["url"] = public_url + data.pop("path")
    return {"id": key, "type": payload["type"], "timestamp": payload["timestamp"],
            "department": payload["department"], "data": data}


# --- e-mails to departments ------------------------------------------------------------------

def _item_lines(r: Reader, item: dict) -> list[str]:
    # (No r._() inside f-strings: the extractor does not look there.)
    category = item["category"]["labels"].get(r.language) or item["category"]["slug"]
    lines = [(r._("Kind"), r._(msgid("kind", item["kind"]))), (r._("Topic"), category)]
    if item["walk"]:
        lines.append((r._("Walk"), f"{item['walk']['title']} ({item['walk']['join_code']})"))
    received = datetime.fromisoformat(item["received_at"].replace("Z", "+00:00"))
    lines.append((r._("Received"), r.when(received)))
    lon, lat = item["location"]["coordinates"]
    place = f"{lat:.5f}, {lon:.5f}"
    if item["accuracy_m"] is not None:
        place += " " + r._("(within %(metres)d m)", metres=round(item["accuracy_m"]))
    lines.append((r._("Place"), place))
    if item["photos"]:
        lines.append((r._("Photos"), str(item["photos"])))
    return [f"{label}: {value}" for label, value in lines]


def department_email(r: Reader, payload: dict, public_url: str) -> tuple[str, str]:
    """(subject, body) of the e-mail about one routed input."""
    item, dept = payload["input"], payload["department"]["name"]
    category = item["category"]["labels"].get(r.language) or item["category"]["slug"]
    if payload["type"] == "input.rerouted":
        subject = r._("Input rerouted to %(department)s: %(category)s", department=dept,
                      category=category)
        intro = r._("An official has sent this input to %(department)s.", department=dept)
    else:
        subject = r._("New input for %(department)s: %(category)s", department=dept,
                      category=category)
        intro = r._("A resident's input has been sent to %(department)s.", department=dept)
    body = [intro, "", *_item_lines(r, item), "", item["text"], "",
            r._("Open it in walkapp:"), public_url + item["path"], "", "-- ",
            _footer(r, dept)]
    return subject, "\n".join(body) + "\n"


def digest_email(r: Reader, department: str, payloads: list[dict],
                 public_url: str) -> tuple[str, str]:
    """(subject, body) of one department's daily digest."""
    n = len(payloads)
    subject = r.tr.ngettext("%(num)d new input for %(department)s",
                            "%(num)d new inputs for %(department)s", n) % {
        "num": n, "department": department}
    body = [r.tr.ngettext("Since the last digest, %(num)d input was sent to %(department)s.",
                          "Since the last digest, %(num)d inputs were sent to %(department)s.",
                          n) % {"num": n, "department": department}, ""]
    for i, payload in enumerate(payloads, 1):
        item = payload["input"]
        body.append(f"{i}. " + "\n   ".join(_item_lines(r, item)))
        body.append("   " + excerpt(item["text"]))
        body.append("   " + public_url + item["path"])
        body.append("")
    body += ["-- ", _footer(r, department)]
    return subject, "\n".join(body) + "\n"


def _footer(r: Reader, department: str) -> str:
    return r._("%(department)s gets new inputs from walkapp by e-mail. An administrator can "
               "change this under Administration, Deliveries.", department=department)


# --- notices to residents --------------------------------------------------------------------

@dataclass(frozen=True)
class News:
    """What a resident's input stands at now (the primary's state if it was merged)."""

    comment_id: str
    walk_code: str
    walk_title: str
    text: str
    status: str
    answer: str | None
    department: str | None
    promised_on: object | None

    def path(self) -> str:
        return PIN_PATH.format(code=self.walk_code, id=self.comment_id)


NEWS_TITLE = N_("News about your input")


def push_message(r: Reader, news: News) -> dict:
    """The push payload the service worker shows (static/js/push-sw.js); its URL is relative:
    the worker opens it on its own origin only."""
    status = r._(STATUS.get(news.status, news.status))
    body = (r._("%(status)s: %(answer)s", status=status, answer=excerpt(news.answer, 200))
            if news.answer else r._("Your input is now: %(status)s", status=status))
    return {"title": r._(NEWS_TITLE), "body": body, "url": news.path(),
            "tag": f"walkapp-{news.comment_id}", "lang": r.language}


def resident_email(r: Reader, news: News, public_url: str, stop_url: str) -> tuple[str, str]:
    subject = r._("News about your input from %(walk)s", walk=news.walk_title)
    body = [r._("There is news about the input you gave on the walk “%(walk)s”:",
                walk=news.walk_title), "", "    " + excerpt(news.text), ""]
    status = r._(STATUS.get(news.status, news.status))
    body.append(r._("Status") + ": " + status)
    if news.promised_on and news.status not in ("done", "wont_do", "noted", "duplicate"):
        body.append(r._("Expected by") + ": " + r.day(news.promised_on))
    if news.answer:
        heading = (r._("Answer from %(department)s", department=news.department)
                   if news.department else r._("Answer"))
        body += ["", heading + ":", news.answer]
    body += ["", r._("See it in the app:"), public_url + news.path(), "", "-- ",
             r._("You get this e-mail because you gave this address in the walkapp app, to "
                 "hear when your inputs get an answer. It is used for nothing else."),
             r._("Stop these e-mails:") + " " + stop_url]
    return subject, "\n".join(body) + "\n"
