"""Whether a ballot will count, worked out from what the rater is submitting and the campaign's
void rules, so that the rater is told before the last tap and on the receipt. Computed from
the form in hand, never read back from the stored ballots (which hold nothing that could find
this rater's ballot again)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from analysis import allowed_blank, void_mask
from analysis.scoring import BLANK
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import decode_levels


class Void(enum.StrEnum):
    """Why a ballot will be void (废票), by the rules results apply (see results.compute)."""

    BLANK = "blank"  # more than the campaign's share of its items blank
    UNIFORM = "uniform"  # every answered item the same level, when the campaign says so


@dataclass(frozen=True)
class Verdict:
    """One subject's ballot as it stands: `items` on it (the satisfaction question is not an
    item), `blank` of them unanswered, `allowed_blank` the most that may be blank for it to
    count, and the reason it will be void, if it will."""

    subject_id: int
    items: int
    blank: int
    allowed_blank: int
    void: Void | None


class VoidRules(Protocol):
    """A campaign's void rules (the campaign, or the questionnaire read from it)."""

    void_blank_fraction: float
    void_uniform: bool


def verdict(campaign: VoidRules, ballot: SealedContent) -> Verdict:
    codes = decode_levels([ballot.levels], len(ballot.levels))
    items = len(ballot.levels)
    void = None
    if void_mask(codes, campaign.void_blank_fraction)[0]:
        void = Void.BLANK
    elif campaign.void_uniform and void_mask(codes, 1.0, void_uniform=True)[0]:
        void = Void.UNIFORM
    return Verdict(ballot.subject_id, items, int((codes[0] == BLANK).sum()),
                   allowed_blank(items, campaign.void_blank_fraction), void)
