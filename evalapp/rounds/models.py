"""A round (测评轮次, issue 27): a design made once at a unit and instantiated as one campaign
per unit below it, each run by that unit's organisers."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.campaigns.models import Campaign
from evalapp.database import UTCDateTime, utcnow
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from forms.limits import TITLE_LENGTH


class Round(db.Model):
    """The round's own: where it is made, its title and its schedule (the planned opening and
    closing dates, which each unit's organisers keep to when they open and close their
    campaign). Its design is a campaign of its own, the template (`Campaign.is_template`),
    edited with the campaign editors; the campaigns made from it carry `round_id`."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint("opens_on IS NULL OR closes_on IS NULL OR closes_on >= opens_on",
                           name="closes_after_opening"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    opens_on: Mapped[date | None] = mapped_column()
    closes_on: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[OrgUnit] = relationship()
    template: Mapped[Campaign] = relationship(
        primaryjoin=lambda: sa.and_(Round.id == Campaign.round_id, Campaign.is_template),
        foreign_keys=lambda: [Campaign.round_id], viewonly=True, uselist=False)

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.title}>"
