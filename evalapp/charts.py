"""Charts with matplotlib, Chinese labels included, in PNG, SVG and PDF.

The Chinese font is the Noto Sans CJK collection installed with the app (the
`noto-cjk-sans-otc` package), so nothing is downloaded at run time and an intranet server
draws the same glyphs as a developer's laptop. Figures are built with the object API, not
pyplot, but matplotlib's settings (rcParams) are still one global that the style is applied
to, and matplotlib is not thread-safe: the threads of a WSGI server drawing the charts of one
page at once take turns.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FuncFormatter
from noto_cjk_sans_otc import FONT_PATH

from evalapp.text import plain_text

matplotlib.use("Agg")
font_manager.fontManager.addfont(str(FONT_PATH))

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Noto Sans CJK SC", "DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",  # the SVG shows Chinese on machines without the font
    "pdf.fonttype": 42,
    "svg.hashsalt": "evalapp",  # the same chart gives the same bytes
    # Names are text, never formulas: "$" in a subject, item or group name (述职人$A$, "5$") is
    # printed as typed instead of parsed by mathtext, which refuses most of them.
    "text.parse_math": False,
}
# Colours of the four levels 好 较好 一般 差, from good (green) to poor (red), and from light to
# dark: an office's black-and-white printer prints them as greys of luma (ITU-R 601) 232, 164,
# 112 and 39 (the former colours printed 好 and 差 as the same dark grey, 91 and 96). The two
# middle levels are hatched as well (white dots, black lines), which keeps the printed greys
# apart (about 232, 175, 99, 39) and tells them apart a second way.
LEVEL_COLOURS = ("#dcf2d5", "#7cc07a", "#b0601a", "#5c1010")
LEVEL_HATCHES = ("", "..", "//", "")
LEVEL_HATCH_COLOURS = ("#000000", "#ffffff", "#000000", "#ffffff")
# A line or a single series (the satisfaction rates, measures done): the dark green of 好.
ACCENT = "#1a7f4b"
# The mark of an item flagged weakest, in charts, the HTML results and the PDF report: a shape
# and a word as well as red, so that a black-and-white print says the same as the screen.
WEAK_MARK = "▲"
_MATPLOTLIB = threading.RLock()


@contextmanager
def figure(width_cm: float, height_cm: float) -> Iterator[Figure]:
    """A figure drawn in the house style; the style applies while it is built and saved."""
    with _MATPLOTLIB, matplotlib.rc_context(STYLE):
        yield Figure(figsize=(width_cm / 2.54, height_cm / 2.54), layout="constrained")


def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG, SVG or PDF bytes; PDFs and SVGs carry no creation date, so the same
    figure always gives the same file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    buffer = io.BytesIO()
    metadata = {"png": None, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    with _MATPLOTLIB, matplotlib.rc_context(STYLE):
        # Names with control characters (pasted from Word, stored before input was cleaned)
        # have no glyphs: every label is drawn as plain text.
        for text in fig.findobj(Text):
            text.set_text(_drawable(text.get_text()))
        for axis in (axis for axes in fig.axes for axis in (axes.xaxis, axes.yaxis)):
            formatter = axis.get_major_formatter()  # tick labels are made when drawn
            if isinstance(formatter, FixedFormatter):
                formatter.seq = [_drawable(str(label)) for label in formatter.seq]
            elif isinstance(formatter, FuncFormatter):  # set_ticks(…, labels) makes one
                label = formatter.func
                formatter.func = lambda x, pos, label=label: _drawable(str(label(x, pos)))
        fig.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    return buffer.getvalue()


def _drawable(text: str) -> str:
    """A label as the font can draw it: `plain_text`, a tab as a space."""
    return plain_text(text).replace("\t", " ")
