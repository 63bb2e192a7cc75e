"""The unit tree's forms (system administrator): a unit, its move, and a unit file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.tables import kept_table, table_file

# A unit's level left to the tree: the level below its parent's.
KIND_FROM_PARENT = ""


class UnitForm(FlaskForm):
    """A unit's names, code and level; `parent` only when creating (a move is `MoveForm`)."""

    parent = SelectField(_l("Parent unit"), coerce=int, validators=[InputRequired()])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English, optional)"), validators=[Optional(),
                                                                      Length(max=100)])
    code = StringField(_l("Unit code (optional, unique)"), validators=[Optional(),
                                                                       Length(max=50)])
    kind = SelectField(_l("Level"))


class MoveForm(FlaskForm):
    parent = SelectField(_l("New parent unit"), coerce=int, validators=[InputRequired()])


class UnitFileForm(FlaskForm):
    file = table_file(_l("Unit file (CSV or Excel)"))


class UnitImportForm(FlaskForm):
    upload = HiddenField(validators=[InputRequired(), kept_table()])
