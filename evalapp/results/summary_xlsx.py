"""The summary table (汇总表) as offices lay it out: a title over the whole width, two rows of
merged headers, one row per subject in rank order, the notes on how the figures were
computed underneath, set up to print on A4 landscape."""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from evalapp.campaigns.labels import DIGEST_LABEL, digest_lines
from evalapp.i18n import localized
from evalapp.results.compute import OTHER, CampaignResults, SubjectResults
from evalapp.results.explain import grade_label, group_note, settings_lines
from evalapp.results.grading import grading_header, grading_rows, quota_lines
from evalapp.results.nomination import nomination_header, nomination_rows, rule_lines
from evalapp.results.published import export_digest
from evalapp.spreadsheets import append_row, excel_value, workbook_bytes

HEADER_TOP = 3  # rows 1-2: title and subtitle
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
SCORE, PERCENT, COUNT, TEXT = "0.00", "0.0%", "0", "General"


def summary_xlsx(results: CampaignResults) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Summary")[:31]
    headers, kept = _kept_headers(results)
    width = sum(len(subs) or 1 for _title, subs in headers)
    _title_rows(sheet, results, width)
    _header_rows(sheet, headers)
    for number, result in enumerate(results.ranked, start=1):
        row = [cell for cell, keep in zip(_row(number, result, _with_other(results)), kept,
                                          strict=True) if keep]
        append_row(sheet, [value for value, _format in row])
        for column, (cell, (_value, number_format)) in enumerate(
                zip(sheet[sheet.max_row], row, strict=True)):
            cell.border = BOX
            cell.number_format = number_format
            cell.alignment = Alignment(vertical="center", wrap_text=column in (1, 2))
    _notes(sheet, results, width)
    _page_setup(sheet, width)
    if results.grading is not None:
        _grading_sheet(workbook.create_sheet(_("Grades proposed (干部考核)")[:31]), results)
    if results.nomination is not None:
        _nomination_sheet(workbook.create_sheet(_("Nomination (民主推荐)")[:31]), results)
    return workbook_bytes(workbook)


def _nomination_sheet(sheet: Worksheet, results: CampaignResults) -> None:
    """The tally of 民主推荐 on a sheet of its own (得票率 a number formatted as a
    percentage), the rule under it."""
    _votes_table(sheet, nomination_header(), nomination_rows(results), percent_columns=(4,))
    for line in rule_lines(results):
        append_row(sheet, [line])
    sheet.column_dimensions["B"].width = 30


def _votes_table(sheet: Worksheet, header: list[str], rows: list[list], *,
                 percent_columns: tuple[int, ...]) -> None:
    """A boxed table of votes with a bold header, and an empty row under it."""
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font, cell.border, cell.alignment = Font(bold=True), BOX, CENTRE
    for row in rows:
        append_row(sheet, row)
        for column, cell in enumerate(sheet[sheet.max_row]):
            cell.border = BOX
            if column in percent_columns:
                cell.number_format = "0.0%"
    sheet.append([])


def _grading_sheet(sheet: Worksheet, results: CampaignResults) -> None:
    """The proposal of 干部考核 on a sheet of its own: each person's share and count of
    votes for each grade (shares as numbers, formatted as percentages), the proposed grade,
    and the quota's arithmetic under it."""
    person, *grades, proposed = grading_header()
    _votes_table(sheet, [person, *(f"{grade} {word}" for grade in grades
                                   for word in (_("share"), _("votes"))), proposed],
                 grading_rows(results), percent_columns=(1, 3, 5, 7))
    for line in quota_lines(results):
        append_row(sheet, [line])
    sheet.column_dimensions["A"].width = 30


def _kept_headers(results: CampaignResults) -> tuple[list[tuple[str, list[str]]], list[bool]]:
    """The headers of the figures the round has, and per column of `_row` whether it is
    kept: a round of votes alone (民主推荐, 干部考核) has no score, grade, rank or score by
    group, and one that asks no satisfaction no satisfaction columns; their votes are on a
    sheet of their own."""
    headers = _headers(results)
    kept = [keep for _title, subs, keep in headers for _column in subs or [None]]
    return [(title, subs) for title, subs, keep in headers if keep], kept


def _headers(results: CampaignResults) -> list[tuple[str, list[str], bool]]:
    """Top-level headers with their sub-headers (one without sub-headers spans both rows)
    and whether the round has their figures."""
    interval = _("%(level)s interval", level="95%")
    scored, asked = results.campaign.scores(), results.campaign.asks_satisfaction
    return [
        (_("No."), [], True), (_("Unit"), [], True), (_("Person debriefing"), [], True),
        (_("Ballots"), [_("Tickets issued"), _("Returned"), _("Valid"), _("Void")], True),
        (_("Response rate"), [], True),
        (_("Score"), [_("Score"), _("Design-weighted"), interval, _("Policy-weighted")],
         scored),
        (_("Grade"), [], scored), (_("Rank"), [], scored),
        (_("Satisfaction"), [_("Satisfaction rate"), interval, _("Strict rate")], asked),
        (_("Score by rater group"),
         [*(localized(g, "name") for g in results.groups),
          *([str(OTHER)] if _with_other(results) else [])], scored),
    ]


def _row(number: int, result: SubjectResults,
         with_other: bool) -> list[tuple[object, str]]:
    """The cells of a subject's row, each with its number format; `with_other`: with the
    column of "other groups"."""
    design = result.design
    rates = result.satisfaction
    return [
        (number, COUNT), (localized(result.subject.unit, "name"), TEXT),
        (result.subject.person_name, TEXT),
        (result.issued, COUNT), (result.returned, COUNT), (result.counted, COUNT),
        (result.returned - result.counted, COUNT),
        (result.returned / result.issued if result.issued else None, PERCENT),
        (result.score, SCORE), (design.estimate if design else None, SCORE),
        (f"{design.ci_low:.2f}–{design.ci_high:.2f}" if design else "", TEXT),
        (result.policy_score, SCORE), (grade_label(result.grade), TEXT), (result.rank, COUNT),
        (rates.rate if rates else None, PERCENT),
        (f"{rates.rate_interval[0]:.1%}–{rates.rate_interval[1]:.1%}" if rates else "", TEXT),
        (rates.strict_rate if rates else None, PERCENT),
        *(((g.score, SCORE) if g.figures else (group_note(result, g), TEXT))
          for g in result.groups),
        *([(result.other.figures.score if result.other else None, SCORE)] if with_other
          else []),
    ]


def _with_other(results: CampaignResults) -> bool:
    """Whether any subject has small groups counted together as "other groups": only then
    does the sheet have their column (always empty otherwise)."""
    return any(result.other for result in results.subjects)


def _title_rows(sheet: Worksheet, results: CampaignResults, width: int) -> None:
    campaign = results.campaign
    append_row(sheet, [_("%(title)s: summary of results", title=campaign.title)])
    closed = format_datetime(campaign.closed_at, "medium") if campaign.closed_at else ""
    append_row(sheet, [_("Closed %(when)s. Tickets, ballots and scores per subject; small groups "
                    "are counted together as “other groups”.", when=closed)])
    for row, size in ((1, 16), (2, 10)):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row, 1).font = Font(size=size, bold=row == 1)
        sheet.cell(row, 1).alignment = Alignment(horizontal="center")
    sheet.row_dimensions[1].height = 28


def _header_rows(sheet: Worksheet, headers: list[tuple[str, list[str]]]) -> None:
    column = 1
    for title, subs in headers:
        top = sheet.cell(HEADER_TOP, column, excel_value(title))
        if subs:
            for offset, sub in enumerate(subs):
                sheet.cell(HEADER_TOP + 1, column + offset, excel_value(sub))
            sheet.merge_cells(start_row=HEADER_TOP, start_column=column,
                              end_row=HEADER_TOP, end_column=column + len(subs) - 1)
        else:
            sheet.merge_cells(start_row=HEADER_TOP, start_column=column,
                              end_row=HEADER_TOP + 1, end_column=column)
        top.font = Font(bold=True)
        column += len(subs) or 1
    for row in (HEADER_TOP, HEADER_TOP + 1):
        for cell in sheet[row]:
            cell.border, cell.alignment = BOX, CENTRE
            cell.font = Font(bold=True)
        sheet.row_dimensions[row].height = 30


def _notes(sheet: Worksheet, results: CampaignResults, width: int) -> None:
    sheet.append([])
    for line in [_("Notes:"), *settings_lines(results.campaign, results.groups),
                 digest_lines(export_digest(results))[1]]:
        append_row(sheet, [line])
        row = sheet.max_row
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row].height = 28
    # the digest in a cell of its own beside its label, to be copied and compared as it is
    append_row(sheet, [str(DIGEST_LABEL), None, None, export_digest(results)])
    row = sheet.max_row
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    sheet.merge_cells(start_row=row, start_column=4, end_row=row, end_column=max(width, 4))


def _page_setup(sheet: Worksheet, width: int) -> None:
    widths = {1: 5, 2: 16, 3: 10}
    for column in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(column, 10)
    sheet.freeze_panes = sheet.cell(HEADER_TOP + 2, 4)
    sheet.print_title_rows = f"{HEADER_TOP}:{HEADER_TOP + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
