from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from analysis.commitment import WITNESS_MAX_LENGTH
from forms.tickets import PrintForm


class DrawForm(FlaskForm):
    percent = FloatField(_l("Sampling fraction (%)"), validators=[Optional(),
                                                                   NumberRange(0.01, 100)])
    total = IntegerField(_l("Or a total number of raters"), validators=[Optional(),
                                                                        NumberRange(1)])
    minimum = IntegerField(_l("At least this many per group"), default=0,
                           validators=[Optional(), NumberRange(0, 10_000)])
    reason = TextAreaField(_l("Reason for drawing again"), validators=[Optional(),
                                                                      Length(max=2000)])

    def validate_total(self, field: IntegerField) -> None:
        if (self.percent.data is None) == (field.data is None):
            raise ValidationError(_l("Give either a fraction or a total, not both."))


class WitnessForm(FlaskForm):
    """The witness's value, typed twice: a draw cannot be taken back, so a slip of the finger
    is caught before it decides the sample."""

    witness = StringField(_l("Witness value (as read out at the meeting)"),
                          validators=[DataRequired(), Length(max=WITNESS_MAX_LENGTH)])
    again = StringField(_l("The witness value again"),
                        validators=[DataRequired(), Length(max=WITNESS_MAX_LENGTH)])

    def validate_again(self, field: StringField) -> None:
        if (field.data or "").strip() != (self.witness.data or "").strip():
            raise ValidationError(_l("The two entries differ: type the value again."))


class AbandonDrawForm(FlaskForm):
    reason = TextAreaField(_l("Why this prepared draw is set aside"),
                           validators=[Optional(), Length(max=2000)])


class IssueFromDrawForm(PrintForm):
    spares = IntegerField(_l("Spare tickets per group"), default=0,
                          validators=[Optional(), NumberRange(0, 200)])
    reason = TextAreaField(_l("Why issue again"), validators=[Optional(), Length(max=2000)])
