"""干部考核 (cadre grading): each rater gives each person one of 优秀 / 称职 / 基本称职 /
不称职, and the campaign's rule proposes each person's grade from the shares of the votes,
with 优秀 capped by a quota of the persons graded.

The rule, as civil-service and party-cadre assessments state it (公务员考核规定 art. 13 and
the 优秀 quota of "一般不超过 20%", counted by 四舍五入 or 进一法 as each office decides), with
the thresholds the campaign sets:

- 不称职 when 不称职 votes are more than a third of the person's votes;
- else 基本称职 when 基本称职 and 不称职 votes together are more than a third;
- else 优秀 when the share of 优秀 votes is at least the campaign's minimum (and not 0) and
  the person is among the `quota` persons with the largest such shares;
- else 称职.

Persons tied at the quota's edge (the same share of 优秀 votes, some inside and some outside
the quota) are flagged for a decision and proposed nothing: a tie is never broken by the order
in which persons or ballots happen to be stored. Shares are compared exactly, as fractions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from analysis.figures import SubjectFigures

GRADES = ("excellent", "competent", "basically_competent", "incompetent")  # 优秀..不称职
ROUNDINGS = ("half_up", "up")  # 四舍五入, 进一法


def quota_exact(persons: int, percent: float | str) -> Fraction:
    """persons × percent / 100 before rounding, exactly (as a fraction of the decimal
    percent written, not of its float)."""
    return Fraction(persons) * Fraction(str(percent)) / 100


def quota(persons: int, percent: float | str, rounding: str) -> int:
    """The places for 优秀 among `persons`: `quota_exact`, rounded half up (四舍五入: 22 at
    20 % is 4.4, so 4) or up (进一法: 5). Computed exactly (20 % of 25 is 5, not 5.000…1
    rounded up to 6). Raises ValueError on a negative count, a percent outside 0-100 or an
    unknown rounding."""
    exact = quota_exact(persons, percent)
    if persons < 0 or not 0 <= exact <= persons:
        raise ValueError("persons is a count and percent between 0 and 100")
    if rounding == "up":
        return math.ceil(exact)
    if rounding == "half_up":
        return math.floor(exact + Fraction(1, 2))
    raise ValueError(f"unknown rounding {rounding!r}")


# "More than a third" of the votes, exactly: 3 of 9 is not (a float 1/3 is a little less
# than a third, and 3 of 9 would be above it).
A_THIRD = Fraction(1, 3)


@dataclass(frozen=True)
class GradingRule:
    """A campaign's rule: the 优秀 quota (percent of the persons graded, and its rounding, one
    of `ROUNDINGS`) and the share of 优秀 votes (percent, above 0) a person needs to be
    proposed 优秀. 基本称职 and 不称职 are proposed above a third of the votes (`A_THIRD`)."""

    quota_percent: float = 20
    rounding: str = "half_up"
    excellent_min_percent: float = 50


@dataclass(frozen=True)
class PersonGrade:
    """One person's votes (优秀, 称职, 基本称职, 不称职), their shares (None without votes),
    the grade proposed (a value of `GRADES`, or "" without votes or while tied and
    undecided) and whether the person is tied at the quota's edge, for a decision."""

    votes: tuple[int, int, int, int]
    shares: tuple[float, float, float, float] | None
    proposed: str
    tied: bool


@dataclass(frozen=True)
class Grading:
    """The persons' grades in the order given, the quota's places and those left for the
    decision among the tied persons (0 when none are tied)."""

    places: int
    undecided_places: int
    persons: tuple[PersonGrade, ...]


def propose(votes: Sequence[Sequence[int]], rule: GradingRule) -> Grading:
    """The grade `rule` proposes for each person from `votes` (persons × 4 counts of 优秀,
    称职, 基本称职, 不称职 among the valid ballots). The quota counts every person given."""
    counts = [tuple(int(v) for v in row) for row in votes]
    if any(len(row) != 4 or min(row) < 0 for row in counts):
        raise ValueError("votes are four counts per person")
    places = quota(len(counts), rule.quota_percent, rule.rounding)
    shares = [tuple(Fraction(v, sum(row)) for v in row) if sum(row) else None
              for row in counts]
    below: dict[int, str] = {}
    candidates = []
    for person, share in enumerate(shares):
        if share is None:
            continue
        if share[3] > A_THIRD:
            below[person] = "incompetent"
        elif share[2] + share[3] > A_THIRD:
            below[person] = "basically_competent"
        elif share[0] and share[0] >= Fraction(str(rule.excellent_min_percent)) / 100:
            candidates.append(person)  # at least one vote for 优秀, whatever the minimum
    excellent, tied = _within_quota(candidates, [s[0] if s else Fraction(0) for s in shares],
                                    places)
    graded = []
    for person, (row, share) in enumerate(zip(counts, shares, strict=True)):
        proposed = ("" if share is None or person in tied else below.get(person) or (
            "excellent" if person in excellent else "competent"))
        graded.append(PersonGrade(
            (row[0], row[1], row[2], row[3]),
            None if share is None else (float(share[0]), float(share[1]), float(share[2]),
                                        float(share[3])),
            proposed, person in tied))
    return Grading(places, places - len(excellent) if tied else 0, tuple(graded))


def _within_quota(candidates: list[int], excellent_share: list[Fraction],
                  places: int) -> tuple[set[int], set[int]]:
    """The candidates inside the quota, and those tied at its edge: of equal share, some of
    whom would be in and some out."""
    if len(candidates) <= places:
        return set(candidates), set()
    if places == 0:
        return set(), set()
    edge = sorted((excellent_share[p] for p in candidates), reverse=True)[places - 1]
    above = {p for p in candidates if excellent_share[p] > edge}
    at_edge = {p for p in candidates if excellent_share[p] == edge}
    if len(above) + len(at_edge) <= places:
        return above | at_edge, set()
    return above, at_edge


@dataclass(frozen=True)
class GradedItem:
    """The common item that carries the grades (its position among the common items, from 0),
    the campaign's rule for it, and the persons (positions in the campaign's order) its
    organisers chose for the places left to a decision among tied persons."""

    item: int
    rule: GradingRule
    chosen: tuple[int, ...] = ()


def grading_of(figures: Sequence[SubjectFigures | None], graded: GradedItem) -> Grading:
    """The grading of the persons whose figures are given (one per subject; None, or figures
    without items, for a person whose votes are not published: no votes, no proposal, yet a
    person the quota counts), with the decision among tied persons when one is recorded."""
    grading = propose([found.items[graded.item].counts if found is not None and found.items
                       else (0, 0, 0, 0) for found in figures], graded.rule)
    return decided(grading, graded.chosen) if graded.chosen else grading


class NotADecision(ValueError):
    """Chosen persons that are not tied, or not as many as the places left."""


def decided(grading: Grading, chosen: Sequence[int]) -> Grading:
    """`grading` with the places left to a decision given to `chosen` (positions of tied
    persons, exactly as many as the places): they are proposed 优秀 and the other tied
    persons 称职; all stay marked as tied, for whoever reads how the places were filled.
    Raises NotADecision otherwise."""
    tied = {n for n, person in enumerate(grading.persons) if person.tied}
    if not set(chosen) <= tied or len(set(chosen)) != grading.undecided_places:
        raise NotADecision(f"choose {grading.undecided_places} of the tied persons {sorted(tied)}")
    return replace(grading, undecided_places=0, persons=tuple(
        replace(person, proposed="excellent" if n in chosen else "competent")
        if person.tied else person for n, person in enumerate(grading.persons)))
