from __future__ import annotations

import sqlalchemy as sa

from evalapp.extensions import db
from evalapp.units.models import OrgUnit


def subtree_ids(unit_id: int) -> set[int]:
    """The unit and every unit below it: an organiser's reach."""
    tree = sa.select(OrgUnit.id).where(OrgUnit.id == unit_id).cte("tree", recursive=True)
    tree = tree.union_all(sa.select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id))
    return set(db.session.scalars(sa.select(tree.c.id)))
