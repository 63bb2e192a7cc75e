"""A recount anyone can run: every published figure of a campaign recomputed from its
anonymised ballot export and its printed settings, and the export checked against the digest
published when the box was opened.

The export's bytes (what the digest, SHA-256, is taken over; `sha256sum` of the downloaded
file gives it):

- UTF-8 with a byte order mark (so that Excel reads it as UTF-8), lines ending in CR LF,
  fields quoted only where needed (Python's csv module, QUOTE_MINIMAL);
- one language, Chinese, whatever the reader's language: a header row 被评对象, 测评人类别,
  状态, "n. <common item>" for each common item, 个性化内容 n for each individual item (as many
  as the subject with most), 总体评价, 意见建议; answers in the words of the item's scale
  (好/较好/一般/差 or 满意/基本满意/不满意) or 不了解, blank when not answered or when the
  subject has no such item; statuses as in `STATUS_ZH`;
- one row per published ballot, sorted field by field by Unicode code point (Python's order
  of lists of strings). The order is a function of the rows' content alone, which is what is
  published, so it tells nothing about when a ballot was cast; and the same ballots and
  settings always give the same bytes.

Rows name their reporting cell, never a group hidden inside one: a group shown on its own by
its name, the merged groups as 其他类别 (analysis.disclosure). A subject that shows counts
only has no rows. The settings say, per subject, the cells in order with their roster size
and policy weight, which is all the weighted scores need of the groups.

Every published figure is recomputed through `analysis.figures`, the path the app computes
them by. The statuses are recomputed too: void by the rules; for the dropped highest and
lowest scores, the rule is applied with the rows the export marks dropped first among ties,
so that a tie broken either way is accepted and any other choice is a difference.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from analysis.figures import (
    BallotStatus,
    Cell,
    Figures,
    Rules,
    SubjectFigures,
    ballot_statuses,
    campaign_alpha,
    ranks,
    scores_by_subject,
    subject_figures,
)
from analysis.grading import (
    GRADES,
    ROUNDINGS,
    GradedItem,
    GradingRule,
    NotADecision,
    grading_of,
)
from analysis.nomination import (
    THRESHOLD_RULES,
    NominatedItem,
    NominationRule,
    nomination_of,
)
from analysis.scoring import BLANK, DONT_KNOW, NOT_ASKED, VOTE_SCALES, SatisfactionRates

FORMAT = 1  # of the export and the record; a change of either bytes or meaning is a new one
BOM = "\ufeff"
OTHER_ZH = "其他类别"
LEVELS_ZH = ("好", "较好", "一般", "差")
SATISFACTION_ZH = ("满意", "基本满意", "不满意")
GRADES_ZH = ("优秀", "称职", "基本称职", "不称职")
NOMINATION_ZH = ("推荐", "未推荐")
SCALE_ZH = {"levels": LEVELS_ZH, "satisfaction": SATISFACTION_ZH, "grades": GRADES_ZH,
            "nomination": NOMINATION_ZH}
NOMINATION_FIELDS = ("max_marks", "threshold_percent", "threshold_rule")
GRADING_FIELDS = ("quota_percent", "rounding", "excellent_min_percent")
DONT_KNOW_ZH = "不了解"
STATUS_ZH = {
    BallotStatus.COUNTED: "有效",
    BallotStatus.VOID_BLANK: "废票：空题过多",
    BallotStatus.VOID_UNIFORM: "废票：答案完全相同",
    BallotStatus.TRIMMED: "有效，作为最高或最低分去掉",
    BallotStatus.VOID_OVERVOTE: "废票：推荐人数超过规定",
}
LEADING = ("被评对象", "测评人类别", "状态")
TRAILING = ("总体评价", "意见建议")
# Figures equal when within this relative (or absolute, near zero) difference: the recount
# sums in another order than the app, which moves the last bits of a float.
TOLERANCE = 1e-9


def export_header(common: Sequence[str], individual: int) -> list[str]:
    """The header row for common items with these texts and `individual` individual items."""
    return [*LEADING, *(f"{n}. {text}" for n, text in enumerate(common, start=1)),
            *(f"个性化内容 {n}" for n in range(1, individual + 1)), *TRAILING]


def answer_zh(scale: str, code: int) -> str:
    """An answer as the export writes it: the word of its place on `scale`, 不了解, or ""
    (blank, or no such item)."""
    if code >= 0:
        return SCALE_ZH[scale][code]
    return DONT_KNOW_ZH if code == DONT_KNOW else ""


def export_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """The export's exact bytes (see the module's docstring): `rows` in any order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(sorted([list(row) for row in rows]))
    return (BOM + buffer.getvalue()).encode("utf-8")


def digest(data: bytes) -> str:
    """SHA-256 of the export's bytes, 64 lowercase hex digits (what `sha256sum` prints)."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CellSettings:
    label: str  # as in the export's 测评人类别 column
    population: int  # people on the roster of the cell's groups
    weight: float  # the cell's groups' policy weights together; 0 for none


@dataclass(frozen=True)
class SubjectSettings:
    label: str  # as in the export's 被评对象 column
    scales: tuple[str, ...]  # of each item on this subject's ballots, common ones first
    figures: bool  # False: counts only, no rows in the export
    cells: tuple[CellSettings, ...]  # in the order the app weighs and tests them

    @property
    def items(self) -> int:
        return len(self.scales)


@dataclass(frozen=True)
class Settings:
    """The settings a recount needs: the scoring rules, the common items and, per subject,
    its reporting cells."""

    rules: Rules
    common_items: int
    subjects: tuple[SubjectSettings, ...]
    grading: GradedItem | None = None  # a campaign whose questionnaire has a grades item
    nomination: NominatedItem | None = None  # one whose questionnaire is a nomination

    def as_json(self) -> dict:
        r = self.rules
        graded = self.grading
        nominated = self.nomination
        return {
            **({} if nominated is None else {"nomination": {"item": nominated.item} | {
                field: getattr(nominated.rule, field) for field in NOMINATION_FIELDS}}),
            "grading": None if graded is None else {
                "item": graded.item, "chosen": list(graded.chosen)} | {
                field: getattr(graded.rule, field) for field in GRADING_FIELDS},
            "points": list(r.points), "void_blank_fraction": r.void_blank_fraction,
            "void_uniform": r.void_uniform, "trim_above": r.trim_above,
            "grades": list(r.grades), "min_report_size": r.min_report_size,
            "common_items": self.common_items,
            "subjects": [{"label": s.label, "items": s.items, "scales": list(s.scales),
                          "figures": s.figures,
                          "cells": [{"label": c.label, "population": c.population,
                                     "weight": c.weight} for c in s.cells]}
                         for s in self.subjects],
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Settings:
        """Raises ValueError (KeyError, TypeError included) on a malformed settings object."""
        try:
            a, b, c, d = (float(x) for x in data["points"])
            excellent, good, fair = (float(x) for x in data["grades"])
            trim = data["trim_above"]
            rules = Rules((a, b, c, d), float(data["void_blank_fraction"]),
                          bool(data["void_uniform"]), None if trim is None else int(trim),
                          (excellent, good, fair), int(data["min_report_size"]))
            subjects = tuple(
                SubjectSettings(str(s["label"]), _scales(s), bool(s["figures"]), tuple(
                    CellSettings(str(c["label"]), int(c["population"]), float(c["weight"]))
                    for c in s["cells"]))
                for s in data["subjects"])
            if any(set(s.scales) - set(SCALE_ZH) for s in subjects):
                raise ValueError("an unknown scale")
            common = int(data["common_items"])
            return cls(rules, common, subjects, _graded(data.get("grading")),
                       _nominated(data.get("nomination"), common))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"malformed settings: {error!r}") from error


def _graded(data: Mapping | None) -> GradedItem | None:
    if data is None:
        return None
    rule = GradingRule(float(data["quota_percent"]), str(data["rounding"]),
                       float(data["excellent_min_percent"]))
    if rule.rounding not in ROUNDINGS:
        raise ValueError("an unknown rounding")
    return GradedItem(int(data["item"]), rule,
                      tuple(int(n) for n in data.get("chosen", ())))


def _nominated(data: Mapping | None, common_items: int) -> NominatedItem | None:
    if data is None:
        return None
    rule = NominationRule(int(data["max_marks"]), int(data["threshold_percent"]),
                          str(data["threshold_rule"]))
    item = int(data["item"])
    if (rule.threshold_rule not in THRESHOLD_RULES or rule.max_marks < 1
            or not 0 <= rule.threshold_percent <= 100 or not 0 <= item < common_items):
        raise ValueError("an impossible nomination rule")
    return NominatedItem(item, rule)


def _scales(subject: Mapping) -> tuple[str, ...]:
    """A subject's item scales; settings printed before items had scales have none, and
    their items were all rated 好/较好/一般/差."""
    scales = tuple(str(scale) for scale in subject.get("scales", ()))
    if scales and len(scales) != int(subject["items"]):
        raise ValueError("as many scales as items")
    return scales or ("levels",) * int(subject["items"])


Value = int | float | str | None


def figure_table(settings: Settings, figures: Sequence[SubjectFigures | None],
                 alpha: float | None) -> dict[str, Value]:
    """Every published figure that the export determines, named `subject/…/figure`:
    per subject with figures its counts, score, grade, rank, weighted scores, satisfaction
    rates with intervals, items (mean, counts and shares of each level) and tests between
    cells; per reported cell its count, score, satisfaction rates and item means; Cronbach's
    α. `figures` follow `settings.subjects` (None: counts only)."""
    table: dict[str, Value] = {"alpha": alpha}
    rank = ranks([f.score if f else None for f in figures])
    for subject, found, position in zip(settings.subjects, figures, rank, strict=True):
        if found is None:
            continue
        name = subject.label
        table |= {f"{name}/returned": found.returned, f"{name}/counted": found.counted,
                  f"{name}/void_blank": found.void_blank,
                  f"{name}/void_uniform": found.void_uniform, f"{name}/trimmed": found.trimmed,
                  f"{name}/score": found.score, f"{name}/grade": found.grade,
                  f"{name}/rank": position, f"{name}/policy_score": found.policy_score}
        if settings.nomination is not None:
            table[f"{name}/void_overvote"] = found.void_overvote
        design = found.design
        table |= {f"{name}/design/{field}": getattr(design, field, None)
                  for field in ("estimate", "se", "ci_low", "ci_high")}
        table |= _rates(f"{name}/satisfaction", found.satisfaction)
        for number, item in enumerate(found.items, start=1):
            table[f"{name}/item {number}/mean"] = item.mean_points
            for level, count, share in zip(SCALE_ZH[item.scale], item.counts, item.shares,
                                           strict=False):
                table[f"{name}/item {number}/{level}/count"] = count
                table[f"{name}/item {number}/{level}/share"] = share
            table[f"{name}/item {number}/{DONT_KNOW_ZH}/count"] = item.dont_know
        for test, key in ((found.comparison, "scores test"),
                          (found.satisfaction_test, "satisfaction test")):
            table[f"{name}/{key}/statistic"] = test.statistic if test else None
            table[f"{name}/{key}/p"] = test.p_value if test else None
        for cell, counted, shown in zip(subject.cells, found.cell_counted, found.cells,
                                        strict=True):
            if shown is not None:
                table |= _cell(f"{name}/{cell.label}", counted, shown, subject.scales)
    if settings.grading is not None:
        table |= _grading(settings.subjects, figures, settings.grading)
    if settings.nomination is not None:
        table |= _nomination(settings.subjects, figures, settings.nomination)
    return {key: None if isinstance(v, float) and math.isnan(v) else v
            for key, v in table.items()}


def _rates(key: str, rates: SatisfactionRates | None) -> dict[str, Value]:
    fields = ("answered", "satisfied", "fairly_satisfied", "dissatisfied", "rate",
              "strict_rate")
    table: dict[str, Value] = {f"{key}/{f}": getattr(rates, f, None) for f in fields}
    for field in ("rate_interval", "strict_interval"):
        low, high = getattr(rates, field) if rates else (None, None)
        table |= {f"{key}/{field}/low": low, f"{key}/{field}/high": high}
    return table


def _cell(key: str, counted: int, figures: Figures, scales: Sequence[str]) -> dict[str, Value]:
    """A reported cell's figures; of an item of votes (`VOTE_SCALES`), its votes."""
    table: dict[str, Value] = {f"{key}/counted": counted, f"{key}/score": figures.score}
    table |= _rates(f"{key}/satisfaction", figures.satisfaction)
    table |= {f"{key}/item {n}/mean": mean for n, mean in enumerate(figures.item_means, 1)}
    for n, (scale, counts) in enumerate(zip(scales, figures.item_counts, strict=True), 1):
        if scale in VOTE_SCALES:
            table |= {f"{key}/item {n}/{word}/count": count
                      for word, count in zip(SCALE_ZH[scale], counts, strict=False)}
    return table


def _grading(subjects: Sequence[SubjectSettings], figures: Sequence[SubjectFigures | None],
             graded: GradedItem) -> dict[str, Value]:
    """The 干部考核 proposal (`analysis.grading`): the quota's places and each person's
    proposed grade (in Chinese) and whether tied at the quota's edge; the organisers'
    decision among tied persons applied, and whether it was one the proposal allows."""
    try:
        grading, valid = grading_of(figures, graded), True
    except NotADecision:
        grading, valid = grading_of(figures, replace(graded, chosen=())), False
    table: dict[str, Value] = {"grading/places": grading.places,
                               "grading/undecided_places": grading.undecided_places,
                               "grading/decision_valid": int(valid)}
    for subject, person in zip(subjects, grading.persons, strict=True):
        table[f"{subject.label}/grading/proposed"] = (
            GRADES_ZH[GRADES.index(person.proposed)] if person.proposed else "")
        table[f"{subject.label}/grading/tied"] = int(person.tied)
    return table


def _nomination(subjects: Sequence[SubjectSettings], figures: Sequence[SubjectFigures | None],
                nominated: NominatedItem) -> dict[str, Value]:
    """The 民主推荐 tally (`analysis.nomination`): each candidate's votes, 得票率, rank and
    whether the threshold is reached."""
    table: dict[str, Value] = {}
    for subject, votes in zip(subjects, nomination_of(figures, nominated), strict=True):
        key = f"{subject.label}/nomination"
        table |= {f"{key}/votes": votes.votes, f"{key}/ballots": votes.ballots,
                  f"{key}/rate": votes.rate, f"{key}/rank": votes.rank,
                  f"{key}/reached": int(votes.reached) if votes.reported else None}
    return table


@dataclass(frozen=True)
class Difference:
    """One figure that differs: `published` or `recounted` None when one side lacks it."""

    figure: str
    published: Value
    recounted: Value


def differences(published: Mapping[str, Value],
                recounted: Mapping[str, Value]) -> list[Difference]:
    """The figures that differ, in the published order, then those only recounted. Numbers
    agree within `TOLERANCE`; a missing figure and None are the same."""
    found = []
    for key in [*published, *(k for k in recounted if k not in published)]:
        a, b = published.get(key), recounted.get(key)
        if not _same(a, b):
            found.append(Difference(key, a, b))
    return found


def _same(a: Value, b: Value) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


class ExportError(ValueError):
    """The export cannot be read as one: `line` is its line number (1: the header)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Recount:
    """What the recount found: the export's `digest`, every figure recomputed (`figures`, as
    `figure_table` names them) and the rows whose status the rules do not give
    (`status_rows`: (line, published status, recounted status))."""

    digest: str
    figures: dict[str, Value]
    status_rows: tuple[tuple[int, str, str], ...]


def recount(data: bytes, settings: Settings) -> Recount:
    """Recompute every published figure from the export's bytes and the settings.

    Raises ExportError when the file is not an export of these settings (wrong columns, an
    unknown subject, cell, answer or status)."""
    header, rows = _read(data)
    common = settings.common_items
    width = len(header) - len(LEADING) - len(TRAILING)
    if width < common:
        raise ExportError(1, f"expected {common} common items and the individual items")
    subjects = {s.label: position for position, s in enumerate(settings.subjects)}
    levels = np.full((len(rows), width), -1, dtype=int)
    subject = np.zeros(len(rows), dtype=int)
    cell = np.zeros(len(rows), dtype=int)
    published = np.zeros(len(rows), dtype=np.int8)
    satisfaction = np.zeros(len(rows), dtype=int)
    statuses = {label: status for status, label in STATUS_ZH.items()}
    for index, row in enumerate(rows):
        line = index + 2
        if len(row) != len(header):
            raise ExportError(line, f"{len(row)} fields, the header has {len(header)}")
        if row[0] not in subjects or not settings.subjects[subjects[row[0]]].figures:
            raise ExportError(line, f"no subject with figures is called {row[0]!r}")
        subject[index] = subjects[row[0]]
        cells = [c.label for c in settings.subjects[subject[index]].cells]
        cell[index] = _code(cells, row[1], line, "rater group")
        published[index] = statuses[row[2]] if row[2] in statuses else _code(
            [], row[2], line, "status")
        levels[index] = _answers(settings.subjects[subject[index]].scales,
                                 row[len(LEADING):len(LEADING) + width], line)
        satisfaction[index] = _code(SATISFACTION_ZH, row[-2], line, "satisfaction")
    tables = {position: settings.rules.item_points(plan.scales)
              for position, plan in enumerate(settings.subjects)}
    scores = scores_by_subject(levels, subject, tables)
    # A ballot voided for its ticket's too many marks cannot be told from its row (the
    # ticket's other ballots are not linked to it, and its marks are not published): the
    # export's word is taken, for a nomination only, and the candidates' counts follow. The
    # rater's receipt, listed void or not when the box was opened, is what checks it.
    status = ballot_statuses(levels, subject, scores, settings.rules,
                             first=published == BallotStatus.TRIMMED,
                             overvoted=(published == BallotStatus.VOID_OVERVOTE
                                        if settings.nomination is not None else None))
    wrong = np.flatnonzero(status != published)
    figures: list[SubjectFigures | None] = []
    for position, plan in enumerate(settings.subjects):
        mine = subject == position
        figures.append(subject_figures(
            levels[mine, :plan.items], satisfaction[mine], status[mine], scores[mine],
            cell[mine], [Cell(c.population, c.weight) for c in plan.cells],
            [True] * len(plan.cells), settings.rules, [""] * plan.items, plan.scales)
            if plan.figures else None)
    valid = (status == BallotStatus.COUNTED) | (status == BallotStatus.TRIMMED)
    common_scales = settings.subjects[0].scales[:common] if settings.subjects else ()
    return Recount(
        digest(data),
        figure_table(settings, figures, campaign_alpha(
            levels[valid, :common], settings.rules.item_points(common_scales))),
        tuple((int(i) + 2, STATUS_ZH[BallotStatus(published[i])],
               STATUS_ZH[BallotStatus(status[i])]) for i in wrong))


def _read(data: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ExportError(1, "not UTF-8 text") from error
    lines = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    if not lines or len(lines[0]) < len(LEADING) + len(TRAILING):
        raise ExportError(1, "no header row of an export")
    return lines[0], lines[1:]


def _answers(scales: Sequence[str], answers: Sequence[str], line: int) -> list[int]:
    """A row's item answers as codes: each in its item's scale (or 不了解); the columns past
    the subject's items must be empty, and are not asked."""
    if len(scales) > len(answers):
        raise ExportError(line, f"{len(answers)} answers for {len(scales)} items")
    codes = [DONT_KNOW if text == DONT_KNOW_ZH else _code(SCALE_ZH[scale], text, line, "answer")
             for scale, text in zip(scales, answers, strict=False)]
    if any(answers[len(scales):]):
        raise ExportError(line, "an answer to an item its subject does not have")
    return codes + [NOT_ASKED] * (len(answers) - len(scales))


def _code(labels: Sequence[str], text: str, line: int, what: str) -> int:
    """The position of `text` among `labels`; BLANK for a blank answer."""
    if text in labels:
        return labels.index(text)
    if not text and what in ("answer", "satisfaction"):
        return BLANK
    raise ExportError(line, f"unknown {what} {text!r}")
