"""Spreadsheets built as office software writes them, quirks included."""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.utils import get_column_letter


def workbook_bytes(workbook: Workbook, *, dimension: str | None = None,
                   builtin_format: int | None = None) -> bytes:
    """The workbook as Excel would save it, or as WPS and some exporters do: with a declared
    sheet size of `dimension`, or with the custom number format replaced by the built-in
    format id `builtin_format` (openpyxl itself writes only custom ids)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if dimension and info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'
                              .encode(), data)
            if builtin_format and info.filename == "xl/styles.xml":
                data = data.replace(b'<xf numFmtId="164"', f'<xf numFmtId="{builtin_format}"'
                                    .encode())
            target.writestr(info, data)
    return out.getvalue()


def docx_bytes(body: str = "<w:p><w:r><w:t>述职报告</w:t></w:r></w:p>") -> bytes:
    """A Word document as small as Word's format check and mammoth accept: a zip holding its
    document part, with `body` (WordprocessingML, prefix w) as the document's body."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", (
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<w:body>{body}</w:body></w:document>"))
    return buffer.getvalue()


def shared_strings_xlsx(rows: list[list[str]], *, extra: dict[str, bytes] | None = None) -> bytes:
    """A workbook written as Excel writes text: every cell a shared string (openpyxl writes
    inline strings), built part by part, with any `extra` parts (name: bytes) beside them."""
    ns = "http://schemas.openxmlformats.org/"
    strings = list(dict.fromkeys(cell for row in rows for cell in row))
    index = {text: number for number, text in enumerate(strings)}
    sheet = "".join(
        f'<row r="{r}">' + "".join(
            f'<c r="{get_column_letter(c)}{r}" t="s"><v>{index[cell]}</v></c>'
            for c, cell in enumerate(row, 1)) + "</row>"
        for r, row in enumerate(rows, 1))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats'
            '-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{ns}package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}spreadsheetml/2006/main" xmlns:r="{ns}officeDocument/2006/'
            'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
            '</workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{ns}package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{ns}officeDocument/2006/relationships/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{ns}spreadsheetml/2006/main"><sheetData>{sheet}</sheetData>'
            '</worksheet>'),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{ns}spreadsheetml/2006/main" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings) + "</sst>"),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()
