"""A municipality and its bodies: first-run setup, departments and outside bodies, categories
and settings. Used by the `walkapp` commands and the admin pages alike, so both check the
same things. No Flask: functions take a session and plain values, flush, and leave the commit
to the caller; bad input raises checks.FieldError and writes nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from walkapp import checks
from walkapp.checks import FieldError
from walkapp.labels import N_
from walkapp.models import Category, Comment, Department, Municipality
from walkapp.router_cache import areas_changed

DEPARTMENT_KINDS = {"municipal": N_("Municipal department"),
                    "external": N_("Outside body (company, agency, police…)")}

# The topics a new municipality starts with (slug, sv, da, en); admins rename, add and
# reorder them afterwards.
DEFAULT_CATEGORIES = [
    ("roads", "Vägar och trafik", "Veje og trafik", "Roads and traffic"),
    ("lighting", "Belysning", "Belysning", "Lighting"),
    ("parks", "Parker och natur", "Parker og natur", "Parks and nature"),
    ("housing", "Boende", "Bolig", "Housing"),
    ("shops_services", "Service och handel", "Service og handel", "Shops and services"),
    ("public_transport", "Kollektivtrafik", "Kollektiv trafik", "Public transport"),
    ("broadband", "Bredband och mobiltäckning", "Bredbånd og mobildækning",
     "Broadband and mobile coverage"),
    ("safety", "Trygghet", "Tryghed", "Safety"),
    ("culture_leisure", "Kultur och fritid", "Kultur og fritid", "Culture and leisure"),
    ("other", "Övrigt", "Andet", "Other"),
]

MAX_RESPONSE_DAYS = 365


def email(value: str | None, name: str = "email", required: bool = False) -> str | None:
    value = checks.text(value, name, 320, required).lower()
    if value and ("@" not in value.strip("@") or " " in value):
        raise FieldError(name, N_("Write an e-mail address such as name@kommun.se."))
    return value or None


# --- municipality --------------------------------------------------------------------------

def create_municipality(session: Session, *, name: str, slug: str, timezone: str,
                        language: str, boundary=None, fallback_name: str,
                        fallback_email: str | None = None, response_days: int = 21,
                        country: str = "SE", categories=DEFAULT_CATEGORIES) -> Municipality:
    """A municipality with its fallback department (who gets what no service area covers)
    and its starting categories."""
    name = checks.text(name, "name")
    slug = checks.slug(slug)
    if session.scalar(select(Municipality.id).where(Municipality.slug == slug)):
        raise FieldError("slug", N_("The name %(slug)s is taken already."), {"slug": slug})
    muni = Municipality(name=name, slug=slug, timezone=checks.timezone(timezone),
                        default_language=checks.language(language),
                        response_days=checks.whole_number(response_days, "response_days", 1,
                                                          MAX_RESPONSE_DAYS),
                        boundary=boundary, country=_country(country))
    fallback = Department(municipality=muni, slug=checks.slugify(fallback_name),
                          name=checks.text(fallback_name, "fallback_department"),
                          email=email(fallback_email, "fallback_email"))
    session.add_all([muni, fallback])
    for i, (cslug, sv, da, en) in enumerate(categories):
        session.add(Category(municipality=muni, slug=cslug, label_sv=sv, label_da=da,
                             label_en=en, sort_order=i))
    session.flush()
    muni.fallback_department_id = fallback.id
    areas_changed(muni)
    return muni


def _country(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise FieldError("country", N_("Write a two-letter country code such as SE or DK."))
    return code


def update_settings(session: Session, muni: Municipality, *, name: str, timezone: str,
                    language: str, response_days, fallback_department_id: int | None,
                    boundary=None) -> None:
    """The municipality's own settings; boundary None keeps the one it has."""
    name = checks.text(name, "name")
    timezone = checks.timezone(timezone)
    language = checks.language(language)
    days = checks.whole_number(response_days, "response_days", 1, MAX_RESPONSE_DAYS)
    fallback = session.get(Department, fallback_department_id) \
        if fallback_department_id is not None else None
    if fallback is None or fallback.municipality_id != muni.id or not fallback.active:
        raise FieldError("fallback_department",
                         N_("Choose an active department to receive what no service area "
                            "covers."))
    if fallback.id != muni.fallback_department_id:
        areas_changed(muni)  # routers hold the fallback too
    muni.name, muni.timezone, muni.default_language = name, timezone, language
    muni.response_days, muni.fallback_department_id = days, fallback.id
    if boundary is not None:
        muni.boundary = boundary
    session.flush()


# --- departments and outside bodies --------------------------------------------------------

def save_department(session: Session, muni: Municipality, dept: Department | None = None, *,
                    name: str, slug: str | None = None, kind: str = "municipal",
                    email_address: str | None = None, language: str | None = None,
                    active: bool = True) -> Department:
    """Create (dept None) or update a department. Its slug is fixed once made: the CLI and
    routing audit trail refer to it."""
    name = checks.text(name, "name")
    if kind not in DEPARTMENT_KINDS:
        raise FieldError("kind", N_("Choose a municipal department or an outside body."))
    address = email(email_address)
    if language:
        language = checks.language(language)
    if dept is None:
        slug = checks.slug(slug) if slug else checks.slugify(name)
        taken = session.scalar(select(Department.id).where(
            Department.municipality_id == muni.id, Department.slug == slug))
        if taken:
            raise FieldError("slug", N_("The name %(slug)s is taken already."), {"slug": slug})
        dept = Department(municipality=muni, slug=slug)
        session.add(dept)
    elif not active and dept.id == muni.fallback_department_id:
        raise FieldError("active", N_("This is the fallback department. Choose another one in "
                                      "the municipality settings before deactivating it."))
    if dept.active != active and dept.areas:
        areas_changed(muni)  # an inactive department's areas route nothing
    dept.name, dept.kind, dept.email = name, kind, address
    dept.language, dept.active = language or None, active
    session.flush()
    return dept


# --- categories ------------------------------------------------------------------------------

def save_category(session: Session, muni: Municipality, cat: Category | None = None, *,
                  slug: str | None, sv: str, da: str, en: str,
                  sort_order=None) -> Category:
    """Create (cat None) or relabel a category. The slug is what phones send and service
    areas list, so it is fixed once made."""
    labels = {lang: checks.text(value, f"label_{lang}", 200)
              for lang, value in (("sv", sv), ("da", da), ("en", en))}
    if cat is None:
        slug = checks.slug(slug)
        if session.scalar(select(Category.id).where(Category.municipality_id == muni.id,
                                                    Category.slug == slug)):
            raise FieldError("slug", N_("The name %(slug)s is taken already."), {"slug": slug})
        last = session.scalar(select(func.max(Category.sort_order))
                              .where(Category.municipality_id == muni.id))
        cat = Category(municipality=muni, slug=slug,
                       sort_order=(last + 1) if last is not None else 0)
        session.add(cat)
    if sort_order not in (None, ""):
        cat.sort_order = checks.whole_number(sort_order, "sort_order", 0, 9999)
    cat.label_sv, cat.label_da, cat.label_en = labels["sv"], labels["da"], labels["en"]
    session.flush()
    return cat


def delete_category(session: Session, cat: Category) -> None:
    """Only a category no input uses: inputs keep their category for good."""
    if session.scalar(select(Comment.id).where(Comment.category_id == cat.id).limit(1)):
        raise FieldError("category", N_("Inputs use this category, so it cannot be deleted. "
                                        "Rename it instead."))
    session.delete(cat)
    session.flush()
