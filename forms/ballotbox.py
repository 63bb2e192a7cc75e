"""Forms of the ballot box: who holds the key at opening, and the shares typed at close."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, IntegerField, StringField
from wtforms.validators import AnyOf, Length, NumberRange, Optional, ValidationError

MAX_SCRUTINEERS = 15


class OpenForm(FlaskForm):
    # "server" (the default, also when absent) or "scrutineers"; the page offers both.
    custody = StringField(validators=[Optional(), AnyOf(["server", "scrutineers"])])
    threshold = IntegerField(_l("Shares needed to open the box"), default=2,
                             validators=[Optional(), NumberRange(2, MAX_SCRUTINEERS)])
    shares = IntegerField(_l("Scrutineers"), default=3,
                          validators=[Optional(), NumberRange(2, MAX_SCRUTINEERS)])

    def validate_shares(self, field: IntegerField) -> None:
        if self.custody.data != "scrutineers":
            return
        if field.data is None or self.threshold.data is None:
            raise ValidationError(_l("Give the number of scrutineers and of shares needed."))
        if self.threshold.data > field.data:
            raise ValidationError(
                _l("The shares needed cannot be more than the scrutineers."))


class CloseForm(FlaskForm):
    shares = FieldList(StringField(_l("Share"), validators=[Optional(), Length(max=200)]),
                       min_entries=0, max_entries=MAX_SCRUTINEERS)
