from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from forms.limits import TOKEN_DAYS_DEFAULT, TOKEN_DAYS_MAX, TOKEN_NAME_LENGTH


class TokenForm(FlaskForm):
    """A new API token: what it is for (the system that will hold it) and how long it lasts."""

    name = StringField(_l("What the token is for (e.g. the personnel system)"),
                       validators=[DataRequired(), Length(max=TOKEN_NAME_LENGTH)])
    days = IntegerField(_l("Valid for (days)"), default=TOKEN_DAYS_DEFAULT,
                        validators=[InputRequired(), NumberRange(1, TOKEN_DAYS_MAX)])
    # A token lasts months: a session left open (or stolen) does not make one unasked.
    password = PasswordField(_l("Your password, to confirm it is you"),
                             validators=[DataRequired(), Length(max=256)])
