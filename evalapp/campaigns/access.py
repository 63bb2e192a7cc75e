"""Which campaigns a member of staff may see: those of their unit and the units below it.
An administrator sees none (三员分立: being an administrator gives no campaign, ballot or
result), whatever its unit."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import selectinload

from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.units.operations import subtree_ids


def visible_campaigns(user: User) -> list[Campaign]:
    """The campaigns of the user's units, newest first; a round's template is a design, not
    a campaign of the list (its round's page leads to it)."""
    if user.role.is_administrator:
        return []
    query = (
        sa.select(Campaign)
        .options(selectinload(Campaign.subjects), selectinload(Campaign.unit))
        .where(Campaign.unit_id.in_(subtree_ids(user.unit_id)), ~Campaign.is_template)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
    return list(db.session.scalars(query))


def campaign_for(user: User, campaign_id: int) -> Campaign:
    """The campaign, or 404 when it does not exist or lies outside the user's units (so that
    staff of one unit cannot even learn which campaigns another unit runs); 403 for an
    administrator, before anything is looked up."""
    if user.role.is_administrator:
        abort(403)
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.unit_id not in subtree_ids(user.unit_id):
        abort(404)
    return campaign


def draft_for(user: User, campaign_id: int) -> Campaign:
    """The campaign as `campaign_for` gives it, or 409 once it has opened: only a draft's
    design may change."""
    campaign = campaign_for(user, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        abort(409)
    return campaign
