from __future__ import annotations

import sqlalchemy as sa

from evalapp.extensions import db
from evalapp.units.models import OrgUnit


def subtree_ids(unit_id: int) -> set[int]:
    """The unit and every unit below it: an organiser's reach."""
    tree = sa.select(OrgUnit.id).where(OrgUnit.id == unit_id).cte("tree", recursive=True)
    tree = tree.union_all(sa.select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id))
    return set(db.session.scalars(sa.select(tree.c.id)))


def subtree(unit_id: int) -> list[tuple[OrgUnit, int]]:
    """The unit and every unit below it with its depth under the unit (0 for the unit),
    depth first, siblings by id: the tree as a list reads it, each unit under its parent."""
    units = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.id.in_(subtree_ids(unit_id)))
                               .order_by(OrgUnit.id)).all()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[OrgUnit, int]] = []
    stack = [(unit, 0) for unit in units if unit.id == unit_id]
    while stack:
        unit, depth = stack.pop()
        ordered.append((unit, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.id, [])))
    return ordered
