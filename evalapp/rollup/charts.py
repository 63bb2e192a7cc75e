"""The roll-up's charts: each unit's satisfaction rate one level below the reader's, and how
the subjects' scores spread over the bands of SCORE_BANDS."""

from __future__ import annotations

import itertools

import numpy as np
from flask_babel import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.rollup import SCORE_BANDS
from evalapp.charts import figure, render
from evalapp.i18n import localized
from evalapp.results.charts import WIDTH_CM
from evalapp.rollup.operations import Rollup

CHARTS = ("satisfaction", "scores")


def chart_png(result: Rollup, name: str) -> bytes:
    """The chart `name` (one of CHARTS) as PNG. Raises KeyError for another name."""
    return render({"satisfaction": _satisfaction, "scores": _scores}[name](result), "png")


def _satisfaction(result: Rollup) -> Figure:
    """The units of the first level below the reader's, by satisfaction rate, with the
    reader's unit in total as a line."""
    rows = [row for row in (result.levels[0].rows if result.levels else ())
            if row.figures.satisfaction is not None]
    rows.sort(key=lambda row: row.figures.satisfaction.rate)
    with figure(WIDTH_CM, 3 + 0.45 * max(len(rows), 1)) as fig:
        axes = fig.subplots()
        positions = np.arange(len(rows))
        axes.barh(positions, [100 * row.figures.satisfaction.rate for row in rows],
                  color="#2f5d8a")
        axes.set_yticks(positions, [localized(row.unit, "name") for row in rows])
        if result.total.satisfaction is not None:
            axes.axvline(100 * result.total.satisfaction.rate, color="#b5473a", linestyle="--",
                         label=_("All units together"))
            axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        axes.set_xlim(0, 100)
        axes.set_xlabel(_("Satisfaction rate (%)"))
    return fig


def _scores(result: Rollup) -> Figure:
    """How many subjects scored in each band."""
    labels = [f"{low}–{high}" for low, high in itertools.pairwise(SCORE_BANDS)]
    with figure(WIDTH_CM, 7) as fig:
        axes = fig.subplots()
        axes.bar(labels, result.total.bands, color="#2f5d8a")
        axes.set_xlabel(_("Score"))
        axes.set_ylabel(_("Subjects"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig
