from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError

from forms.tickets import PrintForm


class DrawForm(FlaskForm):
    percent = FloatField(_l("Sampling fraction (%)"), validators=[Optional(),
                                                                   NumberRange(0.01, 100)])
    total = IntegerField(_l("Or a total number of raters"), validators=[Optional(),
                                                                        NumberRange(1)])
    minimum = IntegerField(_l("At least this many per group"), default=0,
                           validators=[Optional(), NumberRange(0, 10_000)])
    seed = StringField(_l("Seed (leave empty for a random one; type one to repeat a draw)"),
                       validators=[Optional(), Length(max=64),
                                   Regexp(r"^[\w\-.]+$", message=_l(
                                       "Letters, digits, - . and _ only."))])
    reason = TextAreaField(_l("Reason for drawing again"), validators=[Optional(),
                                                                      Length(max=2000)])

    def validate_total(self, field: IntegerField) -> None:
        if (self.percent.data is None) == (field.data is None):
            raise ValidationError(_l("Give either a fraction or a total, not both."))


class IssueFromDrawForm(PrintForm):
    spares = IntegerField(_l("Spare tickets per group"), default=0,
                          validators=[Optional(), NumberRange(0, 200)])
    reason = TextAreaField(_l("Why issue again"), validators=[Optional(), Length(max=2000)])
