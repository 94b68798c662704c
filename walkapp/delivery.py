"""Durable delivery: the outbox, written with the event it announces, and the worker that
empties it. No Flask here.

Writing. `department_rows` and `tell_residents` make outbox rows for an event. sync.py inserts
department rows in bulk beside its routing decisions; history.record adds rows beside the
history row. Same transaction: nothing is announced that did not happen, and nothing
happens without being announced.

Sending (`walkapp deliver`). `run_once` claims one unit at a time (one row, or one
department's due digest rows), composes the message and commits the claim (state "sending",
attempts + 1, a claim token, leased until next_attempt_at); then it sends with no
transaction open and records the outcome in a second short transaction, under its claim.
On PostgreSQL the claim takes rows FOR UPDATE SKIP LOCKED, so several workers never take or
wait on each other's rows; on SQLite every transaction begins IMMEDIATE
(walkapp/database.py), so claims queue behind its one write lock.

A worker that dies leaves its claim "sending" until the lease ends. A webhook or push row is
then sent again with the same idempotency key (webhook-id, push Topic) and the receiver
drops the repeat. An e-mail row is not: its claim was recorded before sending and mail has
no key receivers honour, so it ends "failed" as possibly sent (mailer.UNSURE) for an admin
to check and retry. That is the one window, from the claim to the SMTP server's answer.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from walkapp import mailer, notices, push, webhooks
from walkapp.labels import N_
from walkapp.models import Comment, Delivery, Department, Device, utcnow
from walkapp.outcome import Outcome

log = logging.getLogger(__name__)

# Mail is sent at most once by itself (see above); webhooks and push at least once, deduped.
MAIL_CHANNELS = ("email", "digest", "resident_email")
# Residents are told a little after a change, so a quick run of changes makes one notice.
NOTIFY_DELAY = timedelta(minutes=2)
STOP_SALT = "stop-resident-email"

RESENT = N_("The worker stopped before it recorded the outcome; sent again with the same "
            "idempotency key.")
DEPARTMENT_GONE = N_("The department no longer exists.")
NO_EMAIL = N_("The department no longer gets inputs by e-mail.")
NO_WEBHOOK = N_("The department no longer has a webhook.")
NO_SECRET = N_("The webhook has no secret yet: make one on the department's delivery settings.")
MOVED = N_("The input went to another department before the digest was sent.")
NO_PUSH = N_("The resident turned notifications off.")
NO_ADDRESS = N_("The resident removed their e-mail address.")
SUPERSEDED = N_("A newer notice about the same input replaced this one.")
PURGED = N_("Its content was removed after the retention period; it cannot be sent any more.")
# Our own words among the errors (msgids, shown translated); the rest are a server's words.
OUR_ERRORS = frozenset({
    RESENT, DEPARTMENT_GONE, NO_EMAIL, NO_WEBHOOK, NO_SECRET, MOVED, NO_PUSH, NO_ADDRESS,
    SUPERSEDED, PURGED, mailer.NOT_CONFIGURED, mailer.UNSURE, push.GONE})


# --- writing the outbox ----------------------------------------------------------------------

def _row(municipality_id: int, comment_id, event: str, channel: str, now: datetime,
         due: datetime, **extra) -> dict:
    return {"key": uuid.uuid4().hex, "municipality_id": municipality_id,
            "comment_id": comment_id, "event": event, "channel": channel, "state": "pending",
            "attempts": 0, "next_attempt_at": due, "created_at": now, "updated_at": now,
            "department_id": None, "device_id": None, "payload": None, **extra}


def next_digest(now: datetime, hour: int, timezone: str) -> datetime:
    """The next time the clock in the municipality shows hour:00."""
    local = now.astimezone(ZoneInfo(timezone))
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)  # wall-clock arithmetic: 07:00 stays 07:00 across DST
    return at.astimezone(UTC)


def department_rows(department: Department, timezone: str, comment_id, event: str,
                    payload: dict, now: datetime) -> list[dict]:
    """Rows telling a department of an input routed (or rerouted) to it, by its settings:
    an e-mail now or in the next digest, and a webhook if it has an endpoint."""
    row = partial(_row, department.municipality_id, comment_id, event, now=now,
                  department_id=department.id, payload=payload)
    rows = []
    if department.email and department.email_mode == "immediate":
        rows.append(row(channel="email", due=now))
    elif department.email and department.email_mode == "digest":
        rows.append(row(channel="digest",
                        due=next_digest(now, department.digest_hour, timezone)))
    if department.webhook_url:
        rows.append(row(channel="webhook", due=now))
    return rows


def tell_department(session: Session, comment: Comment, department_id: int, event: str,
                    now: datetime) -> None:
    """Queue the messages for a route or reroute of `comment` to `department_id`."""
    department = session.get(Department, department_id)
    if department is None:
        return
    payload = notices.input_event(comment, comment.walk, comment.category, department, event,
                                  now)
    rows = department_rows(department, department.municipality.timezone, comment.id, event,
                           payload, now)
    session.add_all(Delivery(**row) for row in rows)


def tell_residents(session: Session, comment: Comment, event: str, now: datetime) -> None:
    """Queue notices for the residents behind `comment` (and behind inputs merged into it)
    who asked to hear of answers, by push and/or e-mail."""
    opted_in = (
        select(Comment.id, Device.id, Device.push_endpoint, Device.contact_email)
        .join(Device, Comment.device_id == Device.id)
        .where(or_(Comment.id == comment.id, Comment.merged_into_id == comment.id))
        .where(or_(Device.push_endpoint.is_not(None), Device.contact_email.is_not(None))))
    due = now + NOTIFY_DELAY
    for comment_id, device_id, endpoint, email in session.execute(opted_in).all():
        for channel, wanted in (("push", endpoint), ("resident_email", email)):
            if wanted:
                session.add(Delivery(**_row(
                    comment.municipality_id, comment_id, event, channel, now, due,
                    device_id=device_id, payload={"status": comment.status})))


# --- the worker ------------------------------------------------------------------------------

# Where links point when WALKAPP_PUBLIC_URL is not set (a worker has no request to ask).
LOCAL_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Settings:
    public_url: str
    translations: Callable[[str], object]  # language -> gettext-like translations
    smtp: mailer.SmtpConfig
    push: push.PushConfig
    secret_key: str
    max_attempts: int = 8
    backoff: float = 60.0
    backoff_max: float = 6 * 3600.0
    timeout: float = 15.0
    lease: float = 120.0
    secret_grace: timedelta = timedelta(hours=24)

    @classmethod
    def from_config(cls, cfg, translations: Callable[[str], object]) -> Settings:
        return cls(public_url=cfg["PUBLIC_URL"] or LOCAL_URL, translations=translations,
                   smtp=mailer.SmtpConfig.from_config(cfg),
                   push=push.PushConfig.from_config(cfg), secret_key=cfg["SECRET_KEY"],
                   max_attempts=cfg["DELIVERY_MAX_ATTEMPTS"],
                   backoff=max(1.0, cfg["DELIVERY_BACKOFF_SECONDS"]),
                   backoff_max=cfg["DELIVERY_BACKOFF_MAX_SECONDS"],
                   timeout=cfg["DELIVERY_TIMEOUT_SECONDS"],
                   lease=cfg["DELIVERY_LEASE_SECONDS"],
                   secret_grace=timedelta(hours=cfg["WEBHOOK_SECRET_GRACE_HOURS"]))

    def delay(self, attempts: int) -> timedelta:
        """Exponential backoff with ±10 % jitter, so a receiver back up is not hit at once."""
        seconds = min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_max)
        return timedelta(seconds=seconds * random.uniform(0.9, 1.1))

    def stop_url(self, device_id: str, email: str, language: str) -> str:
        token = URLSafeSerializer(self.secret_key, salt=STOP_SALT).dumps([device_id, email])
        return f"{self.public_url}/notifications/stop/{token}?lang={language}"


def read_stop_token(secret_key: str, token: str) -> tuple[str, str] | None:
    """(device id, address) from a resident's stop link, or None if it is not ours."""
    try:
        device_id, email = URLSafeSerializer(secret_key, salt=STOP_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(device_id), str(email)


@dataclass
class Job:
    """One claimed unit, composed while the rows were locked; sending needs nothing else."""

    claim: str
    ids: list[int]
    attempts: int
    send: Callable[[], Outcome] | None = None
    outcome: Outcome | None = None          # decided while claiming: nothing to send
    dropped: dict[int, str] = field(default_factory=dict)  # digest rows cancelled, why
    batch_key: str | None = None
    device_id: str | None = None
    endpoint: str | None = None


def run_once(session: Session, settings: Settings, clock: Callable[[], datetime] = utcnow,
             stop: Callable[[], bool] = lambda: False) -> Counter:
    """Send everything due now, one unit at a time; counts rows by outcome."""
    counts: Counter = Counter()
    recover(session, clock())
    due_by = clock()  # rows that come due while we work wait for the next run
    while not stop():
        job = claim(session, settings, clock(), due_by)
        if job is None:
            break
        outcome = job.outcome or _attempt(job)
        counts[finish(session, settings, job, outcome, clock())] += len(job.ids) - len(
            job.dropped)
        if job.dropped:
            counts["cancelled"] += len(job.dropped)
    return counts


def run_forever(session: Session, settings: Settings, interval: float,
                stopping: threading.Event, clock: Callable[[], datetime] = utcnow) -> None:
    """`walkapp deliver --loop`: run, then wait `interval` seconds when there was nothing to
    do. A stop request lets the unit in hand finish first."""
    while not stopping.is_set():
        try:
            counts = run_once(session, settings, clock, stopping.is_set)
        except Exception:  # the database went away, say: log, wait, try again
            log.exception("delivery run failed")
            session.rollback()
            counts = Counter()
        if counts:
            log.info("delivery: %s", dict(counts))
        else:
            stopping.wait(interval)


def _attempt(job: Job) -> Outcome:
    try:
        return job.send()
    except Exception as err:  # a bug in composing bytes, say: never lose the row over it
        log.exception("delivery %s failed unexpectedly", job.ids)
        return Outcome.retry(f"{err.__class__.__name__}: {err}")


def recover(session: Session, now: datetime) -> None:
    """Claims whose worker died: webhooks and push go out again, e-mails go to the admins."""
    stale = (Delivery.state == "sending") & (Delivery.next_attempt_at <= now)
    session.execute(update(Delivery).where(stale, Delivery.channel.in_(MAIL_CHANNELS))
                    .values(state="failed", claim=None, last_error=mailer.UNSURE,
                            updated_at=now))
    session.execute(update(Delivery).where(stale, Delivery.channel.not_in(MAIL_CHANNELS))
                    .values(state="pending", claim=None, next_attempt_at=now,
                            last_error=RESENT, updated_at=now))
    session.commit()


def _claim_rows(session: Session, due_by: datetime) -> list[Delivery]:
    due = (Delivery.state == "pending") & (Delivery.next_attempt_at <= due_by)
    # A digest takes all of one department's due rows at once; the department row is the
    # lock, so two workers never split one digest between them.
    department_id = session.scalar(
        select(Department.id)
        .where(Department.id.in_(select(Delivery.department_id)
                                 .where(due, Delivery.channel == "digest")))
        .order_by(Department.id).limit(1).with_for_update(skip_locked=True))
    if department_id is not None:
        return list(session.scalars(
            select(Delivery).where(due, Delivery.channel == "digest",
                                   Delivery.department_id == department_id)
            .order_by(Delivery.id).with_for_update(skip_locked=True)))
    return list(session.scalars(
        select(Delivery)
        .where(due, or_(Delivery.channel != "digest", Delivery.department_id.is_(None)))
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(1)
        .with_for_update(skip_locked=True)))


def claim(session: Session, settings: Settings, now: datetime,
          due_by: datetime) -> Job | None:
    """Claim and compose the next due unit, and commit the claim (before anything is sent)."""
    try:
        rows = _claim_rows(session, due_by)
        if not rows:
            session.commit()
            return None
        job = Job(claim=uuid.uuid4().hex, ids=[r.id for r in rows],
                  attempts=max(r.attempts for r in rows) + 1)
        for row in rows:
            row.state, row.claim, row.attempts = "sending", job.claim, row.attempts + 1
            row.next_attempt_at = now + timedelta(seconds=settings.lease)
            row.updated_at = now
        try:
            COMPOSE[rows[0].channel](session, settings, rows, job)
        except Exception as err:  # never claim a row we cannot compose again and again
            log.exception("cannot compose delivery %s", job.ids)
            job.outcome = Outcome.failed(f"{err.__class__.__name__}: {err}")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return job


def finish(session: Session, settings: Settings, job: Job, outcome: Outcome,
           now: datetime) -> str:
    """Record the outcome, only if the claim is still ours (a lease may have run out).
    Returns what became of the rows: sent, retry (later), failed or cancelled."""
    values: dict = {"updated_at": now, "claim": None, "last_error": outcome.error}
    if outcome.state == "sent":
        values |= {"state": "sent", "sent_at": now, "batch_key": job.batch_key}
    elif outcome.state == "retry" and job.attempts < settings.max_attempts:
        values |= {"state": "pending", "next_attempt_at": now + settings.delay(job.attempts)}
    elif outcome.state in ("retry", "failed"):
        values |= {"state": "failed"}
    else:
        values |= {"state": "cancelled"}
    ours = Delivery.claim == job.claim
    told = [i for i in job.ids if i not in job.dropped]
    if session.execute(update(Delivery).where(Delivery.id.in_(told), ours)
                       .values(**values)).rowcount != len(told):
        log.warning("delivery %s: the claim ran out before the outcome was recorded", told)
    for row_id, reason in job.dropped.items():
        session.execute(update(Delivery).where(Delivery.id == row_id, ours).values(
            state="cancelled", claim=None, last_error=reason, updated_at=now))
    if outcome.gone:
        session.execute(update(Device).where(Device.id == job.device_id,
                                             Device.push_endpoint == job.endpoint)
                        .values(push_endpoint=None, push_keys=None, push_at=None))
    session.commit()
    return "retry" if values["state"] == "pending" else values["state"]


def retry(session: Session, ids: list[int], now: datetime) -> int:
    """An admin sends failed deliveries again: a fresh round of attempts, same keys."""
    return session.execute(
        update(Delivery).where(Delivery.id.in_(ids), Delivery.state == "failed")
        .values(state="pending", attempts=0, next_attempt_at=now, updated_at=now,
                claim=None)).rowcount


# --- composing, per channel (inside the claim's transaction) ---------------------------------

def _reader(settings: Settings, language: str | None, municipality) -> notices.Reader:
    lang = language or municipality.default_language
    return notices.Reader(settings.translations(lang), lang, municipality.timezone)


def _department(rows: list[Delivery], job: Job, *, needs_email: bool) -> Department | None:
    department = rows[0].department
    if any(row.payload is None for row in rows):  # `walkapp purge` emptied it
        job.outcome = Outcome.cancelled(PURGED)
    elif department is None:
        job.outcome = Outcome.cancelled(DEPARTMENT_GONE)
    elif needs_email and (department.email_mode == "off" or not department.email):
        job.outcome = Outcome.cancelled(NO_EMAIL)
    else:
        return department
    return None


def _mail(settings: Settings, row: Delivery, job: Job, to: str, subject: str, body: str,
          language: str, key: str, headers: dict | None = None) -> None:
    row.recipient = to
    msg = mailer.compose(settings.smtp.sender, to, subject, body, key, language, headers)
    job.send = partial(mailer.send, settings.smtp, msg)


def _compose_email(session: Session, settings: Settings, rows: list[Delivery],
                   job: Job) -> None:
    (row,) = rows
    department = _department(rows, job, needs_email=True)
    if department is None:
        return
    r = _reader(settings, department.language, department.municipality)
    subject, body = notices.department_email(r, row.payload, settings.public_url)
    _mail(settings, row, job, department.email, subject, body, r.language, row.key)


def _compose_digest(session: Session, settings: Settings, rows: list[Delivery],
                    job: Job) -> None:
    department = _department(rows, job, needs_email=True)
    if department is None:
        return
    kept = []
    for row in rows:
        comment = session.get(Comment, row.comment_id)
        if comment is None or comment.department_id != department.id:
            job.dropped[row.id] = MOVED
        else:
            kept.append(row)
    if not kept:
        job.outcome = Outcome.cancelled(MOVED)
        return
    r = _reader(settings, department.language, department.municipality)
    subject, body = notices.digest_email(r, department.name, [k.payload for k in kept],
                                         settings.public_url)
    job.batch_key = kept[0].key  # the same rows make the same Message-ID on a retry
    for row in kept[1:]:
        row.recipient = department.email
    _mail(settings, kept[0], job, department.email, subject, body, r.language, job.batch_key)


def _compose_webhook(session: Session, settings: Settings, rows: list[Delivery],
                     job: Job) -> None:
    (row,) = rows
    department = _department(rows, job, needs_email=False)
    if department is None:
        return
    if not department.webhook_url:
        job.outcome = Outcome.cancelled(NO_WEBHOOK)
        return
    secrets = [s for s in (department.webhook_secret, _previous_secret(department, settings))
               if s]
    if not secrets:
        job.outcome = Outcome.retry(NO_SECRET)
        return
    row.recipient = department.webhook_url
    body = webhooks.body(notices.webhook_event(row.payload, row.key, settings.public_url))
    job.send = partial(webhooks.post, department.webhook_url, body, row.key, secrets,
                       settings.timeout)


def _previous_secret(department: Department, settings: Settings) -> str | None:
    at = department.webhook_secret_at
    if at is None or utcnow() - at > settings.secret_grace:
        return None
    return department.webhook_secret_previous


def _resident(session: Session, rows: list[Delivery], job: Job):
    """(row, device, comment) of a resident's notice, or None with the job's outcome set."""
    (row,) = rows
    device = session.get(Device, row.device_id) if row.device_id else None
    comment = session.get(Comment, row.comment_id)
    newer = session.scalar(
        select(Delivery.id).where(Delivery.device_id == row.device_id,
                                  Delivery.comment_id == row.comment_id,
                                  Delivery.channel == row.channel, Delivery.id > row.id,
                                  Delivery.state != "cancelled").limit(1))
    if device is None or comment is None or comment.walk is None:
        job.outcome = Outcome.cancelled(NO_PUSH if row.channel == "push" else NO_ADDRESS)
    elif newer is not None:
        job.outcome = Outcome.cancelled(SUPERSEDED)
    else:
        return row, device, comment
    return None


def _news(comment: Comment) -> notices.News:
    primary = comment.merged_into or comment
    return notices.News(
        comment_id=str(comment.id), walk_code=comment.walk.join_code,
        walk_title=comment.walk.title, text=comment.text, status=primary.status,
        answer=primary.answer, department=primary.department.name if primary.department
        else None, promised_on=primary.promised_on)


def _compose_push(session: Session, settings: Settings, rows: list[Delivery],
                  job: Job) -> None:
    found = _resident(session, rows, job)
    if found is None:
        return
    row, device, comment = found
    subscription = device.push_subscription
    if subscription is None:
        job.outcome = Outcome.cancelled(NO_PUSH)
        return
    r = _reader(settings, device.language, comment.walk.municipality)
    message = notices.push_message(r, _news(comment))
    row.recipient = urlsplit(subscription["endpoint"]).hostname  # the service, not the phone
    job.device_id, job.endpoint = device.id, subscription["endpoint"]
    job.send = partial(push.send, settings.push, subscription, message, row.key)


def _compose_resident_email(session: Session, settings: Settings, rows: list[Delivery],
                            job: Job) -> None:
    found = _resident(session, rows, job)
    if found is None:
        return
    row, device, comment = found
    if not device.contact_email:
        job.outcome = Outcome.cancelled(NO_ADDRESS)
        return
    r = _reader(settings, device.language, comment.walk.municipality)
    stop = settings.stop_url(device.id, device.contact_email, r.language)
    subject, body = notices.resident_email(r, _news(comment), settings.public_url, stop)
    # RFC 8058: mail programs offer a one-click "unsubscribe" that POSTs to the stop link.
    headers = {"List-Unsubscribe": f"<{stop}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    _mail(settings, row, job, device.contact_email, subject, body, r.language, row.key,
          headers)


COMPOSE = {"email": _compose_email, "digest": _compose_digest, "webhook": _compose_webhook,
           "push": _compose_push, "resident_email": _compose_resident_email}
