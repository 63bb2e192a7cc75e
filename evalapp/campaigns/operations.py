"""Creating and changing campaigns. Functions flush; the caller (a request or a command)
commits, so one user action is one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from evalapp.campaigns.models import Campaign, CampaignStatus, CommonItem, Section
from evalapp.campaigns.template import DEFAULT_SECTIONS, TemplateSection
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.roster.models import Membership, Office, RaterGroup
from evalapp.units.models import OrgUnit

# The four strata of seed 001: head office / grassroots × party members / non-members.
DEFAULT_RATER_GROUPS = (
    ("机关党员", "Head office, party members", Office.HEAD_OFFICE, Membership.MEMBER),
    ("机关群众", "Head office, non-members", Office.HEAD_OFFICE, Membership.NON_MEMBER),
    ("基层党员", "Grassroots, party members", Office.GRASSROOTS, Membership.MEMBER),
    ("基层群众", "Grassroots, non-members", Office.GRASSROOTS, Membership.NON_MEMBER),
)


def create_campaign(
    unit: OrgUnit,
    title: str,
    *,
    description: str = "",
    sections: Sequence[TemplateSection] = DEFAULT_SECTIONS,
    is_demo: bool = False,
) -> Campaign:
    """A draft campaign with its own copy of the questionnaire template and the four default
    rater groups; both stay editable while it is a draft."""
    campaign = Campaign(unit=unit, title=title, description=description, is_demo=is_demo)
    for section_position, template in enumerate(sections, start=1):
        section = Section(
            position=section_position, title_zh=template.title_zh, title_en=template.title_en
        )
        section.items = [
            CommonItem(position=position, text_zh=item.text_zh, text_en=item.text_en)
            for position, item in enumerate(template.items, start=1)
        ]
        campaign.sections.append(section)
    db.session.add(campaign)
    db.session.flush()
    for position, (name_zh, name_en, office, membership) in enumerate(
        DEFAULT_RATER_GROUPS, start=1
    ):
        db.session.add(
            RaterGroup(
                campaign_id=campaign.id,
                position=position,
                name_zh=name_zh,
                name_en=name_en,
                office=office,
                membership=membership,
            )
        )
    db.session.flush()
    return campaign


def open_campaign(campaign: Campaign) -> None:
    campaign.status = CampaignStatus.OPEN
    campaign.opened_at = utcnow()
    db.session.flush()


def close_campaign(campaign: Campaign) -> None:
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = utcnow()
    db.session.flush()
