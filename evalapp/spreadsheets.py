"""Writing spreadsheets that cannot run anything: text that starts like a formula (a roster
name "=HYPERLINK(…)", an opinion "+1", a campaign title in a sheet's A1 title) stays text, in
Excel files and in CSV files opened by Excel.

And spreadsheets that are always written: an Excel cell cannot hold most control characters
(XML 1.0 forbids them; openpyxl raises IllegalCharacterError), and one measure pasted from
Word with a vertical tab made the ledger's export fail for everyone. Every value goes through
`excel_value`: every line break (CR LF, CR, Word's vertical tab and page break) becomes Excel's
line break, LF;
any other such character is written as OOXML's escape _xHHHH_ (ECMA-376 part 1, 22.9.2.19),
which Excel reads back as the character; a literal "_xHHHH_" in the text is itself escaped, so
that Excel shows it as typed."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from evalapp.text import LINE_BREAKS

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What a cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE), and text that reads as an escape.
_EXCEL_ESCAPED = re.compile("[\x00-\x08\x0e-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")


def excel_value(value: Any) -> Any:
    """A value an Excel cell can hold: text with its line breaks made LF and its other control
    characters _xHHHH_ escapes ("甲\x0b乙\x01" is "甲\n乙_x0001_"); other values as they are."""
    if not isinstance(value, str):
        return value
    return _EXCEL_ESCAPED.sub(lambda match: f"_x{ord(match[0]):04X}_",
                              LINE_BREAKS.sub("\n", value))


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
    """Add a row of values, each made fit for a cell (`excel_value`) and kept from being read
    as a formula (`as_text`). Every row of every export is added here. The cells are made
    before they are appended: finding the row after (openpyxl's `max_row` goes over every
    cell of the sheet) made a sheet of n rows cost n² (32 s for a roll-up of 3,800 units)."""
    cells = [Cell(sheet, value=excel_value(value)) for value in values]
    for cell in cells:
        as_text(cell)
    sheet.append(cells)


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
