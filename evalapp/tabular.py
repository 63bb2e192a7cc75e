"""Reading uploaded tables (CSV, text or Excel) as the person who made them sees them.

One reader serves every import (roster, problem list, ledger, units, staff), so that a file
that looks right in Excel or WPS reads right everywhere. What a file is comes from its content,
not its name (a .xls renamed .xlsx is still read, and a PDF named .xlsx is called a PDF):

- Text (.csv, .txt) as Excel, WPS and Numbers save it: UTF-8 (with or without its mark), GBK
  (Excel's "CSV" on a Chinese Windows, "CSV (Macintosh)" in GB2312), UTF-16 with its mark
  (Excel's "Unicode 文本", tab-separated). Rows end in CR LF, LF or CR alone (Excel for Mac),
  and cells are split on what the header row is split on: tab, comma or semicolon.
- Excel 2007 and later (.xlsx) is read by openpyxl from its cells, not from the sheet's
  declared size (WPS and some exporters declare `A1` for a full sheet), values only (never
  formulas); Excel 97-2003 (.xls, and WPS's .et, the same format) by xlrd with its formatting.
- A number is read as its number format shows it: a staff number 301 formatted `00000` is
  00301, and a date serial under a date format (Excel's built-in ids, the Chinese 27–36 and
  50–58 included, which openpyxl does not know) is a date.
- Text cells written with ECMA-376's `_xHHHH_` escapes (OA systems write a line break as
  `_x000D_`) are decoded, and every line break is read as LF.
- A hidden row (someone who has left, a filtered-out row) is read but marked hidden, so that
  the import can list it and leave it out unless asked to include it.
- Text is `plain_text`: Word's line break (U+000B) pasted into a cell is a line break, and other
  control characters are dropped.
- A merged cell's value applies to every row it covers, as it looks on screen (a problem
  merged over its three measures is the problem of each).
- A header may take several rows: a heading merged across columns above their sub-headings
  (工作单位 over 单位 / 部门) names them both (`find_header`).
- Excel keeps 15 significant digits: an 18-digit ID number typed as a number has lost its
  last digits, and is read as Excel shows it (1.30102E+17) so that an import can refuse it
  (`truncated_identifier`) rather than store invented digits.
- A workbook with an open password, and files that are not tables (a Word document, a PDF, a
  web page saved as .xls), are refused with what they are and what to do.

Reading costs the server: openpyxl takes about 20 µs of processor time and 1 kB of memory a
cell. So a file's size, and a workbook's unpacked size, compression ratio, cells, rows and
shared strings, are counted from the zip's directory and a streamed pass over its XML (about
a thirtieth of the cost of loading it) and refused past limits that a 50,000-person roster of
a dozen columns passes. And a file of more than IN_PROCESS_BYTES is read in a child process
(`python -m evalapp.tabular`) with its own processor and memory limits: the web worker that
serves phones (a gevent worker runs every request of its process on one thread) waits for it
without holding them up, and gets back the memory a load takes when the child ends.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock

import msoffcrypto
import olefile
import xlrd
from babel.lists import format_list
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE, is_date_format
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from evalapp.text import plain_text, squeezed
from forms.tables import TABLE_SUFFIXES

# What one upload may cost. The roster of a whole system (50,000 people, about ten columns) is
# the largest table any import takes; every bound below lets it through with room to spare.
# Rows a table may have: a system-wide roster (50,000 people in a large customs district) with
# room to spare. An import replaces the whole roster, so a longer one cannot be split.
MAX_ROWS = 100_000  # non-blank rows of the table read
# Rows a header may take (a heading, its sub-headings, theirs).
MAX_HEADER_ROWS = 3
MAX_COLUMNS = 200  # the widest table of ours has a dozen columns
MAX_FILE_BYTES = 16 * 1024 * 1024  # as sent (the 50,000-person roster: 2 MB .xlsx, 10 MB .xls)
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # a workbook's parts, unpacked (that roster: 28 MB)
MAX_CELLS = 600_000  # cells stored in a workbook's sheets, blank formatted ones included
MAX_SHEET_ROWS = 2 * MAX_ROWS  # rows stored in its sheets, blank formatted ones included
MAX_SHARED_STRINGS = MAX_CELLS  # distinct texts: never more than the cells showing them
# Unpacked size over packed size of one part: sheet XML packs 10 to 20 times; a "zip bomb"
# packs a thousand times and more. Parts under a megabyte unpacked are not worth refusing.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024

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
# ECMA-376 part 1, 22.9.2.19 (ST_Xstring): a character written as _xHHHH_ (_x005F_ is "_").
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b]")
# The share of control characters above which decoded "text" is a binary file.
BINARY_CONTROLS = 0.02
# Elements counted in a workbook's XML before it is loaded, whatever their namespace prefix
# (`<c`, `<x:c`): a cell, a row, a shared string. A `<` in XML text is always escaped, so
# every match is a tag, and a count is never below what the load will meet.
_COUNTED = {name: re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + tag + rb"[\s/>]")
            for name, tag in (("cells", rb"c"), ("rows", rb"row"), ("strings", rb"si"))}
_CHUNK = 1024 * 1024
# Files larger than this are read in a child process (a 64 kB workbook holds some 15,000
# cells: a third of a second to load), which may take this long, this much processor time and
# this much memory (the costliest workbook the bounds let through: about 12 s and 600 MB).
IN_PROCESS_BYTES = 64 * 1024
CHILD_SECONDS = 180
CHILD_CPU_SECONDS = 60
CHILD_MEMORY_BYTES = 2 * 1024 * 1024 * 1024

MESSAGES = {
    "unsupported": _l("Only CSV, text (.txt) or Excel (.xlsx, .xls, .et) files can be read."),
    "encoding": _l("The text file is neither UTF-8, UTF-16 nor GBK text."),
    "not_text": _l("The text file cannot be read as rows and columns."),
    "not_excel": _l("The file is not a readable Excel workbook."),
    "too_big": _l("The file is %(count)s MB; at most %(limit)s MB can be read. Delete the "
                  "columns and sheets the import does not need, or save it as CSV."),
    "unpacked": _l("The workbook unpacks to %(count)s MB; at most %(limit)s MB can be read. "
                   "Delete the columns and sheets the import does not need, or save it as CSV."),
    "ratio": _l("A part of the workbook unpacks to %(count)s times its packed size; at most "
                "%(limit)s times is read. Open it in Excel or WPS, save it again and upload "
                "that."),
    "too_many_cells": _l("The workbook holds %(count)s cells; at most %(limit)s can be read. "
                         "Delete the columns and sheets the import does not need."),
    "too_many_strings": _l("The workbook holds %(count)s different texts; at most %(limit)s "
                           "can be read. Delete the columns and sheets the import does not "
                           "need."),
    "too_many_rows": _l("The file has %(count)s rows; at most %(limit)s can be read."),
    "rows_over_limit": _l(
        "The file has %(rows)s rows; at most %(limit)s can be imported. Remove the rows that "
        "are not data (titles, notes, totals), or divide the evaluation into several "
        "campaigns (for example by unit), each with its own roster."),
    "too_many_columns": _l("The file has %(count)s columns; at most %(limit)s can be read."),
    "password": _l("This file has an open password, so it cannot be read. Remove the password "
                   "and upload it again (in Excel or WPS: File → Info → Protect Workbook → "
                   "Encrypt with Password, empty the password and save)."),
    "too_costly": _l("Reading the file took more time or memory than an upload may use. Delete "
                     "the columns and sheets the import does not need, or save it as CSV."),
    "other": _l("The file is %(kind)s, not a table that can be read. Open it in Excel or WPS, "
                "save it as an Excel workbook (.xlsx) or CSV and upload that."),
}
# What a file that is not a table is, named for the person who sent it.
KINDS = {
    "pdf": _l("a PDF document"),
    "word": _l("a Word document"),
    "powerpoint": _l("a PowerPoint presentation"),
    "image": _l("an image"),
    "html": _l("a web page (HTML), perhaps with a spreadsheet's name"),
    "xml2003": _l("an Excel 2003 XML spreadsheet"),
    "ods": _l("an OpenDocument spreadsheet (.ods)"),
    "odt": _l("an OpenDocument text (.odt)"),
    "xlsb": _l("an Excel binary workbook (.xlsb)"),
    "rtf": _l("an RTF document"),
    "archive": _l("a compressed archive (ZIP, RAR or 7z)"),
    "ole": _l("an Office file that holds no workbook"),
    "binary": _l("a file that is not text"),
}
# Leading bytes of kinds that are neither text nor a workbook.
_MAGIC = ((b"%PDF-", "pdf"), (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"),
          (b"GIF8", "image"), (b"{\\rtf", "rtf"), (b"Rar!", "archive"),
          (b"7z\xbc\xaf", "archive"))
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

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
    """The file cannot be read as a table: `str(error)` is a key of MESSAGES, and the figures
    or the kind of file (a key of KINDS) the message names are kept for it: plain values, so
    that the child process of `_read_in_child` can send them back as JSON."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.values = values

    def message(self) -> str:
        """Why, for the person who sent the file, in their language."""
        values = {name: format_number(value) if isinstance(value, int)
                  else str(KINDS[value]) if name == "kind" else str(value)
                  for name, value in self.values.items()}
        return str(MESSAGES[str(self)]) % values if values else str(MESSAGES[str(self)])


def read_rows(filename: str, content: bytes) -> list[Row]:
    """The non-blank rows of the table's sheet (`_table_sheet`: the active one, or the first
    visible one that holds a cell), as shown, with the numbers the spreadsheet shows
    them under, so that a problem is reported where the reader will look for it. `filename`
    must end in one of TABLE_SUFFIXES; what the file is comes from `content`. Raises
    TableError when the file is not a table we can read, or would cost more than its limits."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in TABLE_SUFFIXES:
        raise TableError("unsupported")
    if len(content) > MAX_FILE_BYTES:
        raise TableError("too_big", count=_megabytes(len(content)),
                         limit=_megabytes(MAX_FILE_BYTES))
    kind = _kind(content)
    read = (_READERS[kind](content) if len(content) <= IN_PROCESS_BYTES
            else _read_in_child(content, kind))
    rows = [row for row in read if any(row.cells)]
    if len(rows) > MAX_ROWS:
        raise TableError("rows_over_limit", rows=len(rows), limit=MAX_ROWS)
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


@dataclass(frozen=True)
class Header:
    """Where a table's header is (indexes into the rows given) and the columns it names."""

    first: int  # its first row
    below: int  # the first row below it: the first row of data
    cells: tuple[str, ...]  # each column's name; under a merged heading, both: 工作单位/单位


# Joins a merged heading and its sub-heading in a column's name.
HEADING_JOINER = "/"


def find_header(rows: Sequence[Sequence[str]], words: Iterable[str], minimum: int = 2,
                within: int = 10) -> Header | None:
    """The header: its first row is the first (of the first `within`) naming at least
    `minimum` of the expected columns (office spreadsheets often carry a title and a date
    above their header); the rows just below it that hold sub-headings belong to it too
    (`_sub_headings`), up to MAX_HEADER_ROWS in all. Words are compared as people pad them:
    姓　名 (with an ideographic space) is 姓名. None when no row names enough of them."""
    expected = {squeezed(word) for word in words}
    for index, row in enumerate(rows[:within]):
        if len(expected & {squeezed(cell) for cell in row}) >= minimum:
            paths: list[tuple[str, ...]] = [(cell,) if cell else () for cell in row]
            bottom, below = list(row), index + 1
            while below < min(len(rows), index + MAX_HEADER_ROWS):
                extended = _sub_headings(paths, bottom, rows[below], expected)
                if extended is None:
                    break
                (paths, bottom), below = extended, below + 1
            return Header(index, below, tuple(HEADING_JOINER.join(path) for path in paths))
    return None


def _sub_headings(paths: list[tuple[str, ...]], bottom: Sequence[str], row: Sequence[str],
                  expected: set[str]) -> tuple[list[tuple[str, ...]], list[str]] | None:
    """(the header's columns named down to `row`, its new bottom row) when `row`, just below
    the header's `bottom` row, holds sub-headings; else None.

    A heading merged across columns is written in its first column, the others blank (工作单位
    over 单位 / 部门): it spans the blank headings to its right, up to the next heading, when
    `row` names something under them. `row` holds sub-headings when it adds something (a
    cell unlike the one above: a heading merged down over both rows repeats), and everything
    it adds is a column we expect or lies under a spanning heading. A person's row never
    does: it has a name under a heading of its own."""
    width = max(len(paths), len(bottom), len(row))
    paths = [*paths, *[()] * (width - len(paths))]
    bottom = [*bottom, *[""] * (width - len(bottom))]
    cells = [*row, *[""] * (width - len(row))]
    spanned: set[int] = set()
    for start in (column for column in range(width) if bottom[column]):
        end = next((column for column in range(start + 1, width) if bottom[column]), width)
        if any(cells[start + 1:end]):
            paths[start + 1:end] = [paths[start]] * (end - start - 1)
            spanned.update(range(start, end))
    added = {column for column in range(width)
             if cells[column] and squeezed(cells[column]) != squeezed(bottom[column])}
    if not added or any(column not in spanned and squeezed(cells[column]) not in expected
                        for column in added):
        return None
    return ([(*path, cells[column]) if column in added else path
             for column, path in enumerate(paths)],
            [cells[column] or bottom[column] for column in range(width)])


def from_header(rows: Sequence[Row], words: Iterable[str], minimum: int = 2) -> list[Row]:
    """The rows from the header on, its rows made one (`find_header`'s names, under the
    number of its first row); all the rows, the first taken as header, when no row names
    `minimum` of the `words`."""
    header = find_header([row.cells for row in rows], words, minimum)
    if header is None:
        return list(rows)
    return [Row(rows[header.first].number, header.cells), *rows[header.below:]]


def listed_rows(numbers: Iterable[int]) -> str:
    """Row numbers as a list in the reader's language (CLDR's list pattern, through Babel):
    "2、5和7" in Chinese, "2, 5, and 7" in English."""
    return format_list([str(number) for number in numbers], locale=get_locale())


def column_of(header: Sequence[str], words: Iterable[str]) -> int | None:
    """The first column whose header cell is one of `words` (compared as `find_header`
    does), or whose name under a merged heading has one as a part (工作单位/单位 is a 单位
    column), or None."""
    expected = {squeezed(word) for word in words}

    def named(cell: str) -> bool:
        return squeezed(cell) in expected or any(
            squeezed(part) in expected for part in cell.split(HEADING_JOINER))

    return next((index for index, cell in enumerate(header) if named(cell)), None)


def too_long(what: str, value: str, column) -> list[str]:
    """The reason a cell cannot be stored in a column of limited length (a model's
    `sa.String(n)` column), or nothing: PostgreSQL refuses longer text, SQLite would keep it."""
    limit = column.expression.type.length  # through `expression`: 80 times quicker
    if limit is None or len(value) <= limit:
        return []
    return [_("%(what)s is longer than %(max)d characters (%(length)d).", what=what, max=limit,
              length=len(value))]


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f}".removesuffix(".0")


def _kind(content: bytes) -> str:
    """"xlsx", "xls" or "text", from the file's first bytes (and an Office file's parts);
    anything else raises TableError naming what the file is."""
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(content)
    if content.startswith(_OLE):
        return _ole_kind(content)
    kind = next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)
    head = content[:1024].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        kind = "html"
    elif head.startswith(b"<?xml"):
        kind = "xml2003" if b"urn:schemas-microsoft-com:office:spreadsheet" in (
            content[:4096]) else "html" if b"<html" in head else None
    if kind is not None:
        raise TableError("other", kind=kind)
    return "text"


def _zip_kind(content: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise TableError("not_excel") from error
    if "xl/workbook.bin" in names:
        raise TableError("other", kind="xlsb")
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    kind = ("word" if any(name.startswith("word/") for name in names)
            else "powerpoint" if any(name.startswith("ppt/") for name in names)
            else "ods" if b"opendocument.spreadsheet" in mimetype
            else "odt" if b"opendocument.text" in mimetype else "archive")
    raise TableError("other", kind=kind)


def _ole_kind(content: bytes) -> str:
    """An OLE compound file: an encrypted workbook (the package inside an EncryptionInfo
    stream, or an .xls with a FILEPASS record, as msoffcrypto-tool recognises them), an Excel
    97-2003 workbook, or another Office file."""
    try:
        with olefile.OleFileIO(content) as ole:
            streams = {"/".join(path).lower() for path in ole.listdir()}
    except (OSError, ValueError, IndexError) as error:  # olefile's own errors are OSError
        raise TableError("not_excel") from error
    if "encryptioninfo" in streams:
        raise TableError("password")
    if streams & {"workbook", "book"}:
        try:
            encrypted = msoffcrypto.OfficeFile(io.BytesIO(content)).is_encrypted()
        except Exception:  # any unreadable record: xlrd then says what is wrong
            encrypted = False
        if encrypted:
            raise TableError("password")
        return "xls"
    kind = ("word" if "worddocument" in streams
            else "powerpoint" if "powerpoint document" in streams else "ole")
    raise TableError("other", kind=kind)


def _text(content: bytes) -> str:
    """The text of a text file in the encodings offices save it in: a byte order mark names
    UTF-8 or UTF-16; without one, UTF-16 shows as NUL bytes beside ASCII characters, and
    anything else is UTF-8 or else GBK (GB18030, which holds GBK and GB2312)."""
    if content.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in content[:4096]:
        head = content[:4096]
        little = head[1::2].count(0) > head[0::2].count(0)
        encodings = ("utf-16-le" if little else "utf-16-be",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A text file may carry a few control characters (pasted from Word into a cell); a
        # binary file that happens to decode is full of them.
        if len(_CONTROL.findall(text, 0, 4096)) > BINARY_CONTROLS * min(len(text), 4096):
            raise TableError("other", kind="binary")
        return text
    raise TableError("encoding")


def _delimiter(text: str) -> str:
    """What the header row is split on: the one of tab, comma and semicolon that splits it
    into the most cells (a comma when none splits it)."""
    first = next(iter(io.StringIO(text, newline="")), "")
    counts = {delimiter: len(next(csv.reader([first], delimiter=delimiter), []))
              for delimiter in (",", "\t", ";")}
    return max(counts, key=lambda delimiter: counts[delimiter])


def _read_text(content: bytes) -> list[Row]:
    text = _text(content)
    rows = []
    try:
        # newline="": the csv module ends a row at CR LF, LF or CR, and keeps a line break
        # inside a quoted cell.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        for number, cells in enumerate(reader, 1):
            shown = tuple(_clean(cell) for cell in cells)
            if any(shown):  # a blank row is no row of the table, and would cost to send back
                rows.append(Row(number, shown))
    except csv.Error as error:  # a cell longer than the csv module's limit (128 kB)
        raise TableError("not_text") from error
    width = max((len(row.cells) for row in rows), default=0)
    if width > MAX_COLUMNS:
        raise TableError("too_many_columns", count=width, limit=MAX_COLUMNS)
    return rows


def _clean(text: str) -> str:
    """A text cell as shown: `plain_text` (every line break LF, no control characters),
    stripped."""
    return plain_text(text).strip()


def _table(shown: dict[tuple[int, int], str], merged: Iterable[tuple[int, int, int]],
           hidden: set[int]) -> list[Row]:
    """Rows from the cells a sheet shows ({(row, column): text}, both from 1), its merged
    ranges ((first row, first column, last row)) and its hidden rows."""
    for first_row, column, last_row in merged:  # read once per row, in its first column
        value = shown.get((first_row, column))
        if value:
            last = min(last_row, first_row + MAX_SHEET_ROWS)
            shown.update(((row, column), value) for row in range(first_row + 1, last + 1))
    width = max((column for _row, column in shown), default=0)
    if width > MAX_COLUMNS:
        raise TableError("too_many_columns", count=width, limit=MAX_COLUMNS)
    numbers = sorted({row for row, _column in shown})
    if len(numbers) > MAX_ROWS:
        raise TableError("rows_over_limit", rows=len(numbers), limit=MAX_ROWS)
    rows = []
    for number in numbers:
        rows.append(Row(number, tuple(shown.get((number, column), "")
                                      for column in range(1, width + 1)), number in hidden))
    return rows


def _read_xlsx(content: bytes) -> list[Row]:
    check_workbook(content)
    try:
        # Not read-only: read-only mode trusts the declared size and knows neither hidden rows
        # nor merged cells. The checks above bound what this loads. openpyxl warns about
        # what it skips in a file (extensions, a date beyond the calendar, read as an error
        # cell): the file is the sender's, nothing to log for the server.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(io.BytesIO(content), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError,
            TypeError, EOFError) as error:
        raise TableError("not_excel") from error
    # The cells the file holds, whatever size the sheet declares; iterating the sheet's range
    # instead would create a cell for every blank in it. openpyxl keeps no public accessor for
    # the stored cells.
    sheet = _table_sheet(workbook.worksheets, workbook.active,
                         lambda sheet: sheet.sheet_state == "visible",
                         lambda sheet: any(cell.value is not None
                                           for cell in sheet._cells.values()))
    shown = {(cell.row, cell.column): _cell_text(cell, workbook.epoch)
             for cell in sheet._cells.values() if cell.value is not None}
    dimensions = sheet.row_dimensions
    return _table(shown, ((r.min_row, r.min_col, r.max_row) for r in sheet.merged_cells.ranges),
                  {number for number, row in dimensions.items() if row.hidden})


def _table_sheet(sheets: Sequence, active, visible, holds_cells):
    """The sheet a table is read from: the sheet the workbook opens on (its active sheet, the
    one its maker was looking at when saving: this year's roster on a second sheet after last
    year's), when it is visible and holds a cell; else the first that is, so that an empty
    sheet of instructions (填表说明) or a hidden sheet of the lists a template's drop-downs
    offer, before the table, is passed over; the first sheet when none is."""
    candidates = [active, *sheets] if active is not None else list(sheets)
    return next((sheet for sheet in candidates if visible(sheet) and holds_cells(sheet)),
                sheets[0])


def check_workbook(content: bytes) -> None:
    """Refuses a workbook that would cost more to load than the limits allow, from the zip's
    directory (sizes, ratios) and one streamed pass over its XML parts (cells, rows, shared
    strings), before openpyxl builds anything. zipfile never unpacks more of a part than its
    declared size, so the declared sizes bound what any later read unpacks."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            unpacked = sum(info.file_size for info in parts)
            if unpacked > MAX_UNPACKED_BYTES:
                raise TableError("unpacked", count=_megabytes(unpacked),
                                 limit=_megabytes(MAX_UNPACKED_BYTES))
            for info in parts:
                if (info.file_size > RATIO_FROM_BYTES
                        and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                    raise TableError("ratio", count=info.file_size // max(info.compress_size, 1),
                                     limit=MAX_RATIO)
            counts = dict.fromkeys(_COUNTED, 0)
            for info in parts:
                if info.filename.lower().endswith(".xml"):
                    with archive.open(info) as part:
                        for name, count in _counted(part):
                            counts[name] += count
    except TableError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise TableError("not_excel") from error
    for name, reason, limit in (("cells", "too_many_cells", MAX_CELLS),
                                ("rows", "too_many_rows", MAX_SHEET_ROWS),
                                ("strings", "too_many_strings", MAX_SHARED_STRINGS)):
        if counts[name] > limit:
            raise TableError(reason, count=counts[name], limit=limit)


def _counted(part) -> Iterator[tuple[str, int]]:
    """(element, how many) in a streamed XML part, chunk by chunk: each chunk is cut at its
    last `<`, so that no tag is split between two."""
    rest = b""
    while chunk := part.read(_CHUNK):
        chunk = rest + chunk
        cut = chunk.rfind(b"<")
        cut = cut if cut > 0 else len(chunk)
        chunk, rest = chunk[:cut], chunk[cut:]
        yield from ((name, len(pattern.findall(chunk))) for name, pattern in _COUNTED.items())
    yield from ((name, len(pattern.findall(rest))) for name, pattern in _COUNTED.items())


def _read_xls(content: bytes) -> list[Row]:
    """An Excel 97-2003 workbook (BIFF8; WPS's .et too) through xlrd, with its formatting:
    number formats, dates, hidden rows and merged cells as it holds them."""
    try:
        book = xlrd.open_workbook(file_contents=content, formatting_info=True, on_demand=True,
                                  ragged_rows=True, logfile=io.StringIO())
        sheets = book.sheets()
        # xlrd's sheet_visible is the WINDOW2 record's "displayed" flag: the active sheet.
        active = next((sheet for sheet in sheets if sheet.sheet_visible), None)
        sheet = _table_sheet(sheets, active, lambda sheet: sheet.visibility == 0,
                             lambda sheet: any(
                                 cell.ctype not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
                                 for row in range(sheet.nrows) for cell in sheet.row(row)))
    except Exception as error:  # xlrd raises whatever its parser meets
        raise TableError("not_excel") from error
    # Each row up to its last cell (ragged rows): the cells a loop below visits.
    stored = sum(sheet.row_len(row) for row in range(sheet.nrows))
    if stored > MAX_CELLS:
        raise TableError("too_many_cells", count=stored, limit=MAX_CELLS)
    shown = {}
    for row in range(sheet.nrows):
        for column, cell in enumerate(sheet.row(row)):
            text = _xls_text(book, sheet, row, column, cell)
            if text:
                shown[(row + 1, column + 1)] = text
    hidden = {row + 1 for row, info in sheet.rowinfo_map.items() if info.hidden}
    merged = ((low + 1, column + 1, high) for low, high, column, _end in sheet.merged_cells)
    return _table(shown, merged, hidden)


def _xls_text(book, sheet, row: int, column: int, cell) -> str:
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return _clean(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#VALUE!")
    number_format = book.format_map[book.xf_list[sheet.cell_xf_index(row, column)]
                                    .format_key].format_str
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            value = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            return (_shown_month if _month_only(number_format) else _shown_date)(value)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return shown_number(cell.value, "General")
    return shown_number(cell.value, number_format)


def _shown_date(value: datetime | date | clock) -> str:
    if isinstance(value, datetime) and value.time() == clock(0):
        return value.date().isoformat()
    return value.isoformat()


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
        return _shown_month(value)
    if isinstance(value, datetime | date | clock):
        return _shown_date(value)
    return _clean(_ESCAPE.sub(lambda match: chr(int(match[1], 16)), str(value)))


def _shown_month(value: date) -> str:
    """A date under a format that shows a year and a month but no day (2026年12月): the cell
    means the month, read as 2026-12, never as its 1st."""
    return f"{value.year:04d}-{value.month:02d}"


def _month_only(number_format: str) -> bool:
    """A date format that shows a year and a month but no day (yyyy"年"m"月", mmm-yy): the cell
    means the month. Quoted text, escaped characters and [colour] or [$-locale] sections are
    not part of the date."""
    codes = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0]).casefold()
    return "y" in codes and "m" in codes and "d" not in codes and "h" not in codes


def shown_number(value: float, number_format: str) -> str:
    """A number as a digit-placeholder format shows it (00000, 0.00, #,##0, 0%, "NB"0000:
    the positive section of ECMA-376 part 1, 18.8.31); any other format as Excel's General
    format shows it (integers without ".0", at most 15 significant digits).

    Excel keeps 15 significant digits: a number of 16 digits or more before the point (an
    18-digit ID number typed as a number) has lost its last ones whatever its format shows,
    so it is shown as General shows it in a column, 1.30102E+17, never as digits that look
    whole (`truncated_identifier` refuses it as an identifier)."""
    if abs(value) >= EXCEL_WHOLE:
        return f"{value:.6G}"
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


# The first number Excel cannot hold to the unit: 16 digits, beyond its 15 significant ones.
EXCEL_WHOLE = 10**15
# A number as Excel shows a long one, in scientific notation (1.30102E+17, 1.3E+17); also
# what its CSV export writes.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")


def truncated_identifier(what: str, value: str) -> list[str]:
    """The reason an identifier cell (a staff number, an ID number, a phone) cannot be taken
    when it holds a number as Excel shows a long one, in scientific notation: typed as a
    number, it kept 15 significant digits and lost the others, in the workbook and in its
    CSV export alike; else nothing. (An 18-digit number under the format 0 shows its lost
    digits as zeros: read from a workbook it is refused too, see `shown_number`; in a CSV
    it cannot be told from a typed one.)"""
    if not _SCIENTIFIC.fullmatch(value.strip()):
        return []
    return [_("%(what)s “%(value)s” is a number Excel has cut to 15 significant digits: the "
              "others are lost. Format the column as text in Excel, type the numbers again "
              "and upload the file again.", what=what, value=value.strip())]


def _literal(text: str) -> str:
    return re.sub(r'"([^"]*)"|\\(.)', lambda m: m[1] if m[1] is not None else m[2], text)


_READERS = {"xlsx": _read_xlsx, "xls": _read_xls, "text": _read_text}


def _read_in_child(content: bytes, kind: str) -> list[Row]:
    """The rows `_READERS[kind]` reads from `content`, read by `python -m evalapp.tabular` in
    a process of its own (gevent's subprocess under gunicorn's gevent worker, so that the
    other requests of the worker go on while it waits). TableError as the child raised it;
    "too_costly" when it ran past its time, processor or memory."""
    try:
        done = subprocess.run([sys.executable, "-m", "evalapp.tabular", kind], input=content,
                              capture_output=True, timeout=CHILD_SECONDS, check=False)
    except subprocess.TimeoutExpired as error:
        raise TableError("too_costly") from error
    if done.returncode < 0:  # killed: past its processor time (SIGXCPU) or by the system
        raise TableError("too_costly")
    if done.returncode != 0:
        raise RuntimeError("the table reader's child failed: " +
                           done.stderr.decode(errors="replace")[-2000:])
    answer = json.loads(done.stdout)
    if "error" in answer:
        raise TableError(answer["error"], **answer["values"])
    return [Row(number, tuple(cells), hidden) for number, cells, hidden in answer["rows"]]


def _child(kind: str) -> None:
    """The child of `_read_in_child`: a file's bytes on standard input, its rows (or why
    not) as JSON on standard output, within CHILD_CPU_SECONDS and CHILD_MEMORY_BYTES."""
    if sys.platform != "win32":
        import resource

        resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS + 5))
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    try:
        rows = _READERS[kind](sys.stdin.buffer.read())
        answer: dict = {"rows": [[row.number, row.cells, row.hidden] for row in rows]}
    except TableError as error:
        answer = {"error": str(error), "values": error.values}
    except MemoryError:
        answer = {"error": "too_costly", "values": {}}
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode())


if __name__ == "__main__":
    _child(sys.argv[1])
