"""Reading uploaded tables (CSV or Excel) as the person who made them sees them.

One reader serves every import (roster, problem list, ledger), so that a file that looks right
in Excel or WPS reads right everywhere:

- CSV files from Chinese offices are often saved by Excel in GBK rather than UTF-8: both are
  tried.
- Excel files are read by openpyxl from their cells, not from the sheet's declared size (WPS
  and some exporters declare `A1` for a full sheet), values only (never formulas).
- A number is read as its number format shows it: a staff number 301 formatted `00000` is
  00301, and a date serial under a date format (Excel's built-in ids, the Chinese 27–36 and
  50–58 included, which openpyxl does not know) is a date.
- A hidden row (someone who has left, a filtered-out row) is read but marked hidden, so that
  the import can list it and leave it out unless asked to include it.
- Text is `plain_text`: Word's line break (U+000B) pasted into a cell is a line break, and other
  control characters are dropped.
- A merged cell's value applies to every row it covers, as it looks on screen (a problem
  merged over its three measures is the problem of each).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE, is_date_format
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from evalapp.text import plain_text, squeezed

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_ROWS = 20_000
# A workbook that unpacks to more XML than any real roster or ledger needs is refused before it
# is loaded (a compressed file can unpack to gigabytes); so is a table wider than any of ours.
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 64 * 1024 * 1024

# Built-in number formats that openpyxl leaves out: the East Asian date and time formats of
# ECMA-376 part 1, 18.8.30, as Excel and WPS show them in a Chinese (zh-CN) locale.
EAST_ASIAN_FORMATS = {
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy",
    31: 'yyyy"年"m"月"d"日"', 32: 'h"时"mm"分"', 33: 'h"时"mm"分"ss"秒"',
    34: '上午/下午h"时"mm"分"', 35: '上午/下午h"时"mm"分"ss"秒"', 36: 'yyyy"年"m"月"',
    50: 'yyyy"年"m"月"', 51: 'm"月"d"日"', 52: 'yyyy"年"m"月"', 53: 'm"月"d"日"',
    54: 'm"月"d"日"', 55: '上午/下午h"时"mm"分"', 56: '上午/下午h"时"mm"分"ss"秒"',
    57: 'yyyy"年"m"月"', 58: 'm"月"d"日"',
}
# A number format made of digit placeholders, with literal text around it: 00000, 0.00,
# #,##0, 0.0%, "NB"0000.
_LITERAL = r'(?:"[^"]*"|\\.)*'
_DIGITS = re.compile(rf"(?P<before>{_LITERAL})(?P<whole>[#0,]*0[#0,]*|#[#,]*)"
                     rf"(?:\.(?P<decimals>[0#]+))?(?P<percent>%?)(?P<after>{_LITERAL})")


MESSAGES = {
    "unsupported": _l("Only CSV or Excel (.xlsx) files can be read."),
    "encoding": _l("The CSV file is neither UTF-8 nor GBK text."),
    "not_excel": _l("The file is not a readable Excel (.xlsx) workbook."),
    "too_many_rows": _l("The file has too many rows."),
    "too_many_columns": _l("The file has too many columns."),
}


@dataclass(frozen=True)
class Row:
    """One non-blank row of a table."""

    number: int  # as the spreadsheet numbers it: the first row is 1
    cells: tuple[str, ...]  # as shown, stripped
    hidden: bool = False  # hidden in the spreadsheet (Excel only)


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


def read_rows(filename: str, content: bytes) -> list[Row]:
    """The non-blank rows of the first sheet, as shown, with the numbers the spreadsheet shows
    them under, so that a problem is reported where the reader will look for it. Raises
    TableError when the file is not a table we can read."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        rows = _read_xlsx(content)
    elif suffix == "csv":
        rows = [Row(number, tuple(cells)) for number, cells in enumerate(_read_csv(content), 1)]
    else:
        raise TableError("unsupported")
    rows = [row for row in rows if any(row.cells)]
    if len(rows) > MAX_ROWS:
        raise TableError("too_many_rows")
    return rows


def shown_rows(rows: Sequence[Row], include_hidden: bool) -> tuple[list[Row], list[Row]]:
    """(rows used, hidden rows left out): rows hidden in the spreadsheet (someone who has left,
    a row filtered out) are left out unless the person importing includes them."""
    if include_hidden:
        return list(rows), []
    return [row for row in rows if not row.hidden], [row for row in rows if row.hidden]


def hidden_left_out(rows: Sequence[Row]) -> str:
    """What was left out, for the message after an import."""
    return _("Rows hidden in the spreadsheet were left out: %(rows)s.",
             rows=", ".join(str(row.number) for row in rows))


def header_index(rows: Sequence[Sequence[str]], words: Iterable[str], minimum: int = 2,
                 within: int = 10) -> int | None:
    """The first row (of the first `within`) naming at least `minimum` of the expected
    columns: office spreadsheets often carry a title and a date above their header. Words are
    compared as people pad them: 姓　名 (with an ideographic space) is 姓名."""
    expected = {squeezed(word) for word in words}
    for index, row in enumerate(rows[:within]):
        if len(expected & {squeezed(cell) for cell in row}) >= minimum:
            return index
    return None


def column_of(header: Sequence[str], words: Iterable[str]) -> int | None:
    """The first column whose header cell is one of `words` (compared as `header_index`
    does), or None."""
    expected = {squeezed(word) for word in words}
    return next((index for index, cell in enumerate(header) if squeezed(cell) in expected),
                None)


def too_long(what: str, value: str, column) -> list[str]:
    """The reason a cell cannot be stored in a column of limited length (a model's
    `sa.String(n)` column), or nothing: PostgreSQL refuses longer text, SQLite would keep it."""
    limit = column.type.length
    if limit is None or len(value) <= limit:
        return []
    return [_("%(what)s is longer than %(max)d characters (%(length)d).", what=what, max=limit,
              length=len(value))]


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
        return [[plain_text(cell).strip() for cell in row]
                for row in csv.reader(io.StringIO(text), dialect)]
    raise TableError("encoding")


def _read_xlsx(content: bytes) -> list[Row]:
    _check_unpacked_size(content)
    try:
        # Not read-only: read-only mode trusts the declared size and knows neither hidden rows
        # nor merged cells. The size check above bounds what this loads. openpyxl warns about
        # what it skips in a file (extensions, a date beyond the calendar, read as an error
        # cell): the file is the sender's, nothing to log for the server.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(content), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError,
            TypeError) as error:
        raise TableError("not_excel") from error
    sheet = workbook.worksheets[0]
    # The cells the file holds, whatever size the sheet declares; iterating the sheet's range
    # instead would create a cell for every blank in it.
    cells = sheet._cells.values()  # openpyxl keeps no public accessor for the stored cells
    shown = {(cell.row, cell.column): _cell_text(cell, workbook.epoch)
             for cell in cells if cell.value is not None}
    for merged in sheet.merged_cells.ranges:  # read once per row, in its first column
        value = shown.get((merged.min_row, merged.min_col))
        last = min(merged.max_row, merged.min_row + MAX_ROWS)
        if value:
            shown.update(((row, merged.min_col), value)
                         for row in range(merged.min_row + 1, last + 1))
    width = max((column for _row, column in shown), default=0)
    if width > MAX_COLUMNS:
        raise TableError("too_many_columns")
    numbers = sorted({row for row, _column in shown})
    if len(numbers) > MAX_ROWS:
        raise TableError("too_many_rows")
    dimensions = sheet.row_dimensions
    return [
        Row(number, tuple(shown.get((number, column), "") for column in range(1, width + 1)),
            number in dimensions and bool(dimensions[number].hidden))
        for number in numbers
    ]


def _check_unpacked_size(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise TableError("not_excel") from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise TableError("too_many_rows")


def _number_format(cell) -> str:
    """The cell's number format code. openpyxl answers "General" for the built-in ids it does
    not know (the East Asian dates), so those are looked up by id."""
    format_id = cell._style.numFmtId  # openpyxl keeps no public accessor for the id
    if format_id < BUILTIN_FORMATS_MAX_SIZE:
        return BUILTIN_FORMATS.get(format_id) or EAST_ASIAN_FORMATS.get(format_id, "General")
    return str(cell.number_format)


def _cell_text(cell, epoch: datetime) -> str:
    value = cell.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        number_format = _number_format(cell)
        if not is_date_format(number_format):
            return shown_number(value, number_format)
        try:
            value = from_excel(value, epoch)
        except (OverflowError, ValueError):  # beyond the calendar: Excel shows ####
            return shown_number(value, "General")
    if isinstance(value, datetime | date) and _month_only(_number_format(cell)):
        return f"{value.year:04d}-{value.month:02d}"  # shown as 2026年12月: a month, not its 1st
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return plain_text(str(value)).strip()


def _month_only(number_format: str) -> bool:
    """A date format that shows a year and a month but no day (yyyy"年"m"月", mmm-yy): the cell
    means the month. Quoted text, escaped characters and [colour] or [$-locale] sections are
    not part of the date."""
    codes = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0]).casefold()
    return "y" in codes and "m" in codes and "d" not in codes and "h" not in codes


def shown_number(value: float, number_format: str) -> str:
    """A number as a digit-placeholder format shows it (00000, 0.00, #,##0, 0%, "NB"0000:
    the positive section of ECMA-376 part 1, 18.8.31); any other format as Excel's General
    format shows it (integers without ".0", at most 15 significant digits)."""
    match = _DIGITS.fullmatch(number_format.split(";")[0])
    if match is None:
        if float(value).is_integer():
            return str(int(value))
        return f"{value:.15g}"
    if match["percent"]:
        value *= 100
    decimals = len(match["decimals"] or "")
    text = f"{abs(value):{',' if ',' in match['whole'] else ''}.{decimals}f}"
    whole, _dot, fraction = text.partition(".")
    width = match["whole"].count("0")
    whole = whole.zfill(width) if width else whole.lstrip("0")
    if fraction:
        kept = len(match["decimals"].rstrip("#"))  # "#" decimals are shown only when not 0
        fraction = fraction[:kept] + fraction[kept:].rstrip("0")
    number = whole + ("." + fraction if fraction else "")
    return ("-" if value < 0 and float(number.replace(",", "") or 0) else "") + (
        _literal(match["before"]) + number + match["percent"] + _literal(match["after"]))


def _literal(text: str) -> str:
    return re.sub(r'"([^"]*)"|\\(.)', lambda m: m[1] if m[1] is not None else m[2], text)
