"""Storing ballots. Who may store one (a spent ticket) is decided by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.ballots.models import Ballot, encode_levels, random_ballot_id
from evalapp.campaigns.models import Level, Satisfaction
from evalapp.extensions import db


@dataclass(frozen=True)
class BallotContent:
    subject_id: int
    # One per item in the questionnaire's order (common items, then individual); None: blank.
    levels: Sequence[Level | None]
    satisfaction: Satisfaction | None
    comment: str | None
    receipt_code: str


def insert_ballots(
    campaign_id: int, rater_group_id: int, ballots: Sequence[BallotContent]
) -> None:
    """One statement for any number of ballots."""
    if not ballots:
        return
    db.session.execute(sa.insert(Ballot), [
        {
            "id": random_ballot_id(),
            "campaign_id": campaign_id,
            "subject_id": content.subject_id,
            "rater_group_id": rater_group_id,
            "levels": encode_levels(content.levels),
            "satisfaction": content.satisfaction,
            "comment": content.comment or None,
            "receipt_code": content.receipt_code,
        }
        for content in ballots
    ])
