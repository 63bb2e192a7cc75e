"""WTForms' own messages ("Not a valid choice", "Field cannot be longer than…") in the
reader's language, for forms Flask-WTF does not translate: the subforms of a FieldList
(plain `Form`s, which get no translations of their own) and the ballot, whose messages are
read once per language rather than from disk on every request."""

from __future__ import annotations

from functools import cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from wtforms import Form
from wtforms.i18n import messages_path


@cache
def _wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def wtforms_translations() -> support.Translations | None:
    """WTForms' catalogue of the request's language; None when the app turns Flask-WTF's
    translation off (WTF_I18N_ENABLED), as Flask-WTF then does."""
    if not current_app.config.get("WTF_I18N_ENABLED", True):
        return None
    return _wtforms_translations(str(get_locale()))


class SubForm(Form):
    """A form inside a FormField, its messages in the reader's language."""

    class Meta:
        def get_translations(self, form: Form) -> support.Translations | None:
            return wtforms_translations()
