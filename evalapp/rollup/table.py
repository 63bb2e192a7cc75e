"""The roll-up as one table: the columns the page, the Excel summary and the PDF report all
show, in the same order with the same values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from analysis.rollup import Aggregate
from evalapp.i18n import localized
from evalapp.rollup.operations import Rollup
from evalapp.units.operations import KIND_LABELS

COLUMNS = (
    _l("Level"), _l("Unit"), _l("Campaigns closed"), _l("Subjects reported"),
    _l("Subjects withheld (too few ballots)"), _l("Valid ballots"), _l("Mean score"),
    _l("Median score"), _l("Satisfaction rate"), _l("Strict satisfaction rate"),
    _l("Rank in level"), _l("Satisfaction rate, round before"), _l("Change (points)"),
    _l("Mean score, round before"), _l("Change of score"),
)
# The columns that hold a share (shown as a percentage) and a change of shares in points.
SHARES = frozenset({8, 9, 11})
POINTS = frozenset({12})


@dataclass(frozen=True)
class Line:
    """One row: the values of COLUMNS, None where a figure does not exist (no subject
    reported, no round before)."""

    values: tuple[object, ...]
    total: bool = False
    campaign_id: int | None = None  # the unit's own campaign of the round, closed

    def shown(self) -> list[str]:
        """The values as the page and the PDF print them: shares in percent with one
        decimal, changes of shares in points with their sign, scores with two decimals, "–"
        for none. Formatted here rather than by Babel a cell at a time: the same in both
        languages, and 60,000 cells of a national round in a tenth of the time."""
        return [_shown(n, value) for n, value in enumerate(self.values)]


def _shown(n: int, value: object) -> str:
    if value is None:
        return "–"
    if n in SHARES:
        return f"{100 * value:.1f}%"
    if n in POINTS:
        return f"{value:+.1f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _rate(figures: Aggregate | None, strict: bool = False) -> float | None:
    rates = figures.satisfaction if figures is not None else None
    if rates is None:
        return None
    return rates.strict_rate if strict else rates.rate


def _change(now: float | None, before: float | None, scale: float = 1) -> float | None:
    return (now - before) * scale if now is not None and before is not None else None


def _line(level: str, unit: str, figures: Aggregate, rank: int | None,
          previous: Aggregate | None, total: bool = False,
          campaign_id: int | None = None) -> Line:
    rate, rate_before = _rate(figures), _rate(previous)
    score_before = previous.mean_score if previous is not None else None
    return Line((level, unit, figures.campaigns, figures.subjects, figures.withheld,
                 figures.counted, figures.mean_score, figures.median_score, rate,
                 _rate(figures, strict=True), rank, rate_before,
                 _change(rate, rate_before, 100), score_before,
                 _change(figures.mean_score, score_before)), total, campaign_id)


def lines(result: Rollup) -> Iterator[Line]:
    """The reader's unit in total, then each level's units by rank."""
    yield _line(str(KIND_LABELS[result.top.kind]), localized(result.top, "name"),
                result.total, None, result.previous_total, total=True)
    for level in result.levels:
        for row in sorted(level.rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit.id)):
            yield _line(str(KIND_LABELS[level.kind]), " › ".join(
                localized(unit, "name") for unit in (*row.above, row.unit)),
                row.figures, row.rank, row.previous, campaign_id=row.campaign_id)
