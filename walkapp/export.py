"""Comments out as GeoJSON for GIS tools. No Flask; no device ids (residents stay anonymous)."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from walkapp.api.serialize import iso
from walkapp.models import Comment, Walk


def comments_feature_collection(session: Session, join_code: str | None = None) -> dict:
    query = (select(Comment).join(Walk)
             .options(selectinload(Comment.category), selectinload(Comment.department),
                      selectinload(Comment.walk), selectinload(Comment.photos))
             .order_by(Walk.join_code, Comment.created_at))
    if join_code:
        query = query.where(Walk.join_code == join_code.upper())
    features = [
        {
            "type": "Feature",
            "id": str(c.id),
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {
                "walk": c.walk.join_code, "kind": c.kind, "category": c.category.slug,
                "text": c.text, "accuracy_m": c.accuracy_m, "created_at": iso(c.created_at),
                "received_at": iso(c.received_at), "status": c.status,
                "department": c.department.slug if c.department else None,
                "photos": sum(1 for p in c.photos if p.stored_at is not None),
            },
        }
        for c in session.scalars(query)
    ]
    return {"type": "FeatureCollection", "features": features}
