"""The 民主推荐 part of the results, in words and rows: each candidate's votes, 得票率, rank
and whether it reaches the campaign's threshold (`analysis.nomination`), and the rule."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from analysis.nomination import CandidateVotes
from evalapp.campaigns.models import ThresholdRule
from evalapp.results.compute import CampaignResults, SubjectResults


@dataclass(frozen=True)
class Candidate:
    result: SubjectResults
    votes: CandidateVotes


def candidates(results: CampaignResults) -> list[Candidate]:
    """The candidates by rank (most votes first), those of equal votes in the campaign's
    order: never the order of storage; those not reported (too few ballots) last. Empty
    without a nomination."""
    if results.nomination is None:
        return []
    ranked = [Candidate(r, v) for r, v in zip(results.subjects, results.nomination, strict=True)]
    return sorted(ranked, key=lambda c: (c.votes.rank is None, c.votes.rank or 0))


def reached_word(votes: CandidateVotes) -> str:
    """Whether the candidate reached the threshold, in words; or that its votes are not
    reported."""
    if not votes.reported:
        return _("not reported: too few ballots")
    return _("yes") if votes.reached else _("no")


def rule_lines(results: CampaignResults) -> list[str]:
    """The rule the tally follows, in the reader's language."""
    if results.nominated is None:
        return []
    rule = results.nominated.rule
    threshold = (_("more than %(percent)d%% of the valid ballots", percent=rule.threshold_percent)
                 if ThresholdRule(rule.threshold_rule) is ThresholdRule.ABOVE else
                 _("at least %(percent)d%% of the valid ballots", percent=rule.threshold_percent))
    return [_("Each ballot could mark at most %(max)d candidate(s); a ballot that marked more "
              "is void, for every candidate on it. The vote share (得票率) is a candidate's "
              "votes over the valid ballots; the threshold is %(threshold)s.", max=rule.max_marks,
              threshold=threshold)]


def nomination_header() -> list[str]:
    """The columns of the nomination table in the exports."""
    return [_("Rank"), _("Candidate"), _("Votes"), _("Valid ballots"), _("Vote share"),
            _("Void (too many marks)"), _("Threshold reached")]


def nomination_rows(results: CampaignResults) -> list[list[str | int | float | None]]:
    """The nomination table's rows for the exports, in `candidates`' order; 得票率 a
    fraction (None without valid ballots)."""
    return [[c.votes.rank, c.result.subject.label(), c.votes.votes, c.votes.ballots,
             c.votes.rate, c.result.figures.void_overvote, reached_word(c.votes)]
            for c in candidates(results)]
