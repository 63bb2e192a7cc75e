"""Ledgers (整改台账) as organisers import them: a campaign whose subject the case files
name, and the import through its form."""

from __future__ import annotations

import io
from datetime import datetime

import sqlalchemy as sa

from evalapp.extensions import db
from evalapp.rectification.models import RectificationMeasure
from evalapp.units.models import OrgUnit, UnitKind
from tests.support.factories import make_campaign, make_user
from tests.support.web import csrf_token


def shijiazhuang_campaign(app, started: datetime | None = None) -> int:
    """A campaign of 石家庄海关 whose subject is 郑怀远, as the ledger cases name them, with
    its organiser (log in as "organiser"); started at `started` if given."""
    with app.app_context():
        root = OrgUnit(kind=UnitKind.ADMINISTRATION, name_zh="海关总署")
        unit = OrgUnit(parent=root, kind=UnitKind.DIRECT, name_zh="石家庄海关")
        db.session.add_all([root, unit])
        make_user("organiser", unit)
        campaign = make_campaign(unit)
        campaign.created_at = started or campaign.created_at
        campaign.subjects[0].person_name = "郑怀远"
        db.session.commit()
        return campaign.id


def import_ledger(client, campaign_id: int, filename: str, content: bytes):
    return client.post(f"/campaigns/{campaign_id}/rectification/import", data={
        "csrf_token": csrf_token(client, "/"), "file": (io.BytesIO(content), filename)})


def measures(app) -> list[tuple]:
    """(text, deadline, responsible department) of every measure, in the order stored."""
    with app.app_context():
        return [tuple(row) for row in db.session.execute(sa.select(
            RectificationMeasure.text, RectificationMeasure.deadline,
            RectificationMeasure.responsible_department).order_by(RectificationMeasure.id))]
