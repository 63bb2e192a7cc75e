from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class CodeForm(FlaskForm):
    """The second step of a log-in: the authenticator's six digits, or a recovery code."""

    code = StringField(_l("Code from the authenticator app, or a recovery code"),
                       validators=[DataRequired(), Length(max=32)])


class ReplaceFactorForm(CodeForm):
    """Enrolling another authenticator in place of the one in use: its code too (or a
    recovery code), so that a session left open cannot move the second factor elsewhere."""

    current = StringField(_l("Code of the authenticator in use, or a recovery code"),
                          validators=[DataRequired(), Length(max=32)])


class ChangePasswordForm(FlaskForm):
    old = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    again = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class SecuritySettingsForm(FlaskForm):
    """The bounds are the database's CHECK constraints (auth.models.SecuritySettings)."""

    lock_threshold = IntegerField(_l("Failed log-ins that lock an account"),
                                  validators=[InputRequired(), NumberRange(3, 10)])
    lock_minutes = IntegerField(_l("Minutes an account stays locked"),
                                validators=[InputRequired(), NumberRange(1, 1440)])
    idle_minutes = IntegerField(_l("Minutes idle before a staff session ends"),
                                validators=[InputRequired(), NumberRange(1, 120)])
    session_hours = IntegerField(_l("Hours at most of a staff session"),
                                 validators=[InputRequired(), NumberRange(1, 24)])
    password_max_age_days = IntegerField(_l("Days a password stays valid"),
                                         validators=[InputRequired(), NumberRange(1, 365)])
