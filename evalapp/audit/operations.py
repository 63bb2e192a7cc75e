"""Recording staff actions. The caller commits with the action itself, so an action and its
record are stored together or not at all."""

from __future__ import annotations

from typing import Any

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db


def record(
    action: str, *, user: User | None, campaign: Campaign | None = None, **detail: Any
) -> AuditEntry:
    entry = AuditEntry(action=action, user=user, campaign_id=campaign.id if campaign else None,
                       detail=detail)
    db.session.add(entry)
    return entry
