"""Administration: service areas. Upload GeoJSON for a department through the same checks as
`walkapp import-areas` (nothing saved when a feature is invalid; shapely's reason shown),
see every area on a map and in a list, set each area's categories and priority. Every change
bumps the municipality's areas_version so each worker rebuilds its router."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from walkapp import areas as area_ops
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.geo import to_geojson
from walkapp.models import Category, Department, ServiceArea
from walkapp.webforms import body_first, optional_int, save, status


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


GEOJSON_FILES = ".geojson,.json,application/geo+json"


class UploadForm(FlaskForm):
    department = SelectField(_l("Department"), coerce=optional_int)
    file = FileField(_l("GeoJSON file"), render_kw={"accept": GEOJSON_FILES})
    replace = BooleanField(_l("Replace the department's current areas"))
    submit = SubmitField(_l("Upload"))


class AreaForm(FlaskForm):
    name = StringField(_l("Name"))
    every_category = BooleanField(_l("Accepts every category"))
    categories = MultiCheckboxField(_l("Only these categories"))
    priority = IntegerField(_l("Priority"))
    submit = SubmitField(_l("Save"))


UPLOAD_HINTS = {
    "file": _l("A FeatureCollection of Polygons or MultiPolygons in WGS84. Optional properties "
               "per feature: name, categories (a list of short names), priority (a whole "
               "number)."),
}
AREA_HINTS = {
    "priority": _l("Where areas overlap, the higher priority wins; then the smaller area."),
}


def _muni_departments():
    return db.session.scalars(select(Department).where(
        Department.municipality_id == current_user.municipality_id)
        .order_by(Department.name)).all()


def _area(area_id: int) -> ServiceArea:
    area = db.session.get(ServiceArea, area_id)
    if area is None or area.department.municipality_id != current_user.municipality_id:
        abort(404)
    return area


def _category_labels() -> dict[str, str]:
    lang = str(get_locale() or "en")
    cats = db.session.scalars(select(Category).where(
        Category.municipality_id == current_user.municipality_id)
        .order_by(Category.sort_order, Category.id))
    return {c.slug: c.label(lang) for c in cats}


def _overview(upload: UploadForm, status: int = 200):
    areas = db.session.scalars(
        select(ServiceArea).join(Department)
        .where(Department.municipality_id == current_user.municipality_id)
        .options(selectinload(ServiceArea.department))
        .order_by(Department.name, ServiceArea.priority.desc(), ServiceArea.name)).all()
    cats = _category_labels()
    features = [{"type": "Feature", "id": a.id, "geometry": to_geojson(a.geometry),
                 "properties": {"name": a.name, "department": a.department.name,
                                "department_id": a.department_id, "priority": a.priority,
                                "url": url_for("admin.edit_area", area_id=a.id)}}
                # largest first, so the small areas lie on top and can be clicked
                for a in sorted(areas, key=lambda a: -a.area_m2)]
    boundary = current_user.municipality.boundary
    return render_template(
        "admin/areas.html", areas=areas, form=upload, cats=cats, hints=UPLOAD_HINTS,
        geojson={"type": "FeatureCollection", "features": features,
                 "boundary": to_geojson(boundary)}), status


@bp.get("/areas")
@roles_required(*ADMINS)
def areas():
    form = UploadForm()
    form.department.choices = [(d.id, d.name) for d in _muni_departments()]
    return _overview(form)


@bp.post("/areas")
@roles_required(*ADMINS)
def upload_areas():
    body_first()  # read the upload before opening a transaction
    form = UploadForm()
    form.department.choices = [(d.id, d.name) for d in _muni_departments()]
    if not form.validate_on_submit():
        return _overview(form, 400)
    if not form.file.data:
        form.file.errors.append(_("Choose a GeoJSON file."))
        return _overview(form, 400)
    raw, filename = form.file.data.read(), form.file.data.filename or "upload"
    try:
        parsed = area_ops.parse_feature_collection(raw, source=filename)
    except area_ops.AreaImportError as err:
        # The same message as `walkapp import-areas`: the feature and shapely's reason.
        form.file.errors.append(_("Nothing was saved. %(problem)s", problem=str(err)))
        return _overview(form, 400)
    dept = db.session.get(Department, form.department.data)
    added = area_ops.replace_areas(db.session, dept, parsed, replace=form.replace.data)
    db.session.commit()
    flash(_("%(n)s area(s) saved for %(department)s.", n=added, department=dept.name))
    return redirect(url_for("admin.areas"))


@bp.route("/areas/<int:area_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def edit_area(area_id: int):
    area = _area(area_id)
    form = AreaForm(data={"name": area.name, "every_category": area.categories is None,
                          "categories": area.categories or [], "priority": area.priority})
    cats = _category_labels()
    # Slugs an import named that no category has (yet) stay visible and can be unticked.
    form.categories.choices = [*cats.items()] + [
        (slug, slug) for slug in (area.categories or []) if slug not in cats]
    if form.validate_on_submit() and save(form, lambda: area_ops.update_area(
            db.session, area, name=form.name.data, priority=form.priority.data,
            categories=None if form.every_category.data else list(form.categories.data))):
        flash(_("The area is saved."))
        return redirect(url_for("admin.areas"))
    return render_template(
        "admin/area.html", form=form, area=area, hints=AREA_HINTS,
        title=_("%(area)s (%(department)s)", area=area.name, department=area.department.name),
        back=url_for("admin.areas"),
        geojson={"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": to_geojson(area.geometry),
             "properties": {"name": area.name, "department_id": area.department_id}}]}), \
        status(form)


@bp.post("/areas/<int:area_id>/delete")
@roles_required(*ADMINS)
def delete_area(area_id: int):
    area = _area(area_id)
    name = area.name
    area_ops.delete_area(db.session, area)
    db.session.commit()
    flash(_("The area %(name)s is deleted.", name=name))
    return redirect(url_for("admin.areas"))
