"""How the answer scales read, in the reader's language, and how the campaign's things are
named in the audit log."""

from __future__ import annotations

from typing import Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from evalapp.audit.present import load_names, names
from evalapp.campaigns.models import (
    Answer,
    Campaign,
    CommonItem,
    DontKnow,
    Grade,
    Level,
    Nomination,
    RaterGroup,
    Satisfaction,
    Scale,
    Subject,
)
from evalapp.i18n import localized

LEVEL_LABELS = {
    Level.EXCELLENT: _l("Excellent"),
    Level.GOOD: _l("Good"),
    Level.FAIR: _l("Fair"),
    Level.POOR: _l("Poor"),
}
SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: _l("Satisfied"),
    Satisfaction.FAIRLY_SATISFIED: _l("Fairly satisfied"),
    Satisfaction.DISSATISFIED: _l("Dissatisfied"),
}
GRADE_ANSWER_LABELS = {
    Grade.EXCELLENT: _l("Outstanding"),
    Grade.COMPETENT: _l("Competent"),
    Grade.BASICALLY_COMPETENT: _l("Basically competent"),
    Grade.INCOMPETENT: _l("Incompetent"),
}
NOMINATION_LABELS = {
    Nomination.NOMINATED: _l("Nominated"),
    Nomination.NOT_NOMINATED: _l("Not nominated"),
}
DONT_KNOW_LABEL = _l("Don't know")
# by the answer's type: the values of Level and Grade overlap ("excellent")
_ANSWER_LABELS = {Level: LEVEL_LABELS, Satisfaction: SATISFACTION_LABELS,
                  Grade: GRADE_ANSWER_LABELS, Nomination: NOMINATION_LABELS}
DIGEST_LABEL = _l("Digest (SHA-256) of the anonymised ballot export")


def digest_lines(digest: str) -> list[str]:
    """The published digest of a campaign's ballot export, and how anyone checks it; the same
    words on the receipt list, the results page, the PDF report and the Excel summary."""
    return [_("%(label)s: %(digest)s", label=str(DIGEST_LABEL), digest=digest),
            _("Published when the ballot box was opened. Anyone with a copy of the export "
              "(CSV) can check it: sha256sum of the file prints this digest, and "
              "“evalapp recount FILE.csv” recomputes every published figure from the file "
              "and the printed settings and names any difference.")]


def level_choices() -> list[tuple[str, str]]:
    return [(level.value, str(label)) for level, label in LEVEL_LABELS.items()]


def satisfaction_choices() -> list[tuple[str, str]]:
    return [(choice.value, str(label)) for choice, label in SATISFACTION_LABELS.items()]


class ScaledItem(Protocol):
    """An item model, or a form's layout of one (whose scale is the enum's value)."""

    scale: Scale | str
    dont_know: bool


def answer_choices(item: ScaledItem) -> list[tuple[str, str]]:
    """The answers an item offers, in the reader's language: its scale's, best first, then
    不了解 when the item allows it."""
    choices = [(answer.value, answer_label(answer)) for answer in Scale(item.scale).answers]
    return choices + ([(DontKnow.DONT_KNOW.value, str(DONT_KNOW_LABEL))] if item.dont_know
                      else [])


def answer_label(answer: Answer) -> str:
    """One answer in the reader's language."""
    if isinstance(answer, DontKnow):
        return str(DONT_KNOW_LABEL)
    return str(_ANSWER_LABELS[type(answer)][answer])


@names("campaign")
def _campaign_names(ids: set[int]) -> dict[int, str]:
    return load_names(Campaign, ids, lambda campaign: campaign.title)


@names("subject")
def _subject_names(ids: set[int]) -> dict[int, str]:
    return load_names(Subject, ids, Subject.label)


@names("item")
def _item_names(ids: set[int]) -> dict[int, str]:
    return load_names(CommonItem, ids, lambda item: localized(item, "text"))


@names("group")
def _group_names(ids: set[int]) -> dict[int, str]:
    return load_names(RaterGroup, ids, lambda group: localized(group, "name"))
