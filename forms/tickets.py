from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

MAX_TICKETS_PER_BATCH = 2000
HAND_IN_LENGTH = 100
SLIPS, BALLOTS, BOTH = "slips", "ballots", "both"


class PrintForm(FlaskForm):
    """What an issue prints, in one PDF (the codes exist only in that response, so there is no
    second download): ticket slips, paper ballots (one per ticket, for raters without a
    phone), or both, the ballots after the slips; and the ballots' paper size."""

    prints = RadioField(
        _l("Print"),
        choices=[
            SelectChoice(SLIPS, _l("Ticket slips (eight to an A4 sheet)")),
            SelectChoice(BALLOTS, _l("Paper ballots (one per ticket)")),
            SelectChoice(BOTH, _l("Both: the slips, then the paper ballots, in one PDF")),
        ],
        default=SLIPS,
    )
    paper = RadioField(
        _l("Paper ballot size"),
        choices=[SelectChoice("A4", _l("A4 (one sheet per subject, printed on both sides)")),
                 SelectChoice("A5", _l("A5 (two sheets per subject, printed on both sides)"))],
        default="A4",
    )
    hand_in = StringField(
        _l("Where raters hand in paper ballots (printed on them)"),
        validators=[Optional(), Length(max=HAND_IN_LENGTH)],
    )


class IssueTicketsForm(PrintForm):
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
            SelectChoice("pdf", _l("PDF, to print")),
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
        if field.data != "pdf" and self.prints.data != SLIPS:
            raise ValidationError(_l("Paper ballots are printed as PDF: choose PDF."))
