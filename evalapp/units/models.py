"""Organisation units: the tree of administration, customs and branches."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.database import UTCDateTime, str_enum
from evalapp.extensions import db


class UnitKind(enum.StrEnum):
    """A unit's level. Only a root is the administration (a CHECK constraint); below it the
    system administrator chooses, and a new unit defaults to the level below its parent's
    (`KIND_BELOW`): 总署 → 直属海关 → 隶属海关 → 处室 / 党支部, and below a branch a branch."""

    ADMINISTRATION = "administration"  # 海关总署
    DIRECT = "direct"  # 直属海关
    SUBORDINATE = "subordinate"  # 隶属海关
    BRANCH = "branch"  # 党支部 / 科室


KIND_BELOW = {
    UnitKind.ADMINISTRATION: UnitKind.DIRECT,
    UnitKind.DIRECT: UnitKind.SUBORDINATE,
    UnitKind.SUBORDINATE: UnitKind.BRANCH,
    UnitKind.BRANCH: UnitKind.BRANCH,
}

CODE_LENGTH = 50


class OrgUnit(db.Model):
    """A node of the organisation tree; campaigns and organisers belong to one.

    A retired unit (撤销, `retired_at` set) keeps its campaigns, subjects and accounts and is
    shown in results as before; it is only no longer offered for anything new. The tree never
    holds a cycle: besides the CHECK below, a trigger of migration 0016 refuses any parent that
    lies below the unit."""

    __tablename__ = "org_units"
    __table_args__ = (
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        sa.CheckConstraint(
            "kind <> 'administration' OR parent_id IS NULL", name="administration_is_root"
        ),
        sa.CheckConstraint("code IS NULL OR length(code) > 0", name="code_not_empty"),
        sa.UniqueConstraint("parent_id", "name_zh"),
        sa.UniqueConstraint("code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, "unit_kind"))
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    # The HR office's unit code (单位代码), when it has one: unique, so an import can match on it.
    code: Mapped[str | None] = mapped_column(sa.String(CODE_LENGTH))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<OrgUnit {self.id} {self.name_zh}>"
