from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.database import str_enum
from evalapp.extensions import db


class UnitKind(enum.StrEnum):
    ADMINISTRATION = "administration"  # 海关总署
    DIRECT = "direct"  # 直属海关
    SUBORDINATE = "subordinate"  # 隶属海关
    BRANCH = "branch"  # 党支部 / 科室


class OrgUnit(db.Model):
    """A node of the organisation tree; campaigns and organisers belong to one."""

    __tablename__ = "org_units"
    __table_args__ = (
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.CheckConstraint(
            "kind <> 'administration' OR parent_id IS NULL", name="administration_is_root"
        ),
        sa.UniqueConstraint("parent_id", "name_zh"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, "unit_kind"))
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<OrgUnit {self.id} {self.name_zh}>"
