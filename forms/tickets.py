from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

MAX_TICKETS_PER_BATCH = 2000


class IssueTicketsForm(FlaskForm):
    """Choices of group and subjects are set by the view from the campaign."""

    rater_group = SelectField(_l("Rater group"), coerce=int, validators=[InputRequired()])
    subjects = SelectMultipleField(
        _l("Subjects the tickets cover"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one subject."))],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    count = IntegerField(
        _l("Tickets"), default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_TICKETS_PER_BATCH)],
    )
    spares = IntegerField(
        _l("Spare tickets"), default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_TICKETS_PER_BATCH)],
    )
    output = RadioField(
        _l("Print as"),
        choices=[
            SelectChoice("pdf", _l("A4 sheet (PDF)")),
            SelectChoice("png", _l("Single ticket (PNG)")),
            SelectChoice("svg", _l("Single ticket (SVG)")),
        ],
        default="pdf",
    )

    def validate_spares(self, field: IntegerField) -> None:
        if (self.count.data or 0) + (field.data or 0) == 0:
            raise ValidationError(_l("Issue at least one ticket."))
        if (self.count.data or 0) + (field.data or 0) > MAX_TICKETS_PER_BATCH:
            raise ValidationError(
                _l("At most %(max)d tickets at once.", max=MAX_TICKETS_PER_BATCH)
            )

    def validate_output(self, field: RadioField) -> None:
        if field.data != "pdf" and (self.count.data or 0) + (self.spares.data or 0) != 1:
            raise ValidationError(_l("PNG and SVG hold one ticket; choose PDF for more."))
