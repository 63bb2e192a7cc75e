"""The printable report: a cover page with the subjects compared, then a section per subject
with its figures, group table, charts, weakest items and opinions, and finally how every
figure was computed. Charts are embedded as 150 dpi PNG, sharp enough on paper."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import partial

from flask_babel import format_datetime, format_percent
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from evalapp.campaigns.labels import digest_lines
from evalapp.charts import WEAK_MARK
from evalapp.i18n import localized
from evalapp.pdf import Document, new_pdf, wrap_mode
from evalapp.results.charts import ChartSource, chart_name, drawn
from evalapp.results.compute import CampaignResults, Figures, GroupFigures, SubjectResults
from evalapp.results.explain import (
    grade_label,
    group_difference_lines,
    group_note,
    other_label,
    settings_lines,
)
from evalapp.results.grading import grading_header, grading_rows, group_votes, quota_lines
from evalapp.results.nomination import nomination_header, nomination_rows, rule_lines
from evalapp.results.published import export_digest

TEXT_WIDTH = 180.0  # A4 less 15 mm margins
HEADING = FontFace(fill_color=(232, 236, 241))


def report_pdf(results: CampaignResults, charts: ChartSource | None = None) -> bytes:
    """The printable report (A4). `charts` gives each chart's PNG by name when it is kept
    already (most of the report's cost is drawing them); by default each is drawn."""
    png: ChartSource = charts or partial(drawn, results)
    campaign = results.campaign
    pdf = new_pdf(campaign.title, _Report)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    _cover(pdf, results, png)
    for result in results.ranked:
        _section(pdf, results, result, png)
    pdf.add_page()
    _heading(pdf, _("How these figures are computed"), 13)
    _lines(pdf, settings_lines(campaign, results.groups))
    return bytes(pdf.output())


class _Report(Document):
    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("sans", size=7.5)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.title}    {self.page_no()}", align="C")
        self.set_text_color(0)


def _cover(pdf: FPDF, results: CampaignResults, png: ChartSource) -> None:
    campaign = results.campaign
    pdf.add_page()
    _heading(pdf, _("Results report"), 11)
    _heading(pdf, campaign.title, 18)
    closed = format_datetime(campaign.closed_at, "medium") if campaign.closed_at else ""
    lines = [_("Closed %(when)s; %(count)d subjects.", when=closed,
               count=len(results.subjects))]
    if results.alpha is not None:
        lines.append(_("Reliability of the common items: Cronbach's alpha %(alpha)s.",
                       alpha=f"{results.alpha:.2f}"))
    lines += digest_lines(export_digest(results))
    _lines(pdf, lines)
    scored, asked = campaign.scores(), campaign.asks_satisfaction
    _table(pdf, [_("Rank"), _("Subject"), _("Score"), _("Grade"),
                 _("Satisfaction rate"), _("Valid / returned / issued")],
           [[str(r.rank or "–"), r.subject.label(), _number(r.score),
             grade_label(r.grade), _rate(r), f"{r.counted} / {r.returned} / {r.issued}"]
            for r in results.ranked],
           (12, 58, 18, 16, 44, 32), "RLRLRR", keep=(scored, True, scored, scored, asked, True))
    if scored or asked:  # a round of votes alone has neither figure to draw
        _chart(pdf, png(chart_name()))
    if results.grading is not None:
        _grading(pdf, results)
    if results.nomination is not None:
        _nomination(pdf, results)


def _nomination(pdf: FPDF, results: CampaignResults) -> None:
    """The tally of 民主推荐: the rule, each candidate's votes, 得票率 and threshold."""
    _heading(pdf, _("Nomination (民主推荐)"), 13)
    _lines(pdf, rule_lines(results))
    _table(pdf, nomination_header(), [
        [str(rank or "–"), name, "–" if votes is None else str(votes),
         "–" if ballots is None else str(ballots), "–" if rate is None else _percent(rate),
         str(void), reached]
        for rank, name, votes, ballots, rate, void, reached in nomination_rows(results)],
        (12, 58, 18, 22, 22, 28, 20), "RLRRRRL")


def _grading(pdf: FPDF, results: CampaignResults) -> None:
    """The proposal of 干部考核: the quota's arithmetic, each person's votes (share and
    count) and proposed grade."""
    _heading(pdf, _("Grades proposed (干部考核)"), 13)
    _lines(pdf, quota_lines(results))
    _table(pdf, grading_header(), [
        [row[0], *(_share(row[1 + 2 * grade], row[2 + 2 * grade]) for grade in range(4)),
         row[9]] for row in grading_rows(results)],
        (54, 22, 22, 22, 22, 38), "LRRRRL")


def _section(pdf: FPDF, results: CampaignResults, result: SubjectResults,
             png: ChartSource) -> None:
    pdf.add_page()
    _heading(pdf, result.subject.label(), 15)
    scored, asked = results.campaign.scores(), results.campaign.asks_satisfaction
    lines = [_("Score %(score)s, grade %(grade)s, rank %(rank)s of %(count)d.",
               score=_number(result.score), grade=grade_label(result.grade),
               rank=result.rank or "–", count=len(results.subjects))] if scored else []
    lines += [
        _("Tickets issued %(issued)d, ballots returned %(returned)d, valid %(valid)d, void "
          "(too many candidates marked) %(void)d.", issued=result.issued,
          returned=result.returned, valid=result.counted, void=result.figures.void_overvote)
        if results.nominated else
        _("Tickets issued %(issued)d, ballots returned %(returned)d, valid %(valid)d, void "
          "(too many blanks) %(void)d, void (uniform answers) %(uniform)d, dropped as "
          "highest/lowest %(trimmed)d.", issued=result.issued, returned=result.returned,
          valid=result.counted, void=result.void_blank, uniform=result.void_uniform,
          trimmed=result.trimmed),
    ]
    if result.design:
        lines.append(_("Design-weighted score %(score)s, standard error %(se)s, 95%% interval "
                       "%(low)s–%(high)s.", score=_number(result.design.estimate),
                       se=_number(result.design.se), low=_number(result.design.ci_low),
                       high=_number(result.design.ci_high)))
    if scored and result.design_note:
        lines.append(result.design_note)
    if result.policy_score is not None:
        lines.append(_("Policy-weighted score %(score)s.", score=_number(result.policy_score)))
    if result.satisfaction:
        lines.append(_("Satisfaction rate %(rate)s, strict (satisfied only) %(strict)s, of "
                       "%(n)d who answered.", rate=_rate(result),
                       strict=_percent(result.satisfaction.strict_rate),
                       n=result.satisfaction.answered))
    if not result.has_figures:
        lines.append(_("Fewer than %(n)d ballots enter this subject's figures: only the counts "
                       "are shown.", n=results.campaign.min_report_size))
    _lines(pdf, lines)
    rows = [[localized(g.group, "name"), str(g.issued), str(g.returned),
             "–" if g.counted is None else str(g.counted), *_group_figures(result, g)]
            for g in result.groups]
    if result.other:
        other = result.other
        rows.append([other_label(other), str(other.issued), str(other.returned),
                     str(other.counted), *_figure_cells(other.figures)])
    _table(pdf, [_("Group"), _("Tickets issued"), _("Returned"), _("Valid ballots"),
                 _("Score"), _("Satisfaction rate")], rows,
           (44, 24, 24, 24, 34, 30), "LRRRRR", keep=(True, True, True, True, scored, asked))
    _lines(pdf, group_difference_lines(result))
    if not result.has_figures:
        return
    if not scored:  # votes alone: each reported group's votes, no chart of points
        _group_votes(pdf, results, result)
        _opinions(pdf, result)
        return
    weak = [f"{WEAK_MARK} {number}. {item.label}（{_number(item.mean_points, 1)}）"
            for number, item in enumerate(result.items, start=1) if item.weak]
    if weak:
        _heading(pdf, _("Weakest items: candidates for the rectification list"), 11)
        _lines(pdf, weak)
    _chart(pdf, png(chart_name(result.subject.id, "items")))
    _chart(pdf, png(chart_name(result.subject.id, "heatmap")))
    _opinions(pdf, result)


def _group_votes(pdf: FPDF, results: CampaignResults, result: SubjectResults) -> None:
    """The votes of each reported group on the item of votes (a nomination's marks, or the
    grades), as the subject's page shows them."""
    voted = results.nominated or results.graded
    if voted is None:
        return
    rows = group_votes(result, voted.item)
    if results.nominated:
        _table(pdf, [_("Group"), _("Votes"), _("Vote share")],
               [[name, str(counts[0]),
                 _percent(counts[0] / sum(counts[:2])) if sum(counts[:2]) else "–"]
                for name, counts in rows], (60, 30, 30), "LRR")
        return
    _table(pdf, [_("Group"), *grading_header()[1:-1]],
           [[name, *(_share(count / sum(counts) if sum(counts) else None, count)
                     for count in counts)] for name, counts in rows],
           (48, 33, 33, 33, 33), "LRRRR")


def _opinions(pdf: FPDF, result: SubjectResults) -> None:
    _heading(pdf, _("Opinions"), 11)
    _lines(pdf, result.opinions or [_("None, or only from groups too small to show.")])


def _group_figures(result: SubjectResults, group: GroupFigures) -> list[str]:
    return _figure_cells(group.figures) if group.figures else [group_note(result, group), ""]


def _figure_cells(figures: Figures) -> list[str]:
    rates = figures.satisfaction
    return [_number(figures.score), _percent(rates.rate) if rates else "–"]


def _share(share: float | None, count: int) -> str:
    return f"{_percent(share)} ({count})" if share is not None else "–"


def _heading(pdf: FPDF, text: str, size: float) -> None:
    """A heading, broken as a title is (`evalapp.pdf.balanced`)."""
    pdf.set_font("sans", size=size)
    pdf.multi_cell(0, size * 0.55, text, align="L", wrapmode=wrap_mode(), title=True,
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _lines(pdf: FPDF, lines: Sequence[str]) -> None:
    pdf.set_font("sans", size=9.5)
    for line in lines:
        pdf.multi_cell(0, 5, line, align="L", wrapmode=wrap_mode(),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(2)


def _table(pdf: FPDF, header: list[str], rows: list[list[str]],
           widths: tuple[float, ...], aligns: str,
           keep: Sequence[bool] | None = None) -> None:
    """`aligns` has a letter per column, L or R: figures are set right, to compare down.
    `keep` says which columns are printed (the widths are shares of the page's width)."""
    if keep is not None:
        header, widths, aligns = ([v for v, k in zip(values, keep, strict=True) if k]
                                  for values in (header, widths, aligns))
        rows = [[v for v, k in zip(row, keep, strict=True) if k] for row in rows]
    pdf.set_font("sans", size=8.5)
    with pdf.table(col_widths=widths, width=TEXT_WIDTH, headings_style=HEADING,
                   line_height=5.5, text_align=tuple(aligns), wrapmode=wrap_mode()) as table:
        for values in [header, *rows]:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(4)


def _chart(pdf: FPDF, png: bytes) -> None:
    pdf.image(io.BytesIO(png), w=TEXT_WIDTH)
    pdf.ln(3)


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _percent(value: float) -> str:
    return format_percent(value, "#,##0.0%")


def _rate(result: SubjectResults) -> str:
    rates = result.satisfaction
    if rates is None:
        return "–"
    low, high = rates.rate_interval
    return f"{_percent(rates.rate)} ({_percent(low)}–{_percent(high)})"
