"""Reading and changing the unit tree. Every change checks what the database would refuse
(a cycle, a sibling of the same name, a code already used) first, so that the person making
it is told why in their language; the database's constraints and trigger stay the last word."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.i18n import localized
from evalapp.text import compact
from evalapp.units.models import KIND_BELOW, OrgUnit, UnitKind


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


def offered(unit_id: int, keep: int | None = None) -> list[tuple[OrgUnit, int]]:
    """`subtree` without the retired units and whatever lies below them: the units offered for
    a new campaign, subject or account. `keep` (a unit already chosen, say a subject's) stays
    offered even when retired, so that editing something of a retired unit does not move it."""
    shown, hidden_below = [], None
    for unit, depth in subtree(unit_id):
        if hidden_below is not None and depth > hidden_below:
            if unit.id == keep:
                shown.append((unit, depth))
            continue
        hidden_below = depth if unit.retired else None
        if not unit.retired or unit.id == keep:
            shown.append((unit, depth))
    return shown


def tree_choices(units: list[tuple[OrgUnit, int]]) -> list[SelectChoice]:
    """Units (with their depths, as `subtree` gives them) as a select shows a tree: each under
    its parent, indented."""
    return [SelectChoice(unit.id, ("\u3000" * (depth - 1) + "└ " if depth else "")
                         + localized(unit, "name")) for unit, depth in units]


@dataclass(frozen=True)
class UnitData:
    """A unit as the form gives it: names, an optional HR code ("" for none) and its level."""

    name_zh: str
    name_en: str
    code: str
    kind: UnitKind


REASONS = {
    "retired_parent": _l("The parent unit is retired: restore it first."),
    "cycle": _l("A unit cannot be moved under itself or under a unit below it."),
    "outside": _l("That unit is outside your unit."),
    "sibling_name": _l("The parent unit already has a unit of this name."),
    "code_taken": _l("Another unit already has this code."),
    "root": _l("Your own unit cannot be moved or retired here."),
    "administration": _l("Only a top-level unit is the administration."),
    "parent_retired_restore": _l("Its parent unit is retired: restore that one first."),
}


class UnitRefused(ValueError):
    """A change the tree cannot take; str() is the key of `REASONS`."""

    def message(self) -> str:
        return str(REASONS[str(self)])


def normal_code(code: str) -> str | None:
    """An HR code as stored: full-width digits and spaces folded ("０３ 01" is 0301); None for
    no code."""
    return compact(code) or None


def _check_fits(unit: OrgUnit | None, parent: OrgUnit, name_zh: str, code: str | None) -> None:
    if parent.retired:
        raise UnitRefused("retired_parent")
    sibling = sa.select(OrgUnit.id).where(OrgUnit.parent_id == parent.id,
                                          OrgUnit.name_zh == name_zh)
    if unit is not None:
        sibling = sibling.where(OrgUnit.id != unit.id)
    if db.session.scalar(sibling.limit(1)) is not None:
        raise UnitRefused("sibling_name")
    if code is not None:
        taken = sa.select(OrgUnit.id).where(OrgUnit.code == code)
        if unit is not None:
            taken = taken.where(OrgUnit.id != unit.id)
        if db.session.scalar(taken.limit(1)) is not None:
            raise UnitRefused("code_taken")


def create_unit(parent: OrgUnit, data: UnitData) -> OrgUnit:
    """A new unit under `parent` (never the administration, which is only a root).
    Raises UnitRefused."""
    if data.kind is UnitKind.ADMINISTRATION:
        raise UnitRefused("administration")
    code = normal_code(data.code)
    _check_fits(None, parent, data.name_zh, code)
    unit = OrgUnit(parent=parent, kind=data.kind, name_zh=data.name_zh, name_en=data.name_en,
                   code=code)
    db.session.add(unit)
    db.session.flush()
    return unit


def edit_unit(unit: OrgUnit, data: UnitData) -> dict[str, tuple[str, str]]:
    """Rename the unit, set its code and level; the changed fields as {field: (before,
    after)}, for the log. Raises UnitRefused."""
    code = normal_code(data.code)
    if data.kind is UnitKind.ADMINISTRATION and unit.parent_id is not None:
        raise UnitRefused("administration")
    if unit.parent is not None:
        _check_fits(unit, unit.parent, data.name_zh, code)
    changed = {}
    for field, value in (("name_zh", data.name_zh), ("name_en", data.name_en), ("code", code),
                         ("kind", data.kind)):
        before = getattr(unit, field)
        if before != value:
            changed[field] = (str(before or ""), str(value or ""))
            setattr(unit, field, value)
    db.session.flush()
    return changed


def move_unit(unit: OrgUnit, parent: OrgUnit, reach: int) -> None:
    """Put `unit` under `parent`, both within the unit `reach` (the mover's unit, which itself
    stays where it is). Raises UnitRefused for a parent below the unit (a cycle), outside the
    reach, retired, or holding a unit of the same name."""
    within = subtree_ids(reach)
    if unit.id == reach:
        raise UnitRefused("root")
    if parent.id not in within or unit.id not in within:
        raise UnitRefused("outside")
    if parent.id in subtree_ids(unit.id):
        raise UnitRefused("cycle")
    _check_fits(unit, parent, unit.name_zh, unit.code)
    unit.parent = parent
    db.session.flush()


def retire_unit(unit: OrgUnit, reach: int) -> list[OrgUnit]:
    """Retire the unit and the units below it not retired yet, all at one moment (so that
    restoring the unit restores them with it). Their campaigns, subjects, accounts and results
    stay as they are. The units retired, the unit first."""
    if unit.id == reach:
        raise UnitRefused("root")
    moment = utcnow()
    retired = [below for below, _depth in subtree(unit.id) if not below.retired]
    for below in retired:
        below.retired_at = moment
    db.session.flush()
    return retired


def restore_unit(unit: OrgUnit) -> list[OrgUnit]:
    """Undo `retire_unit`: the unit and the units below it retired at the same moment (units
    retired on their own before stay retired). Refused while the parent is retired."""
    if unit.parent is not None and unit.parent.retired:
        raise UnitRefused("parent_retired_restore")
    moment = unit.retired_at
    restored = [below for below, _depth in subtree(unit.id)
                if moment is not None and below.retired_at == moment]
    for below in restored:
        below.retired_at = None
    db.session.flush()
    return restored


def default_kind(parent: OrgUnit) -> UnitKind:
    return KIND_BELOW[parent.kind]


def in_reach(unit_id: int | None, reach: int) -> OrgUnit | None:
    """The unit when it lies within `reach` (a unit id), else None."""
    if unit_id is None or unit_id not in subtree_ids(reach):
        return None
    return db.session.get(OrgUnit, unit_id)



KIND_LABELS = {
    UnitKind.ADMINISTRATION: _l("Administration (top level)"),
    UnitKind.DIRECT: _l("Directly-administered customs"),
    UnitKind.SUBORDINATE: _l("Subordinate customs"),
    UnitKind.BRANCH: _l("Office or party branch"),
}
