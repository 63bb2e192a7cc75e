"""The roll-up as an Excel workbook and as a PDF report, with the page's table
(`rollup.table`) and its charts."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from evalapp.pdf import new_pdf, wrap_mode
from evalapp.results.report_pdf import HEADING, TEXT_WIDTH
from evalapp.rollup.charts import CHARTS, chart_png
from evalapp.rollup.operations import Rollup
from evalapp.rollup.table import COLUMNS, POINTS, SHARES, lines
from evalapp.spreadsheets import append_row, fit_columns, workbook_bytes


def _heading(result: Rollup) -> str:
    return _("%(round)s: roll-up below %(unit)s", round=result.round.title,
             unit=result.top.name_zh)


def _coverage(result: Rollup) -> str:
    return _("%(closed)d of %(campaigns)d campaigns closed; %(preparing)d still being "
             "prepared. Only the figures each campaign publishes enter: a subject or group "
             "a campaign withholds is in no figure here.", closed=result.closed,
             campaigns=result.campaigns, preparing=result.preparing)


def rollup_xlsx(result: Rollup) -> bytes:
    """A sheet of the table (shares as Excel percentages) and one of the rater groups."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Roll-up")
    append_row(sheet, [_heading(result)])
    sheet["A1"].font = Font(bold=True, size=13)
    append_row(sheet, [_coverage(result)])
    append_row(sheet, [str(column) for column in COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    # openpyxl's max_row counts every cell each time it is asked: the row is numbered here
    for row, line in enumerate(lines(result), start=sheet.max_row + 1):
        append_row(sheet, [value / 100 if n in POINTS and value is not None else value
                           for n, value in enumerate(line.values)])
        for n in SHARES | POINTS:
            sheet.cell(row, n + 1).number_format = "0.0%"
        for n in (6, 7, 14):
            sheet.cell(row, n + 1).number_format = "0.00"
    sheet.freeze_panes = "C4"
    fit_columns(sheet)
    groups = book.create_sheet(_("Rater groups"))
    append_row(groups, [_("Rater group"), _("Cells reported"), _("Valid ballots"),
                        _("Satisfaction rate")])
    for row, group in enumerate(result.total.groups, start=2):
        rates = group.answers.rates()
        append_row(groups, [group.name, group.cells, group.counted,
                            rates.rate if rates else None])
        groups.cell(row, 4).number_format = "0.0%"
    fit_columns(groups)
    return workbook_bytes(book)


PDF_COLUMNS = (1, 2, 3, 5, 6, 8, 10, 12)  # of COLUMNS: what an A4 page's width holds


def rollup_pdf(result: Rollup) -> bytes:
    """A4: the heading, the coverage, the table (the main columns) and the two charts."""
    title = _heading(result)
    with new_pdf(title) as pdf:
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_page()
        pdf.set_font("sans", size=14)
        pdf.multi_cell(0, 8, title, wrapmode=wrap_mode(), title=True, new_x="LMARGIN",
                       new_y="NEXT")
        pdf.set_font("sans", size=9)
        pdf.multi_cell(0, 5, _coverage(result), wrapmode=wrap_mode(), new_x="LMARGIN",
                       new_y="NEXT")
        pdf.ln(2)
        with pdf.table(col_widths=(40, 15, 15, 18, 15, 17, 12, 15), width=TEXT_WIDTH,
                       headings_style=HEADING, line_height=5, wrapmode=wrap_mode(),
                       text_align=("LEFT", *["RIGHT"] * (len(PDF_COLUMNS) - 1))) as table:
            table.row([str(COLUMNS[n]) for n in PDF_COLUMNS])
            for line in lines(result):
                shown = line.shown()
                table.row([shown[n] for n in PDF_COLUMNS])
        for name in CHARTS:
            pdf.add_page()
            pdf.image(io.BytesIO(chart_png(result, name)), w=TEXT_WIDTH)
        return bytes(pdf.output())
