"""PDF documents with Chinese text: the Noto Sans CJK collection installed with the app is
embedded, subset, into each file, so it prints as Chinese on any machine without fetching a
font.

What a rater or an organiser typed is printed as written: a character the Chinese font lacks
(emoji from a phone's keyboard, many symbols) is drawn with DejaVu Sans, the font matplotlib
installs with itself (so no system font is needed), and one neither font has is replaced by a
visible stand-in, never silently dropped (fpdf2 would only log a warning and leave a gap).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import matplotlib
from flask_babel import get_locale
from flask_babel import gettext as _
from fpdf import FPDF
from noto_cjk_sans_otc import FONT_PATH

# Faces of the Noto Sans CJK collection.
SANS_SC = 2
MONO_SC = 7
SYMBOLS_FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
# Marks that only modify the character before them (variation selectors, the zero-width
# joiner, skin tones, the keycap, tags): kept after a character drawn, dropped with a
# stand-in.
_MODIFIERS = frozenset(
    [0x200D, 0x20E3, *range(0xFE00, 0xFE10), *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080)])
MISSING_GLYPH = "\u25a1"  # □, how Chinese typesetting marks a character it cannot set


class Document(FPDF):
    """An FPDF document whose text never loses a character to a missing glyph."""

    def normalize_text(self, text: str) -> str:
        covered = set(self.current_font.cmap) if self.current_font else set()
        for key in self._fallback_font_ids:
            covered.update(self.fonts[key].cmap)
        return super().normalize_text(stand_ins(text, covered))


def stand_ins(text: str, covered: set[int]) -> str:
    """`text` with each character outside `covered` (code points a font can draw) replaced:
    an emoji or other symbol, with its modifiers and the characters joined to it, by
    "[emoji]" in the reader's language; any other character by □. Line breaks and spaces are
    kept."""
    out: list[str] = []
    joined = False  # the previous character was a zero-width joiner after a stand-in
    replaced = False  # the last character written was a stand-in
    for char in text:
        code = ord(char)
        if code in _MODIFIERS:
            if not replaced:
                out.append(char)
            joined = replaced and code == 0x200D
        elif code in covered or char in "\n\r\t ":
            out.append(char)
            replaced = joined = False
        elif joined:
            joined = False  # the second half of a joined emoji (👨‍💻) shares the stand-in
        else:
            symbol = unicodedata.category(char).startswith("S")
            out.append(_("[emoji]") if symbol else MISSING_GLYPH)
            replaced = True
    return "".join(out)


def new_pdf(title: str, document: type[Document] = Document) -> Document:
    """An A4 document in millimetres with the faces "sans" and "mono", and DejaVu Sans as the
    fallback for the symbols they lack; `document` is Document or a subclass with its own
    header or footer."""
    pdf = document(format="A4", unit="mm")
    pdf.add_font("sans", fname=str(FONT_PATH), collection_font_number=SANS_SC)
    pdf.add_font("mono", fname=str(FONT_PATH), collection_font_number=MONO_SC)
    pdf.add_font("symbols", fname=str(SYMBOLS_FONT))
    pdf.set_fallback_fonts(["symbols"], exact_match=False)
    pdf.set_title(title)
    return pdf


def wrap_mode() -> str:
    """How `multi_cell` breaks lines. Chinese puts no spaces between words, so breaking only at
    spaces pushes a whole clause to the next line and leaves half a line empty: Chinese breaks
    at any character, English at spaces."""
    return "CHAR" if str(get_locale()).startswith("zh") else "WORD"
