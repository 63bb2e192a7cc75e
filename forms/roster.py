"""Roster import: upload a file, then say which column holds what."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import InputRequired, ValidationError

from forms.tables import kept_table, table_file

NO_COLUMN = -1


class RosterUploadForm(FlaskForm):
    file = table_file(_l("Roster file (CSV or Excel)"))


class RosterMappingForm(FlaskForm):
    """Columns are chosen by number (their choices are the file's header cells)."""

    upload = HiddenField(validators=[InputRequired(), kept_table()])
    name = SelectField(_l("Name"), coerce=int, validators=[InputRequired()])
    staff_number = SelectField(_l("Staff number"), coerce=int, validators=[InputRequired()])
    unit = SelectField(_l("Unit"), coerce=int)
    group = SelectField(_l("Rater group"), coerce=int)
    office = SelectField(_l("Head office or grassroots"), coerce=int)
    membership = SelectField(_l("Party member or not"), coerce=int)
    include_hidden = BooleanField(_l("Include the rows hidden in the spreadsheet"))

    def validate_group(self, field: SelectField) -> None:
        """A group column, or both columns of the preset (offered only while the campaign
        has the preset's groups: the view removes them otherwise)."""
        if field.data != NO_COLUMN:
            return
        if "office" not in self:
            raise ValidationError(_l("Choose the column of each person's rater group."))
        if NO_COLUMN in (self.office.data, self.membership.data):
            raise ValidationError(_l(
                "Choose the rater group column, or both the head office/grassroots and the "
                "member/non-member columns it is derived from."))

    def validate_staff_number(self, field: SelectField) -> None:
        if field.data == self.name.data:
            raise ValidationError(_l("Name and staff number must be different columns."))
