"""The printed report: table cells break lines by the Chinese rules as paragraphs do
(report_table_bracket_line_start), and the charts and report read the same in black and white
(report_bw_print_levels)."""

from __future__ import annotations

import io
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
import pytest
from PIL import Image, ImageStat

from evalapp.campaigns.models import Campaign
from evalapp.charts import render
from evalapp.extensions import db
from evalapp.pdf import NO_LINE_END, NO_LINE_START
from evalapp.results.charts import items_chart
from evalapp.results.compute import campaign_results
from evalapp.results.report_pdf import report_pdf
from tests.support.ballots import closed_campaign
from tests.support.pdf import pdf_pages
from tests.support.web import login

pytestmark = pytest.mark.one_database

CASES = Path(__file__).parent / "cases"
MM = 72 / 25.4
# Group names whose wrapping in the report's 44 mm group column (14 characters a line at
# 8.5 pt) would put "）", "、" or "。" first.
GROUP_NAMES = ("其他类别（机关支部、基层支部）", "基层一线党员（含科级以下干部）、海关缉私警察",
               "机关部门处级以上干部及调研员。", "离退休干部代表（老干部处、关工委）")


def column_lines(data: bytes, left_mm: float, right_mm: float) -> list[str]:
    """The lines of text set between `left_mm` and `right_mm` from the page's left edge, on
    every page, in reading order (pdfium's text segments: one per line of a cell)."""
    lines = []
    document = pypdfium2.PdfDocument(data)
    try:
        for page in document:
            text = page.get_textpage()
            for index in range(text.count_rects()):
                left, bottom, right, top = text.get_rect(index)
                if left_mm * MM <= left and right <= right_mm * MM:
                    lines.append("".join(text.get_text_bounded(left, bottom, right, top)
                                         .split()))
    finally:
        document.close()
    return lines


def test_case_report_table_cells_follow_the_line_breaking_rules(app):
    assert "）" in (CASES / "report_table_bracket_line_start.txt").read_text()
    campaign_id = closed_campaign(app, ["好"] * 5, group=GROUP_NAMES[0])
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        campaign = db.session.get(Campaign, campaign_id)
        for group, name in zip(campaign.rater_groups[1:], GROUP_NAMES[1:], strict=False):
            group.name_zh = name
        db.session.commit()
        data = report_pdf(campaign_results(campaign))
    lines = column_lines(data, 15, 15 + 44)  # the group column of each subject's table
    wrapped = [line for line in lines if any(line in name for name in GROUP_NAMES)]
    assert len(wrapped) >= 2 * len(GROUP_NAMES), lines  # the names did wrap
    for line in wrapped:
        assert line[0] not in NO_LINE_START and line[-1] not in NO_LINE_END, wrapped


def _item(label: str, weak: bool) -> SimpleNamespace:
    """An item of a subject's results as items_chart reads it: a quarter at each level."""
    return SimpleNamespace(label=label, scale="levels", shares=(0.25, 0.25, 0.25, 0.25),
                           weak=weak)


def test_case_report_bw_print_levels_are_four_greys_and_the_weak_mark_is_not_only_red(app):
    """The chart of each item's levels printed in grey (ITU-R 601 luma, as PIL's "L" mode and
    a printer driver convert): the four level fills are four distinct greys, each step at least
    40 of 255, 好 lightest; the weakest item is marked by ▲, not by red alone."""
    assert "0.299 R + 0.587 G + 0.114 B" in (CASES / "report_bw_print_levels.txt").read_text()
    result = SimpleNamespace(items=[_item("调研基层不够深入", False), _item("作风建设", True)])
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        fig = items_chart(result)
        grey = Image.open(io.BytesIO(render(fig, "png"))).convert("L")
    axes = fig.axes[0]
    fig.set_dpi(150)  # as rendered: the chart's pixels from its data coordinates
    height = grey.height
    means = []
    for level in range(4):
        # the middle of the level's quarter of the first bar, a box inside the segment
        (left, top), (right, bottom) = axes.transData.transform(
            [(0.25 * level + 0.06, -0.2), (0.25 * level + 0.19, 0.2)])
        box = grey.crop((round(left), round(height - top), round(right), round(height - bottom)))
        means.append(ImageStat.Stat(box).mean[0])
    assert all(a - b >= 40 for a, b in pairwise(means)), means  # 好 light … 差 dark
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    assert labels == ["1. 调研基层不够深入", "▲ 2. 作风建设"]
    assert "▲" in axes.get_xlabel()


def test_the_weakest_items_are_marked_in_words_in_the_html_and_the_pdf(app, client):
    campaign_id = closed_campaign(app, ["好"] * 5)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        results = campaign_results(db.session.get(Campaign, campaign_id))
        weak = [item.label for item in results.subjects[0].items if item.weak]
        text = "".join("".join(pdf_pages(report_pdf(results))).split())
        subject = results.subjects[0].subject.id
    assert weak
    assert all("▲" in text and "".join(label.split()) in text for label in weak)
    login(client, "leader")
    page = client.get(f"/campaigns/{campaign_id}/results/{subject}").get_data(as_text=True)
    rows = [row for row in page.split("<tr") if "▲ 建议纳入整改清单" in row]
    assert len(rows) == len(weak) and all("<strong>▲" in row for row in rows)
