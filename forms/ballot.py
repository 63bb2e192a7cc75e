"""The rater's ballot form, built for the subjects and items of one ticket.

Every answer is optional (a blank item is missing, not wrong: void rules are applied in the
analysis), but a value that is not one of the offered levels is an error, reported in the
rater's language next to the item, with every other answer kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Optional, ValidationError

Choices = Sequence[tuple[str, str]]


def utf16_length(text: str) -> int:
    """A text's length as browsers count it for `maxlength` and `value.length`: in UTF-16
    code units, so an emoji counts two. The server counts the same, or a rater whose counter
    says there is room would be refused (and the sealed ballot's fixed size relies on it)."""
    return len(text.encode("utf-16-le")) // 2


class MaxUtf16Length:
    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def __call__(self, form: FlaskForm, field: TextAreaField) -> None:
        if field.data and utf16_length(field.data) > self.maximum:
            raise ValidationError(_l("At most %(max)d characters, please.", max=self.maximum))


@dataclass(frozen=True)
class SubjectLayout:
    subject_id: int
    common_item_ids: tuple[int, ...]
    individual_item_ids: tuple[int, ...]


class LevelField(RadioField):
    """A radio group whose wrong value gets a plain message rather than WTForms' generic one."""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data is not None and self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Please choose one of the offered answers."))


def common_field(subject_id: int, item_id: int) -> str:
    return f"s{subject_id}_c{item_id}"


def individual_field(subject_id: int, item_id: int) -> str:
    return f"s{subject_id}_i{item_id}"


def satisfaction_field(subject_id: int) -> str:
    return f"s{subject_id}_satisfaction"


def comment_field(subject_id: int) -> str:
    return f"s{subject_id}_comment"


class BallotFormBase(FlaskForm):
    # Set once the rater has been shown which items are blank and submits anyway.
    confirm_blanks = HiddenField()

    layout: tuple[SubjectLayout, ...] = ()

    def unanswered(self, subject: SubjectLayout) -> list[str]:
        """Names of the item fields of `subject` left blank (satisfaction included)."""
        names = [
            *(common_field(subject.subject_id, item) for item in subject.common_item_ids),
            *(individual_field(subject.subject_id, item) for item in subject.individual_item_ids),
            satisfaction_field(subject.subject_id),
        ]
        return [name for name in names if not self[name].data]


def ballot_form_class(
    layout: Sequence[SubjectLayout],
    *,
    levels: Choices,
    satisfactions: Choices,
    comment_max: int,
) -> type[BallotFormBase]:
    levels = [SelectChoice(value, label) for value, label in levels]
    satisfactions = [SelectChoice(value, label) for value, label in satisfactions]
    fields: dict[str, object] = {"layout": tuple(layout)}
    for subject in layout:
        sid = subject.subject_id
        for item in subject.common_item_ids:
            fields[common_field(sid, item)] = LevelField(choices=levels, validators=[Optional()])
        for item in subject.individual_item_ids:
            fields[individual_field(sid, item)] = LevelField(
                choices=levels, validators=[Optional()]
            )
        fields[satisfaction_field(sid)] = LevelField(
            choices=satisfactions, validators=[Optional()]
        )
        fields[comment_field(sid)] = TextAreaField(
            validators=[
                Optional(),
                MaxUtf16Length(comment_max),
            ]
        )
    return type("BallotForm", (BallotFormBase,), fields)
