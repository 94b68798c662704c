from flask import current_app, render_template, url_for

from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.labels import N_

# endpoint, title, one-line description: each section lists itself here and appears on the
# administration page once its view exists.
SECTIONS = [
    ("admin.users", N_("Users"), N_("Invite staff, set roles, deactivate accounts.")),
    ("admin.departments", N_("Departments and outside bodies"),
     N_("Who answers inputs, and how they are told.")),
    ("admin.categories", N_("Categories"), N_("Topics residents choose from, in three languages.")),
    ("admin.areas", N_("Service areas"), N_("Where each department is responsible, on a map.")),
    ("admin.municipality", N_("Municipality settings"),
     N_("Time zone, language and the default response time.")),
    ("admin.deliveries", N_("Deliveries"), N_("E-mails and webhooks sent, waiting or failed.")),
    ("admin.delivery_settings", N_("Delivery settings"),
     N_("How each department hears of new inputs: e-mail, a daily digest, a webhook.")),
    ("admin.api_keys", N_("Open311 keys"), N_("Keys for departments' own systems.")),
]


@bp.get("/")
@roles_required(*ADMINS)
def index():
    views = current_app.view_functions
    sections = [(url_for(endpoint), title, text) for endpoint, title, text in SECTIONS
                if endpoint in views]
    return render_template("admin/index.html", sections=sections)
