"""The rectification ledger: problems, measures and the Excel import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from forms.tables import table_file

PROBLEM_SOURCES = [SelectChoice("leadership", _l("Leadership's comment")),
                   SelectChoice("problem_list", _l("The published problem list")),
                   SelectChoice("ratings", _l("The ratings"))]
MEASURE_STATUSES = [SelectChoice("planned", _l("Planned")),
                    SelectChoice("in_progress", _l("In progress")),
                    SelectChoice("done", _l("Done"))]
REQUIRED = _l("This field is required.")


class ProblemForm(FlaskForm):
    source = SelectField(_l("Source"), choices=PROBLEM_SOURCES, default="leadership")
    text = TextAreaField(_l("Problem"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class MeasureForm(FlaskForm):
    text = TextAreaField(_l("Measure"), validators=[DataRequired(REQUIRED), Length(max=2000)])
    responsible_department = StringField(_l("Responsible department"),
                                         validators=[DataRequired(REQUIRED), Length(max=100)])
    cooperating_departments = StringField(_l("Co-operating departments"),
                                          validators=[Optional(), Length(max=300)])
    # Text, not a date picker: a ledger's deadline is as often a month, a quarter or 长期坚持 as a
    # day (read by evalapp.rectification.deadlines, with the campaign's start for the year).
    deadline = StringField(_l("Deadline"), validators=[InputRequired(REQUIRED), Length(max=40)],
                           description=_l("A day (2026-06-30), a month (2026年6月底), a quarter "
                                          "(2026年第三季度), a half-year, the year's end "
                                          "(2026年底), or 长期坚持 for a measure without an end."))
    status = SelectField(_l("Status"), choices=MEASURE_STATUSES, default="planned")
    completion_note = TextAreaField(_l("Completion"), validators=[Optional(), Length(max=2000)])
    completed_on = DateField(_l("Completed on"), validators=[Optional()])

    def validate_completed_on(self, field: DateField) -> None:
        if self.status.data == "done" and field.data is None:
            raise ValidationError(_l("A measure can be done only with its completion date."))
        if self.status.data != "done" and field.data is not None:
            raise ValidationError(_l("A completion date belongs only to a measure that is "
                                     "done."))


class LedgerUploadForm(FlaskForm):
    file = table_file(_l("Ledger file (Excel or CSV)"))
    include_hidden = BooleanField(_l("Include the rows hidden in the spreadsheet"))
