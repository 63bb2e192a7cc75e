"""The charts leadership reads: subjects compared with their intervals, each item's level
distribution, and the rater group × item heat map. They draw from the computed results only,
so a small group reaches a chart only within "other groups" (其他类别)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from flask_babel import gettext as _
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from analysis.scoring import SCALE_POINTS
from evalapp.charts import (
    ACCENT,
    LEVEL_COLOURS,
    LEVEL_HATCH_COLOURS,
    LEVEL_HATCHES,
    WEAK_MARK,
    figure,
    render,
)
from evalapp.i18n import localized
from evalapp.results.compute import OTHER, CampaignResults, SubjectResults

LEVELS = ("好", "较好", "一般", "差")
# A satisfaction item's answers stand in the levels' places that score them alike
# (analysis.scoring.SCALE_POINTS), and so take those places' colours: 不满意 is drawn as 差.
SATISFACTION_LEGEND = ("好 / 满意", "较好 / 基本满意", "一般", "差 / 不满意")
# The heat map's colours run through the four levels' (差 dark to 好 light), so that it prints as
# a grey ramp too (matplotlib's RdYlGn prints both of its ends as the same dark grey).
LEVEL_RAMP = LinearSegmentedColormap.from_list("levels", LEVEL_COLOURS[::-1])
LABEL_LENGTH = 18
WIDTH_CM = 17.0  # fits an A4 page with margins


# A chart's PNG by its name (`chart_name`): kept ones where they are, else drawn.
ChartSource = Callable[[str], bytes]
_SUBJECTS = re.compile(r"subjects\.(png|svg|pdf)")
_SUBJECT = re.compile(r"subject-(\d+)-(items|heatmap)\.(png|svg|pdf)")


class NoSuchChart(LookupError):
    """The name is no chart of this campaign (a subject it does not have, or one with no
    figures to draw)."""


def chart_name(subject_id: int | None = None, chart: str = "", fmt: str = "png") -> str:
    """The name a chart is served and kept under: ``subjects.png`` (the subjects compared),
    ``subject-3-items.png`` or ``subject-3-heatmap.png``."""
    return f"subjects.{fmt}" if subject_id is None else f"subject-{subject_id}-{chart}.{fmt}"


def is_chart(name: str) -> bool:
    return bool(_SUBJECTS.fullmatch(name) or _SUBJECT.fullmatch(name))


def drawn(results: CampaignResults, name: str) -> bytes:
    """The chart `name` (`chart_name`) drawn now, in the current language.
    Raises NoSuchChart."""
    if match := _SUBJECTS.fullmatch(name):
        return render(subjects_chart(results), match[1])
    match = _SUBJECT.fullmatch(name)
    if match is None:
        raise NoSuchChart(name)
    subject_id, chart, fmt = int(match[1]), match[2], match[3]
    result = next((r for r in results.subjects if r.subject.id == subject_id), None)
    if result is None or not result.has_figures:
        raise NoSuchChart(name)
    return render(items_chart(result) if chart == "items"
                  else heatmap_chart(result, results.points), fmt)


def item_labels(result: SubjectResults) -> list[str]:
    """Numbered, and shortened so that 28 of them fit beside a chart; the table on the page
    has the full wording under the same numbers."""
    return [f"{number}. {_shorten(item.label)}"
            for number, item in enumerate(result.items, start=1)]


def _shorten(text: str) -> str:
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


def subjects_chart(results: CampaignResults) -> Figure:
    """Score (design-weighted where it can be, with its interval) and satisfaction rate (with
    its Wilson interval) per subject, best first."""
    ranked = results.ranked
    labels = [r.subject.label() for r in ranked]
    positions = np.arange(len(ranked))
    with figure(WIDTH_CM, 3 + 0.9 * len(ranked)) as fig:
        score_axes, rate_axes = fig.subplots(1, 2, sharey=True)
        scores = [_score_and_interval(r) for r in ranked]
        _interval_bars(score_axes, positions, scores, "#2f5d8a")
        score_axes.set_xlim(results.points[3], results.points[0])
        score_axes.set_title(_("Score (design-weighted, %(level)s interval)", level="95%"))
        rates = [(r.satisfaction.rate, *r.satisfaction.rate_interval) if r.satisfaction
                 else None for r in ranked]
        _interval_bars(rate_axes, positions, rates, ACCENT)
        rate_axes.set_xlim(0, 1)
        rate_axes.xaxis.set_major_formatter("{x:.0%}")
        rate_axes.set_title(_("Satisfaction rate (%(level)s interval)", level="95%"))
        score_axes.set_yticks(positions, labels)
        score_axes.invert_yaxis()
    return fig


def _score_and_interval(result: SubjectResults) -> tuple[float, float, float] | None:
    if result.design is not None:
        return result.design.estimate, result.design.ci_low, result.design.ci_high
    if result.score is not None:
        return result.score, result.score, result.score
    return None


def _interval_bars(axes, positions: np.ndarray, values, colour: str) -> None:
    """A bar per subject to its estimate, a whisker for the interval, the figure written at
    the end; subjects without figures get a dash."""
    for position, value in zip(positions, values, strict=True):
        if value is None:
            axes.text(0.02, position, "–", transform=axes.get_yaxis_transform(), va="center")
            continue
        estimate, low, high = value
        axes.barh(position, estimate - axes.get_xlim()[0], left=axes.get_xlim()[0],
                  color=colour, alpha=0.35, height=0.6)
        # An interval of no width can come back a rounding error inside out.
        axes.errorbar(estimate, position,
                      xerr=[[max(estimate - low, 0)], [max(high - estimate, 0)]],
                      fmt="o", color=colour, capsize=4)
        axes.annotate(f"{estimate:.2f}" if estimate > 1 else f"{estimate:.1%}",
                      (high, position), xytext=(4, 0), textcoords="offset points",
                      va="center", fontsize=8)


def items_chart(result: SubjectResults) -> Figure:
    """Each item's shares of 好/较好/一般/差 (a satisfaction item's in the places that score
    alike) as a stacked bar; the weakest items are marked."""
    labels = item_labels(result)
    shares = np.zeros((len(result.items), 4))
    for row, item in enumerate(result.items):
        places = list(SCALE_POINTS[item.scale])
        shares[row, places] = item.shares[:len(places)]
    legend = (SATISFACTION_LEGEND if any(item.scale != "levels" for item in result.items)
              else LEVELS)
    positions = np.arange(len(labels))
    with figure(WIDTH_CM, 2.5 + 0.55 * len(labels)) as fig:
        axes = fig.subplots()
        left = np.zeros(len(labels))
        for level, colour in enumerate(LEVEL_COLOURS):
            axes.barh(positions, shares[:, level], left=left, color=colour, height=0.7,
                      label=legend[level], hatch=LEVEL_HATCHES[level],
                      hatchcolor=LEVEL_HATCH_COLOURS[level], linewidth=0)
            left += shares[:, level]
        # The weakest items: marked ▲ as well as red, for a grey print.
        axes.set_yticks(positions, [f"{WEAK_MARK} {label}" if item.weak else label
                                    for label, item in zip(labels, result.items, strict=True)])
        for tick, item in zip(axes.get_yticklabels(), result.items, strict=True):
            if item.weak:
                tick.set_color(LEVEL_COLOURS[3])
        axes.invert_yaxis()
        axes.set_xlim(0, 1)
        axes.xaxis.set_major_formatter("{x:.0%}")
        axes.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        axes.set_xlabel(_("Share of the answers; %(mark)s weakest items", mark=WEAK_MARK))
    return fig


def heatmap_chart(result: SubjectResults, points: tuple[int, int, int, int]) -> Figure:
    """Mean points per item (rows) and rater group (columns), beside all raters together.
    Small groups appear only merged, as "other groups"; their own figures were never
    computed."""
    shown = [(localized(g.group, "name"), g.figures.item_means)
             for g in result.groups if g.figures]
    if result.other:
        shown.append((str(OTHER), result.other.figures.item_means))
    columns = [str(_("All")), *(name for name, _means in shown)]
    overall = [item.mean_points for item in result.items]
    table = np.array([[np.nan if v is None else v for v in column]
                      for column in [overall, *(means for _name, means in shown)]],
                     dtype=float).T
    with figure(WIDTH_CM, 3 + 0.55 * len(overall)) as fig:
        axes = fig.subplots()
        image = axes.imshow(table, cmap=LEVEL_RAMP, vmin=points[3], vmax=points[0],
                            aspect="auto")
        axes.set_xticks(np.arange(len(columns)), columns, rotation=20, ha="right")
        axes.set_yticks(np.arange(len(overall)), item_labels(result))
        axes.tick_params(top=True, labeltop=True, bottom=False, labelbottom=False)
        for (row, column), value in np.ndenumerate(table):
            if not np.isnan(value):
                axes.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=7,
                          color=_ink_on(image.to_rgba(value)))
        fig.colorbar(image, ax=axes, shrink=0.5, label=_("Mean points"))
        if result.other:
            axes.set_xlabel(_("Rater groups with too few ballots are counted in “other "
                              "groups”."))
    return fig


def _ink_on(fill: tuple[float, float, float, float]) -> str:
    """Black on a light fill, white on a dark one (by the fill's luma, ITU-R 601)."""
    red, green, blue, _alpha = fill
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
