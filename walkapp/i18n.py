"""Swedish, Danish and English from one gettext catalogue, for server pages and the PWA's JS."""

import os
import tempfile
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, g, request, session
from flask_babel import format_date, format_datetime, get_locale, gettext
from flask_login import current_user

from walkapp import labels
from walkapp.extensions import babel
from walkapp.models import LANGUAGES

CATALOGUE_DIR = Path(__file__).resolve().parent / "translations"


def _po_path(lang: str) -> Path:
    return CATALOGUE_DIR / lang / "LC_MESSAGES" / "messages.po"


def compile_catalogues(target: Path) -> None:
    """Compile the .po files into target (instance folder) when missing or stale.

    Compiled .mo files are build output; compiling here keeps `pip install -e .` and a fresh
    clone working without an extra step.
    """
    for lang in LANGUAGES:
        po = _po_path(lang)
        mo = target / lang / "LC_MESSAGES" / "messages.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        fd, tmp = tempfile.mkstemp(dir=mo.parent)
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)
        os.replace(tmp, mo)  # atomic: several workers may start at once


# Where the PWA's strings live; staff pages' strings stay off the phones.
FIELD_SOURCES = ("static/js/", "templates/field/")


@cache
def js_catalogue(lang: str) -> dict[str, str]:
    """msgid → translation for the PWA; untranslated entries are left out (JS falls back)."""
    with _po_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return {
        m.id: m.string for m in catalog
        if m.id and m.string and isinstance(m.id, str)
        and any(path.startswith(FIELD_SOURCES) for path, _line in m.locations)
    }


def translations_for(app):
    """language → babel Translations, for words written outside a request (the delivery
    worker writes each e-mail in its reader's language)."""
    from babel.support import Translations

    directory = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    return cache(lambda lang: Translations.load(directory, [lang]))


def select_locale() -> str:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    if getattr(current_user, "is_authenticated", False) and current_user.language in LANGUAGES:
        return current_user.language
    return request.accept_languages.best_match(LANGUAGES) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def select_timezone() -> str:
    """The municipality's time zone: a public page sets g.timezone for the walk it shows;
    staff see their own municipality's."""
    if tz := g.get("timezone"):
        return tz
    if getattr(current_user, "is_authenticated", False):
        return current_user.municipality.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def label(group: str, value: str | None) -> str:
    """A stored value (kind, status, role…) in the reader's language.

    Remembered for the request: a list of fifty inputs asks for the same few labels
    hundreds of times, and each gettext call looks up the locale and catalogue anew."""
    text = labels.msgid(group, value)
    if not text:
        return ""
    cache = g.setdefault("_labels", {})
    key = (str(get_locale()), text)  # force_locale (mail in a department's language) differs
    if key not in cache:
        cache[key] = gettext(text)
    return cache[key]


def input_title(kind: str, category, status: str) -> str:
    """Kind · category · status of an input, in the reader's language (map pins, links)."""
    return " · ".join((label("kind", kind), category.label(current_language()),
                       label("status", status)))


def workflow_error(err) -> str:
    """A walkapp.workflow.WorkflowError in the reader's language, statuses as labels."""
    from walkapp.workflow import STATUS_PARAMS

    params = {k: label("status", v) if k in STATUS_PARAMS else v for k, v in err.params.items()}
    return gettext(err.message, **params)


def localtime(value, fmt: str = "short") -> str:
    """An aware UTC datetime in the municipality's time zone and the reader's language."""
    return format_datetime(value, fmt) if value is not None else ""


def localdate(value, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value is not None else ""


def init_app(app) -> None:
    target = Path(app.instance_path) / "translations"
    compile_catalogues(target)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.add_template_global(label)
    app.add_template_global(labels.STATUS_SYMBOL, "status_symbol")
    app.add_template_filter(localtime)
    app.add_template_filter(localdate)

    @app.context_processor
    def _lang():
        return {"lang": current_language()}
