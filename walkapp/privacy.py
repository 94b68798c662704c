"""A resident's personal data: erasure on request and removal after the retention. No Flask.

Personal data is optional: a contact e-mail and a push subscription (given to hear of
answers), a recorded route. Submitted inputs are public records: they are kept (staff may
hide them) but lose every link to the phone that sent them; inputs no official has reviewed
yet are drafts and go with the device.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, selectinload

from walkapp.models import Comment, Delivery, Device, Track

FINISHED = ("sent", "failed", "cancelled")


@dataclass
class Erasure:
    drafts_deleted: int = 0
    inputs_kept: int = 0
    photo_ids: list[uuid.UUID] = field(default_factory=list)  # files to delete after commit


def erase_device(session: Session, device: Device) -> Erasure:
    """Delete the device with its drafts, routes, notification settings and notices; keep
    its submitted inputs without a link to it. The caller commits, then deletes photo_ids."""
    out = Erasure()
    comments = session.scalars(select(Comment).where(Comment.device_id == device.id)
                               .options(selectinload(Comment.photos))).all()
    for comment in comments:
        if comment.editable:
            out.photo_ids += [p.id for p in comment.photos]
            session.delete(comment)  # its photos, history and deliveries go with it
            out.drafts_deleted += 1
    session.flush()
    out.inputs_kept = session.execute(update(Comment).where(Comment.device_id == device.id)
                                      .values(device_id=None)).rowcount
    session.execute(delete(Track).where(Track.device_id == device.id))
    session.execute(delete(Delivery).where(Delivery.device_id == device.id))
    session.delete(device)  # with it the token: the phone is a stranger from now on
    return out


def purge(session: Session, now: datetime, personal_days: int,
          payload_days: int) -> dict[str, int]:
    """Remove personal data older than its retention: contact e-mails and push subscriptions
    given more than personal_days ago, and the payloads and recipients of finished deliveries
    older than payload_days (the rows stay, as the record that something was sent)."""
    given_before = now - timedelta(days=personal_days)
    emails = session.execute(
        update(Device).where(Device.contact_email_at < given_before)
        .values(contact_email=None, contact_email_at=None)).rowcount
    pushes = session.execute(
        update(Device).where(Device.push_at < given_before)
        .values(push_endpoint=None, push_keys=None, push_at=None)).rowcount
    finished_before = now - timedelta(days=payload_days)
    payloads = session.execute(
        update(Delivery)
        .where(Delivery.state.in_(FINISHED), Delivery.updated_at < finished_before,
               or_(Delivery.payload.is_not(None), Delivery.recipient.is_not(None)))
        .values(payload=None, recipient=None)).rowcount
    return {"contact_emails": emails, "push_subscriptions": pushes,
            "delivery_payloads": payloads}
