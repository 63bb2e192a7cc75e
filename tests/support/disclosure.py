"""The attacker of DOMAIN.md's "Arithmetic counts as an attacker", and campaigns to attack.

`build_campaign` writes a closed campaign straight through the operations layer (no HTTP: the
attack test builds hundreds). `attack` renders what a reader gets — the subject pages, the
Excel summary and the anonymised CSV, through the same functions the pages and exports call —
reads every figure back with its label, and tries to recover a small group's mean score, its
satisfaction rate or any of its ballots:

- by exact linear algebra (fractions.Fraction): each published figure is a linear function of
  the per-group sums (score sums, satisfied counts), its coefficients known from its label and
  the documented formula; a small group's sum is recoverable exactly when its indicator vector
  lies in the row space of the published rows, and the combination then computes it from the
  published (rounded) figures;
- by matching the CSV's rows: rows under a label that only one small group can be behind, or
  rows of a status (entering the figures or not) that only one group under the label can
  have, given the counts the pages publish (and, in a nomination, which groups cannot have a
  ballot void for too many marks at all: those whose ballots name at most k candidates).

It reads the subject pages (figures, the table by rater group, each group's votes of an item
of votes: the grades of 干部考核 or a nomination's marks), the recount record's figures
(`published_figures`: exact scores, satisfaction counts and votes, per subject and per
reported cell, and a nomination's tally), the Excel summary with its sheets of votes (the
grades proposed, the tally of 民主推荐) and the anonymised CSV. The unknowns of an item of
votes are each group's count of each answer among its valid ballots. Of a nomination's tally
it reads each candidate's votes and 得票率; its valid ballots and its void ballots (too many
marks) are counts, which the attacker is granted anyway, and the rank and the threshold
reached follow from the candidates' votes.

The attacker is granted more than any reader has: each group's exact counts (returned,
entering the figures, answering the satisfaction question, answering each item of votes),
roster sizes and policy weights. What it must not be given is any group's answers; those it
reads only from the outputs. (So a leak of counts alone is not what it looks for: a merged
group's valid ballots, say, which a nomination's void ballots can give away when groups'
tickets name different candidates, each void ticket voiding its ballots on all of them.)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis.nomination import NominationRule
from analysis.recount import (
    LEVELS_ZH,
    OTHER_ZH,
    SATISFACTION_ZH,
    SCALE_ZH,
    STATUS_ZH,
    Value,
)
from analysis.scoring import DONT_KNOW, SCALE_POINTS, VOTE_SCALES
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.default_questionnaire import TemplateItem, TemplateSection
from evalapp.campaigns.models import (
    Answer,
    Campaign,
    DontKnow,
    NominationSettings,
    RaterGroup,
    Satisfaction,
    Scale,
    Subject,
)
from evalapp.campaigns.operations import create_campaign, make_nomination_ballot
from evalapp.extensions import db
from evalapp.results import views
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import (
    UNMERGED_SETTING,
    BallotStatus,
    CampaignResults,
    campaign_results,
    item_scales,
)
from evalapp.results.published import published_figures, recount_settings
from evalapp.results.summary_xlsx import summary_xlsx
from evalapp.roster.models import RosterEntry
from evalapp.tickets.tokens import new_receipt_code
from evalapp.units.models import OrgUnit
from tests.support.ballots import BallotContent, insert_ballots

# One returned ballot of a group: (subject index, each item's place on its scale (0 the best),
# None for blank or analysis.scoring.DONT_KNOW for 不了解, satisfaction 0 满意 / 1 基本满意 /
# 2 不满意 or None, opinion)
Row = tuple[int, tuple[int | None, ...], int | None, str]


@dataclass(frozen=True)
class GroupPlan:
    roster: int
    weight: float | None
    ballots: tuple[Row, ...]
    # per ballot, whether it is stored void for its ticket's too many marks (a nomination's
    # ballots of one ticket all are, or none); empty: none is
    overvoted: tuple[bool, ...] = ()


def build_campaign(unit: OrgUnit, groups: Sequence[GroupPlan], *, subjects: int = 1,
                   items: int = 3, minimum: int = 5, trim_above: int | None = None,
                   void_uniform: bool = False, title: str = "测评",
                   scales: Sequence[tuple[Scale, bool]] = (),
                   nomination: NominationRule | None = None) -> int:
    """A closed campaign with a small questionnaire (`items` common items, no individual
    ones; the first ones with `scales`' scale and 不了解 offered or not, the others on the
    four levels), or with `nomination` a nomination ballot of that rule (its one item, the
    subjects its candidates: rows then have one answer, 0 推荐 or 1 未推荐), one rater group
    per plan (named 类别1, 类别2, … / Group 1, …); returns its id."""
    section = TemplateSection("测评内容", "Items", tuple(
        TemplateItem(f"题目{n}", f"Item {n}") for n in range(1, items + 1)))
    campaign = create_campaign(unit, title, sections=(section,))
    if nomination is not None:
        make_nomination_ballot(campaign)
        db.session.expire(campaign, ["sections"])  # the deleted ones are still listed
        campaign.nomination = NominationSettings(
            max_marks=nomination.max_marks, threshold_percent=nomination.threshold_percent,
            threshold_rule=nomination.threshold_rule)
        scales = ()
    for item, (scale, dont_know) in zip(campaign.sections[0].items, scales, strict=False):
        item.scale, item.dont_know = scale, dont_know
    item_scales = [item.scale for item in campaign.sections[0].items]
    campaign.min_report_size, campaign.trim_above = minimum, trim_above
    campaign.void_uniform = void_uniform
    for position in range(1, subjects + 1):
        db.session.add(Subject(campaign=campaign, unit=unit, position=position,
                               person_name=f"述职人{position}", report_text="述职报告"))
    existing = _groups(campaign)
    for extra in existing[len(groups):]:
        db.session.delete(extra)
    db.session.flush()
    for position, group in enumerate(_groups(campaign), start=1):
        group.name_zh, group.name_en = f"类别{position}", f"Group {position}"
    db.session.add_all(RaterGroup(campaign_id=campaign.id, position=position,
                                  name_zh=f"类别{position}", name_en=f"Group {position}")
                       for position in range(len(existing) + 1, len(groups) + 1))
    db.session.flush()
    rater_groups = _groups(campaign)
    people = []
    for group, plan in zip(rater_groups, groups, strict=True):
        group.weight = plan.weight
        people += [{"campaign_id": campaign.id, "rater_group_id": group.id, "name": f"{n}",
                    "staff_number": f"{group.id}-{n}", "unit_name": ""}
                   for n in range(plan.roster)]
    if people:
        db.session.execute(sa.insert(RosterEntry), people)
    open_campaign(campaign)
    subject_ids = [s.id for s in campaign.subjects]
    satisfactions = list(Satisfaction)
    for group, plan in zip(rater_groups, groups, strict=True):
        void = plan.overvoted or (False,) * len(plan.ballots)
        insert_ballots(campaign.id, group.id, [
            BallotContent(subject_ids[subject],
                          [_answer(scale, v) for scale, v in zip(item_scales, row, strict=True)],
                          None if answer is None else satisfactions[answer], opinion,
                          new_receipt_code(), overvoted)
            for (subject, row, answer, opinion), overvoted
            in zip(plan.ballots, void, strict=True)])
    close_campaign(campaign)
    db.session.commit()
    return campaign.id


def _answer(scale: Scale, place: int | None) -> Answer | None:
    if place is None:
        return None
    return DontKnow.DONT_KNOW if place == DONT_KNOW else scale.answers[place]


def _groups(campaign: Campaign) -> list[RaterGroup]:
    """The campaign's groups as stored now: this helper adds and deletes groups, which the
    read-only `Campaign.rater_groups` follows only once reloaded."""
    db.session.expire(campaign, ["rater_groups"])
    return campaign.rater_groups


@dataclass(frozen=True)
class Recovery:
    subject: str
    group: str
    what: str  # "mean score", "satisfaction rate", "ballots" or "votes: <answer> (item n)"
    value: Fraction  # recovered from the published figures (ballots: how many rows)
    truth: Fraction
    tolerance: Fraction  # what the rounding of the published figures leaves open


@dataclass(frozen=True)
class _Published:
    """One published figure as a linear function of per-group sums: Σ coefficients·sums."""

    coefficients: dict[tuple[int, str], Fraction]  # (rater group id, unknown) → coefficient
    value: Fraction
    error: Fraction  # half the last printed digit; 0 for the Excel file's exact numbers


@dataclass(frozen=True)
class _Outputs:
    """What the attacker reads of a campaign, besides the rules it is granted."""

    pages: dict[int, str]  # subject id → the subject's page
    table: list[list[str]]  # the CSV's rows, labels in English (`_in_english`)
    sheet: list[tuple] | None  # the Excel summary's first sheet
    votes: dict[str, tuple] | None  # its sheet of votes (grades or tally): subject → row
    record: dict[str, Value]  # the recount record's figures
    labels: dict[int, str]  # subject id → its label in the record (and the CSV)
    covered: dict[str, int]  # group name → on how many subjects' pages it returned ballots
    statuses: dict[str, BallotStatus]  # the CSV's words


def attack(app, campaign_id: int, unmerged: bool = False,
           workbook: bool = True) -> list[Recovery]:
    """Everything the attacker recovers about small groups from one campaign's outputs,
    rendered in English (the labels are the same in Chinese, only easier to read back).
    `unmerged`: the test-only setting that turns the merge off; `workbook` False leaves the
    Excel summary out (its figures are the page's and the record's, unrounded; writing it
    costs the most)."""
    app.config[UNMERGED_SETTING] = unmerged
    try:
        with app.test_request_context(headers={"Accept-Language": "en"}):
            results = campaign_results(db.session.get(Campaign, campaign_id))
            outputs = _outputs(results, workbook)
            found = []
            for result in results.subjects:
                found += _attack_subject(results, result.subject, outputs)
            return found
    finally:
        app.config[UNMERGED_SETTING] = False


def _outputs(results: CampaignResults, workbook: bool) -> _Outputs:
    pages = {r.subject.id: views.subject_page(results, r) for r in results.subjects}
    sheet = votes = None
    if workbook:
        book = load_workbook(io.BytesIO(summary_xlsx(results)), read_only=True)
        sheet = list(book.worksheets[0].iter_rows(values_only=True))
        if len(book.worksheets) > 1:  # the grades proposed, or the tally of a nomination
            rows = list(book.worksheets[1].iter_rows(values_only=True))
            column = 1 if results.nominated else 0  # the subject's label
            votes = {row[column]: row for row in rows[1:] if row and row[column]}
    covered: dict[str, int] = {}
    for page in pages.values():
        for name, cells in _group_table(page).items():
            if not name.startswith("other groups") and _decimal(cells[2]):
                covered[name] = covered.get(name, 0) + 1
    settings = recount_settings(results)
    return _Outputs(pages, _in_english(results, ballots_csv(results)), sheet, votes,
                    published_figures(results),
                    {r.subject.id: s.label for r, s in zip(results.subjects, settings.subjects,
                                                           strict=True)},
                    covered, {label: code for code, label in STATUS_ZH.items()})


def _in_english(results: CampaignResults, export: bytes) -> list[list[str]]:
    """The CSV's rows (always in Chinese) with the group and answer labels of the English
    pages the attacker reads beside them."""
    names = {g.name_zh: g.name_en for g in results.groups} | {OTHER_ZH: "other groups"}
    levels = dict(zip(LEVELS_ZH, ("Excellent", "Good", "Fair", "Poor"), strict=True))
    answers = dict(zip(SATISFACTION_ZH, ("Satisfied", "Fairly satisfied", "Dissatisfied"),
                       strict=True))
    return [[row[0], names.get(row[1], row[1]), row[2], *(levels.get(c, c) for c in row[3:-2]),
             answers.get(row[-2], row[-2]), row[-1]]
            for row in list(csv.reader(io.StringIO(export.decode("utf-8-sig"))))[1:]]


@dataclass(frozen=True)
class _Group:
    """What the attacker is granted about a group on a subject, and the truth it aims at."""

    group: RaterGroup
    returned: int
    entering: int
    answered: int  # entering ballots that answered the satisfaction question
    valid: int  # ballots entering the counts of an item of votes: entering or trimmed
    voting: dict[int, int]  # item of votes → how many of `valid` answered it on its scale
    score_sum: Fraction  # the truth
    content: int  # the truth: 满意 + 基本满意 among `answered`
    votes: dict[str, int]  # the truth: each answer's count of an item of votes, by `_vote`


def _vote(item: int, place: int) -> str:
    """The unknown of a group's count of the answer at `place` of item `item` (from 0)."""
    return f"v{item}.{place}"


def _truth(results: CampaignResults, subject: Subject) -> dict[int, _Group]:
    points = [Fraction(p) for p in results.points]
    scales = item_scales(results.campaign, subject)
    voted = [(i, scale) for i, scale in enumerate(scales) if scale in VOTE_SCALES]
    known = {}
    for group in results.groups:
        mine = (results.ballots.subject_ids == subject.id) & (results.ballots.group_ids == group.id)
        entering = np.flatnonzero(mine & (results.status == BallotStatus.COUNTED))
        valid = np.flatnonzero(mine & ((results.status == BallotStatus.COUNTED)
                                       | (results.status == BallotStatus.TRIMMED)))
        total = Fraction(0)
        for index in entering:
            answered = [points[SCALE_POINTS[scale][v]] for scale, v  # grades: no points
                        in zip(scales, results.ballots.levels[index], strict=False)
                        if v >= 0 and SCALE_POINTS[scale]]
            if answered:  # a ballot of votes alone has no score
                total += sum(answered, Fraction(0)) / len(answered)
        satisfaction = results.ballots.satisfaction[entering]
        levels = results.ballots.levels[valid]
        known[group.id] = _Group(
            group, int(mine.sum()), len(entering), int((satisfaction >= 0).sum()), len(valid),
            {i: int((levels[:, i] >= 0).sum()) for i, _scale in voted}, total,
            int(((satisfaction == 0) | (satisfaction == 1)).sum()),
            {_vote(i, p): int((levels[:, i] == p).sum())
             for i, scale in voted for p in range(len(SCALE_ZH[scale]))})
    return known


def _attack_subject(results: CampaignResults, subject: Subject,
                    outputs: _Outputs) -> list[Recovery]:
    campaign = results.campaign
    page, table, sheet = outputs.pages[subject.id], outputs.table, outputs.sheet
    statuses = outputs.statuses
    known = _truth(results, subject)
    by_name = {g.group.name_en: g for g in known.values()}
    label = f"{subject.unit.name_en or subject.unit.name_zh} · {subject.person_name}"
    rows = [row for row in table if row[0] in (label, _zh_label(subject))]
    named = {row[1] for row in rows}
    active = [g for g in known.values() if g.returned]
    page_rows = _group_table(page)
    # "other groups": the groups its label on the page lists, or on the CSV every group that
    # returned ballots and is not named
    listed = next((name for name in page_rows if name.startswith("other groups")), None)
    if listed:
        members = listed.removeprefix("other groups (").removesuffix(")").split(", ")
        other = tuple(by_name[name].group.id for name in members)
    else:
        other = tuple(g.group.id for g in active if g.group.name_en not in named
                      and "other groups" in named)

    def cell_named(name: str) -> tuple[int, ...]:
        """The groups behind a label of the pages (English) or of the record (Chinese)."""
        if name.startswith(("other groups", OTHER_ZH)):
            return other
        return next((g.group.id,) for g in known.values() if name in (g.group.name_en,
                                                                      g.group.name_zh))

    # Unknowns per group: "s" the sum of its entering ballots' scores (their number is
    # granted), "t" how many of them are 满意 or 基本满意 and "a" how many answered that
    # question (neither is published for a merged group, so a rate r over a cell is the
    # equation Σt − r·Σa = 0); per item of votes and answer, its count among the group's
    # valid ballots (`_vote`: a share r of the votes over a cell is Σv − r·Σ(all answers)).
    figures: list[_Published] = []
    exact = Fraction(1, 10**9)  # the Excel file's and the record's numbers are floating point

    def mean_of(cell: Sequence[int], value: Fraction | None, error: Fraction) -> None:
        size = sum(known[g].entering for g in cell)
        if value is not None and size:
            figures.append(_Published({(g, "s"): Fraction(1, size) for g in cell}, value, error))

    def rate_of(cell: Sequence[int], rate: Fraction | None, error: Fraction) -> None:
        if rate is not None:
            figures.append(_Published({**{(g, "t"): Fraction(1) for g in cell},
                                       **{(g, "a"): -rate for g in cell}}, Fraction(0),
                                      error * sum(known[g].entering for g in cell)))

    def count_of(cell: Sequence[int], kinds: Sequence[str], value: Value) -> None:
        """An exact count: the sum over the cell of these unknowns."""
        if value is not None:
            figures.append(_Published({(g, kind): Fraction(1) for g in cell for kind in kinds},
                                      Fraction(value), Fraction(0)))

    def share_of(cell: Sequence[int], item: int, place: int, share: Fraction | None,
                 error: Fraction) -> None:
        """A share of one answer among an item of votes' answers over the cell."""
        if share is not None:
            places = range(len(SCALE_ZH[scales[item]]))
            figures.append(_Published(
                {(g, _vote(item, p)): Fraction(p == place) - share for g in cell
                 for p in places}, Fraction(0),
                error * sum(known[g].voting[item] for g in cell)))

    every = tuple(known)
    scales = item_scales(campaign, subject)
    voted = [i for i, scale in enumerate(scales) if scale in VOTE_SCALES]
    lines = [_page_line(page)]
    if sheet is not None:
        lines.append(_sheet_line(sheet, subject.person_name))
    key = outputs.labels[subject.id]
    record = outputs.record
    if f"{key}/returned" in record:  # a subject with figures: the recount record's
        lines.append({"score": (_exact(record[f"{key}/score"]), exact),
                      "design": (_exact(record[f"{key}/design/estimate"]), exact),
                      "policy": (_exact(record[f"{key}/policy_score"]), exact),
                      "rate": (_exact(record[f"{key}/satisfaction/rate"]), exact),
                      "groups": {}})
        reported = [(cell_named(name), f"{key}/{name}")
                    for name in {g.group.name_zh for g in known.values()} | {OTHER_ZH}
                    if f"{key}/{name}/counted" in record]
        for cell, prefix in [(every, key), *reported]:
            if prefix != key:
                mean_of(cell, _exact(record[f"{prefix}/score"]), exact)
            count_of(cell, ["a"], record[f"{prefix}/satisfaction/answered"])
            if record[f"{prefix}/satisfaction/answered"]:
                count_of(cell, ["t"], record[f"{prefix}/satisfaction/satisfied"]
                         + record[f"{prefix}/satisfaction/fairly_satisfied"])
            for item in voted:
                for place, word in enumerate(SCALE_ZH[scales[item]]):
                    count_of(cell, [_vote(item, place)],
                             record.get(f"{prefix}/item {item + 1}/{word}/count"))
        nominated = results.nominated
        if nominated is not None:
            count_of(every, [_vote(nominated.item, 0)], record[f"{key}/nomination/votes"])
            share_of(every, nominated.item, 0, _exact(record[f"{key}/nomination/rate"]), exact)
    for line in lines:
        mean_of(every, *line["score"])
        rate_of(every, *line["rate"])
        for name, value in line["groups"].items():
            mean_of(other if name == "other groups" else (by_name[name].group.id,), value,
                    exact)
    answered = re.search(r"of (\d+) who answered", page)
    if answered:
        figures.append(_Published({(g, "a"): Fraction(1) for g in every},
                                  Fraction(answered.group(1)), Fraction(0)))
    for name, cells in page_rows.items():
        cell = other if name.startswith("other groups") else (by_name[name].group.id,)
        mean_of(cell, _decimal(cells[5]), Fraction(1, 200))
        rate_of(cell, _percent(cells[6]), Fraction(1, 2000))
    voting = results.graded or results.nominated  # the item whose votes the page shows
    for name, cells in _votes_table(page).items():
        if results.nominated:  # its votes, and their share: 得票率
            count_of(cell_named(name), [_vote(voting.item, 0)], _decimal(cells[1]))
            share_of(cell_named(name), voting.item, 0, _percent(cells[2]), Fraction(1, 2000))
        else:  # each grade's share and (votes)
            for place, text in enumerate(cells[1:]):
                count_of(cell_named(name), [_vote(voting.item, place)],
                         _decimal(text.split("(")[-1].rstrip(")")) if "(" in text else None)
    # a subject that shows counts only stands in the sheet with no votes, which are not its
    tally = (outputs.votes.get(subject.label()) if outputs.votes and f"{key}/returned" in record
             else None)
    if tally and results.nominated:  # rank, candidate, votes, valid ballots, 得票率, …
        count_of(every, [_vote(voting.item, 0)], tally[2])
        share_of(every, voting.item, 0, _exact(tally[4]), exact)
    elif tally:  # the person, then each grade's share and votes, the proposed grade
        for place in range(4):
            count_of(every, [_vote(voting.item, place)], tally[2 + 2 * place])
    for g in known.values():  # granted: how many of its valid ballots answered each item
        for item in voted:
            count_of((g.group.id,), [_vote(item, p) for p in range(len(SCALE_ZH[scales[item]]))],
                     g.voting[item])
    named_cells = [(by_name[name].group.id,) for name in named if name in by_name]
    cells = [*named_cells, *([other] if other else [])]
    weights = {g: Fraction(known[g].group.weight).limit_denominator(1000)
               for g in known if known[g].group.weight}
    rosters = dict(db.session.execute(
        sa.select(RosterEntry.rater_group_id, sa.func.count(RosterEntry.id))
        .where(RosterEntry.campaign_id == campaign.id)
        .group_by(RosterEntry.rater_group_id)).all())
    for line in lines:
        for published, weigh in (
                (line["design"], lambda cell: sum(rosters.get(g, 0) for g in cell)),
                (line["policy"], lambda cell: sum(weights.get(g, 0) for g in cell))):
            if published[0] is not None:
                figures.append(_weighted(known, *published, weigh,
                                         [cells, [(g,) for g in known]]))
    scored = campaign.scores()
    for name in named:
        cell = other if name not in by_name else (by_name[name].group.id,)
        mine = [row for row in rows if row[1] == name]
        counted = [row for row in mine if statuses[row[2]] == BallotStatus.COUNTED]
        if scored:
            figures.append(_Published({(g, "s"): Fraction(1) for g in cell}, sum(
                (_ballot_score(row, results.points) for row in counted), Fraction(0)),
                Fraction(0)))
        figures.append(_Published({(g, "t"): Fraction(1) for g in cell}, Fraction(sum(
            row[-2] in ("Satisfied", "Fairly satisfied") for row in counted)), Fraction(0)))
        figures.append(_Published({(g, "a"): Fraction(1) for g in cell},
                                  Fraction(sum(bool(row[-2]) for row in counted)), Fraction(0)))
        valid = [row for row in mine if statuses[row[2]] in (BallotStatus.COUNTED,
                                                             BallotStatus.TRIMMED)]
        for item in voted:
            for place, word in enumerate(SCALE_ZH[scales[item]]):
                count_of(cell, [_vote(item, place)], sum(row[3 + item] == word for row in valid))
    found = []
    minimum = campaign.min_report_size
    space = _RowSpace(figures, [
        *((h, kind) for h in known if known[h].entering for kind in "sta"),
        *((h, vote) for h in known if known[h].valid for vote in known[h].votes)])
    # In a nomination only a ballot naming more than k candidates can be void (for its too
    # many marks): a group whose ballots name at most k, as the pages' counts by subject
    # show, has none.
    nominated = results.nominated
    unable = frozenset(
        g for g in known if nominated is not None
        and outputs.covered.get(known[g].group.name_en, 0) <= nominated.rule.max_marks)
    for g in active:
        if g.entering >= minimum and g.returned >= minimum:
            continue
        group = g.group.id
        where = (subject.person_name, g.group.name_en)
        solved = space.solve((group, "s")) if g.entering and scored else None
        if solved:
            value, tolerance = solved
            found.append(Recovery(*where, "mean score", value / g.entering,
                                  g.score_sum / g.entering, tolerance / g.entering))
        content = space.solve((group, "t")) if g.answered else None
        answering = space.solve((group, "a")) if content else None
        if content and answering and answering[0] > answering[1]:
            (t, t_error), (a, a_error) = content, answering
            rate = t / a
            found.append(Recovery(*where, "satisfaction rate", rate,
                                  Fraction(g.content, g.answered),
                                  (t_error + rate * a_error) / (a - a_error)))
        for vote, truth in g.votes.items() if g.valid else ():
            solved = space.solve((group, vote))
            if solved:
                item, place = (int(n) for n in vote[1:].split("."))
                found.append(Recovery(
                    *where, f"votes: {SCALE_ZH[scales[item]][place]} (item {item + 1})",
                    solved[0], Fraction(truth), solved[1]))
        matched = _matched_rows(g, rows, named, other, known, page_rows, statuses, unable)
        if matched:
            found.append(Recovery(*where, "ballots", Fraction(matched), Fraction(matched),
                                  Fraction(0)))
    return found


def _zh_label(subject: Subject) -> str:
    return f"{subject.unit.name_zh} · {subject.person_name}"


def _weighted(known, value, error, weigh, models) -> _Published:
    """A weighted score as a linear function: Σ_c W_c · (sum over c / entering in c), with
    W_c = weigh(c) / Σ weigh, over the cells with ballots and a weight. Whichever model of
    the cells (the published cells first, then every group on its own) reproduces the
    published figure is the one the product used; none is a failure of the test."""
    for cells in models:
        present = [c for c in cells if weigh(c) and sum(known[g].entering for g in c)]
        total = sum(weigh(c) for c in present)
        coefficients = {(g, "s"): Fraction(weigh(c)) / total
                        / sum(known[h].entering for h in c)
                        for c in present for g in c if known[g].entering}
        predicted = sum(a * known[g].score_sum for (g, _s), a in coefficients.items())
        if abs(predicted - value) <= error + Fraction(1, 10**6):
            return _Published(coefficients, value, error)
    raise AssertionError(f"a weighted score of {float(value)} that no model explains")


class _RowSpace:
    """The row space of the published figures over the unknowns, by Gaussian elimination over
    the rationals on sparse rows, each basis row keeping the combination of figures it came
    from. Unknowns not listed (those of groups with no ballot entering the figures) are
    zero; an unknown not listed is never solved."""

    def __init__(self, published: list[_Published], unknowns: list[tuple[int, str]]) -> None:
        self.published, self.unknowns = published, frozenset(unknowns)
        self.basis: list[tuple[tuple[int, str], dict, dict[int, Fraction]]] = []
        for index, figure in enumerate(published):
            vector = {key: a for key, a in figure.coefficients.items()
                      if a and key in self.unknowns}
            if not vector:
                continue
            combination = {index: Fraction(1)}
            self._reduce(vector, combination)
            if vector:
                self.basis.append((min(vector), vector, combination))

    def _reduce(self, vector: dict, combination: dict[int, Fraction]) -> None:
        # each basis row is zero at the pivots of the rows before it, so one pass does
        for pivot, row, row_combination in self.basis:
            if pivot in vector:
                factor = vector[pivot] / row[pivot]
                for key, b in row.items():
                    if (a := vector.get(key, 0) - factor * b):
                        vector[key] = a
                    else:
                        vector.pop(key, None)
                for index, weight in row_combination.items():
                    combination[index] = combination.get(index, Fraction(0)) - factor * weight

    def solve(self, key: tuple[int, str]) -> tuple[Fraction, Fraction] | None:
        """The unknown as an exact combination of the published figures (value, and how far
        their rounding can move it), or None when no combination gives it."""
        if key not in self.unknowns:
            return None
        target = {key: Fraction(1)}
        combination: dict[int, Fraction] = {}
        self._reduce(target, combination)
        if target:
            return None
        # target − Σ factors·rows = 0, so the unknown = −Σ combination·values
        figures = self.published
        return (-sum((w * figures[i].value for i, w in combination.items()), Fraction(0)),
                sum((abs(w) * figures[i].error for i, w in combination.items()), Fraction(0)))


def _matched_rows(g, rows, named, other, known, page_rows, statuses, unable) -> int:
    """How many of the group's CSV rows the attacker can point at. `unable`: the groups
    that can have no row of a ballot not entering the figures."""
    name = g.group.name_en
    if name in named:
        return sum(row[1] == name for row in rows)
    if g.group.id not in other:
        return 0
    if len(other) == 1:
        return sum(row[1] == "other groups" for row in rows)
    valid = {gid: _decimal(page_rows[known[gid].group.name_en][4])
             if known[gid].group.name_en in page_rows else None for gid in other}
    mine = [row for row in rows if row[1] == "other groups"]
    matched = 0
    for entering in (True, False):
        in_class = [row for row in mine
                    if (statuses[row[2]] == BallotStatus.COUNTED) is entering]

        def may_have(gid: int, entering: bool = entering) -> bool:
            if not entering and gid in unable:
                return False
            count = valid[gid]
            if count is None:
                return True
            return bool(count if entering else known[gid].returned - count)

        candidates = [gid for gid in other if may_have(gid)]
        if in_class and candidates == [g.group.id]:
            matched += len(in_class)
    return matched


# Where each answer of the CSV (levels as `_in_english` gives them, the 满意 scale in
# Chinese) sits among the campaign's four points; 不了解 is in no score.
_PLACES = {"Excellent": 0, "Good": 1, "Fair": 2, "Poor": 3,
           **dict(zip(SATISFACTION_ZH, SCALE_POINTS["satisfaction"], strict=True))}


def _ballot_score(row: list[str], points: Sequence[int]) -> Fraction:
    answered = [Fraction(points[_PLACES[cell]]) for cell in row[3:-2] if cell in _PLACES]
    return sum(answered, Fraction(0)) / len(answered)


def _group_table(page: str) -> dict[str, list[str]]:
    """The subject page's table by rater group: label → cell texts (colspans kept as one)."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    table = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        cells[3:4] = [cells[3].split(" ")[0]]  # the response rate, without its badge
        table[cells[0]] = cells + [""] * (7 - len(cells))
    return table


def _votes_table(page: str) -> dict[str, list[str]]:
    """The subject page's votes by rater group of its item of votes (a nomination's marks:
    votes and 得票率; or each grade's share and votes): label → cell texts."""
    found = re.search(r'<table class="table stack (?:nomination-tally|grading)">.*?<tbody>'
                      r"(.*?)</tbody>", page, re.S)
    table = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1) if found else "", re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        table[cells[0]] = cells
    return table


def _sheet_line(sheet: list[tuple], person: str) -> dict:
    """A subject's row of the Excel summary: its figures as (value, error), exact but for
    floating point; the score by rater group, by the header's group name. Columns are found
    by their (English) headers: a round of votes alone has no score or satisfaction."""
    top, header = list(sheet[2]), list(sheet[3])
    exact = Fraction(1, 10**9)
    columns = {key: header.index(name) if name in header else None for key, name in (
        ("score", "Score"), ("design", "Design-weighted"), ("policy", "Policy-weighted"),
        ("rate", "Satisfaction rate"))}
    groups = (range(top.index("Score by rater group"), len(header))
              if "Score by rater group" in top else range(0))
    for row in sheet[4:]:
        if row[2] == person:
            return {**{key: (None if column is None else _exact(row[column]), exact)
                       for key, column in columns.items()},
                    "groups": {header[c]: _exact(row[c]) for c in groups}}
    raise AssertionError(f"{person} has no row in the summary")


def _page_line(page: str) -> dict:
    """The subject page's figures as (value, half the last printed digit)."""
    def figure(pattern: str, error: Fraction) -> tuple[Fraction | None, Fraction]:
        found = re.search(pattern, page)
        value = Fraction(found.group(1)) if found else None
        return (value / 100 if value is not None and "%" in pattern else value), error

    score, rate = Fraction(1, 200), Fraction(1, 2000)
    return {"score": figure(r'class="big-figure">([\d.]+)', score),
            "design": figure(r"Design-weighted score ([\d.]+),", score),
            "policy": figure(r"Policy-weighted score ([\d.]+)\.", score),
            "rate": figure(r"Satisfaction rate ([\d.]+)%,", rate), "groups": {}}


def _exact(value: object) -> Fraction | None:
    """A number of the Excel file or the record, floating point: the nearest fraction of a
    small denominator, which the figure's true value is (the error allowed stays 1e-9)."""
    return (Fraction(value).limit_denominator(10**6) if isinstance(value, int | float)
            else None)


def _decimal(text: str) -> Fraction | None:
    return Fraction(text) if re.fullmatch(r"-?\d+(\.\d+)?", text or "") else None


def _percent(text: str) -> Fraction | None:
    number = _decimal((text or "").removesuffix("%"))
    return number / 100 if number is not None and text.endswith("%") else None
