"""The roll-up of a round (issue 27): the figures of many campaigns together, per unit of the
tree and per level, for the leadership above them.

Every figure here is a function of figures the member campaigns publish, nothing else: a
campaign's recount record (`analysis.recount.figure_table` with its `Settings`) is read into
`SubjectSummary`s by `summaries`, which take only what a reader of the record sees — a subject
whose figures are withheld (too few ballots) gives nothing but the fact that it is withheld;
a group's figures only where the campaign reports that group as a cell of its own, never the
merged cell (其他类别). So no roll-up figure, nor any difference of roll-up figures, says more
about a group hidden in a campaign than that campaign's own pages: the complementary
suppression of each campaign holds at every level (a sum of published figures is published
already). And every sum of reported cells has at least the minimum reporting size, as each of
its parts has.

Formulas:
- the satisfaction rate of a set of subjects pools their answers: (满意 + 基本满意) ÷ the
  answers of all of them, with the Wilson interval of `analysis.scoring.satisfaction_rates`;
- the score of a unit is the mean of its subjects' scores, each subject weighing alike (a
  party secretary of a branch of 8 weighs as one of 80), with the median beside it;
- the rank within a category (the units of one level) is by that score, highest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.recount import OTHER_ZH, Settings, Value
from analysis.scoring import SatisfactionRates, rates_of_counts

# The score bands of the distribution chart, as the grades' default bounds draw them.
SCORE_BANDS = (0, 60, 70, 80, 90, 100)


@dataclass(frozen=True)
class Answers:
    """Satisfaction answers counted: 满意, 基本满意, 不满意."""

    satisfied: int = 0
    fairly_satisfied: int = 0
    dissatisfied: int = 0

    def __add__(self, other: Answers) -> Answers:
        return Answers(self.satisfied + other.satisfied,
                       self.fairly_satisfied + other.fairly_satisfied,
                       self.dissatisfied + other.dissatisfied)

    @property
    def answered(self) -> int:
        return self.satisfied + self.fairly_satisfied + self.dissatisfied

    def rates(self) -> SatisfactionRates | None:
        """The rates with their intervals; None when nobody answered."""
        if not self.answered:
            return None
        return rates_of_counts(self.satisfied, self.fairly_satisfied, self.dissatisfied)


@dataclass(frozen=True)
class GroupFigures:
    """A rater group's published cell in one subject: its counted ballots, score, answers."""

    name: str
    counted: int
    score: float | None
    answers: Answers


@dataclass(frozen=True)
class SubjectSummary:
    """What a subject's published figures give the roll-up. `counted` 0 and no score: the
    subject's figures are withheld (it shows counts only)."""

    campaign_id: int
    unit_id: int
    label: str
    counted: int
    score: float | None
    grade: str
    answers: Answers
    groups: tuple[GroupFigures, ...]

    @property
    def reported(self) -> bool:
        return self.counted > 0


def _int(value: Value) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _answers(figures: Mapping[str, Value], key: str) -> Answers:
    return Answers(_int(figures.get(f"{key}/satisfied")),
                   _int(figures.get(f"{key}/fairly_satisfied")),
                   _int(figures.get(f"{key}/dissatisfied")))


def _float(value: Value) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def summaries(campaign_id: int, unit_ids: Sequence[int], settings: Settings,
              figures: Mapping[str, Value]) -> list[SubjectSummary]:
    """The subjects of one campaign's record (`settings` and the figure table `figures`, as
    `analysis.recount.figure_table` names them), with the unit each subject reports for
    (`unit_ids`, in the settings' order). Merged cells (其他类别) are no group's."""
    found = []
    for subject, unit_id in zip(settings.subjects, unit_ids, strict=True):
        name = subject.label
        if f"{name}/counted" not in figures:  # counts only: withheld
            found.append(SubjectSummary(campaign_id, unit_id, name, 0, None, "", Answers(), ()))
            continue
        groups = tuple(
            GroupFigures(cell.label, _int(figures.get(f"{name}/{cell.label}/counted")),
                         _float(figures.get(f"{name}/{cell.label}/score")),
                         _answers(figures, f"{name}/{cell.label}/satisfaction"))
            for cell in subject.cells
            if cell.label != OTHER_ZH and f"{name}/{cell.label}/counted" in figures)
        found.append(SubjectSummary(
            campaign_id, unit_id, name, _int(figures[f"{name}/counted"]),
            _float(figures.get(f"{name}/score")), str(figures.get(f"{name}/grade") or ""),
            _answers(figures, f"{name}/satisfaction"), groups))
    return found


@dataclass(frozen=True)
class GroupTotal:
    """A rater group's reported cells pooled over subjects."""

    name: str
    cells: int
    counted: int
    answers: Answers


@dataclass(frozen=True)
class Aggregate:
    """The figures of a set of subjects (a unit and the units below it, or a level)."""

    campaigns: int
    subjects: int  # reported
    withheld: int  # subjects whose figures the campaign withholds
    counted: int
    mean_score: float | None
    median_score: float | None
    grades: tuple[tuple[str, int], ...]  # grade → subjects, in the order first met
    answers: Answers
    satisfaction: SatisfactionRates | None  # of `answers`; None when nobody answered
    groups: tuple[GroupTotal, ...]
    bands: tuple[int, ...]  # subjects per band of SCORE_BANDS


def aggregate(subjects: Iterable[SubjectSummary]) -> Aggregate:
    """The figures of `subjects` together (the module's formulas)."""
    every = list(subjects)
    reported = [s for s in every if s.reported]
    scores = np.array([s.score for s in reported if s.score is not None], dtype=float)
    grades: dict[str, int] = {}
    groups: dict[str, tuple[int, int, Answers]] = {}
    answers = Answers()
    for subject in reported:
        answers += subject.answers
        if subject.grade:
            grades[subject.grade] = grades.get(subject.grade, 0) + 1
        for group in subject.groups:
            cells, counted, pooled = groups.get(group.name, (0, 0, Answers()))
            groups[group.name] = (cells + 1, counted + group.counted, pooled + group.answers)
    return Aggregate(
        campaigns=len({s.campaign_id for s in every}), subjects=len(reported),
        withheld=len(every) - len(reported), counted=sum(s.counted for s in reported),
        mean_score=float(scores.mean()) if scores.size else None,
        median_score=float(np.median(scores)) if scores.size else None,
        grades=tuple(grades.items()), answers=answers, satisfaction=answers.rates(),
        groups=tuple(GroupTotal(name, *values) for name, values in groups.items()),
        bands=score_bands(scores))


def score_bands(scores: np.ndarray) -> tuple[int, ...]:
    """How many scores fall in each band [a, b) of SCORE_BANDS, the last one closed [90, 100]."""
    counts, _edges = np.histogram(scores, bins=SCORE_BANDS)
    return tuple(int(count) for count in counts)


def summaries_as_json(subjects: Sequence[SubjectSummary]) -> list[dict]:
    """The summaries as JSON values (kept per closed campaign, read by `summaries_from_json`)."""
    return [{"campaign": s.campaign_id, "unit": s.unit_id, "label": s.label,
             "counted": s.counted, "score": s.score, "grade": s.grade,
             "answers": _answers_json(s.answers),
             "groups": [[g.name, g.counted, g.score, _answers_json(g.answers)]
                        for g in s.groups]} for s in subjects]


def summaries_from_json(values: Sequence[dict]) -> list[SubjectSummary]:
    """The summaries `summaries_as_json` wrote. Raises KeyError or TypeError on others."""
    return [SubjectSummary(v["campaign"], v["unit"], v["label"], v["counted"], v["score"],
                           v["grade"], Answers(*v["answers"]),
                           tuple(GroupFigures(name, counted, score, Answers(*answers))
                                 for name, counted, score, answers in v["groups"]))
            for v in values]


def _answers_json(answers: Answers) -> list[int]:
    return [answers.satisfied, answers.fairly_satisfied, answers.dissatisfied]
