"""A closed campaign's charts and exports, by name: what `evalapp.results.store` keeps and its
jobs build. One owner of the names, shared by the pages that serve them and the closing that
prepares them."""

from __future__ import annotations

import re

from evalapp.results.charts import ChartSource, NoSuchChart, chart_name, drawn, is_chart
from evalapp.results.compute import CampaignResults
from evalapp.results.exports import EXPORTS
from evalapp.results.published import summary_json

_EXPORT = re.compile(r"export\.(pdf|xlsx|csv|json)")
# What the roll-up of a round reads of each campaign (`published.summary_json`).
SUMMARY = "summary.json"
NoSuchOutput = NoSuchChart  # the only outputs that may not exist are charts


def build(results: CampaignResults, name: str, charts: ChartSource | None = None) -> bytes:
    """The output `name` (e.g. ``"subject-3-items.png"``, ``"export.pdf"``) of the campaign,
    in the current language. `charts` gives the charts the PDF report shows when they are
    kept already (each is drawn otherwise). Raises NoSuchOutput."""
    if is_chart(name):
        return drawn(results, name)
    if name == SUMMARY:
        return summary_json(results)
    match = _EXPORT.fullmatch(name)
    if match is None:
        raise NoSuchOutput(name)
    if match[1] == "pdf":
        return EXPORTS["pdf"].build(results, charts=charts)
    return EXPORTS[match[1]].build(results)


def prepared(results: CampaignResults) -> list[str]:
    """The outputs built when the campaign closes, in the order a leader meets them: the
    overview's chart, each subject's two charts, then the exports (the PDF report first,
    which shows those charts), and last the summary a round's roll-up reads. The charts'
    SVG and PDF downloads are built when first asked for."""
    return [chart_name(),
            *(chart_name(r.subject.id, chart) for r in results.subjects
              if r.has_figures for chart in ("items", "heatmap")),
            *(f"export.{fmt}" for fmt in EXPORTS), SUMMARY]
