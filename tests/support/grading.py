"""A draft campaign for a round of 干部考核: three persons, a questionnaire of one item."""

from __future__ import annotations

from dataclasses import dataclass

from evalapp.auth.models import Role
from evalapp.ballotbox.operations import open_campaign
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.tickets.operations import issue_tickets
from tests.support.factories import groups_of, make_campaign, make_user, make_world


@dataclass(frozen=True)
class GradingDraft:
    campaign_id: int
    item_id: int  # the questionnaire's one item, still on the four levels


def grading_draft() -> GradingDraft:
    """Its organiser "organiser", clerks "clerk1" and "clerk2", a leader "leader"; the
    default questionnaire cut to its first item, no individual items, no paper re-check."""
    world = make_world()
    make_user("organiser", world.customs)
    make_user("leader", world.customs, Role.LEADER)
    for name in ("clerk1", "clerk2"):
        make_user(name, world.customs, Role.CLERK)
    campaign = make_campaign(world.customs, "2026年度干部考核", subjects=3)
    campaign.paper_recheck_percent = 0
    for section in campaign.sections[1:]:
        db.session.delete(section)
    for item in campaign.sections[0].items[1:]:
        db.session.delete(item)
    for subject in campaign.subjects:
        subject.individual_items = []
    db.session.commit()
    return GradingDraft(campaign.id, campaign.sections[0].items[0].id)


def open_with_tickets(campaign_id: int, tickets: int) -> tuple[list[str], list[str]]:
    """Issue `tickets` tickets of the first group for every subject and open the campaign:
    the fields of the questionnaire's one item, a subject each, and the tickets' codes."""
    campaign = db.session.get(Campaign, campaign_id)
    subjects = list(campaign.subjects)
    _, tokens = issue_tickets(campaign, groups_of(campaign)[0], subjects, tickets)
    open_campaign(campaign)
    db.session.commit()
    item_id = campaign.common_items()[0].id
    return [f"s{subject.id}_c{item_id}" for subject in subjects], tokens
