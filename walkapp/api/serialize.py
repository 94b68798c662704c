"""Model → JSON for the API (one place, so the feed and the sync answer agree)."""

from walkapp.geo import to_geojson, walk_bbox
from walkapp.models import KINDS, Comment, Walk

KIND_LABELS = {
    "question": {"sv": "Fråga", "da": "Spørgsmål", "en": "Question"},
    "opinion": {"sv": "Åsikt", "da": "Holdning", "en": "Opinion"},
    "idea": {"sv": "Idé", "da": "Idé", "en": "Idea"},
}


def iso(dt) -> str | None:
    return dt.isoformat().replace("+00:00", "Z") if dt is not None else None


def walk_json(walk: Walk, cfg) -> dict:
    meeting = (walk.meeting_lon, walk.meeting_lat) if walk.meeting_lon is not None else None
    bbox = walk_bbox(walk.area, walk.route, meeting, cfg["OFFLINE_MARGIN_M"])
    muni = walk.municipality
    return {
        "join_code": walk.join_code,
        "title": walk.title,
        "locality": walk.locality,
        "starts_at": iso(walk.starts_at),
        "status": walk.status,
        "meeting_point": {
            "description": walk.meeting_point,
            "location": {"type": "Point", "coordinates": list(meeting)} if meeting else None,
        },
        "area": to_geojson(walk.area),
        "route": to_geojson(walk.route),
        "municipality": {"name": muni.name, "default_language": muni.default_language},
        "categories": [{"slug": c.slug, "labels": c.labels()} for c in muni.categories],
        "kinds": [{"slug": k, "labels": KIND_LABELS[k]} for k in KINDS],
        "tiles": {
            "url": cfg["TILE_URL"],
            "attribution": cfg["TILE_ATTRIBUTION"],
            "min_zoom": cfg["TILE_MIN_ZOOM"],
            "max_zoom": cfg["TILE_MAX_ZOOM"],
        },
        "offline": {
            "bbox": bbox,
            "min_zoom": cfg["OFFLINE_MIN_ZOOM"],
            "max_zoom": cfg["OFFLINE_MAX_ZOOM"],
            "max_tiles": cfg["OFFLINE_MAX_TILES"],
        },
    }


def _responses(c: Comment) -> list[dict]:
    return [{"status": h.status, "text": h.public_text, "at": iso(h.created_at)}
            for h in c.history if h.public_text]


def comment_json(c: Comment) -> dict:
    """A resident's own comment as their phone sees it: content, where it went, public answers.

    A comment merged into another as a duplicate shows the primary's status, department,
    promised date and answers: the resident behind it learns what happened all the same.
    """
    primary = c.merged_into or c
    responses = _responses(c) + (_responses(primary) if primary is not c else [])
    return {
        "id": str(c.id),
        "walk": c.walk.join_code if c.walk else None,
        "kind": c.kind,
        "category": c.category.slug,
        "text": c.text,
        "location": {"type": "Point", "coordinates": [c.lon, c.lat]},
        "accuracy_m": c.accuracy_m,
        "created_at": iso(c.created_at),
        "received_at": iso(c.received_at),
        "status": primary.status,
        "editable": c.editable,
        "merged": primary is not c,
        "department": primary.department.as_ref() if primary.department else None,
        "promised_at": primary.promised_on.isoformat() if primary.promised_on else None,
        "photos": [{"id": str(p.id), "stored": p.stored_at is not None} for p in c.photos],
        "responses": sorted(responses, key=lambda r: r["at"]),
        "changed_at": iso(c.changed_at),
    }
