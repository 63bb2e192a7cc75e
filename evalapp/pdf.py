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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from flask_babel import get_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.util import Padding
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
_FLAG_LETTERS = range(0x1F1E6, 0x1F200)  # regional indicators: two make a flag (🇨🇳)
MISSING_GLYPH = "\u25a1"  # □, how Chinese typesetting marks a character it cannot set
# Chinese line-breaking rules (标点禁则, GB/T 15834): no line starts with closing or
# separating punctuation, none ends with opening punctuation.
NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉”’…—～·%％,.;:!?)]}")
NO_LINE_END = frozenset("（《「『【〔〈“‘([{")
GLUE = "·"  # "单位 · 姓名" stays whole: no break beside the dot or its spaces


class Document(FPDF):
    """An FPDF document whose text never loses a character to a missing glyph."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._covered_by_font: dict[str, frozenset[int]] = {}
        self._char_widths: dict[tuple[str, float, str], float] = {}

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(stand_ins(text, self._covered()))

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *_exception: object) -> None:
        self.close_fonts()

    def output(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().output(*args, **kwargs)
        finally:
            self.close_fonts()

    def close_fonts(self) -> None:
        """Closes the font files fpdf2 keeps open (fontTools reads them lazily): its output
        closes only the fonts a document used, and a document measured and dropped (or
        abandoned by an error) would leave its files to the garbage collector."""
        for font in self.fonts.values():
            if hasattr(font, "close"):
                font.close()

    def multi_cell(self, w: float, h: float | None = None, text: str = "", *args: Any,
                   title: bool = False, **kwargs: Any) -> Any:
        """Text broken at any character (wrapmode CHAR, for Chinese) is broken here by the
        Chinese rules first (`break_lines`; a `title` by `balanced`); fpdf2 alone would start
        a line with "，". Table cells come here too (fpdf2's table() sets each cell with
        multi_cell, with its padding), so a table given wrapmode CHAR follows the same rules as
        a paragraph."""
        if text and str(kwargs.get("wrapmode", "")).upper().endswith("CHAR"):
            padding = Padding.new(kwargs.get("padding") or 0)
            # fpdf2's room for the text: the width less the padding, or the cell margin on a
            # side without padding
            room = ((w or self.w - self.r_margin - self.x)
                    - (padding.left or self.c_margin) - (padding.right or self.c_margin))
            text = (balanced if title else break_lines)(text, room, self._char_width)
        return super().multi_cell(w, h, text, *args, **kwargs)

    def _char_width(self, char: str) -> float:
        key = (self.current_font.fontkey if self.current_font else "", self.font_size_pt, char)
        if key not in self._char_widths:
            self._char_widths[key] = self.get_string_width(char)
        return self._char_widths[key]

    def _covered(self) -> frozenset[int]:
        """The code points the current font and the fallback fonts draw (built once per font:
        the Chinese font alone has some 65,000)."""
        key = self.current_font.fontkey if self.current_font else ""
        if key not in self._covered_by_font:
            self._covered_by_font[key] = frozenset(
                code for font in ([self.current_font] if self.current_font else [])
                + [self.fonts[fallback] for fallback in self._fallback_font_ids]
                for code in font.cmap)
        return self._covered_by_font[key]


def break_lines(text: str, room: float, width: Callable[[str], float]) -> str:
    """`text` with a line break wherever a line of `room` (measured by `width` per character)
    is full, placed as Chinese typesetting places it: between any two characters, but not
    before closing punctuation, after opening punctuation, inside a Latin word or number, or
    beside the dot of "单位 · 姓名". A line that cannot be broken by the rules is broken where
    it is full. Spaces at a break are dropped; line breaks already there are kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        start, filled = 0, 0.0  # the current line is paragraph[start:index]
        for index, char in enumerate(paragraph):
            if index > start and filled + width(char) > room + 1e-6:
                cut = next((i for i in range(index, start, -1) if _may_break(paragraph, i)),
                           index)
                lines.append(paragraph[start:cut].rstrip(" "))
                start = cut
                while start < index and paragraph[start] == " ":
                    start += 1
                filled = sum(width(c) for c in paragraph[start:index])
            if index == start and char == " ":
                start += 1  # no line starts with a space
            else:
                filled += width(char)
        lines.append(paragraph[start:])
        _no_orphan(lines)
    return "\n".join(lines)


def _no_orphan(lines: list[str]) -> None:
    """A paragraph's last line of a single character and its punctuation ("张。") takes the
    character before it too, where the rules allow a break there: a word does not stand
    alone on the last line."""
    if len(lines) < 2 or len(lines[-1].rstrip("".join(NO_LINE_START))) > 1:
        return
    before, last = lines[-2], lines[-1]
    for take in (1, 2):
        if len(before) - take < 2:
            return
        joined = before + last
        if _may_break(joined, len(before) - take) and before[-take] != " ":
            lines[-2:] = [before[:-take], before[-take:] + last]
            return


def balanced(text: str, room: float, width: Callable[[str], float]) -> str:
    """A title (one line of text) on as few lines as `break_lines` needs, but broken where a
    reader would break it: on two lines, after a space or a punctuation mark, or where Chinese
    meets a Latin word or a number ("宁波海关 | 2026年度测评"), else where the two lines are
    most nearly equal, never inside a Latin word or number; never "测评" split into "测 | 评"
    at the end of a full line with the rest below. Three lines or more are `break_lines`'."""
    greedy = break_lines(text, room, width)
    if "\n" in text or greedy.count("\n") != 1:
        return greedy
    widths = [width(char) for char in text]
    total = sum(widths)
    best: tuple[tuple[bool, float], int] | None = None
    left = 0.0
    for index in range(1, len(text)):
        left += widths[index - 1]
        if left > room + 1e-6:
            break
        if total - left > room + 1e-6 or not _may_break(text, index):
            continue
        before, after = text[index - 1], text[index]
        natural = (before == " " or after == " " or unicodedata.category(before)[0] == "P"
                   or (not before.isascii() and after.isascii() and after.isalnum()))
        score = (not natural, abs(total - 2 * left))
        if best is None or score < best[0]:
            best = (score, index)
    if best is None:
        return greedy
    cut = best[1]
    return text[:cut].rstrip(" ") + "\n" + text[cut:].lstrip(" ")


def _may_break(chars: Sequence[str], index: int) -> bool:
    """Whether a line may break before chars[index]."""
    before, after = chars[index - 1], chars[index]
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
        return False
    two_before = chars[index - 2] if index >= 2 else ""
    two_after = chars[index + 1] if index + 1 < len(chars) else ""
    return GLUE not in (before, after) and not (before == " " and two_before == GLUE) and not (
        after == " " and two_after == GLUE)


def stand_ins(text: str, covered: frozenset[int] | set[int]) -> str:
    """`text` with each character outside `covered` (code points a font can draw) replaced:
    an emoji or other symbol, with its modifiers and the characters joined to it (👨‍💻, a
    flag's two letters), by "[emoji]" in the reader's language; any other character by □.
    Line breaks and spaces are kept."""
    out: list[str] = []
    joined = False  # the previous character was a zero-width joiner after a stand-in
    replaced = False  # the last character written was a stand-in
    flag = False  # the last stand-in was the first letter of a flag
    for char in text:
        code = ord(char)
        if flag and code in _FLAG_LETTERS:
            flag = False
        elif code in _MODIFIERS:
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
            flag = code in _FLAG_LETTERS
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
