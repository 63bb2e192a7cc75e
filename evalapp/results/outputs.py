"""A closed campaign's charts and exports, by name: what `evalapp.results.store` keeps and its
jobs build. One owner of the names, shared by the pages that serve them and the closing that
prepares them."""

from __future__ import annotations

import re

from evalapp.charts import render
from evalapp.results import charts
from evalapp.results.compute import CampaignResults
from evalapp.results.exports import EXPORTS

_SUBJECTS = re.compile(r"subjects\.(png|svg|pdf)")
_SUBJECT = re.compile(r"subject-(\d+)-(items|heatmap)\.(png|svg|pdf)")
_EXPORT = re.compile(r"export\.(pdf|xlsx|csv|json)")


class NoSuchOutput(LookupError):
    """The name is no output of this campaign (a subject it does not have, or one with no
    figures to draw)."""


def build(results: CampaignResults, name: str) -> bytes:
    """The output `name` (e.g. ``"subject-3-items.png"``, ``"export.pdf"``) of the campaign,
    in the current language. Raises NoSuchOutput."""
    if match := _SUBJECTS.fullmatch(name):
        return render(charts.subjects_chart(results), match[1])
    if match := _SUBJECT.fullmatch(name):
        subject_id, chart, fmt = int(match[1]), match[2], match[3]
        result = next((r for r in results.subjects if r.subject.id == subject_id), None)
        if result is None or not result.has_figures:
            raise NoSuchOutput(name)
        figure = (charts.items_chart(result) if chart == "items"
                  else charts.heatmap_chart(result, results.points))
        return render(figure, fmt)
    if match := _EXPORT.fullmatch(name):
        return EXPORTS[match[1]].build(results)
    raise NoSuchOutput(name)


def prepared(results: CampaignResults) -> list[str]:
    """The outputs built when the campaign closes, in the order a leader meets them: the
    overview's chart, each subject's two charts, then the exports (the PDF report first).
    The charts' SVG and PDF downloads are built when first asked for."""
    return ["subjects.png",
            *(f"subject-{r.subject.id}-{chart}.png" for r in results.subjects
              if r.has_figures for chart in ("items", "heatmap")),
            *(f"export.{fmt}" for fmt in EXPORTS)]
