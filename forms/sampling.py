from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from analysis.commitment import WITNESS_MAX_LENGTH, WitnessRefused, normalise_witness
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


WITNESS_REFUSALS = {
    "control": _l("The witness value holds an invisible format or direction control "
                  "character (it may show other digits than those hashed): type it again "
                  "by hand."),
    "number": _l("A decimal point or a thousands comma would turn the digits into a number: "
                 "type only the digits read out (spaces, dashes and 、 between them do not "
                 "count)."),
    "not_digits": _l("Type the witness value in digits 0-9 (spaces, dashes and 、 between "
                     "them do not count); letters and symbols are refused."),
    "empty": _l("Type the witness value in digits 0-9 (spaces, dashes and 、 between them "
                "do not count); letters and symbols are refused."),
    "too_long": _l("The witness value has at most %(count)d digits.",
                   count=WITNESS_MAX_LENGTH),
}
# Room for a separator between every two digits, and a little more.
TYPED_MAX_LENGTH = 4 * WITNESS_MAX_LENGTH


def witness_refusal(error: WitnessRefused) -> str:
    """What to tell the person typing, in their language."""
    return str(WITNESS_REFUSALS[error.reason])


class WitnessForm(FlaskForm):
    """The witness's value, typed twice: a draw cannot be taken back, so a slip of the finger
    is caught before it decides the sample. Both entries are normalised (the one rule of
    analysis.commitment.normalise_witness) and then compared, so "3 5 1 7 2" and "3-5-1-7-2"
    agree, as the page says they do."""

    witness = StringField(_l("Witness value (as read out at the meeting)"),
                          validators=[DataRequired(), Length(max=TYPED_MAX_LENGTH)])
    again = StringField(_l("The witness value again"),
                        validators=[DataRequired(), Length(max=TYPED_MAX_LENGTH)])

    def validate_witness(self, field: StringField) -> None:
        try:
            normalise_witness(field.data or "")
        except WitnessRefused as error:
            raise ValidationError(witness_refusal(error)) from None

    def validate_again(self, field: StringField) -> None:
        try:
            first = normalise_witness(self.witness.data or "")
            second = normalise_witness(field.data or "")
        except WitnessRefused as error:
            if self.witness.errors:
                return  # said once, beside the first entry
            raise ValidationError(witness_refusal(error)) from None
        if first != second:
            raise ValidationError(_l("The two entries differ: type the value again."))


class AcknowledgeForm(FlaskForm):
    """A second account's acknowledgement that the commitment reached it (a button)."""


class AbandonDrawForm(FlaskForm):
    reason = TextAreaField(_l("Why this prepared draw is set aside"),
                           validators=[Optional(), Length(max=2000)])


class IssueFromDrawForm(PrintForm):
    spares = IntegerField(_l("Spare tickets per group"), default=0,
                          validators=[Optional(), NumberRange(0, 200)])
    reason = TextAreaField(_l("Why issue again"), validators=[Optional(), Length(max=2000)])
