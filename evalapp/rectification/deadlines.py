"""Deadlines as offices write them in a ledger (整改时限): a day, but just as often a month
("2026年6月底", "2026.6", a date cell shown as 2026年12月), a part of a month (6月中旬), a quarter
(第三季度, 三季度末), a half-year (上半年), the year's end (年底, 年末, 今年底), a day without its
year (12月31日前) or no date at all for a measure kept up for good (长期坚持, 持续整改).

A period means its last day: "2026年6月" is due by 30 June, never silently on the 1st. An
open-ended measure has no day and is never overdue. The wording is kept beside the day so that
the ledger shows and exports what the office wrote, with the day it was read as. A period
written without its year ("年底", "6月底", "12月31日前") is the first such period that ends on
or after the reference day (the campaign's start), and is shown with the day it was read as.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from evalapp.text import folded

# Words of a measure kept up without an end: 长期坚持, 长期, 持续整改, 持续推进, 常态化, 长效.
_OPEN_ENDED = re.compile(r"^(长期|持续|常态|长效)")
# What offices add after the period and which changes nothing: "……前完成", "……之前", "……止".
_TAIL = re.compile(r"(完成|办结|整改到位)$|(之前|以前|前|为止|止)$")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "十": 10, "十一": 11, "十二": 12}
_NUMBER = r"\d{1,2}|十[一二]?|[一二三四五六七八九]"
_DAY = re.compile(r"(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})[日号]?"
                  r"|(?P<compact>\d{8})")
# A time after a day, as a date exported as text carries it ("2026/12/31 0:00:00", the
# Chinese locale's form in OA and .NET exports): cut before spaces are removed, so that the
# day's digits are never taken for the hour's.
_TIME = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2})?$")
# The parts of a month: 上旬 (1st–10th), 中旬 (11th–20th), 下旬 (to the month's end).
_PART_DAYS = {"上旬": 10, "初": 10, "中旬": 20, "中": 20}
_PERIODS = (
    ("month", re.compile(r"(?P<year>\d{4})[-/.](?P<number>\d{1,2})")),
    ("day", re.compile(rf"(?P<number>{_NUMBER})月(?P<day>\d{{1,2}})[日号]?")),
    ("month", re.compile(rf"(?:(?P<year>\d{{4}})年)?(?P<number>{_NUMBER})月份?"
                         r"(?P<part>上旬|中旬|下旬|初|中|底|末)?")),
    ("quarter", re.compile(r"(?:(?P<year>\d{4})年?)?(?:第(?P<number>[一二三四1-4])季度?|"
                           r"(?P<alone>[一二三四1-4])季度|q(?P<q>[1-4]))(?:末|底)?")),
    ("half", re.compile(r"(?:(?P<year>\d{4})年?)?(?P<half>上|下)半年(?:末|底)?")),
    ("year", re.compile(r"(?P<year>\d{4})年?(?:年底|年末|年内|度|底|末|内)?"
                        r"|(?:今|本)?(?:年底|年末|年内|全年|年度内)")),
)


class DeadlineError(ValueError):
    """The text is no deadline this module can read."""


@dataclass(frozen=True)
class Deadline:
    """`day`: the last day the measure is due, None when it is open-ended. `wording`: the
    deadline as written when it is not a single day ("" for a day)."""

    day: date | None
    wording: str = ""


def parse_deadline(text: str, reference: date) -> Deadline:
    """The deadline a ledger's cell or the measure form states. `reference` gives the year of a
    period written without one. Raises DeadlineError for an empty or unreadable text."""
    written = _without_spaces(text)
    if _OPEN_ENDED.match(written):
        return Deadline(None, written)
    core = _core(written)
    day = _day(core)
    if day is not None:
        return Deadline(day)
    for kind, pattern in _PERIODS:
        match = pattern.fullmatch(core)
        if match:
            return _period(kind, match, written, reference)
    raise DeadlineError(text)


def parse_day(text: str) -> date:
    """A single day as ledgers write it (2026-06-30, 2026/6/30, 2026年6月30日, 20260630, a
    date cell read with its time). Raises DeadlineError for anything else."""
    day = _day(_core(_without_spaces(text)))
    if day is None:
        raise DeadlineError(text)
    return day


def _without_spaces(text: str) -> str:
    return "".join(_TIME.sub("", folded(text)).split())


def _core(written: str) -> str:
    """The period alone: lower case, without a time of day or "……前完成"."""
    if not written:
        raise DeadlineError(written)
    core = written.split("T")[0].casefold()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:\d{2}:\d{2}(?::\d{2})?)?", core):
        core = core[:10]  # a date cell read with its time, as some exporters write it
    previous = None
    while previous != core:
        previous, core = core, _TAIL.sub("", core)
    return core


def _day(core: str) -> date | None:
    match = _DAY.fullmatch(core)
    if match is None:
        return None
    if match["compact"]:
        year, month, day = int(core[:4]), int(core[4:6]), int(core[6:])
    else:
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    try:
        return date(year, month, day)
    except ValueError as error:
        raise DeadlineError(core) from error


def _period(kind: str, match: re.Match, written: str, reference: date) -> Deadline:
    def last_day(year: int) -> date:
        if kind in ("month", "day"):
            month = _number(match["number"])
            part = match.groupdict().get("part") or ""
            if not 1 <= month <= 12:
                raise DeadlineError(written)
            end = calendar.monthrange(year, month)[1]
            if kind == "day":
                try:
                    return date(year, month, int(match["day"]))
                except ValueError as error:  # 2月30日; 2月29日 outside a leap year
                    raise DeadlineError(written) from error
            return date(year, month, _PART_DAYS.get(part, end))
        if kind == "quarter":
            quarter = match["number"] or match["alone"] or match["q"]
            return _month_end(year, 3 * _number(quarter))
        if kind == "half":
            return _month_end(year, 6 if match["half"] == "上" else 12)
        return date(year, 12, 31)

    if match.groupdict().get("year"):
        day = last_day(int(match["year"]))
    else:
        day = last_day(reference.year)
        if day < reference:
            day = last_day(reference.year + 1)
    if kind == "month" and "part" not in match.groupdict():
        written = f"{day.year}年{day.month}月"  # 2026.6, 2026/6, 2026-06: one spelling
    return Deadline(day, written)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMERALS[text]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
