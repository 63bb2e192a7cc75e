"""Storing ballots. Who may store one (a spent ticket) is decided by the caller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.ballots.models import Ballot, CommonAnswer, IndividualAnswer, random_ballot_id
from evalapp.campaigns.models import Level, Satisfaction
from evalapp.extensions import db


@dataclass(frozen=True)
class BallotContent:
    subject_id: int
    common: Mapping[int, Level]  # item id: level; a blank item is absent
    individual: Mapping[int, Level]
    satisfaction: Satisfaction | None
    comment: str | None
    receipt_code: str


def insert_ballots(
    campaign_id: int, rater_group_id: int, ballots: Sequence[BallotContent]
) -> None:
    """Bulk inserts: any number of ballots with their answers is three statements."""
    rows, common, individual = [], [], []
    for content in ballots:
        ballot_id = random_ballot_id()
        rows.append({
            "id": ballot_id,
            "campaign_id": campaign_id,
            "subject_id": content.subject_id,
            "rater_group_id": rater_group_id,
            "satisfaction": content.satisfaction,
            "comment": content.comment or None,
            "receipt_code": content.receipt_code,
        })
        common += [{"ballot_id": ballot_id, "item_id": item, "level": level}
                   for item, level in content.common.items()]
        individual += [{"ballot_id": ballot_id, "item_id": item, "level": level}
                       for item, level in content.individual.items()]
    if rows:
        db.session.execute(sa.insert(Ballot), rows)
    if common:
        db.session.execute(sa.insert(CommonAnswer), common)
    if individual:
        db.session.execute(sa.insert(IndividualAnswer), individual)
