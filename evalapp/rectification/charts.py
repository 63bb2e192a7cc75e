"""The ledger's progress over time, as a chart."""

from __future__ import annotations

from flask_babel import gettext as _
from matplotlib.figure import Figure

from evalapp.charts import ACCENT, figure
from evalapp.rectification.figures import ProgressPoint
from evalapp.results.charts import WIDTH_CM


def progress_chart(points: list[ProgressPoint], measures: int) -> Figure:
    """Measures done against measures due, cumulative, as steps over the calendar."""
    with figure(WIDTH_CM, 8) as fig:
        axes = fig.subplots()
        if points:
            days = [p.day for p in points]
            axes.step(days, [p.due for p in points], where="post", color="#888",
                      label=_("Due by then"))
            axes.step(days, [p.done for p in points], where="post", color=ACCENT,
                      linewidth=2, label=_("Done by then"))
            fig.autofmt_xdate()
        else:
            axes.text(0.5, 0.5, _("No measures yet"), ha="center", transform=axes.transAxes)
        axes.axhline(measures, color="#ccc", linestyle=":", label=_("All measures"))
        axes.set_ylim(0, max(measures, 1) * 1.08)
        axes.set_ylabel(_("Measures"))
        axes.legend(loc="lower right", frameon=False)
    return fig
