"""People's words for stored values (kinds, statuses, roles…). No Flask here.

The values are msgids marked with N_ for extraction; the web layer translates them when it
renders (walkapp.i18n registers `label(group, value)` for templates), and CSV/PDF exports
translate them with the catalogue of the language asked for.
"""


def N_(msgid: str) -> str:
    """Mark a string for the catalogue without translating it here (gettext's convention)."""
    return msgid


KIND = {"question": N_("Question"), "opinion": N_("Opinion"), "idea": N_("Idea")}

STATUS = {
    "received": N_("Received, not yet routed"),
    "routed": N_("Sent to the department"),
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "wont_do": N_("Will not be done"),
    "not_ours": N_("Not ours, back for rerouting"),
    "duplicate": N_("Merged with a similar input"),
    "noted": N_("Noted"),
}

# Open311 / overview: is anything still to happen?
STATE = {"open": N_("Open"), "closed": N_("Closed")}

WALK_STATUS = {"planned": N_("Planned"), "open": N_("Open"), "closed": N_("Closed")}

ROLE = {"admin": N_("Administrator"), "official": N_("Official"),
        "department": N_("Department staff")}

SOURCE = {"app": N_("Resident's phone"), "scribe": N_("Recorded by an official for a resident"),
          "open311": N_("A department's own system")}

ACTION = {
    "status": N_("Status changed"), "route": N_("Routed"), "reroute": N_("Rerouted"),
    "merge": N_("Merged"), "hide": N_("Hidden"), "unhide": N_("Shown again"),
    "redact": N_("Redacted"), "note": N_("Internal note"), "answer": N_("Public answer"),
    "promise": N_("Promised date"),
}

ROUTE_REASON = {"area": N_("Service area"), "fallback": N_("Fallback department"),
                "manual": N_("Rerouted by an official")}

# Deliveries (walkapp/delivery.py): how, about what, where it stands.
CHANNEL = {"email": N_("E-mail to the department"), "digest": N_("Daily digest e-mail"),
           "webhook": N_("Webhook"), "push": N_("Push notification to the resident"),
           "resident_email": N_("E-mail to the resident")}
EVENT = {"route": N_("Routed"), "reroute": N_("Rerouted"), "answer": N_("Public answer"),
         "status": N_("Status changed")}
DELIVERY_STATE = {"pending": N_("Waiting"), "sending": N_("Being sent"), "sent": N_("Sent"),
                  "failed": N_("Failed"), "cancelled": N_("Not needed any more")}
EMAIL_MODE = {"immediate": N_("An e-mail for each input"),
              "digest": N_("One e-mail a day with all new inputs"), "off": N_("No e-mail")}

LANGUAGE = {"sv": "Svenska", "da": "Dansk", "en": "English"}  # each in its own language

GROUPS = {
    "kind": KIND, "status": STATUS, "state": STATE, "walk_status": WALK_STATUS, "role": ROLE,
    "source": SOURCE, "action": ACTION, "route_reason": ROUTE_REASON, "channel": CHANNEL,
    "event": EVENT, "delivery_state": DELIVERY_STATE, "email_mode": EMAIL_MODE,
}


def msgid(group: str, value: str | None) -> str:
    """The msgid for a stored value; an unknown value is shown as it is (never hidden)."""
    if value is None:
        return ""
    return GROUPS[group].get(value, value)

# A status is never told by colour alone: each has a symbol drawn in its pin, list row and
# report line, next to its words.
STATUS_SYMBOL = {
    "received": "○", "routed": "→", "acknowledged": "◔", "in_progress": "◑", "done": "✓",
    "wont_do": "✕", "not_ours": "↩", "duplicate": "=", "noted": "i",
}
