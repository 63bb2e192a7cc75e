"""Ballots for tests of what comes after rating, without going through the rater's pages:
cast into the campaign's box (sealed as a ticket's would be), or written as an opened box
leaves them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalapp.ballotbox.operations import seal_ballots
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import Ballot, encode_levels, random_ballot_id
from evalapp.campaigns.models import Campaign, Level, Satisfaction
from evalapp.extensions import db
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


@dataclass(frozen=True)
class BallotContent:
    subject_id: int
    levels: Sequence[Level | None]  # one per item in questionnaire order; None: blank
    satisfaction: Satisfaction | None
    comment: str | None
    receipt_code: str


def insert_ballots(campaign_id: int, rater_group_id: int,
                   ballots: Sequence[BallotContent]) -> None:
    """Write ballots as an opened box leaves them, skipping the box: for tests of the
    arithmetic after close (results, disclosure), where thousands of sealings would only
    cost time. The campaign is then closed with an empty box."""
    if ballots:
        db.session.execute(Ballot.__table__.insert(), [{
            "id": random_ballot_id(), "campaign_id": campaign_id,
            "subject_id": ballot.subject_id, "rater_group_id": rater_group_id,
            "levels": encode_levels(ballot.levels), "satisfaction": ballot.satisfaction,
            "comment": ballot.comment or None, "receipt_code": ballot.receipt_code,
        } for ballot in ballots])
