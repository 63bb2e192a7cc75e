"""Reading the audit log (the filter) and purging its old entries (the date before which)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError


class AuditFilterForm(FlaskForm):
    """Read from the query string: filtering changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    user = StringField(_l("Username"), validators=[Optional(), Length(max=64)])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end date is before the start date."))


class PurgeForm(FlaskForm):
    """The date before which entries go, read from the query string: the purge itself is
    confirmed on a page of its own (evalapp.confirm), which carries the CSRF token."""

    class Meta:
        csrf = False

    before = DateField(_l("Delete the entries dated before"),
                       validators=[InputRequired(_l("Give a date."))])
