"""Casting ballots into a campaign's box without going through the rater's pages: for tests
of what comes after, results and look-back. Each ballot is sealed as a ticket's would be."""

from __future__ import annotations

from collections.abc import Sequence

from evalapp.ballotbox.operations import seal_ballots
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import encode_levels
from evalapp.campaigns.models import Campaign, Level, Satisfaction
from evalapp.tickets.tokens import new_receipt_code


def cast(
    campaign: Campaign, rater_group_id: int, subject_id: int,
    ballots: Sequence[tuple[Sequence[Level | None], Satisfaction | None, str]],
) -> None:
    """Seal (levels, satisfaction, opinion) ballots of one group on one subject."""
    assert campaign.box_public_key is not None, "open the campaign first"
    for levels, satisfaction, comment in ballots:
        seal_ballots(campaign.id, campaign.box_public_key, rater_group_id, [SealedContent(
            subject_id=subject_id, levels=encode_levels(levels), satisfaction=satisfaction,
            comment=comment or None, receipt_code=new_receipt_code(),
        )])
