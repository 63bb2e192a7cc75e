"""Forms of rounds (测评轮次): the round itself, and the units it is instantiated over."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from forms.campaigns import TITLE

# How the units of an instantiation are chosen: every unit below the round's, those of one
# level, or those ticked.
SCOPES = (SelectChoice("all", _l("Every unit below")),
          SelectChoice("level", _l("Every unit of one level")),
          SelectChoice("chosen", _l("The units ticked below")))


class RoundForm(FlaskForm):
    """The unit's choices are the organiser's units, set by the view (the round's unit
    stays as it was made when the round is edited: `unit` is then left out)."""

    title = StringField(_l("Title"), validators=[DataRequired(), TITLE])
    unit = SelectField(_l("Unit the round is made at"), coerce=int, validators=[InputRequired()])
    opens_on = DateField(_l("Planned opening"), validators=[Optional()])
    closes_on = DateField(_l("Planned closing"), validators=[Optional()])

    def validate_closes_on(self, field: DateField) -> None:
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The closing date is before the opening date."))


class InstantiateForm(FlaskForm):
    """The level's and the units' choices are set by the view from the units below the
    round's; a unit posted that is not one of them is refused by the operation, with its
    reason (`rounds.operations.UnitsRefused`)."""

    scope = RadioField(_l("Campaigns for"), choices=SCOPES, default="all",
                       validators=[InputRequired()])
    level = SelectField(_l("Level"), validators=[Optional()])
    units = SelectMultipleField(_l("Units"), coerce=int, validate_choice=False)

    def validate_scope(self, field: RadioField) -> None:
        """Said at the choice (the level's own check is skipped when none is sent)."""
        if field.data == "level" and not self.level.data:
            raise ValidationError(_l("Choose a level."))

    def validate_units(self, field: SelectMultipleField) -> None:
        if self.scope.data == "chosen" and not field.data:
            raise ValidationError(_l("Tick at least one unit."))
