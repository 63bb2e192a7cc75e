"""The system administrator's account forms and the security administrator's role form. The
choices of units and roles are the views' (they depend on who is asking)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from forms.tables import table_file

# What a username may hold, in the form and in an imported staff list: what people type at
# log-in without surprises (no spaces, no look-alike letters of other scripts).
USERNAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=2, max=64),
        Regexp(USERNAME, message=_l("Letters, digits and . _ @ - only, starting with a "
                                    "letter or digit.")),
    ])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    unit = SelectField(_l("Unit"), coerce=int)
    role = SelectField(_l("Role"))
    directory = BooleanField(_l("Signs in with the organisation's directory (no local "
                                "password)"))


class RoleForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=int)
    role = SelectField(_l("Role"))


class AccountsUploadForm(FlaskForm):
    file = table_file(_l("Staff list (CSV or Excel)"))
