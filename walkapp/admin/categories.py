"""Administration: the categories residents choose from, labelled in Swedish, Danish and
English, in the order the phone lists them."""

from flask import abort, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import Optional

from walkapp import organisation
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.models import Category, Comment
from walkapp.webforms import save, status


class CategoryForm(FlaskForm):
    slug = StringField(_l("Short name"))
    label_sv = StringField(_l("Swedish label"), render_kw={"lang": "sv"})
    label_da = StringField(_l("Danish label"), render_kw={"lang": "da"})
    label_en = StringField(_l("English label"), render_kw={"lang": "en"})
    sort_order = IntegerField(_l("Position in the list"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


HINTS = {
    "slug": _l("What phones send and service areas list, e.g. snow_clearing. It cannot be "
               "changed later."),
    "sort_order": _l("Smaller numbers come first. Leave empty to put a new category last."),
}


def _category(cat_id: int) -> Category:
    cat = db.session.get(Category, cat_id)
    if cat is None or cat.municipality_id != current_user.municipality_id:
        abort(404)
    return cat


def _title(cat: Category) -> str:
    return cat.label(str(get_locale() or "en"))


def _save(form: CategoryForm, cat: Category | None):
    if save(form, lambda: organisation.save_category(
            db.session, current_user.municipality, cat, slug=form.slug.data,
            sv=form.label_sv.data, da=form.label_da.data, en=form.label_en.data,
            sort_order=form.sort_order.data)):
        return redirect(url_for("admin.categories"))
    return None


def _page(form, title, cat=None):
    return render_template("admin/category.html", form=form, title=title, category=cat,
                           back=url_for("admin.categories"), hints=HINTS), status(form)


@bp.get("/categories")
@roles_required(*ADMINS)
def categories():
    muni_id = current_user.municipality_id
    rows = db.session.scalars(select(Category).where(Category.municipality_id == muni_id)
                              .order_by(Category.sort_order, Category.id)).all()
    used = dict(db.session.execute(
        select(Comment.category_id, func.count()).where(Comment.municipality_id == muni_id)
        .group_by(Comment.category_id)).all())
    return render_template("admin/categories.html", categories=rows, used=used)


@bp.route("/categories/new", methods=["GET", "POST"])
@roles_required(*ADMINS)
def new_category():
    form = CategoryForm()
    if form.validate_on_submit() and (done := _save(form, None)):
        return done
    return _page(form, _("New category"))


@bp.route("/categories/<int:cat_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def edit_category(cat_id: int):
    cat = _category(cat_id)
    form = CategoryForm(obj=cat)
    form.slug.render_kw = {"readonly": True}
    form.slug.data = cat.slug  # fixed once made, whatever the form sends
    if form.validate_on_submit() and (done := _save(form, cat)):
        return done
    return _page(form, _title(cat), cat=cat)


@bp.post("/categories/<int:cat_id>/delete")
@roles_required(*ADMINS)
def delete_category(cat_id: int):
    cat = _category(cat_id)
    form = CategoryForm(obj=cat)
    form.slug.render_kw = {"readonly": True}
    if not save(form, lambda: organisation.delete_category(db.session, cat)):
        return _page(form, _title(cat), cat=cat)
    return redirect(url_for("admin.categories"))
