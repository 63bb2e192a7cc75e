"""Forms for setting up a campaign: the campaign itself, its scoring, items and subjects."""

from __future__ import annotations

import itertools
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from analysis.recount import OTHER_ZH
from analysis.scoring import VOTE_SCALES
from forms.limits import (
    GROUP_NAME_LENGTH,
    INDIVIDUAL_ITEMS_DEFAULT,
    ITEM_TEXT_LENGTH,
    ITEMS_MAX,
    MARKS_MAX,
    MIN_REPORT_SIZE_FLOOR,
    PERSON_NAME_LENGTH,
    POST_LENGTH,
    RATER_GROUPS_MAX,
    TITLE_LENGTH,
)
from forms.tables import table_file
from forms.translated import SubForm

TITLE = Length(max=TITLE_LENGTH)


class Sent:
    """The field was in the post, empty or not: a form sends every field, so a post without
    one is not the page's and would otherwise read as "delete them all" (the problem list)."""

    def __call__(self, form: Form, field: Field) -> None:
        if not field.raw_data:
            raise StopValidation(_l("This field was not sent; please reload the page and "
                                    "send the form again."))


class PercentField(FloatField):
    """A share typed and shown as a percentage (25 for 0.25), as organisers think of it; a
    typed % sign is allowed. The data is the share."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data * 100:g}" if self.data is not None else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata([value.strip().removesuffix("%").removesuffix("％")
                                  for value in valuelist])
        if self.data is not None:
            self.data /= 100


ROUNDING_CHOICES = [
    SelectChoice("half_up", _l("Half up (四舍五入): 22 persons at 20 percent give 4")),
    SelectChoice("up", _l("Up (进一法): 22 persons at 20 percent give 5")),
]


class GradingForm(FlaskForm):
    """The rule of 干部考核 (`analysis.grading`): the 优秀 quota and its rounding, and the share
    of 优秀 votes a person needs to be proposed 优秀."""

    quota_percent = IntegerField(
        _l("优秀 quota (percent of the persons graded)"),
        validators=[InputRequired(),
                    NumberRange(0, 100, message=_l("Enter a percentage from 0 to 100."))])
    rounding = SelectField(_l("Rounding of the quota"), choices=ROUNDING_CHOICES)
    excellent_min_percent = IntegerField(
        _l("Share of 优秀 votes needed to be proposed 优秀 (%)"),
        validators=[InputRequired(),
                    NumberRange(1, 100, message=_l("Enter a percentage from 1 to 100."))])


THRESHOLD_CHOICES = [SelectChoice("above", _l("more than (超过)")),
                     SelectChoice("at_least", _l("at least (达到)"))]


class NominationForm(FlaskForm):
    """The rule of 民主推荐 (`analysis.nomination`): at most so many candidates marked on a
    ballot, and the threshold of 得票率."""

    max_marks = IntegerField(
        _l("Candidates a ballot may mark at most"),
        validators=[InputRequired(), NumberRange(1, MARKS_MAX, message=_l(
            "Enter a number from %(min)d to %(max)d.", min=1, max=MARKS_MAX))])
    threshold_rule = SelectField(_l("Vote share needed"), choices=THRESHOLD_CHOICES)
    threshold_percent = IntegerField(
        _l("Threshold (percent of the valid ballots)"),
        validators=[InputRequired(),
                    NumberRange(0, 100, message=_l("Enter a percentage from 0 to 100."))])


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), TITLE])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    unit = SelectField(_l("Organising unit"), coerce=int, validators=[InputRequired()])


class ScoringForm(FlaskForm):
    """DOMAIN.md's default scoring, every number a setting."""

    points_excellent = IntegerField(_l("Points for “excellent”"),
                                    validators=[InputRequired(), NumberRange(0, 1000)])
    points_good = IntegerField(_l("Points for “good”"),
                               validators=[InputRequired(), NumberRange(0, 1000)])
    points_fair = IntegerField(_l("Points for “fair”"),
                               validators=[InputRequired(), NumberRange(0, 1000)])
    points_poor = IntegerField(_l("Points for “poor”"),
                               validators=[InputRequired(), NumberRange(0, 1000)])
    grade_excellent_min = IntegerField(_l("Grade “excellent” from"),
                                       validators=[InputRequired(), NumberRange(0, 1000)])
    grade_good_min = IntegerField(_l("Grade “good” from"),
                                  validators=[InputRequired(), NumberRange(0, 1000)])
    grade_fair_min = IntegerField(_l("Grade “fair” from"),
                                  validators=[InputRequired(), NumberRange(0, 1000)])
    min_report_size = IntegerField(
        _l("Minimum reporting size (ballots)"),
        validators=[InputRequired(), NumberRange(
            MIN_REPORT_SIZE_FLOOR, 1000,
            message=_l("At least %(min)d.", min=MIN_REPORT_SIZE_FLOOR))],
    )
    void_blank_fraction = PercentField(
        _l("A ballot is void when more than this percentage of items is blank (%)"),
        validators=[InputRequired(),
                    NumberRange(0, 0.99, message=_l("Enter a percentage from 0 to 99."))],
    )
    void_uniform = BooleanField(_l("Void ballots that give every item the same answer"))
    trim_above = IntegerField(
        _l("Drop the highest and lowest ballot score when there are more raters than"),
        validators=[Optional(), NumberRange(2, 100000)],
    )
    paper_recheck_percent = IntegerField(
        _l("Paper ballots drawn for a third keying (%)"),
        validators=[InputRequired(),
                    NumberRange(0, 100, message=_l("Enter a percentage from 0 to 100."))],
    )

    def validate_points_poor(self, field: IntegerField) -> None:
        points = [self.points_excellent.data, self.points_good.data, self.points_fair.data,
                  field.data]
        if None not in points and not all(a > b for a, b in itertools.pairwise(points)):
            raise ValidationError(_l("Points must fall from “excellent” to “poor”."))

    def validate_grade_fair_min(self, field: IntegerField) -> None:
        grades = [self.grade_excellent_min.data, self.grade_good_min.data, field.data]
        if None not in grades and not all(a > b for a, b in itertools.pairwise(grades)):
            raise ValidationError(_l("Grade thresholds must fall from “excellent” to “fair”."))


# An item's answer scales (the values of evalapp.campaigns.models.Scale).
SCALE_CHOICES = [SelectChoice("levels", _l("Excellent / Good / Fair / Poor")),
                 SelectChoice("satisfaction", _l("Satisfied / Fairly satisfied / Dissatisfied")),
                 SelectChoice("grades", _l("Outstanding / Competent / Basically competent / "
                                           "Incompetent (grades of 干部考核, in no score)")),
                 SelectChoice("nomination", _l("Nominated or not (推荐票: at most so many "
                                               "candidates marked, in no score)"))]


def scale_field(votes: bool = True) -> SelectField:
    """An item's scale; a form sent without it keeps the four levels. Without `votes`, no
    grades of 干部考核 and no nomination: those are a common item's (every person graded, or
    every candidate marked, on the same item)."""
    return SelectField(_l("Answers"), default="levels", choices=SCALE_CHOICES if votes else [
        choice for choice in SCALE_CHOICES if choice.value not in VOTE_SCALES])


def dont_know_field() -> BooleanField:
    return BooleanField(_l("Also offer “don't know” (不了解), counted in no score"))


class ItemForm(FlaskForm):
    text_zh = StringField(_l("Text (Chinese)"),
                          validators=[DataRequired(), Length(max=ITEM_TEXT_LENGTH)])
    text_en = StringField(_l("Text (English)"),
                          validators=[Optional(), Length(max=ITEM_TEXT_LENGTH)])
    scale = scale_field()
    dont_know = dont_know_field()


class SectionForm(FlaskForm):
    title_zh = StringField(_l("Section title (Chinese)"), validators=[DataRequired(),
                                                                      Length(max=200)])
    title_en = StringField(_l("Section title (English)"), validators=[Optional(),
                                                                      Length(max=200)])


REPORT_TYPES = ["pdf", "docx"]


class IndividualItemForm(SubForm):
    """One individual item, optionally tied to a line of the problem list; one left without
    its Chinese text is no item."""

    text_zh = StringField(_l("Individual item (Chinese)"),
                          validators=[Optional(), Length(max=ITEM_TEXT_LENGTH)])
    text_en = StringField(_l("In English (optional)"),
                          validators=[Optional(), Length(max=ITEM_TEXT_LENGTH)])
    problem = IntegerField(_l("Tied to problem no."), validators=[Optional(), NumberRange(1)])
    scale = scale_field(votes=False)
    dont_know = dont_know_field()


class SubjectForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    person_name = StringField(_l("Person debriefing"),
                              validators=[DataRequired(), Length(max=PERSON_NAME_LENGTH)])
    post = StringField(_l("Post"), validators=[Optional(), Length(max=POST_LENGTH)])
    report_text = TextAreaField(_l("Debriefing report"), validators=[Optional(),
                                                                     Length(max=100_000)])
    report_file = FileField(_l("Or upload the report (PDF or Word)"),
                            validators=[FileAllowed(REPORT_TYPES, _l("PDF or Word (.docx) only."))])
    problems = TextAreaField(_l("Problem list, one problem a line"),
                             validators=[Sent(), Optional(), Length(max=100_000)])
    problems_file = table_file(_l("Or import the problem list (CSV or Excel: the column headed "
                                  "问题, or else the first column)"), required=False)
    problems_hidden = BooleanField(_l("Include the rows hidden in the spreadsheet"))
    # one row past the limit is read, so that a 41st item is refused rather than dropped
    items = FieldList(FormField(IndividualItemForm), min_entries=INDIVIDUAL_ITEMS_DEFAULT,
                      max_entries=ITEMS_MAX + 1)

    # False for the candidates of a nomination (民主推荐), who are only marked
    individual_items_allowed = True

    def validate_items(self, field: FieldList) -> None:
        given = [entry for entry in field.entries if (entry.form.text_zh.data or "").strip()]
        if given and not self.individual_items_allowed:
            raise ValidationError(_("A nomination ballot has no individual items: its "
                                    "candidates are only marked."))
        if len(given) > ITEMS_MAX:
            # a plain string: the list's errors also hold each row's, which the page tells
            # apart from this one by their type
            raise ValidationError(_("A subject has at most %(count)d individual items.",
                                    count=ITEMS_MAX))


# Said when a 13th group is added or saved.
TOO_MANY_GROUPS = _l("A campaign has at most %(most)d rater groups: remove one before adding "
                     "another.", most=RATER_GROUPS_MAX)


def _plain(name: str | None) -> str:
    """A name as a reader tells names apart: full-width letters as half-width (NFKC),
    without invisible characters or the spaces around it."""
    folded = unicodedata.normalize("NFKC", name or "")
    return "".join(c for c in folded if unicodedata.category(c) != "Cf").strip()


class RaterGroupForm(SubForm):
    """A row of the rater groups page: `group` is the id of one of the campaign's groups,
    empty on a row added for a new group; `remove` takes the row's group out when saved."""

    group = IntegerField(widget=HiddenInput(), validators=[Optional()])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=GROUP_NAME_LENGTH)])
    name_en = StringField(_l("Name (English)"),
                          validators=[Optional(), Length(max=GROUP_NAME_LENGTH)])
    weight = FloatField(_l("Policy weight (%)"), validators=[Optional(), NumberRange(0.1, 100)])
    remove = BooleanField(_l("Remove this group"))

    def validate_name_zh(self, field: StringField) -> None:
        if not self.remove.data and not (field.data or "").strip():
            raise StopValidation(_l("Name the group in Chinese."))


class RaterGroupsForm(FlaskForm):
    """The campaign's rater groups, 1 to `RATER_GROUPS_MAX`, each named by the organiser;
    weights, when given, must be given for every group kept and add up to 100% (e.g. head
    office 40%, grassroots 60%, split over their groups)."""

    groups = FieldList(FormField(RaterGroupForm))

    def kept(self) -> list[RaterGroupForm]:
        """The rows of the groups the campaign has once saved: those not marked removed."""
        return [entry.form for entry in self.groups.entries if not entry.form.remove.data]

    def validate_groups(self, field: FieldList) -> None:
        kept = self.kept()
        if not kept:
            raise ValidationError(_l("Keep at least one rater group."))
        if len(kept) > RATER_GROUPS_MAX:
            raise ValidationError(TOO_MANY_GROUPS)
        weights = [row.weight.data for row in kept]
        given = [weight for weight in weights if weight is not None]
        if given and (len(given) != len(weights) or abs(sum(given) - 100) > 0.01):
            raise ValidationError(_l("Give a weight to every group, adding up to 100%, or to "
                                     "none."))
        chinese = [_plain(row.name_zh.data) for row in kept]
        if not all(chinese):
            raise ValidationError(_l("Each group needs its own name."))
        if OTHER_ZH in chinese:
            raise ValidationError(_l("“%(name)s” names the small groups merged in the results: "
                                     "choose another name.", name=OTHER_ZH))
        for names in (chinese, [name for row in kept if (name := _plain(row.name_en.data))]):
            if len(set(names)) != len(names):
                raise ValidationError(_l("Each group needs its own name."))
