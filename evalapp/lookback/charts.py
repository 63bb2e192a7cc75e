"""The look-back's before-and-after, as a chart."""

from __future__ import annotations

import numpy as np
from flask_babel import gettext as _
from matplotlib.figure import Figure

from evalapp.charts import figure
from evalapp.lookback.compare import Lookback
from evalapp.results.charts import WIDTH_CM


def lookback_chart(result: Lookback) -> Figure:
    """Each unit's score in the earlier and the later round, joined by a line."""
    labels = [change.later.subject.label() for change in result.subjects]
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
