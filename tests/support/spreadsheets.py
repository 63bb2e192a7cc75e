"""Spreadsheets built as office software writes them, quirks included."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook


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
