"""Reading a roster from a table, checking every row, and importing it all or not at all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from evalapp.audit.operations import record
from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign, CampaignStatus, Membership, Office, RaterGroup
from evalapp.campaigns.operations import groups_fixed
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.tabular import RowProblem, listed_rows, too_long, truncated_identifier
from evalapp.text import compact, squeezed

OFFICE_WORDS = {
    Office.HEAD_OFFICE: {"机关", "head office", "headquarters"},
    Office.GRASSROOTS: {"基层", "grassroots"},
}
# 政治面貌 as GB/T 4762 (政治面貌代码) names it, in full, short and by code, and as personnel
# systems and offices write it besides (中共党员（预备）, 民革党员, 农工党员): members and
# probationary members of the Communist Party of China are party members; members of the
# Youth League and of the democratic parties, non-party persons and the masses are not.
# Spellings are compared `squeezed` (NFKC), so （预备） and (预备) are one spelling.
MEMBERSHIP_WORDS = {
    Membership.MEMBER: {
        "01", "中国共产党党员", "中共党员", "党员", "02", "中国共产党预备党员", "中共预备党员",
        "预备党员", "中共党员（预备）", "中共党员（预备期）", "中共党员（预备党员）",
        "党员（预备）", "member", "party member"},
    Membership.NON_MEMBER: {
        "03", "中国共产主义青年团团员", "共青团员", "团员",
        "04", "中国国民党革命委员会会员", "民革会员", "民革党员", "05", "中国民主同盟盟员",
        "民盟盟员", "06", "中国民主建国会会员", "民建会员", "07", "中国民主促进会会员",
        "民进会员", "08", "中国农工民主党党员", "农工党党员", "农工党员", "09", "中国致公党党员",
        "致公党党员",
        "10", "九三学社社员", "11", "台湾民主自治同盟盟员", "台盟盟员",
        "12", "无党派民主人士", "无党派人士", "无党派", "13", "群众", "普通公民", "非党员",
        "non-member", "non member", "non-party"},
}


@dataclass(frozen=True)
class ColumnMapping:
    """Column numbers (from 0) of the table; None where the file has no such column. With a
    group column, `group_values` maps each of its values (`squeezed`) to a group's id, or to
    None: the rows of a value mapped to no group (or not in it) are refused."""

    name: int
    staff_number: int
    unit: int | None = None
    group: int | None = None
    office: int | None = None
    membership: int | None = None
    group_values: Mapping[str, int | None] = field(default_factory=dict)


# The most distinct values of a group column that are offered for mapping: a campaign has 12
# groups at most, and a column with more values than this is not a category (a name, a
# staff number) and would make a page of thousands of choices.
GROUP_VALUES_MAX = 100


@dataclass(frozen=True)
class ValueChoice:
    """A distinct value of the group column, how many rows hold it, and the group its rows go
    to (None: none)."""

    value: str
    rows: int
    group_id: int | None


def group_choices(rows: Sequence[Sequence[str]], column: int, groups: Sequence[RaterGroup],
                  chosen: Mapping[str, int | None]) -> list[ValueChoice]:
    """Every distinct non-empty value of the group column below the header, in the order
    first met, with the group it maps to: the organiser's choice (`chosen`, by `squeezed`
    value) when made, else the group of the same name (Chinese or English), as a file that
    names the groups themselves needs no choosing; else none."""
    named = {}
    for group in groups:
        named[squeezed(group.name_zh)] = group.id
        if group.name_en:
            named.setdefault(squeezed(group.name_en), group.id)
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for row in rows[1:]:
        if value := _cell(row, column):
            key = squeezed(value)
            counts[key] += 1
            spelling.setdefault(key, value)
    return [ValueChoice(spelling[key], count, chosen[key] if key in chosen else named.get(key))
            for key, count in counts.items()]


@dataclass(frozen=True)
class Person:
    row: int
    name: str
    staff_number: str
    unit_name: str
    group_id: int


@dataclass(frozen=True)
class RosterPreview:
    people: tuple[Person, ...]
    problems: tuple[RowProblem, ...]

    def counts(self, groups: Sequence[RaterGroup]) -> list[tuple[RaterGroup, int]]:
        per_group = Counter(person.group_id for person in self.people)
        return [(group, per_group.get(group.id, 0)) for group in groups]


def _spellings(words: dict) -> dict[str, object]:
    """{spelling as `squeezed` compares it: its key}."""
    return {squeezed(word): key for key, spellings in words.items() for word in spellings}


OFFICE_SPELLINGS = _spellings(OFFICE_WORDS)
MEMBERSHIP_SPELLINGS = _spellings(MEMBERSHIP_WORDS)


def _cell(row: Sequence[str], column: int | None) -> str:
    return row[column].strip() if column is not None and column < len(row) else ""


def check_roster(
    rows: Sequence[Sequence[str]], mapping: ColumnMapping, groups: Sequence[RaterGroup],
    numbers: Sequence[int] | None = None,
) -> RosterPreview:
    """Every data row (after the header) checked; every problem of every row reported, under
    the row's number in the spreadsheet (`numbers`, one per row; by default 1, 2, 3...).

    A staff number as Excel shows a long number (1.30102E+17: an ID number typed as a
    number, its last digits lost) is refused, never stored. Quick enough for a system-wide
    roster (`bench/roster_import.py`): the messages' words are looked up once, and a row's
    group once for each spelling of it, not once a row."""
    numbered = list(zip(numbers or range(1, len(rows) + 1), rows, strict=True))[1:]
    staff_numbers = [compact(_cell(row, mapping.staff_number)) for _number, row in numbered]
    rows_of: dict[str, list[int]] = {}
    for (number, _row), staff in zip(numbered, staff_numbers, strict=True):
        rows_of.setdefault(staff, []).append(number)
    group_of = _group_finder(mapping, groups)
    people, problems = [], []
    the_name, the_staff_number, the_unit = _("The name"), _("The staff number"), _("The unit")
    for (number, row), staff in zip(numbered, staff_numbers, strict=True):
        reasons = []
        name, unit = _cell(row, mapping.name), _cell(row, mapping.unit)
        if not name:
            reasons.append(_("no name"))
        if not staff:
            reasons.append(_("no staff number"))
        elif truncated := truncated_identifier(the_staff_number, staff):
            reasons += truncated
        elif len(rows_of[staff]) > 1:
            reasons.append(_("staff number %(number)s is on rows %(rows)s", number=staff,
                             rows=listed_rows(rows_of[staff])))
        reasons += too_long(the_name, name, RosterEntry.name) + too_long(
            the_staff_number, staff, RosterEntry.staff_number) + too_long(
            the_unit, unit, RosterEntry.unit_name)
        group, group_reasons = group_of(row)
        reasons += group_reasons
        if reasons:
            problems.append(RowProblem(number, tuple(reasons)))
        elif group is not None:
            people.append(Person(number, name, staff, unit, group.id))
    return RosterPreview(tuple(people), tuple(problems))


def _group_finder(mapping: ColumnMapping, groups: Sequence[RaterGroup]):
    """row → (its rater group or None, the reasons why none): by the group column's value as
    `mapping.group_values` maps it, or by the head office/grassroots and membership columns;
    decided once for each set of values."""
    by_id = {group.id: group for group in groups}
    by_kind = {(group.office, group.membership): group for group in groups}
    decided: dict[tuple[str, ...], tuple[RaterGroup | None, tuple[str, ...]]] = {}

    def decide(*values: str) -> tuple[RaterGroup | None, tuple[str, ...]]:
        reasons: list[str] = []
        if mapping.group is not None:
            (value,) = values
            group = by_id.get(mapping.group_values.get(squeezed(value)))
            if group is None:
                reasons.append(_("unknown rater group “%(value)s”", value=value) if value
                               else _("no rater group"))
            return group, tuple(reasons)
        office_value, member_value = values
        office = OFFICE_SPELLINGS.get(squeezed(office_value))
        membership = MEMBERSHIP_SPELLINGS.get(squeezed(member_value))
        if office is None:
            reasons.append(_("“%(value)s” is neither head office (机关) nor grassroots (基层)",
                             value=office_value))
        if membership is None:
            reasons.append(_("“%(value)s” is neither party member (党员) nor non-member (群众)",
                             value=member_value))
        group = None if office is None or membership is None else by_kind.get(
            (office, membership))
        if group is None and not reasons:
            reasons.append(_("no rater group for %(office)s and %(membership)s",
                             office=office_value, membership=member_value))
        return group, tuple(reasons)

    columns = (mapping.group,) if mapping.group is not None else (mapping.office,
                                                                  mapping.membership)

    def group_of(row: Sequence[str]) -> tuple[RaterGroup | None, tuple[str, ...]]:
        values = tuple(_cell(row, column) for column in columns)
        if values not in decided:
            decided[values] = decide(*values)
        return decided[values]

    return group_of


class RosterLocked(RuntimeError):
    """A sample draw has been prepared from the current roster (its fingerprint committed to)
    or drawn from it; replacing the roster would orphan the draw."""


class RosterFrozen(RosterLocked):
    """The campaign has opened: its roster sizes weight the results, so they are fixed. A
    roster changed after the box is sealed could move the published figures, and giving a
    small group a huge roster would make the roster-weighted score read that group's mean."""


def roster_lock(campaign: Campaign) -> type[RosterLocked] | None:
    """Why the campaign's roster can no longer be replaced (`RosterFrozen` once open,
    `RosterLocked` once a draw is prepared or drawn from it), or None while it can.

    Draws set aside before they were drawn do not lock it: setting a draw aside because the
    roster was wrong is how a wrong roster is put right (both stay on record, with reasons)."""
    if campaign.status is not CampaignStatus.DRAFT:
        return RosterFrozen
    if db.session.scalar(sa.select(sa.func.count(SampleDraw.id)).where(
            SampleDraw.campaign_id == campaign.id, SampleDraw.abandoned_at.is_(None))):
        return RosterLocked
    return None


def roster_counts(campaign: Campaign) -> list[tuple[RaterGroup, int]]:
    """The people on the campaign's roster per rater group, in the groups' order (0 for a
    group with none): one query."""
    counts = dict(db.session.execute(
        sa.select(RosterEntry.rater_group_id, sa.func.count(RosterEntry.id))
        .where(RosterEntry.campaign_id == campaign.id).group_by(RosterEntry.rater_group_id)
    ).all())
    return [(group, counts.get(group.id, 0)) for group in campaign.rater_groups]


@groups_fixed.connect
def _drawn_among(campaign: Campaign) -> bool:
    """A draw prepared or drawn from the roster allocated its sample among the groups as
    they stand (and its check recomputes that allocation), so it fixes them."""
    return roster_lock(campaign) is not None


def import_roster(campaign: Campaign, preview: RosterPreview, by: User | None = None) -> int:
    """Replace the campaign's roster with the checked people: all of them, or (when any row
    has a problem) none; audited as `by`'s import (the page's or the API's). Only while the
    campaign is a draft (`RosterFrozen` after) and before a sample is drawn from it
    (`RosterLocked`).

    One bulk INSERT (an executemany), not an object a person: a system-wide roster of 50,000
    people is written in about the time the bare INSERTs take (`bench/roster_import.py`)."""
    if preview.problems:
        raise ValueError("a roster with problems is never imported")
    lock = roster_lock(campaign)
    if lock is not None:
        raise lock
    db.session.execute(sa.delete(RosterEntry).where(RosterEntry.campaign_id == campaign.id))
    if preview.people:
        db.session.execute(sa.insert(RosterEntry), [
            {"campaign_id": campaign.id, "rater_group_id": person.group_id, "name": person.name,
             "staff_number": person.staff_number, "unit_name": person.unit_name}
            for person in preview.people])
    db.session.flush()
    record("roster.import", user=by, campaign=campaign, people=len(preview.people),
           per_group={group.name_zh: n for group, n in preview.counts(campaign.rater_groups)})
    return len(preview.people)
