"""/review/items/<id>: the stable link to an input that e-mails and webhooks carry.

It outlives page layouts: it sends the signed-in user to the best page they have for the
input — the department inbox's item page for department staff, the input page of the review
for officials and admins. The wrong department gets 404, as everywhere.
"""

import uuid

from flask import current_app, redirect, url_for
from flask_login import current_user

from walkapp.access import STAFF, roles_required, visible_comment
from walkapp.extensions import db
from walkapp.review import bp

# Preferred pages per role, first that exists wins; each takes comment_id.
ITEM_PAGES = {"department": ("inbox.item",), "official": ("review.input",),
              "admin": ("review.input",)}


@bp.get("/items/<uuid:comment_id>")
@roles_required(*STAFF)
def item(comment_id: uuid.UUID):
    comment = visible_comment(db.session, current_user, comment_id)
    for endpoint in ITEM_PAGES.get(current_user.role, ()):
        if endpoint in current_app.view_functions:
            return redirect(url_for(endpoint, comment_id=comment.id))
    if comment.walk is None:  # an Open311 request has no walk page
        return redirect(url_for("review.index"))
    return redirect(url_for("review.walk", join_code=comment.walk.join_code,
                            _anchor=f"c-{comment.id}"))
