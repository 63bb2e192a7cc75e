"""A draft campaign for a round of 干部考核: three persons, a questionnaire of one item."""

from __future__ import annotations

from dataclasses import dataclass

from evalapp.auth.models import Role
from evalapp.extensions import db
from tests.support.factories import make_campaign, make_user, make_world


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
