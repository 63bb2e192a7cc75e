"""Writing spreadsheets that cannot run anything: text that starts like a formula (a roster
name "=HYPERLINK(…)", an opinion "+1", a campaign title in a sheet's A1 title) stays text, in
Excel files and in CSV files opened by Excel."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """OWASP's advice for CSV: a leading apostrophe makes Excel show the text as typed."""
    return "'" + value if value.startswith(FORMULA_START) else value


def as_text(cell: Cell) -> None:
    """A string cell that starts like a formula is stored as a string (openpyxl would store
    "=…" as a formula) and marked with Excel's quote prefix, so that editing the cell in Excel
    does not turn it into a formula either."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        as_text(cell)


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as an .xlsx file, with every cell that starts like a formula made text:
    titles and headers written cell by cell too, not only rows added by `append_row`."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                as_text(cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
