"""Importing a unit tree as an HR office keeps it: one row a unit, with its name, its parent
unit (by name or by code) and optionally its own code, several levels, rows in any order.

The file is read by `evalapp.tabular` (CSV in UTF-8 or GBK, Excel as shown) like every other
import. `plan_import` reads it against the tree below the importer's unit and says, row by
row, what would be created, moved, changed or left as it is, or why a row cannot be taken;
`apply_plan` writes a plan without problems. Re-importing the same file plans no change.

How a row finds its unit, so that a re-import matches what the last one created:
1. by its code, when a unit has that code;
2. by its name, when exactly one unit of the importer's tree (without a code of its own)
   has it; the importer's own unit is matched by its name when the row names no parent;
3. by its name under its parent, when several units have that name (党支部 names repeat);
4. else it is a new unit.
A parent is found among the file's rows first (by code, then by name), then in the tree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from evalapp.extensions import db
from evalapp.tabular import (
    Row,
    RowProblem,
    column_of,
    find_header,
    listed_rows,
    too_long,
    truncated_identifier,
)
from evalapp.text import squeezed
from evalapp.units.models import KIND_BELOW, OrgUnit, UnitKind
from evalapp.units.operations import REASONS, normal_code, subtree

# Header words, compared as `tabular.column_of` does (spaces and full-width forms folded).
GUESSES = {
    "name": ("单位名称", "单位", "名称", "单位全称", "机构名称", "组织名称", "部门名称",
             "党组织名称", "name", "unit", "unit name"),
    "parent": ("上级单位", "上级单位名称", "上级", "上级机构", "上级部门", "上级组织",
               "所属单位", "隶属单位", "上级单位代码", "parent", "parent unit"),
    "code": ("单位代码", "单位编码", "代码", "编码", "机构代码", "组织代码", "单位编号",
             "code", "unit code"),
    "kind": ("层级", "单位层级", "单位类别", "单位类型", "类别", "类型", "级别", "level", "kind"),
}
# An optional column of levels; without it (or in a blank cell) a new unit takes the level
# below its parent's (`KIND_BELOW`).
KIND_WORDS = {
    UnitKind.ADMINISTRATION: ("总署", "海关总署", "administration"),
    UnitKind.DIRECT: ("直属海关", "直属", "direct"),
    UnitKind.SUBORDINATE: ("隶属海关", "隶属", "subordinate"),
    UnitKind.BRANCH: ("处室", "科室", "部门", "党支部", "支部", "党总支", "branch", "office"),
}
MAX_UNITS = 2000

FILE_REASONS = {
    "no_header": _l("The file has no column headed 单位名称 (unit name)."),
    "too_many": _l("The file has more than %(max)d units; split it."),
    "empty": _l("The file has no rows below its header."),
}

# What a row does to the tree.
CREATE, MOVE, UPDATE, UNCHANGED = "create", "move", "update", "unchanged"


class UnitFileRefused(ValueError):
    """The file as a whole cannot be imported; str() is the key of `FILE_REASONS`."""

    def message(self) -> str:
        return str(FILE_REASONS[str(self)]) % {"max": MAX_UNITS}


@dataclass(frozen=True)
class PlannedUnit:
    """One row's unit as the import would leave it. `node` is the unit's id, or for a new unit
    the negated row number; `parent` likewise (None for the importer's unit itself)."""

    row: int
    name: str
    code: str | None
    node: int
    parent: int | None
    parent_name: str
    kind: UnitKind
    depth: int  # below the importer's unit, which is 0
    action: str  # CREATE, MOVE, UPDATE or UNCHANGED


@dataclass(frozen=True)
class UnitImportPlan:
    units: tuple[PlannedUnit, ...]
    problems: tuple[RowProblem, ...]
    left_out: tuple[int, ...] = ()  # rows hidden in the spreadsheet, not read

    def count(self, action: str) -> int:
        return sum(1 for unit in self.units if unit.action == action)

    def in_tree_order(self) -> list[PlannedUnit]:
        """The units each under its parent (depth first, siblings in the file's order), as
        the preview shows the tree."""
        nodes = {unit.node for unit in self.units}
        children: dict[int | None, list[PlannedUnit]] = defaultdict(list)
        for unit in sorted(self.units, key=lambda unit: unit.row):
            children[unit.parent if unit.parent in nodes else None].append(unit)
        ordered: list[PlannedUnit] = []
        stack = list(reversed(children[None]))
        while stack:
            unit = stack.pop()
            ordered.append(unit)
            stack.extend(reversed(children[unit.node]))
        return ordered


@dataclass(frozen=True)
class _Line:
    row: int
    name: str
    parent_ref: str
    code: str | None
    kind_text: str = ""

    @property
    def kind(self) -> UnitKind | None:
        typed = squeezed(self.kind_text)
        return next((kind for kind, words in KIND_WORDS.items()
                     if typed in {squeezed(word) for word in words}), None)


@dataclass
class _Planning:
    """The tree as it stands (below `reach`) and what the rows make of it, while planning."""

    reach: OrgUnit
    lines: list[_Line]
    units: dict[int, OrgUnit] = field(default_factory=dict)
    identity: dict[int, int] = field(default_factory=dict)  # row → node
    parent_of: dict[int, int | None] = field(default_factory=dict)  # row → parent node
    reasons: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))

    def node_name(self, node: int) -> str:
        if node > 0:
            return self.units[node].name_zh
        return next(line.name for line in self.lines if line.row == -node)


def read_lines(rows: Sequence[Row]) -> tuple[list[_Line], tuple[int, ...]]:
    """The units of the table, and the hidden rows left out. Raises UnitFileRefused."""
    words = [word for spellings in GUESSES.values() for word in spellings]
    header = find_header([row.cells for row in rows], words, minimum=1)
    if header is None or column_of(header.cells, GUESSES["name"]) is None:
        raise UnitFileRefused("no_header")
    columns = {key: column_of(header.cells, spellings) for key, spellings in GUESSES.items()}
    body = rows[header.below:]
    shown = [row for row in body if not row.hidden]
    if not shown:
        raise UnitFileRefused("empty")
    if len(shown) > MAX_UNITS:
        raise UnitFileRefused("too_many")

    def cell(row: Row, key: str) -> str:
        column = columns[key]
        return " ".join(row.cells[column].split()) if column is not None and column < len(
            row.cells) else ""

    lines = [_Line(row.number, cell(row, "name"), cell(row, "parent"),
                   normal_code(cell(row, "code")), cell(row, "kind")) for row in shown]
    return lines, tuple(row.number for row in body if row.hidden)


def plan_import(rows: Sequence[Row], reach: OrgUnit) -> UnitImportPlan:
    """What importing `rows` (a table with a header) under the unit `reach` would do, with every
    problem of every row. Raises UnitFileRefused when the file as a whole cannot be read."""
    lines, left_out = read_lines(rows)
    planning = _Planning(reach, lines, {unit.id: unit for unit, _depth in subtree(reach.id)})
    _check_lines(planning)
    _identify(planning)
    _check_tree(planning)
    problems = tuple(RowProblem(row, tuple(reasons))
                     for row, reasons in sorted(planning.reasons.items()) if reasons)
    units = () if problems else _planned(planning)
    return UnitImportPlan(units, problems, left_out)


def _check_lines(planning: _Planning) -> None:
    rows_of_code: dict[str, list[int]] = defaultdict(list)
    for line in planning.lines:
        if line.code:
            rows_of_code[line.code].append(line.row)
    codes = set(rows_of_code)
    elsewhere = set(db.session.scalars(sa.select(OrgUnit.code).where(
        OrgUnit.code.in_(codes), OrgUnit.id.not_in(list(planning.units))))) if codes else set()
    for line in planning.lines:
        reasons = planning.reasons[line.row]
        if not line.name:
            reasons.append(_("no unit name"))
        reasons += too_long(_("The unit name"), line.name, OrgUnit.name_zh) + too_long(
            _("The unit code"), line.code or "", OrgUnit.code) + truncated_identifier(
            _("The unit code"), line.code or "")
        if line.code and len(rows_of_code[line.code]) > 1:
            reasons.append(_("unit code %(code)s is on rows %(rows)s", code=line.code,
                             rows=listed_rows(rows_of_code[line.code])))
        if line.kind_text and line.kind is None:
            reasons.append(_("unknown level “%(value)s”", value=line.kind_text))
        if line.code in elsewhere:
            reasons.append(_("unit code %(code)s belongs to a unit outside yours",
                             code=line.code))


def _identify(planning: _Planning) -> None:
    """Each row's unit (`identity`) and its parent (`parent_of`), as the module says."""
    reach = planning.reach
    by_code = {unit.code: unit.id for unit in planning.units.values() if unit.code}
    by_name: dict[str, list[int]] = defaultdict(list)
    for unit in planning.units.values():
        if unit.id != reach.id:
            by_name[unit.name_zh].append(unit.id)
    rows_of_name = Counter(line.name for line in planning.lines)
    deferred = []
    for line in planning.lines:
        named = [node for node in by_name.get(line.name, ())
                 if line.code is None or planning.units[node].code is None]
        if line.code in by_code:
            planning.identity[line.row] = by_code[line.code]
        elif not line.parent_ref and line.name == reach.name_zh:
            planning.identity[line.row] = reach.id
        elif len(named) == 1 and rows_of_name[line.name] == 1:
            planning.identity[line.row] = named[0]
        elif named:
            deferred.append(line)
        else:
            planning.identity[line.row] = -line.row
        if line.name or line.code:
            planning.parent_of[line.row] = _parent(planning, line, by_code, by_name)
    _identify_by_parent(planning, deferred)


def _parent(planning: _Planning, line: _Line, by_code: dict[str, int],
            by_name: dict[str, list[int]]) -> int | None:
    """The parent node a row names (a row's node stands as the negated row number until its
    identity is known), or None with the reason noted."""
    reference = line.parent_ref
    if not reference:
        return None if planning.identity.get(line.row) == planning.reach.id else (
            planning.reach.id)
    code = normal_code(reference)
    rows_by_code = [other.row for other in planning.lines if other.code and other.code == code]
    if rows_by_code:
        return -rows_by_code[0]
    if code in by_code:
        return by_code[code]
    rows_by_name = [other.row for other in planning.lines if other.name == reference]
    units_by_name = by_name.get(reference, []) + (
        [planning.reach.id] if reference == planning.reach.name_zh else [])
    candidates = [-row for row in rows_by_name] or units_by_name
    if len(candidates) == 1:
        return candidates[0]
    planning.reasons[line.row].append(
        _("the parent unit “%(name)s” is ambiguous: %(count)d units have this name; give its "
          "code instead", name=reference, count=len(candidates)) if candidates
        else _("unknown parent unit “%(name)s”", name=reference))
    return None


def _identify_by_parent(planning: _Planning, deferred: list[_Line]) -> None:
    """Rows whose name several units have: the unit of that name under the row's parent, once
    the parent's own unit is known (rows in any order: repeated until nothing changes)."""
    waiting = list(deferred)
    while waiting:
        progressed = False
        for line in list(waiting):
            reference = planning.parent_of.get(line.row)
            parent = _resolved(planning, reference)
            if reference is not None and parent is None:
                continue  # its parent's row is not identified yet
            same = [unit.id for unit in planning.units.values()
                    if parent is not None and unit.parent_id == parent
                    and unit.name_zh == line.name]
            planning.identity[line.row] = same[0] if same else -line.row
            waiting.remove(line)
            progressed = True
        if not progressed:
            for line in waiting:
                planning.identity[line.row] = -line.row
            break


def _resolved(planning: _Planning, node: int | None) -> int | None:
    """A node as a unit or new row: a row's node (negative) becomes that row's identity; None
    while that is not known yet."""
    if node is None or node > 0:
        return node
    return planning.identity.get(-node)


def _final_parents(planning: _Planning) -> dict[int, int | None]:
    """Every node's parent once the import is done: the tree as it is, with each row's unit
    under the row's parent."""
    parents: dict[int, int | None] = {unit.id: unit.parent_id for unit in planning.units.values()}
    parents[planning.reach.id] = None
    for line in planning.lines:
        node = planning.identity.get(line.row)
        if node is not None and line.row in planning.parent_of:
            parent = _resolved(planning, planning.parent_of[line.row])
            if parent is not None or node == planning.reach.id:
                parents[node] = parent
    return parents


def _check_tree(planning: _Planning) -> None:
    rows_of_node: dict[int, list[int]] = defaultdict(list)
    for line in planning.lines:
        rows_of_node[planning.identity[line.row]].append(line.row)
    for rows in rows_of_node.values():
        if len(rows) > 1:
            for row in rows:
                planning.reasons[row].append(_("rows %(rows)s are the same unit",
                                               rows=", ".join(map(str, rows))))
    parents = _final_parents(planning)
    cyclic = _in_cycles(parents, planning.reach.id)
    names: dict[tuple[int | None, str], set[int]] = defaultdict(set)
    for node, parent in parents.items():
        names[(parent, _final_name(planning, node))].add(node)
    for line in planning.lines:
        node = planning.identity[line.row]
        reasons = planning.reasons[line.row]
        if node == planning.reach.id and line.parent_ref:
            reasons.append(_("your own unit cannot be moved by an import"))
        if line.kind is UnitKind.ADMINISTRATION and node != planning.reach.id:
            reasons.append(str(REASONS["administration"]))
        if node in cyclic:
            reasons.append(_("the parent units go round in a circle and never reach your unit"))
        parent = parents.get(node)
        if len(names[(parent, _final_name(planning, node))]) > 1 and line.name:
            reasons.append(_("the parent unit already has another unit named “%(name)s”",
                             name=line.name))
        moved = node < 0 or planning.units[node].parent_id != parent
        if moved and parent is not None and parent > 0 and planning.units[parent].retired:
            reasons.append(_("the parent unit “%(name)s” is retired",
                             name=planning.units[parent].name_zh))


def _final_name(planning: _Planning, node: int) -> str:
    names = [line.name for line in planning.lines if planning.identity.get(line.row) == node]
    return names[0] if names else planning.units[node].name_zh


def _in_cycles(parents: dict[int, int | None], root: int) -> set[int]:
    """The nodes whose chain of parents never reaches `root`: those on a cycle, and those
    below one."""
    reaching = {root}
    cyclic: set[int] = set()
    for start in parents:
        chain, node = [], start
        while node is not None and node not in reaching and node not in cyclic and (
                node not in chain):
            chain.append(node)
            node = parents.get(node)
        if node in reaching:
            reaching.update(chain)
        elif node is not None:
            cyclic.update(chain)
    return cyclic


def _planned(planning: _Planning) -> tuple[PlannedUnit, ...]:
    """The rows' units in the order they can be written: parents before children."""
    parents = _final_parents(planning)
    depth: dict[int, int] = {planning.reach.id: 0}
    kind: dict[int, UnitKind] = {planning.reach.id: planning.reach.kind}
    planned = []
    pending = list(planning.lines)
    _known_depths(planning, parents, depth, kind)
    while pending:
        placeable = [line for line in pending if parents[planning.identity[line.row]] in depth
                     or planning.identity[line.row] == planning.reach.id]
        if not placeable:  # cannot happen once checked: the tree is acyclic, every parent known
            raise RuntimeError("rows without a place in a checked unit file")
        for line in placeable:
            pending.remove(line)
            planned.append(_place(planning, parents, depth, kind, line))
        _known_depths(planning, parents, depth, kind)
    return tuple(planned)


def _place(planning: _Planning, parents: dict[int, int | None], depth: dict[int, int],
           kind: dict[int, UnitKind], line: _Line) -> PlannedUnit:
    node = planning.identity[line.row]
    parent = parents[node]
    depth[node] = depth[parent] + 1 if parent is not None else 0
    if node == planning.reach.id:
        kind[node] = planning.reach.kind
    else:
        kind[node] = line.kind or (planning.units[node].kind if node > 0
                                   else KIND_BELOW[kind[parent]])
    return PlannedUnit(
        line.row, line.name, line.code, node, parent,
        planning.node_name(parent) if parent is not None else "", kind[node], depth[node],
        _action(planning.units.get(node), parent, line))


def _known_depths(planning: _Planning, parents: dict[int, int | None], depth: dict[int, int],
                  kind: dict[int, UnitKind]) -> None:
    """Units the file does not list keep their place: give those whose parent is placed a
    depth too, so that rows under them can be placed."""
    listed = set(planning.identity.values())
    changed = True
    while changed:
        changed = False
        for node, parent in parents.items():
            if node not in depth and node not in listed and parent in depth:
                depth[node] = depth[parent] + 1
                kind[node] = planning.units[node].kind
                changed = True


def _action(unit: OrgUnit | None, parent: int | None, line: _Line) -> str:
    if unit is None:
        return CREATE
    if parent is not None and unit.parent_id != parent:
        return MOVE
    if line.name != unit.name_zh or (line.code and line.code != unit.code) or (
            line.kind and line.kind != unit.kind and parent is not None):
        return UPDATE
    return UNCHANGED


def apply_plan(plan: UnitImportPlan) -> dict[str, int]:
    """Write a plan without problems, parents first; the number of units per action. The
    caller commits (one transaction for the whole file)."""
    if plan.problems:
        raise ValueError("a unit file with problems is never imported")
    made: dict[int, OrgUnit] = {}

    def unit_of(node: int) -> OrgUnit:
        return made[node] if node < 0 else db.session.get(OrgUnit, node)

    for planned in sorted(plan.units, key=lambda unit: unit.depth):
        if planned.action == CREATE:
            made[planned.node] = OrgUnit(parent=unit_of(planned.parent), kind=planned.kind,
                                         name_zh=planned.name, code=planned.code)
            db.session.add(made[planned.node])
        elif planned.action in (MOVE, UPDATE):
            unit = unit_of(planned.node)
            if planned.action == MOVE:
                unit.parent = unit_of(planned.parent)
            unit.name_zh, unit.kind = planned.name, planned.kind
            unit.code = planned.code or unit.code
        db.session.flush()  # moves one at a time, parents placed first: never a cycle midway
    return {"created": plan.count(CREATE), "moved": plan.count(MOVE),
            "updated": plan.count(UPDATE), "unchanged": plan.count(UNCHANGED)}
