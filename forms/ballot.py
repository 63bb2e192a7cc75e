"""The rater's ballot form, built for the subjects and items of one ticket.

Every answer is optional (a blank item is missing, not wrong: void rules are applied in the
analysis), but a value that is not one of the offered levels is an error, reported in the
rater's language next to the item, with every other answer kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from babel import support
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Optional, ValidationError

from forms.translated import wtforms_translations

Choices = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class ItemLayout:
    """An item as its field needs it: the answers it offers follow its scale and 不了解."""

    id: int
    scale: str  # a value of evalapp.campaigns.models.Scale
    dont_know: bool


@dataclass(frozen=True)
class SubjectLayout:
    subject_id: int
    common_items: tuple[ItemLayout, ...]
    individual_items: tuple[ItemLayout, ...]


NOMINATION = "nomination"  # the scale (evalapp.campaigns.models.Scale) of a candidate's mark
NOMINATED, NOT_NOMINATED = "nominated", "not_nominated"  # its two answers


class LevelField(RadioField):
    """A radio group whose wrong value gets a plain message rather than WTForms' generic one."""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data is not None and self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Please choose one of the offered answers."))


def utf16_length(text: str) -> int:
    """A text's length as browsers count it for `maxlength` and `value.length`: in UTF-16
    code units, so an emoji counts two. The server counts the same, or a rater whose counter
    says there is room would be refused (and the sealed ballot's fixed size relies on it)."""
    return len(text.encode("utf-16-le")) // 2


class MaxLength:
    """At most `limit` characters as the browser counts them (`utf16_length`), and if not,
    how many to cut."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form: FlaskForm, field: TextAreaField) -> None:
        over = utf16_length(field.data or "") - self.limit
        if over > 0:
            raise ValidationError(_l(
                "At most %(max)d characters: please cut %(over)d.", max=self.limit, over=over))


def common_field(subject_id: int, item_id: int) -> str:
    return f"s{subject_id}_c{item_id}"


def individual_field(subject_id: int, item_id: int) -> str:
    return f"s{subject_id}_i{item_id}"


def satisfaction_field(subject_id: int) -> str:
    return f"s{subject_id}_satisfaction"


def comment_field(subject_id: int) -> str:
    return f"s{subject_id}_comment"


class BallotFormBase(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: FlaskForm) -> support.Translations | None:
            """WTForms' own messages in the reader's language, read once per language:
            Flask-WTF reads them from disk on every request, and a room of raters sends
            two ballot requests each."""
            return wtforms_translations() or super().get_translations(form)

    # Set once the rater has been shown which items are blank and submits anyway.
    confirm_blanks = HiddenField()

    layout: tuple[SubjectLayout, ...] = ()
    max_marks: int | None = None  # of a nomination: candidates a ballot may mark at most

    def marks(self) -> int:
        """The candidates marked (推荐) on a nomination ballot."""
        return sum(self[common_field(s.subject_id, item.id)].data == NOMINATED
                   for s in self.layout for item in s.common_items
                   if item.scale == NOMINATION)

    def validate(self, extra_validators: Mapping[str, Sequence] | None = None) -> bool:
        """The fields, and on a nomination ballot the number of marks: a ballot of more than
        `max_marks` would be void, so the rater is asked to take marks off instead (the
        error in `over_marked`)."""
        valid = super().validate(extra_validators)
        if self.max_marks is not None and (marks := self.marks()) > self.max_marks:
            self.form_errors.append(_l(
                "You marked %(marks)d candidates; at most %(max)d may be marked, and a ballot "
                "with more is void. Please take off %(over)d.", marks=marks,
                max=self.max_marks, over=marks - self.max_marks))
            return False
        return valid

    def unanswered(self, subject: SubjectLayout) -> list[str]:
        """Names of the item fields of `subject` left blank (satisfaction included)."""
        names = [
            *(common_field(subject.subject_id, item.id) for item in subject.common_items),
            *(individual_field(subject.subject_id, item.id)
              for item in subject.individual_items),
        ]
        if self[satisfaction_field(subject.subject_id)].choices:  # asked
            names.append(satisfaction_field(subject.subject_id))
        return [name for name in names if not self[name].data]


def ballot_form_class(
    layout: Sequence[SubjectLayout],
    *,
    answers: Callable[[ItemLayout], Choices],
    satisfactions: Choices,
    comment_max: int,
    max_marks: int | None = None,
    opinions: bool = True,
) -> type[BallotFormBase]:
    """The form of `layout`'s subjects: each item offers `answers(item)` (value, label); no
    `satisfactions` when the campaign asks no overall satisfaction. A nomination's item is a
    checkbox: unticked, it is sent as nothing, which reads as 未推荐 (never blank); at most
    `max_marks` may be ticked. Without `opinions`, no opinion field (a nomination's ballot
    is its marks alone: a text beside them could tell whose they are)."""
    offered: dict[tuple[str, bool], list[SelectChoice]] = {}

    def choices(item: ItemLayout) -> list[SelectChoice]:
        key = (item.scale, item.dont_know)
        if key not in offered:
            offered[key] = [SelectChoice(value, label) for value, label in answers(item)]
        return offered[key]

    satisfactions = [SelectChoice(value, label) for value, label in satisfactions]
    fields: dict[str, object] = {"layout": tuple(layout), "max_marks": max_marks}
    for subject in layout:
        sid = subject.subject_id
        for item in subject.common_items:
            # a candidate's box is ticked or not, never blank: sent as nothing it is not
            # ticked (the default), sent empty it is an error
            fields[common_field(sid, item.id)] = (
                LevelField(choices=choices(item), default=NOT_NOMINATED)
                if item.scale == NOMINATION
                else LevelField(choices=choices(item), validators=[Optional()]))
        for item in subject.individual_items:
            fields[individual_field(sid, item.id)] = LevelField(
                choices=choices(item), validators=[Optional()])
        fields[satisfaction_field(sid)] = LevelField(
            choices=satisfactions, validators=[Optional()]
        )
        # Its line breaks arrive as one LF each (the app's request unifies them), as the
        # page's counter and `maxlength` count them.
        if opinions:
            fields[comment_field(sid)] = TextAreaField(
                validators=[Optional(), MaxLength(comment_max)])
    return type("BallotForm", (BallotFormBase,), fields)
