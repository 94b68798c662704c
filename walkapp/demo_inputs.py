"""Realistic inputs for the demo's open walks, made the way real ones are. No Flask.

Residents' phones send them through walkapp.sync (routed by the real router), some with
photos (drawn with Pillow, stored through walkapp.photo_store) and a recorded track; then
departments and officials work on them through walkapp.workflow and walkapp.moderation, so
every status, answer, merge and hidden input has a real history. Deterministic (seeded
random), and only run when the demo municipality is first created.
"""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from datetime import datetime, timedelta

import shapely
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp import moderation, photos, router_cache, sync, workflow
from walkapp.history import Actor
from walkapp.models import Comment, Department, Device, Photo, Track, User, Walk

# category: (kind, text) a resident might say on a walk in a small Swedish town
TEXTS = {
    "roads": [("question", "När ska potthålen på {street} lagas?"),
              ("opinion", "Bilarna kör alldeles för fort förbi skolan på {street}."),
              ("idea", "Ett övergångsställe vid {place} skulle göra det tryggare."),
              ("opinion", "Trottoaren på {street} är så smal att rullatorn inte får plats.")],
    "lighting": [("question", "Gatlampan vid {place} har varit trasig i veckor. Vem lagar den?"),
                 ("idea", "Belysning längs gångvägen mot {place} skulle hjälpa på vintern."),
                 ("opinion", "Det är kolsvart på cykelvägen efter klockan fem.")],
    "parks": [("idea", "Fler bänkar i parken vid {place}, gärna med ryggstöd."),
              ("opinion", "Lekplatsen vid {place} behöver rustas upp."),
              ("idea", "Plantera fruktträd på gräsytan vid {place}."),
              ("question", "Vem ansvarar för sly och ogräs vid {place}?")],
    "housing": [("opinion", "Det behövs fler små lägenheter för oss äldre i {town}."),
                ("question", "Finns det planer på nya hyresrätter vid {place}?")],
    "shops_services": [("opinion", "Vi saknar en bankomat i {town}."),
                       ("idea", "Ett lördagstorg vid {place} skulle ge liv åt centrum.")],
    "public_transport": [("question", "Varför går sista bussen till Växjö redan 19.10?"),
                         ("opinion", "Busshållplatsen vid {place} saknar väderskydd.")],
    "broadband": [("question", "När kommer fibern till husen längs {street}?"),
                  ("opinion", "Mobiltäckningen är usel nere vid {place}.")],
    "safety": [("opinion", "Jag känner mig otrygg i gångtunneln vid {place} på kvällen."),
               ("idea", "Klipp buskarna vid {place} så att man ser vem som kommer.")],
    "culture_leisure": [("idea", "Öppna biblioteket på söndagar också."),
                        ("opinion", "Ungdomarna behöver en träffpunkt i {town}."),
                        ("idea", "Ett utegym vid idrottsplatsen, tack!")],
    "other": [("opinion", "Tack för att ni lyssnar på oss!"),
              ("question", "Hur får vi veta vad som händer med det vi säger i dag?")],
}
STREETS = ["Storgatan", "Järnvägsgatan", "Skolgatan", "Kyrkvägen", "Parkvägen", "Industrigatan"]
PLACES = ["torget", "skolan", "ICA", "kyrkan", "busstationen", "ån", "idrottsplatsen",
          "vårdcentralen", "badplatsen", "äldreboendet"]
ANSWERS = {
    "done": "Åtgärdat. Tack för att du hörde av dig!",
    "wont_do": "Vi har tittat på det men kan inte prioritera det i år. Frågan tas upp i "
               "budgetarbetet.",
}
# inputs per open walk (plus three near-duplicates and one to redact)
PLAN = {"ASEDA1": 64, "LENHOVDA": 44}
RESIDENTS = 14
PHOTOS = 7


def photo_jpeg(rng: random.Random) -> bytes:
    """A plain camera-like picture: sky, ground and a few shapes (no real scene)."""
    img = Image.new("RGB", (1200, 900), (150 + rng.randrange(60), 190, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 520, 1200, 900], fill=(90 + rng.randrange(40), 120, 70))
    for _ in range(6):
        x, y = rng.randrange(1100), rng.randrange(300, 800)
        draw.ellipse([x, y, x + 90, y + 90], fill=(rng.randrange(255), 80, 60))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _store_photo(session: Session, store, photo_id: uuid.UUID, data: bytes,
                 now: datetime) -> None:
    processed = photos.process(data, "image/jpeg", max_pixels=40_000_000, max_side=2048,
                               thumb_side=320)
    photo = session.get(Photo, photo_id)
    store.save(session, photo_id, processed)  # the photo row exists: the bytes may follow
    photo.stored_at, photo.width, photo.height = now, processed.width, processed.height
    photo.size_bytes, photo.sha256 = len(processed.jpeg), hashlib.sha256(data).hexdigest()


def _near(rng: random.Random, route: shapely.LineString, metres: float) -> tuple[float, float]:
    p = route.interpolate(rng.random(), normalized=True)
    dlat = metres / 111_320.0
    dlon = metres / 60_000.0
    return (round(p.x + rng.uniform(-dlon, dlon), 6), round(p.y + rng.uniform(-dlat, dlat), 6))


def _items(rng: random.Random, walk: Walk, n: int) -> list[dict]:
    town = walk.locality.split("-")[0]
    items, categories = [], list(TEXTS)
    for i in range(n):
        category = categories[i % len(categories)] if i < len(categories) else rng.choice(
            categories)
        kind, text = rng.choice(TEXTS[category])
        text = text.format(street=rng.choice(STREETS), place=rng.choice(PLACES), town=town)
        lon, lat = _near(rng, walk.route, 120)
        created = walk.starts_at + timedelta(minutes=rng.randrange(5, 110))
        items.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                      "walk": walk.join_code, "kind": kind, "category": category,
                      "text": text, "location": {"type": "Point", "coordinates": [lon, lat]},
                      "accuracy_m": round(rng.uniform(3, 25), 1),
                      "created_at": created.isoformat(), "photos": []})
    # Near-duplicates: three residents saw the same thing a few metres apart.
    for j in range(3):
        base = items[j * 7]
        lon, lat = base["location"]["coordinates"]
        items.append({**base, "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                      "text": base["text"].rstrip(".!?") + " – håller med!",
                      "location": {"type": "Point", "coordinates": [lon + 0.00012, lat]},
                      "created_at": (datetime.fromisoformat(base["created_at"])
                                     + timedelta(minutes=3)).isoformat()})
    items.append({**items[5], "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                  "text": "Ring mig på 070-123 45 67, jag bor på Storgatan 4: "
                          + items[5]["text"]})
    return items


def seed(session: Session, muni, now: datetime, store,
         rng: random.Random | None = None) -> int:
    """Inputs, photos, a track and their follow-up for every open walk; returns the count."""
    rng = rng or random.Random(2026)
    walks = session.scalars(select(Walk).where(Walk.municipality_id == muni.id,
                                               Walk.status == "open")).all()
    devices = []
    for _ in range(RESIDENTS):
        device, _token = Device.issue()
        devices.append(device)
    session.add_all(devices)
    session.commit()
    total = 0
    for walk in walks:
        n = PLAN.get(walk.join_code, 40)
        items = _items(rng, walk, n)
        with_photos = {items[i]["id"]: uuid.UUID(int=rng.getrandbits(128), version=4)
                       for i in rng.sample(range(len(items)), PHOTOS if store else 0)}
        for item in items:
            if item["id"] in with_photos:
                item["photos"] = [str(with_photos[item["id"]])]
        arrived = walk.starts_at + timedelta(hours=2)
        for k, device in enumerate(devices):
            batch = items[k::len(devices)]
            if batch:
                sync.apply_batch(session, device.id, batch, min(arrived, now),
                                 lambda w: router_cache.router_for(session, w.municipality))
        for photo_id in with_photos.values():
            _store_photo(session, store, photo_id, photo_jpeg(rng), min(arrived, now))
        session.add(Track(id=uuid.UUID(int=rng.getrandbits(128), version=4), walk_id=walk.id,
                          device_id=devices[0].id, content_hash="demo",
                          points=_track(rng, walk), received_at=min(arrived, now)))
        session.commit()
        _follow_up(session, walk, [uuid.UUID(i["id"]) for i in items], now, rng)
        total += len(items)
    return total


def _track(rng: random.Random, walk: Walk) -> list:
    t0 = walk.starts_at.timestamp()
    coords = list(walk.route.coords)
    return [[round(lon + rng.uniform(-4e-5, 4e-5), 6), round(lat + rng.uniform(-3e-5, 3e-5), 6),
             int(t0 + i * 240), round(rng.uniform(4, 12), 1)]
            for i, (lon, lat) in enumerate(coords)]


def _actors(session: Session, muni) -> tuple[Actor, dict[int, Actor]]:
    users = session.scalars(select(User).where(User.municipality_id == muni.id)).all()
    official = next(Actor.of(u) for u in users if u.role == "official")
    staff = {u.department_id: Actor.of(u) for u in users if u.role == "department"}
    for d in session.scalars(select(Department).where(Department.municipality_id == muni.id)):
        staff.setdefault(d.id, Actor(name=d.name, role="department", department_id=d.id))
    return official, staff


def _follow_up(session: Session, walk: Walk, ids: list[uuid.UUID], now: datetime,
               rng: random.Random) -> None:
    """What departments and officials did since the walk (the older walk got further)."""
    official, staff = _actors(session, walk.municipality)
    age = (now - walk.starts_at).days
    comments = [session.get(Comment, i) for i in ids]
    start = walk.starts_at + timedelta(days=1)
    for i, c in enumerate(comments[:-4]):
        actor = staff.get(c.department_id)
        if actor is None or c.status != "routed":
            continue
        roll = rng.random()
        when = min(start + timedelta(days=rng.randrange(0, max(age, 2))), now)
        today = when.date()
        if roll < 0.22 or (age < 7 and roll < 0.5):
            continue  # nobody has looked yet: overdue on the older walk
        workflow.move(session, c, "acknowledged", actor, when)
        if roll < 0.35:
            continue
        if roll < 0.55:
            workflow.move(session, c, "in_progress", actor, when)
            workflow.promise(session, c, today + timedelta(days=rng.choice([7, 14, 30])),
                             actor, when, today)
        elif roll < 0.75:
            workflow.move(session, c, "done", actor, when, public_text=ANSWERS["done"])
        elif roll < 0.83:
            workflow.move(session, c, "wont_do", actor, when, public_text=ANSWERS["wont_do"])
        elif roll < 0.93:
            workflow.move(session, c, "not_ours", actor, when,
                          note="Det här är inte vårt ansvar; prova Trafikverket.")
            if i % 2:  # the officials have rerouted some, the rest wait for them
                target = next(d for d in staff if d != c.department_id)
                moderation.reroute(session, c, target, "Fel mottagare, skickas vidare.",
                                   official, when)
        else:
            moderation.reply(session, c, "Tack! Vi tar med det till dialogmötet.", official,
                             when)
    dup_primary, dup, rude, phone = comments[0], comments[-4], comments[9], comments[-1]
    moderation.merge(session, dup_primary, [dup], official, now, note="Samma sak")
    moderation.hide(session, rude, "Innehåller personangrepp.", official, now)
    moderation.redact(session, phone, phone.text.split(": ", 1)[1], official, now)
    moderation.note(session, comments[2], "Ta upp på dialogmötet.", official, now)
    session.commit()
