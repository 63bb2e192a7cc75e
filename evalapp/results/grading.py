"""The 干部考核 part of the results, in words and rows: each person's votes and the grade the
campaign's rule proposes (`analysis.grading`), the 优秀 quota and how it was rounded, the
ties left to a decision, and the 公示 list of those proposed 优秀."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analysis.grading import PersonGrade, quota_exact
from evalapp.campaigns.labels import answer_label
from evalapp.campaigns.models import Grade, Rounding
from evalapp.i18n import localized
from evalapp.results.compute import CampaignResults, SubjectResults
from evalapp.results.explain import other_label

ROUNDING_WORDS = {Rounding.HALF_UP: _l("rounded half up (四舍五入)"),
                  Rounding.UP: _l("rounded up (进一法)")}


@dataclass(frozen=True)
class GradedPerson:
    result: SubjectResults
    person: PersonGrade

    @property
    def proposed(self) -> str:
        """The proposed grade in the reader's language; a tie or no votes says so."""
        if not self.person.proposed:
            return _("Tied at the quota's edge: to be decided") if self.person.tied else "–"
        grade = answer_label(Grade(self.person.proposed))
        return _("%(grade)s (tied, decided)", grade=grade) if self.person.tied else grade

    @property
    def undecided(self) -> bool:
        return self.person.tied and not self.person.proposed


def graded_persons(results: CampaignResults) -> list[GradedPerson]:
    """The persons in the order of the 优秀 votes' share (the quota's order), then the
    campaign's order: never the order of storage. None without an item of grades."""
    if results.grading is None:
        return []
    persons = [GradedPerson(r, p) for r, p in
               zip(results.subjects, results.grading.persons, strict=True)]
    return sorted(persons, key=lambda g: -(g.person.shares or (0.0,))[0])


def publicity_list(results: CampaignResults) -> list[GradedPerson]:
    """Those proposed 优秀, for the 公示 (the persons tied at the edge are not on it until
    decided)."""
    return [g for g in graded_persons(results) if g.person.proposed == Grade.EXCELLENT]


def quota_lines(results: CampaignResults) -> list[str]:
    """How many places 优秀 has and why, and what is left to decide."""
    grading, rule = results.grading, results.graded
    if grading is None or rule is None:
        return []
    persons = len(grading.persons)
    exact = quota_exact(persons, rule.rule.quota_percent)
    lines = [_("优秀 places: %(percent)s%% of %(persons)d persons is %(exact)s, %(rounding)s: "
               "%(places)d. A person is proposed 优秀 with at least %(minimum)s%% of the votes "
               "for 优秀, within the places; 基本称职 when 基本称职 and 不称职 together are more "
               "than a third of the votes; 不称职 when 不称职 alone is.",
               percent=f"{rule.rule.quota_percent:g}", persons=persons,
               exact=f"{float(exact):.2f}".rstrip("0").rstrip("."),
               rounding=ROUNDING_WORDS[Rounding(rule.rule.rounding)], places=grading.places,
               minimum=f"{rule.rule.excellent_min_percent:g}")]
    tied = sum(p.tied for p in grading.persons)
    if tied and not grading.undecided_places:
        lines.append(_("The campaign decided among the %(tied)d persons tied at the quota's "
                       "edge.", tied=tied))
    elif tied:
        lines.append(_("%(tied)d persons have the same share of 优秀 votes at the quota's edge "
                       "and share %(places)d place(s): the campaign decides who (the order of "
                       "the ballots decides nothing).", tied=tied,
                       places=grading.undecided_places))
    return lines


def group_votes(result: SubjectResults, item: int) -> list[tuple[str, tuple[int, ...]]]:
    """An item of votes' counts (the grades', or a nomination's marks) of each group shown
    on its own and of the merged cell, by name: the cells whose figures are published, and
    no other."""
    rows = [(localized(g.group, "name"), g.figures.item_counts[item]) for g in result.groups
            if g.figures is not None]
    if result.other is not None:
        rows.append((other_label(result.other), result.other.figures.item_counts[item]))
    return rows


def grading_header() -> list[str]:
    """The columns of the grading table in the exports: the person, each grade's votes, the
    proposed grade."""
    return [_("Person"), *(answer_label(grade) for grade in Grade), _("Proposed grade")]


def grading_rows(results: CampaignResults) -> list[list[str | int | float | None]]:
    """The grading table's rows for the exports: each grade's share (None without votes)
    and count, in `graded_persons`' order."""
    return [[graded.result.subject.label(),
             *(value for grade in range(4) for value in (
                 graded.person.shares[grade] if graded.person.shares else None,
                 graded.person.votes[grade])),
             graded.proposed] for graded in graded_persons(results)]
