"""Picking the two campaigns the look-back compares."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired, ValidationError


class LookbackForm(FlaskForm):
    """Read from the query string: choosing campaigns changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    earlier = SelectField(_l("Earlier campaign"), coerce=int, validators=[InputRequired()])
    later = SelectField(_l("Later campaign"), coerce=int, validators=[InputRequired()])

    def validate_later(self, field: SelectField) -> None:
        if field.data == self.earlier.data:
            raise ValidationError(_l("Choose two different campaigns."))
