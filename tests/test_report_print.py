"""The printed report: table cells break lines by the Chinese rules as paragraphs do
(report_table_bracket_line_start), and the charts and report read the same in black and white
(report_bw_print_levels)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2

from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.pdf import NO_LINE_END, NO_LINE_START
from evalapp.results.compute import campaign_results
from evalapp.results.report_pdf import report_pdf
from tests.support.ballots import closed_campaign

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
