"""PDF documents with Chinese text: the Noto Sans CJK collection installed with the app is
embedded, subset, into each file, so it prints as Chinese on any machine without fetching a
font."""

from __future__ import annotations

from flask_babel import get_locale
from fpdf import FPDF
from noto_cjk_sans_otc import FONT_PATH

# Faces of the Noto Sans CJK collection.
SANS_SC = 2
MONO_SC = 7


def new_pdf(title: str, document: type[FPDF] = FPDF) -> FPDF:
    """An A4 document in millimetres with the faces "sans" and "mono"; `document` is FPDF or
    a subclass with its own header or footer."""
    pdf = document(format="A4", unit="mm")
    pdf.add_font("sans", fname=str(FONT_PATH), collection_font_number=SANS_SC)
    pdf.add_font("mono", fname=str(FONT_PATH), collection_font_number=MONO_SC)
    pdf.set_title(title)
    return pdf


def wrap_mode() -> str:
    """How `multi_cell` breaks lines. Chinese puts no spaces between words, so breaking only at
    spaces pushes a whole clause to the next line and leaves half a line empty: Chinese breaks
    at any character, English at spaces."""
    return "CHAR" if str(get_locale()).startswith("zh") else "WORD"
