"""民主推荐 (nomination): each rater marks at most `max_marks` of the candidates on the ballot,
and each candidate's 得票率 is the share of the valid ballots that marked them.

A ballot with more marks than allowed is void as a whole (as a paper 推荐票 is). The marks
are counted on the whole ticket, which only the opening of its sealed box sees together
(`evalapp.ballotbox.operations`); the ballots it leaves behind are one per candidate and
cannot be put back together, so each carries that verdict (`overvoted`) instead.

The threshold is the campaign's: 得票率 above (超过) or at least (达到) a percent of the
valid ballots, compared exactly, as fractions: 5 votes of 10 are not "above half".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from analysis.figures import SubjectFigures, competition_ranks

THRESHOLD_RULES = ("above", "at_least")  # 超过, 达到
NOMINATED = 0  # the code of a mark (its place on the nomination scale: 推荐, then 未推荐)


@dataclass(frozen=True)
class NominationRule:
    """A campaign's rule: at most `max_marks` candidates per ballot (at least 1), and the
    threshold of 得票率 in percent of the valid ballots (0-100), `above` it or `at_least`."""

    max_marks: int = 1
    threshold_percent: int = 50
    threshold_rule: str = "above"

    def reached(self, votes: int, ballots: int) -> bool:
        """Whether `votes` of `ballots` valid ballots meet the threshold (never without a
        valid ballot)."""
        if not ballots:
            return False
        rate, bar = Fraction(votes, ballots), Fraction(self.threshold_percent, 100)
        return rate > bar if self.threshold_rule == "above" else rate >= bar


def overvoted(marks: int, rule: NominationRule) -> bool:
    """Whether a ticket's ballot with `marks` candidates marked is void for too many."""
    return marks > rule.max_marks


@dataclass(frozen=True)
class CandidateVotes:
    """One candidate's votes among `ballots` valid ballots, its 得票率 (None without valid
    ballots), its rank by votes among the candidates reported (1 = most; candidates of equal
    votes share a rank, the next rank skips: 1, 2, 2, 4) and whether it reached the
    threshold. A candidate whose figures are not published (too few ballots) has None for
    each, and reaches nothing."""

    votes: int | None
    ballots: int | None
    rate: float | None
    rank: int | None
    reached: bool

    @property
    def reported(self) -> bool:
        return self.votes is not None


@dataclass(frozen=True)
class NominatedItem:
    """The common item that carries the marks (its position among the common items, from 0)
    and the campaign's rule for it."""

    item: int
    rule: NominationRule


def tally(counts: Sequence[tuple[int, int] | None],
          rule: NominationRule) -> tuple[CandidateVotes, ...]:
    """Each candidate's votes, in the order given, from (votes, valid ballots) per
    candidate, or None for one not reported. Raises ValueError on a negative count or more
    votes than ballots."""
    reported = [count for count in counts if count is not None]
    if any(not 0 <= votes <= ballots for votes, ballots in reported):
        raise ValueError("votes are counts of at most the valid ballots")
    ranks = competition_ranks([count[0] if count is not None else None for count in counts])
    return tuple(
        CandidateVotes(None, None, None, None, False) if count is None else
        CandidateVotes(count[0], count[1], count[0] / count[1] if count[1] else None,
                       rank, rule.reached(*count))
        for count, rank in zip(counts, ranks, strict=True))


def nomination_of(figures: Sequence[SubjectFigures | None],
                  nominated: NominatedItem) -> tuple[CandidateVotes, ...]:
    """The tally of the candidates whose figures are given (one per subject; None, or figures
    without items, for a candidate whose votes are not published: not reported)."""
    return tally([(found.items[nominated.item].counts[NOMINATED],
                   found.counted + found.trimmed)
                  if found is not None and found.items else None for found in figures],
                 nominated.rule)
