"""The text of a PDF the app makes, page by page, as a reader would copy it."""

from __future__ import annotations

import pypdfium2


def pdf_pages(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()
