"""Writing spreadsheets that cannot run anything: text that starts like a formula (a roster
name "=HYPERLINK(…)", an opinion "+1", a campaign title in a sheet's A1 title) stays text, in
Excel files and in CSV files opened by Excel."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
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


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: two for a Chinese (wide) character, one for
    others, as Excel and WPS size them."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def fit_columns(sheet: Worksheet, *, most: int = 50) -> None:
    """Each column as wide as its longest cell (up to `most`), so that names and units are
    read without widening columns by hand."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                widths[cell.column] = max(widths.get(cell.column, 0),
                                          display_width(str(cell.value)))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, most)


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
