"""The ledger's progress over time and the look-back's before-and-after, as charts."""

from __future__ import annotations

import numpy as np
from flask_babel import gettext as _
from matplotlib.figure import Figure

from evalapp.charts import LEVEL_COLOURS, figure
from evalapp.lookback.compare import Lookback
from evalapp.rectification.figures import ProgressPoint
from evalapp.results.charts import WIDTH_CM, subject_label


def progress_chart(points: list[ProgressPoint], measures: int) -> Figure:
    """Measures done against measures due, cumulative, as steps over the calendar."""
    with figure(WIDTH_CM, 8) as fig:
        axes = fig.subplots()
        if points:
            days = [p.day for p in points]
            axes.step(days, [p.due for p in points], where="post", color="#888",
                      label=_("Due by then"))
            axes.step(days, [p.done for p in points], where="post", color=LEVEL_COLOURS[0],
                      linewidth=2, label=_("Done by then"))
            fig.autofmt_xdate()
        else:
            axes.text(0.5, 0.5, _("No measures yet"), ha="center", transform=axes.transAxes)
        axes.axhline(measures, color="#ccc", linestyle=":", label=_("All measures"))
        axes.set_ylim(0, max(measures, 1) * 1.08)
        axes.set_ylabel(_("Measures"))
        axes.legend(loc="lower right", frameon=False)
    return fig


def lookback_chart(result: Lookback) -> Figure:
    """Each unit's score in the earlier and the later round, joined by a line."""
    labels = [subject_label(change.later) for change in result.subjects]
    positions = np.arange(len(labels))
    with figure(WIDTH_CM, 3 + 0.8 * max(len(labels), 1)) as fig:
        axes = fig.subplots()
        for position, change in zip(positions, result.subjects, strict=True):
            if change.score.earlier is not None and change.score.later is not None:
                axes.plot([change.score.earlier, change.score.later], [position] * 2,
                          color="#bbb", zorder=1)
        for values, colour, name in (
                ([c.score.earlier for c in result.subjects], "#888", result.earlier.campaign.title),
                ([c.score.later for c in result.subjects], "#2f5d8a", result.later.campaign.title)):
            shown = [(v, p) for v, p in zip(values, positions, strict=True) if v is not None]
            axes.scatter([v for v, _p in shown], [p for _v, p in shown], color=colour,
                         label=name, zorder=2)
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        axes.set_xlabel(_("Score"))
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, ncols=2)
    return fig
