"""Importing staff accounts from a table (CSV or Excel) as a personnel office keeps it: one row
per person with a username, a name, a unit and a role. The unit is named by its code
(单位代码, `OrgUnit.code`) or by its Chinese or English name; a name that several units bear
(a 第一党支部 under each customs) is refused with a request for the code, and a retired unit
takes no new account.

Checked whole before anything is written: every problem of every row is reported under the
row's number in the spreadsheet, and the file is imported all or not at all. Idempotent: a
row whose username already exists with the same unit and role is left as it is, so
importing the same file twice creates nobody twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from evalapp.accounts.operations import Issued, NewAccount, add_account, units_in_reach
from evalapp.audit.operations import record
from evalapp.auth.models import Role, User
from evalapp.extensions import db
from evalapp.tabular import (
    Row,
    RowProblem,
    column_of,
    from_header,
    listed_rows,
    too_long,
    truncated_identifier,
)
from evalapp.text import squeezed
from evalapp.units.models import OrgUnit
from evalapp.units.operations import normal_code, subtree
from forms.accounts import USERNAME

# Header words of each column, compared as `tabular.column_of` compares them.
COLUMNS = {
    "username": ("用户名", "账号", "帐号", "登录名", "username", "account"),
    "display_name": ("姓名", "名字", "显示名", "name", "display name"),
    "unit": ("单位", "部门", "所在单位", "所在部门", "单位名称", "unit", "department"),
    "role": ("角色", "岗位角色", "权限", "role"),
}
MIN_USERNAME = 2


class MissingColumns(ValueError):
    """The file's header lacks columns; `str(error)` names them in the reader's language."""


@dataclass(frozen=True)
class StaffRow:
    row: int  # as the spreadsheet numbers it
    username: str
    display_name: str
    unit_id: int
    unit_name: str
    role: Role


@dataclass(frozen=True)
class UnitIndex:
    """The actor's units as a staff file may name them."""

    codes: dict[str, OrgUnit]  # by `normal_code`
    names: dict[str, list[OrgUnit]]  # by `squeezed` Chinese or English name
    offered: frozenset[int]  # those that take new accounts (`units_in_reach`)

    @classmethod
    def of(cls, actor: User) -> UnitIndex:
        codes, names = {}, {}
        for unit, _depth in subtree(actor.unit_id):
            if unit.code:
                codes[unit.code] = unit
            for name in {squeezed(unit.name_zh), squeezed(unit.name_en)} - {""}:
                names.setdefault(name, []).append(unit)
        return cls(codes, names, frozenset(unit.id for unit, _depth in units_in_reach(actor)))


@dataclass(frozen=True)
class AccountsPreview:
    new: tuple[StaffRow, ...]
    existing: tuple[StaffRow, ...]  # already there with this unit and role: left as they are
    problems: tuple[RowProblem, ...]


def _columns(header: Sequence[str]) -> dict[str, int]:
    found = {field: column_of(header, words) for field, words in COLUMNS.items()}
    missing = [COLUMNS[field][0] for field, column in found.items() if column is None]
    if missing:
        raise MissingColumns(_("The header row lacks the columns: %(columns)s.",
                               columns="、".join(missing)))
    return found  # type: ignore[return-value]


# The business roles as a personnel office writes them (an import gives no administrator
# role: that is the security administrator's to grant, one account at a time).
ROLE_WORDS = {
    Role.ORGANISER: ("organiser", "组织者", "组织人"),
    Role.LEADER: ("leader", "领导"),
    Role.AUDITOR: ("auditor", "审计员", "审计"),
    Role.CLERK: ("clerk", "录入员"),
    Role.SCRUTINEER: ("scrutineer", "监票人"),
}


def check_accounts(actor: User, rows: Sequence[Row]) -> AccountsPreview:
    """Every row below the header checked. Raises MissingColumns when the header (the first
    row naming two of the columns, else the first row) lacks one."""
    header, *body = from_header(rows, [word for spellings in COLUMNS.values()
                                       for word in spellings])
    columns = _columns(header.cells)
    units = UnitIndex.of(actor)
    seen: dict[str, list[int]] = {}
    for row in body:
        seen.setdefault(_cell(row, columns["username"]), []).append(row.number)
    existing_users = {user.username: user for user in db.session.scalars(
        sa.select(User).where(User.username.in_(list(seen))))}
    roles = {squeezed(word): role for role, spellings in ROLE_WORDS.items()
             for word in spellings}
    new, existing, problems = [], [], []
    for row in body:
        reasons: list[str] = []
        username = _cell(row, columns["username"])
        display_name = _cell(row, columns["display_name"])
        unit = _unit(_cell(row, columns["unit"]), units, reasons)
        role = _role(_cell(row, columns["role"]), roles, reasons)
        reasons += _username_problems(username, seen)
        if not display_name:
            reasons.append(_("no name"))
        reasons += too_long(_("The name"), display_name, User.display_name)
        if reasons:
            problems.append(RowProblem(row.number, tuple(reasons)))
            continue
        staff = StaffRow(row.number, username, display_name, unit.id, unit.name_zh, role)
        user = existing_users.get(username)
        if user is None:
            new.append(staff)
        elif (user.unit_id, user.role) == (unit.id, role):
            existing.append(staff)
        else:
            problems.append(RowProblem(row.number, (_(
                "the username %(username)s belongs to an account of another unit or role",
                username=username),)))
    return AccountsPreview(tuple(new), tuple(existing), tuple(problems))


def _cell(row: Row, column: int) -> str:
    return row.cells[column].strip() if column < len(row.cells) else ""


def _username_problems(username: str, seen: dict[str, list[int]]) -> list[str]:
    if len(username) < MIN_USERNAME:
        return [_("no username") if not username else _(
            "the username needs at least %(count)d characters", count=MIN_USERNAME)]
    if truncated := truncated_identifier(_("The username"), username):  # a staff number
        return truncated
    if not re.match(USERNAME, username):
        return [_("the username %(username)s may hold only letters, digits and . _ @ -, "
                  "starting with a letter or digit", username=username)]
    if len(seen[username]) > 1:
        return [_("username %(username)s is on rows %(rows)s", username=username,
                  rows=listed_rows(seen[username]))]
    return too_long(_("The username"), username, User.username)


def _unit(value: str, units: UnitIndex, reasons: list[str]) -> OrgUnit | None:
    """The unit `value` names: a code first (codes are unique), else a name borne by one
    unit that takes new accounts; else None, with the reason added to `reasons`."""
    by_code = units.codes.get(normal_code(value) or "")
    found = [by_code] if by_code else units.names.get(squeezed(value), [])
    live = [unit for unit in found if unit.id in units.offered]
    if len(live) == 1:
        return live[0]
    if not value:
        reasons.append(_("no unit"))
    elif len(live) > 1:
        reasons.append(_("several units are named “%(value)s” (under %(parents)s): write the "
                         "unit's code instead", value=value, parents="、".join(
                             unit.parent.name_zh if unit.parent else "—" for unit in live)))
    elif found:
        reasons.append(_("the unit “%(value)s” has been retired", value=value))
    else:
        reasons.append(_("unknown unit “%(value)s” (or outside your units)", value=value))
    return None


def _role(value: str, roles: dict[str, Role], reasons: list[str]) -> Role | None:
    role = roles.get(squeezed(value))
    if role is None:
        reasons.append(_("unknown role “%(value)s” (an import gives business roles only: "
                         "organiser, leader, auditor, clerk, scrutineer)", value=value)
                       if value else _("no role"))
    return role


def import_accounts(actor: User, preview: AccountsPreview) -> list[Issued]:
    """Create the preview's new accounts, each with a temporary password (returned, to be
    shown once; stored only hashed). Raises ValueError for a preview with problems."""
    if preview.problems:
        raise ValueError("accounts with problems are never imported")
    issued = [add_account(actor, NewAccount(staff.username, staff.display_name, staff.unit_id,
                                            staff.role)) for staff in preview.new]
    record("account.import", user=actor, count=len(issued),
           usernames=[staff.username for staff in preview.new],
           unchanged=len(preview.existing))
    return issued
