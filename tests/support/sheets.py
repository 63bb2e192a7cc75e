"""Reading printed ticket sheets back: their text and the ticket codes on them."""

from __future__ import annotations

import re

import pypdfium2 as pdfium

CODE = re.compile(r"(?:[0-9A-Z]{4}-){3}[0-9A-Z]{4}\s*(?:[0-9A-Z]{4}-){2}[0-9A-Z]{2}")


def pdf_text(body: bytes) -> list[str]:
    document = pdfium.PdfDocument(body)
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()
