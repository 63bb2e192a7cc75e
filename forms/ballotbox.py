"""Forms of the ballot box: who holds the key at opening, the shares typed at close (for a
campaign opened with printed shares), and a scrutineer's custody passphrase."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, IntegerField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

MAX_SCRUTINEERS = 15
PASSPHRASE_MAX_LENGTH = 200


class OpenForm(FlaskForm):
    # "server" (the default, also when absent) or "scrutineers"; the page offers both.
    custody = StringField(validators=[Optional(), AnyOf(["server", "scrutineers"])])
    threshold = IntegerField(_l("Shares needed to open the box"), default=2,
                             validators=[Optional(), NumberRange(2, MAX_SCRUTINEERS)])
    # The scrutineers' account ids; the view checks that each may hold a share.
    custodians = SelectMultipleField(_l("Scrutineers"), coerce=int, validate_choice=False)

    def validate_custodians(self, field: SelectMultipleField) -> None:
        if self.custody.data != "scrutineers":
            return
        chosen = set(field.data or ())
        if self.threshold.data is None:
            raise ValidationError(_l("Give the number of shares needed to open the box."))
        if not 2 <= len(chosen) <= MAX_SCRUTINEERS:
            raise ValidationError(_l("Choose between 2 and %(count)s scrutineers.",
                                     count=MAX_SCRUTINEERS))
        if self.threshold.data > len(chosen):
            raise ValidationError(
                _l("The shares needed cannot be more than the scrutineers."))


class CloseForm(FlaskForm):
    shares = FieldList(StringField(_l("Share"), validators=[Optional(), Length(max=200)]),
                       min_entries=0, max_entries=MAX_SCRUTINEERS)


class EnrolForm(FlaskForm):
    passphrase = PasswordField(_l("Custody passphrase"), validators=[
        DataRequired(), Length(max=PASSPHRASE_MAX_LENGTH)])
    repeated = PasswordField(_l("The passphrase again"), validators=[
        DataRequired(), EqualTo("passphrase", _l("The two passphrases differ."))])


class PassphraseForm(FlaskForm):
    passphrase = PasswordField(_l("Custody passphrase"), validators=[
        DataRequired(), Length(max=PASSPHRASE_MAX_LENGTH)])
