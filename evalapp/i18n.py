"""Languages: Chinese (zh-CN) first, English second.

A person's explicit choice is kept in the session; otherwise the browser's preference decides
between the two, and Chinese is the answer when it expresses none.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, has_request_context, redirect, request, session
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
)
from werkzeug.wrappers import Response

LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_Hans_CN"
# Accept-Language uses tags (zh-CN, zh-Hans, en-GB); each maps to one of ours.
_TAG_TO_LOCALE = {"zh": "zh_Hans_CN", "en": "en"}
# Characters that never belong in a redirect target (see safe_next).
_NOT_IN_A_PATH = frozenset({"Cc", "Cf", "Zl", "Zp"})

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE  # the command line and background work speak Chinese
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh", "zh-CN", "zh-Hans", "en"])
    return _TAG_TO_LOCALE.get((best or "zh")[:2], DEFAULT_LOCALE)


def html_lang() -> str:
    return "zh-CN" if str(get_locale()).startswith("zh") else "en"


def localized(obj: Any, field: str) -> str:
    """`obj.<field>_zh` or, for English readers, `obj.<field>_en` when it is filled in."""
    if not str(get_locale()).startswith("zh"):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return english
    return getattr(obj, f"{field}_zh")


def local_date(moment: datetime) -> date:
    """The calendar day of an aware moment where the organisation is: the app's time zone
    (setting BABEL_DEFAULT_TIMEZONE, EVALAPP_TIMEZONE, Asia/Shanghai by default), the same one
    every date and time on pages and exports is shown in. A campaign created at 00:30 Beijing
    time started that day, not the UTC day before."""
    return moment.astimezone(get_timezone()).date()


def today() -> date:
    """Today where the organisation is (deadlines are its calendar days)."""
    return datetime.now(get_timezone()).date()


def _dateformat(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    return format_date(value, "medium")


def safe_next(target: str | None) -> str:
    """Where to go after a form that came from another page: only a path on this site, else
    home ("/"). An absolute or scheme-relative URL would be an open redirect; so would a
    backslash (browsers read "/\\evil" as "//evil") or a tab, CR or LF (browsers drop them
    from a URL, so "/\\t/evil" is "//evil"); and a CR or LF in a Location header is refused
    by the server, a 500 rather than a redirect. Any control or separator character (Unicode
    categories Cc, Cf, Zl, Zp) and any space therefore send the reader home."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(
            character.isspace() or unicodedata.category(character) in _NOT_IN_A_PATH
            for character in target):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


@bp.post("/language")
def switch_language() -> Response:
    locale = request.form.get("locale", "")
    if locale in LANGUAGES:
        session["locale"] = locale
    return redirect(safe_next(request.form.get("next")), code=303)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        html_lang=html_lang,
        localized=localized,
        unit_name=lambda unit: localized(unit, "name"),
        group_name=lambda group: localized(group, "name"),
    )
    app.jinja_env.filters.update(
        dateformat=_dateformat, numberformat=format_decimal, percentformat=format_percent
    )
