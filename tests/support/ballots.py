"""Ballots for tests of what comes after rating, without going through the rater's pages:
cast into the campaign's box (sealed as a ticket's would be), or written as an opened box
leaves them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign, seal_ballots
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import Ballot, Receipt, encode_levels, random_ballot_id
from evalapp.campaigns.models import Answer, Campaign, Level, Satisfaction
from evalapp.extensions import db
from evalapp.tickets.operations import issue_tickets
from evalapp.tickets.tokens import new_receipt_code
from tests.support.factories import groups_of, make_campaign, make_user, make_world


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
    levels: Sequence[Answer | None]  # one per item in questionnaire order; None: blank
    satisfaction: Satisfaction | None
    comment: str | None
    receipt_code: str
    overvoted: bool = False  # void for its ticket's too many marks (a nomination)


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
            "comment": ballot.comment or None, "overvoted": ballot.overvoted,
        } for ballot in ballots])
        db.session.execute(Receipt.__table__.insert(), [{
            "campaign_id": campaign_id, "code": ballot.receipt_code, "void": ballot.overvoted,
        } for ballot in ballots])


REWORDED = "（新表述）主动研究部署党建工作"


RETYPED = " 亲自研究部署党建工作, 不以听汇报代替亲自抓"  # spaces and a half-width comma


def rated_campaign(title, units, ballots_of, reword=False):
    """A closed campaign with one subject per unit; `ballots_of(unit)` gives (level,
    satisfaction) per ballot, all from the first rater group."""
    campaign = make_campaign(units[0], title, subjects=len(units))
    for subject, unit in zip(campaign.subjects, units, strict=True):
        subject.unit = unit
        subject.person_name = f"{unit.name_zh}书记{title[:4]}"
    if reword:
        first, second = campaign.common_items()[:2]
        first.text_zh = REWORDED
        second.text_zh = RETYPED
    group = groups_of(campaign)[0]
    issue_tickets(campaign, group, campaign.subjects, 10)
    open_campaign(campaign)
    for subject, unit in zip(campaign.subjects, units, strict=True):
        cast(campaign, group.id, subject.id,
             [([level] * 28, satisfaction, "") for level, satisfaction in ballots_of(unit)])
    close_campaign(campaign)
    return campaign


def closed_campaign(app, opinions: list[str], *, person: str = "述职人1", group: str = "",
                    item: str = "") -> int:
    """A closed campaign whose one subject got a ballot per opinion (at least five, all from
    the first group, so that they are shown)."""
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        campaign = make_campaign(world.customs)
        first = groups_of(campaign)[0]
        first.name_zh = group or first.name_zh
        campaign.subjects[0].person_name = person
        campaign.sections[0].items[0].text_zh = item or campaign.sections[0].items[0].text_zh
        issue_tickets(campaign, first, campaign.subjects, len(opinions))
        open_campaign(campaign)
        insert_ballots(campaign.id, first.id, [
            BallotContent(campaign.subjects[0].id, [Level.GOOD] * 28, Satisfaction.SATISFIED,
                          opinion, new_receipt_code()) for opinion in opinions])
        close_campaign(campaign)
        db.session.commit()
        return campaign.id
