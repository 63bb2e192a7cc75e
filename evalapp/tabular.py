"""Reading uploaded tables (CSV or Excel) into rows of text.

CSV files from Chinese offices are often saved by Excel in GBK rather than UTF-8, so both are
tried; Excel files are read with openpyxl in read-only mode, values only (never formulas).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_ROWS = 20_000


MESSAGES = {
    "unsupported": _l("Only CSV or Excel (.xlsx) files can be read."),
    "encoding": _l("The CSV file is neither UTF-8 nor GBK text."),
    "not_excel": _l("The file is not a readable Excel (.xlsx) workbook."),
    "too_many_rows": _l("The file has too many rows."),
}


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row of an imported table."""

    row: int  # as the spreadsheet numbers it: the first row is 1
    reasons: tuple[str, ...]


class TableError(ValueError):
    """The file cannot be read as a table."""

    def message(self) -> str:
        """Why, for the person who sent the file, in their language."""
        return str(MESSAGES[str(self)])


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """All rows of the first sheet as stripped strings; blank rows dropped."""
    return [row for _number, row in read_numbered_table(filename, content)]


def read_numbered_table(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    """The non-blank rows with the numbers the spreadsheet shows them under (from 1), so
    that a problem is reported where the reader will look for it."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        rows = _read_xlsx(content)
    elif suffix == "csv":
        rows = _read_csv(content)
    else:
        raise TableError("unsupported")
    numbered = [(number, row) for number, row in enumerate(rows, start=1)
                if any(cell for cell in row)]
    if len(numbered) > MAX_ROWS:
        raise TableError("too_many_rows")
    return numbered


def header_index(rows: Sequence[Sequence[str]], words: Iterable[str], minimum: int = 2,
                 within: int = 10) -> int | None:
    """The first row (of the first `within`) naming at least `minimum` of the expected
    columns: office spreadsheets often carry a title and a date above their header."""
    expected = {word.lower() for word in words}
    for index, row in enumerate(rows[:within]):
        if len(expected & {cell.strip().lower() for cell in row}) >= minimum:
            return index
    return None


def _read_csv(content: bytes) -> list[list[str]]:
    for encoding in ENCODINGS:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    raise TableError("encoding")


def _read_xlsx(content: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise TableError("not_excel") from error
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # staff numbers typed as numbers: 1024.0 -> "1024"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()
