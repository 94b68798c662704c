"""The Uppvidinge demo municipality: walks, categories, departments, service areas, staff.

No Flask: `seed(session)` takes a SQLAlchemy session and commits. Geography is approximate
(real localities and state roads, hand-drawn boundary); shapes are drawn in metres in
SWEREF 99 TM and stored in lon/lat. Everything here is demo data, including the logins.
"""

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp import demo_inputs
from walkapp.models import Category, Department, Municipality, ServiceArea, User, Walk, utcnow
from walkapp.organisation import DEFAULT_CATEGORIES
from walkapp.router_cache import areas_changed
from walkapp.routing import geodesic_area_m2, validate_area_geometry

SLUG = "uppvidinge"
DEMO_PASSWORD = "demo-only-not-secret"  # noqa: S105  (public on purpose; WALKAPP_DEMO_PASSWORD)
ROAD_BUFFER_M = 30.0

# Rough municipal boundary (lon, lat), drawn around the real one (≈ 1 200 km²).
BOUNDARY = [
    (15.07, 57.03), (15.06, 57.10), (15.09, 57.19), (15.18, 57.245), (15.32, 57.27),
    (15.46, 57.26), (15.58, 57.22), (15.70, 57.15), (15.73, 57.05), (15.68, 56.95),
    (15.58, 56.92), (15.45, 56.92), (15.31, 56.945), (15.18, 56.975), (15.07, 57.03),
]

# name: centre (lon, lat) and the urban area's width × height in metres (an ellipse).
LOCALITIES = {
    "Åseda": ((15.345, 57.168), 3400, 2600),
    "Lenhovda": ((15.283, 57.001), 2600, 2200),
    "Alstermo": ((15.617, 56.967), 2200, 1600),
    "Norrhult-Klavreström": ((15.155, 57.132), 3800, 1800),
    "Älghult": ((15.562, 57.010), 1800, 1400),
}

# join code, locality, title, days from now, meeting point, status. The open walks took
# place already (inputs came in, departments are working on them: some are overdue); the
# planned ones lie ahead.
WALKS = [
    ("ASEDA1", "Åseda", "Samhällsvandring i Åseda", -40, "Torget vid Storgatan", "open"),
    ("LENHOVDA", "Lenhovda", "Samhällsvandring i Lenhovda", -3,
     "Parkeringen vid Lenhovda kyrka", "open"),
    ("ALSTERMO", "Alstermo", "Samhällsvandring i Alstermo", 21,
     "Busshållplatsen i centrum", "planned"),
    ("NORRHULT", "Norrhult-Klavreström", "Samhällsvandring i Norrhult-Klavreström", 28,
     "Vid skolan i Norrhult", "planned"),
    ("ALGHULT", "Älghult", "Samhällsvandring i Älghult", 35, "Vid Älghults kyrka", "planned"),
]
WALK_START_UTC = time(15, 30, tzinfo=UTC)  # after work: 17:30 in Swedish summer, 16:30 in winter
WALK_AREA_M = (1800, 1400)  # width × height of the ellipse a walk covers
ROUTE_RADIUS_M = 550


# slug, name, kind, email, description
DEPARTMENTS = [
    ("gata-park", "Gata/park, Uppvidinge kommun", "municipal", "gata-park@uppvidinge.example",
     "Gator, gång- och cykelvägar, belysning och parker i tätorterna."),
    ("kultur-fritid", "Kultur och fritid, Uppvidinge kommun", "municipal",
     "kultur-fritid@uppvidinge.example", "Bibliotek, idrottsplatser och fritidsverksamhet."),
    ("uppvidingehus", "Uppvidingehus AB", "external", "felanmalan@uppvidingehus.example",
     "Det kommunala bostadsbolaget: lägenheter, gårdar och utemiljö."),
    ("stadsnat", "Uppvidinge Stadsnät", "external", "kundservice@uppvidinge-stadsnat.example",
     "Fibernät och bredband i hela kommunen."),
    ("trafikverket", "Trafikverket", "external", "region-syd@trafikverket.example",
     "Väghållare för de statliga vägarna (väg 23, 31 och 37)."),
    ("polisen", "Polisen", "external", "uppvidinge@polisen.example",
     "Lokalpolisområde; brott och ordningsstörningar."),
    ("kundtjanst", "Kundtjänst / Kontaktcenter, Uppvidinge kommun", "municipal",
     "kontaktcenter@uppvidinge.example", "Tar emot allt som ingen annan ansvarar för."),
]
FALLBACK = "kundtjanst"

# Who answers what, by priority (higher wins where areas overlap): the state road itself
# (20) before a housing estate (10) before a sports ground or library (5) before the
# municipality-wide bodies (2, 1) before the streets unit's urban areas (0). Safety goes
# to the police, except on a housing estate where the landlord takes it; categories no
# area accepts (shops_services, other, housing off the estates) go to customer service.
STREETS_CATEGORIES = ["roads", "lighting", "parks"]
ESTATE_CATEGORIES = ["housing", "roads", "lighting", "parks", "safety"]
PLACE_CATEGORIES = ["culture_leisure", "parks"]
ROAD_CATEGORIES = ["roads", "lighting", "public_transport"]

# locality, name, offset east/north of the centre and width × height, in metres
ESTATES = [
    ("Åseda", "Kv. Björken", 450, 350, 220, 160),
    ("Åseda", "Kv. Linden", -520, -150, 180, 140),
    ("Lenhovda", "Kv. Eken", -300, 250, 200, 150),
    ("Alstermo", "Kv. Lönnen", 250, -200, 160, 120),
]
PLACES = [
    ("Åseda", "Uppvidinge bibliotek, Åseda", 150, 90, 80, 60),
    ("Åseda", "Åseda idrottsplats", -350, 520, 260, 180),
    ("Lenhovda", "Lenhovda idrottsplats", 350, -350, 240, 170),
    ("Lenhovda", "Lenhovda bibliotek", -80, -100, 60, 50),
]

# State roads (approximate): 23/37 from Växjö via Norrhult to Åseda, where they part for
# Virserum (23) and Oskarshamn (37); 31 from Vetlanda via Norrhult and Lenhovda southwards.
STATE_ROADS = [
    ("Väg 23/37", [(15.00, 57.085), (15.10, 57.115), (15.165, 57.138), (15.23, 57.150),
                   (15.30, 57.159), (15.33, 57.161), (15.35, 57.160), (15.375, 57.162),
                   (15.42, 57.170)]),
    ("Väg 23", [(15.42, 57.170), (15.48, 57.220), (15.54, 57.280), (15.57, 57.33)]),
    ("Väg 37", [(15.42, 57.170), (15.55, 57.190), (15.70, 57.200), (15.85, 57.205)]),
    ("Väg 31", [(15.06, 57.30), (15.12, 57.20), (15.165, 57.138), (15.21, 57.08),
                (15.26, 57.03), (15.295, 57.005), (15.30, 56.985), (15.33, 56.93),
                (15.36, 56.88)]),
]

# email, name, role, department slug
USERS = [
    ("tjansteperson@uppvidinge.example", "Tjänsteperson (demo)", "official", None),
    ("handlaggare.gatapark@uppvidinge.example", "Handläggare Gata/park (demo)", "department",
     "gata-park"),
    ("forvaltare@uppvidingehus.example", "Förvaltare Uppvidingehus (demo)", "department",
     "uppvidingehus"),
]

_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)  # SWEREF 99 TM
_TO_LL = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


def _reproject(geom, transformer: Transformer):
    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _to_lonlat(geom_m):
    return shapely.set_precision(_reproject(geom_m, _TO_LL), 1e-6)


def _centre_m(locality: str) -> tuple[float, float]:
    (lon, lat), _w, _h = LOCALITIES[locality]
    return _TO_M.transform(lon, lat)


def ellipse(locality: str, width_m: float, height_m: float, n: int = 24) -> shapely.Polygon:
    """An ellipse around a locality's centre, sized in metres."""
    x, y = _centre_m(locality)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([x + width_m / 2 * np.cos(t), y + height_m / 2 * np.sin(t)])
    return _to_lonlat(shapely.Polygon(ring))


def block(locality: str, east_m: float, north_m: float, width_m: float, height_m: float):
    """A rectangle whose centre lies east_m/north_m from the locality's centre."""
    x, y = _centre_m(locality)
    x, y = x + east_m, y + north_m
    return _to_lonlat(shapely.box(x - width_m / 2, y - height_m / 2,
                                  x + width_m / 2, y + height_m / 2))


def loop_route(locality: str, radius_m: float, turn: float) -> shapely.LineString:
    """A walking loop from the centre out and back: 12 points, radius varies for realism."""
    x, y = _centre_m(locality)
    t = turn + np.linspace(0, 2 * np.pi, 10, endpoint=False)
    r = radius_m * np.array([0.5, 0.9, 1.0, 0.7, 0.85, 1.0, 0.6, 0.95, 0.8, 0.55])
    pts = [(x, y), *zip(x + r * np.cos(t), y + r * np.sin(t), strict=True), (x, y)]
    return _to_lonlat(shapely.LineString(pts))


def road_area(line: list[tuple[float, float]], boundary) -> shapely.Geometry:
    """A state road as a band ROAD_BUFFER_M metres either side, cut to the municipality."""
    band = _reproject(shapely.LineString(line), _TO_M).buffer(ROAD_BUFFER_M)
    return shapely.intersection(_to_lonlat(band), boundary)


@dataclass(frozen=True)
class DemoWalk:
    join_code: str
    title: str
    locality: str
    starts_at: datetime
    status: str


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    department: str | None


@dataclass(frozen=True)
class DemoInfo:
    municipality: str
    walks: tuple[DemoWalk, ...]
    logins: tuple[DemoLogin, ...]
    password: str | None  # None: the accounts keep a password set by an earlier seed
    created: bool = field(default=False, compare=False)

    def describe(self, base_url: str) -> str:
        """What `walkapp demo` prints: where to go and how to sign in."""
        base = base_url.rstrip("/")
        state = "seeded" if self.created else "already present, nothing changed"
        lines = [f"walkapp demo: {self.municipality} ({state})", "",
                 f"  App:            {base}/",
                 f"  Staff sign-in:  {base}/login",
                 f"  Review map:     {base}/review/map",
                 f"  Walks:          {base}/review/",
                 f"  API (OpenAPI):  {base}/api/v1/openapi.json", "",
                 "Walks (residents open the link or type the join code):"]
        for w in self.walks:
            when = w.starts_at.strftime("%Y-%m-%d %H:%M UTC")
            lines += [f"  {w.join_code:<9} {w.title}",
                      f"            {w.locality} · {when} · {w.status}",
                      f"            {base}/w/{w.join_code}"]
            if w.status != "planned":
                lines += [f"            report: {base}/review/walks/{w.join_code}/report"]
        password = self.password or "(unchanged since the demo was first seeded)"
        lines += ["", f"Demo logins (password: {password}):"]
        for login in self.logins:
            who = f"{login.role}, {login.department}" if login.department else login.role
            lines.append(f"  {login.email:<42} {who}")
        lines += ["", "WARNING: these accounts are for demonstration only. Never use them, or this",
                  "password, on a server others can reach (WALKAPP_DEMO_PASSWORD sets another)."]
        return "\n".join(lines)


def seed(session: Session, password: str | None = None, now: datetime | None = None,
         photos=None, with_inputs: bool = True) -> DemoInfo:
    """Create the demo municipality with its inputs and commit; if it exists already, change
    nothing. Without a photo store (walkapp.photo_store) the inputs come without photos."""
    password = password or os.environ.get("WALKAPP_DEMO_PASSWORD") or DEMO_PASSWORD
    muni = session.scalar(select(Municipality).where(Municipality.slug == SLUG))
    created = muni is None
    if created:
        now = now or utcnow()
        muni = _build(session, password, now)
        session.commit()
        if with_inputs:
            demo_inputs.seed(session, muni, now, photos)
    info = _info(session, muni, password, created)
    # Commit even when nothing changed: it ends the read transaction, and on SQLite walkapp
    # begins every transaction IMMEDIATE, so an open one would lock out the server's threads.
    session.commit()
    return info


def _build(session: Session, password: str, now: datetime) -> Municipality:
    boundary = shapely.Polygon(BOUNDARY)
    muni = Municipality(slug=SLUG, name="Uppvidinge kommun", country="SE",
                        default_language="sv", boundary=boundary)
    session.add(muni)
    for i, (slug, sv, da, en) in enumerate(DEFAULT_CATEGORIES):
        session.add(Category(municipality=muni, slug=slug, label_sv=sv, label_da=da,
                             label_en=en, sort_order=i))
    depts = {slug: Department(municipality=muni, slug=slug, name=name, kind=kind, email=email,
                              description=text)
             for slug, name, kind, email, text in DEPARTMENTS}
    session.add_all(depts.values())
    for dept, name, geom, cats, priority in _service_areas(boundary):
        validate_area_geometry(geom)
        session.add(ServiceArea(department=depts[dept], name=name, geometry=geom,
                                categories=cats, priority=priority,
                                area_m2=geodesic_area_m2(geom)))
    for code, locality, title, days, meeting, status in WALKS:
        (lon, lat), _w, _h = LOCALITIES[locality]
        area = ellipse(locality, *WALK_AREA_M)
        validate_area_geometry(area)
        starts = datetime.combine((now + timedelta(days=days)).date(), WALK_START_UTC)
        session.add(Walk(municipality=muni, join_code=code, title=title, locality=locality,
                         starts_at=starts, meeting_point=meeting, meeting_lon=lon,
                         meeting_lat=lat, area=area, status=status,
                         route=loop_route(locality, ROUTE_RADIUS_M, days / 7)))
    for email, name, role, dept in USERS:
        user = User(email=email, name=name, role=role, municipality=muni,
                    department=depts.get(dept), language="sv")
        user.set_password(password)
        session.add(user)
    session.flush()  # departments need ids before the municipality can point at one
    muni.fallback_department_id = depts[FALLBACK].id
    areas_changed(muni)
    return muni


def _service_areas(boundary):
    """(department slug, area name, geometry, categories, priority) for every service area."""
    for locality, (_centre, width, height) in LOCALITIES.items():
        yield "gata-park", f"Tätort {locality}", ellipse(locality, width, height), \
            STREETS_CATEGORIES, 0
    for locality, name, east, north, width, height in ESTATES:
        yield "uppvidingehus", f"{name}, {locality}", block(locality, east, north, width,
                                                            height), ESTATE_CATEGORIES, 10
    for locality, name, east, north, width, height in PLACES:
        yield "kultur-fritid", name, block(locality, east, north, width, height), \
            PLACE_CATEGORIES, 5
    yield "kultur-fritid", "Hela kommunen", boundary, ["culture_leisure"], 0
    yield "stadsnat", "Hela kommunen", boundary, ["broadband"], 1
    yield "polisen", "Lokalpolisområde Uppvidinge", boundary, ["safety"], 2
    for name, line in STATE_ROADS:
        yield "trafikverket", name, road_area(line, boundary), ROAD_CATEGORIES, 20


def _info(session: Session, muni: Municipality, password: str, created: bool) -> DemoInfo:
    walks = session.scalars(select(Walk).where(Walk.municipality_id == muni.id)
                            .order_by(Walk.starts_at, Walk.join_code)).all()
    users = {u.email: u for u in session.scalars(
        select(User).where(User.email.in_([u[0] for u in USERS])))}
    logins = tuple(DemoLogin(u.email, u.role, u.department.name if u.department else None)
                   for email, *_rest in USERS if (u := users.get(email)) is not None)
    valid = bool(logins) and users[logins[0].email].check_password(password)
    return DemoInfo(
        municipality=muni.name,
        walks=tuple(DemoWalk(w.join_code, w.title, w.locality, w.starts_at, w.status)
                    for w in walks),
        logins=logins, password=password if valid else None, created=created)
