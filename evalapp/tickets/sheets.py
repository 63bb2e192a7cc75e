"""Printable tickets: an A4 PDF sheet of eight, or one ticket as PNG or SVG.

The QR code is drawn as vector squares: sharp at any printer resolution.

A sheet is built in seconds even for a thousand tickets (`bench.sheets`): the codes are
encoded by zxing-cpp (qrcode's search for the best mask took four-fifths of the time), the
lines of text that every ticket repeats are broken once per sheet and set with text(), and
each code is one path of rectangles rather than a drawing call per run of dark modules.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import zxingcpp
from fpdf import FPDF
from noto_cjk_sans_otc import FONT_PATH
from PIL import Image, ImageDraw, ImageFont

from evalapp.campaigns.models import Campaign
from evalapp.pdf import MONO_SC, new_pdf
from evalapp.tickets.models import TicketBatch
from evalapp.tickets.tokens import grouped, hash_token

PAGE_W, PAGE_H = 210.0, 297.0  # A4, millimetres
COLUMNS, ROWS = 2, 4
CELL_W, CELL_H = PAGE_W / COLUMNS, PAGE_H / ROWS
MARGIN = 7.0
QR_SIZE = 38.0
CUT_MARK = 4.0


@dataclass(frozen=True)
class TicketFace:
    """What one printed ticket says."""

    campaign: str
    group: str
    subjects: tuple[str, ...]
    token: str
    url: str
    spare: bool = False


def faces_for(
    campaign: Campaign, issued: Sequence[tuple[TicketBatch, Sequence[str]]], address: str
) -> list[TicketFace]:
    """The faces of freshly issued tickets: each batch's tickets with their plain codes, in
    the codes' order. A ticket is found by its code's hash: the batch holds its tickets in an
    order of their own (shuffled when issued), which is not the codes'."""
    faces = []
    for batch, tokens in issued:
        spares = {ticket.token_hash: ticket.is_spare for ticket in batch.tickets}
        subjects = tuple(f"{s.unit.name_zh} · {s.person_name}" for s in batch.subjects)
        faces += [TicketFace(campaign=campaign.title, group=batch.rater_group.name_zh,
                             subjects=subjects, token=token, url=f"{address}/t/{token}",
                             spare=spares[hash_token(token)])
                  for token in tokens]
    return faces


# Printed in Chinese whatever language the organiser reads: the sheet is for the raters.
INSTRUCTION = "请用手机相机扫描二维码，匿名完成测评"
TYPING_HINT = "无法扫码时，请用手机浏览器打开\n{address}\n并输入编码："
SPARE = "备用票"
GROUP_LABEL = "测评人类别："
SUBJECTS_LABEL = "被评对象："
SUBJECT_SEPARATOR = "、"
MORE = "等{count}人"  # "and others, {count} in all"
QUIET_MODULES = 4  # the quiet zone around a QR code, in modules (ISO/IEC 18004)
TITLE_LINE, SUBJECTS_LINE = 4.2, 4.0  # line heights, millimetres
# Ragged right, broken at any character: Chinese has no spaces to break at, and justifying
# a line of it stretches the few spaces there are into gaps.
CHINESE_LINES = {"align": "L", "wrapmode": "CHAR", "new_x": "LEFT", "new_y": "NEXT"}


class TextSetter:
    """A PDF being filled with tickets or paper ballots, which remembers how each text that
    every ticket repeats breaks into lines."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self._lines: dict[tuple[str, float, float, str, bool], list[str]] = {}
        # whether the current font draws a text (else cell() does, with fallbacks); its width
        # when set centred
        self._measured: dict[tuple[str, float, str, str], tuple[bool, float]] = {}

    def lines(self, width: float, height: float, text: str, title: bool = False) -> list[str]:
        """`text` broken into lines of `width` in the current font, as multi_cell would (a
        `title` as `evalapp.pdf.balanced` breaks it)."""
        pdf = self.pdf
        key = (pdf.font_family + pdf.font_style, pdf.font_size_pt, width, text, title)
        if key not in self._lines:
            self._lines[key] = pdf.multi_cell(width, height, text, dry_run=True,
                                              output="LINES", title=title, **CHINESE_LINES)
        return self._lines[key]

    def write(self, width: float, height: float, text: str, title: bool = False) -> None:
        """multi_cell's output, from the lines broken once."""
        for line in self.lines(width, height, text, title):
            self.line(width, height, line)

    def line(self, width: float, height: float, text: str, align: str = "L") -> None:
        """One line as cell() sets it (`align` "L" or "C"), through text() when the current
        font has every character (a seventh of cell()'s time); cell() draws the rest with the
        fallback fonts."""
        pdf = self.pdf
        key = (pdf.font_family + pdf.font_style, pdf.font_size_pt, text, align)
        if key not in self._measured:
            assert pdf.current_font is not None
            self._measured[key] = (
                all(ord(char) in pdf.current_font.cmap for char in text),
                pdf.get_string_width(text) if align != "L" else 0.0)
        drawable, text_width = self._measured[key]
        if drawable:
            shift = pdf.c_margin if align == "L" else (width - text_width) / 2
            pdf.text(pdf.x + shift, pdf.y + 0.5 * height + 0.3 * pdf.font_size, text)
            pdf.set_xy(pdf.x, pdf.y + height)
        else:
            pdf.cell(width, height, text, align=align, new_x="LEFT", new_y="NEXT")


def ticket_sheet_pdf(faces: Sequence[TicketFace], address: str) -> bytes:
    pdf = new_pdf(faces[0].campaign if faces else "")
    add_ticket_sheets(pdf, faces, address)
    return bytes(pdf.output())


def add_ticket_sheets(pdf: FPDF, faces: Sequence[TicketFace], address: str) -> None:
    """The A4 pages of eight tickets each of `faces`, added to `pdf` (which may hold other
    pages before them, e.g. paper ballots printed in the same file)."""
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    sheet = TextSetter(pdf)
    per_page = COLUMNS * ROWS
    for index, face in enumerate(faces):
        if index % per_page == 0:
            pdf.add_page(format="A4")
            _cut_marks(pdf)
        slot = index % per_page
        _ticket(sheet, face, address, (slot % COLUMNS) * CELL_W, (slot // COLUMNS) * CELL_H)


def _cut_marks(pdf: FPDF) -> None:
    """Dashed guides on the lines between tickets, with short solid ticks at the edges."""
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=1.5, gap=1.5)
        for column in range(1, COLUMNS):
            pdf.line(column * CELL_W, 0, column * CELL_W, PAGE_H)
        for row in range(1, ROWS):
            pdf.line(0, row * CELL_H, PAGE_W, row * CELL_H)
    for column in range(1, COLUMNS):
        pdf.line(column * CELL_W, 0, column * CELL_W, CUT_MARK)
        pdf.line(column * CELL_W, PAGE_H - CUT_MARK, column * CELL_W, PAGE_H)
    for row in range(1, ROWS):
        pdf.line(0, row * CELL_H, CUT_MARK, row * CELL_H)
        pdf.line(PAGE_W - CUT_MARK, row * CELL_H, PAGE_W, row * CELL_H)


def _ticket(sheet: TextSetter, face: TicketFace, address: str, left: float, top: float) -> None:
    """One ticket: the QR code at the bottom left with its quiet zone (4 modules, ISO/IEC
    18004) kept clear of text on every side; the title and the subjects above it, shortened
    to the room there is ("…等3人"), whatever their length; how to enter at its right."""
    pdf = sheet.pdf
    inner = CELL_W - 2 * MARGIN
    x, y = left + MARGIN, top + MARGIN
    matrix = qr_matrix(face.url)
    quiet = QUIET_MODULES * QR_SIZE / len(matrix)
    qr_top = top + CELL_H - MARGIN - QR_SIZE
    pdf.set_text_color(0)
    pdf.set_xy(x, y)
    room = qr_top - quiet - y  # millimetres of text above the code
    pdf.set_font("sans", size=9.5)
    title_lines = min(2, int(room // TITLE_LINE))
    sheet.write(inner, TITLE_LINE, fitted(sheet, inner, (face.campaign,), title_lines,
                                           TITLE_LINE), title=True)
    pdf.set_font("sans", size=8.5)
    lines = int((qr_top - quiet - pdf.get_y()) // SUBJECTS_LINE)
    sheet.write(inner, SUBJECTS_LINE, fitted(
        sheet, inner, tuple(f"{GROUP_LABEL}{face.group}    {SUBJECTS_LABEL}{name}" if i == 0
                            else name for i, name in enumerate(face.subjects)),
        lines, SUBJECTS_LINE))
    draw_qr(pdf, matrix, x, qr_top, QR_SIZE)
    right = x + QR_SIZE + quiet
    width = left + CELL_W - MARGIN - right
    pdf.set_y(qr_top)
    for family, size, height, gray, words in (
        ("sans", 10, 4.8, 0, INSTRUCTION),
        ("sans", 7.5, 3.6, 70, TYPING_HINT.format(address=address)),
    ):
        pdf.set_font(family, size=size)
        pdf.set_text_color(gray)
        pdf.set_x(right)
        sheet.write(width, height, words)
        pdf.set_y(pdf.get_y() + 1.5)
    pdf.set_font("mono", size=10.5)
    pdf.set_text_color(0)
    pdf.set_x(right)
    for line in code_lines(face.token):  # short enough never to wrap
        sheet.line(width, 5, line)
    if face.spare:
        pdf.set_font("sans", size=8)
        pdf.set_xy(left + CELL_W - MARGIN - 14, top + CELL_H - MARGIN - 5)
        pdf.cell(14, 5, SPARE, border=1, align="C")


def fitted(sheet: TextSetter, width: float, names: Sequence[str], lines: int,
            height: float) -> str:
    """`names` joined by 、 as they fit in `lines` lines of `width` in the current font: all of
    them; or the first few and "等N人" (and N more); or the first one cut with "…". Nothing
    when not even one line fits."""
    def fits(text: str) -> bool:
        return len(sheet.lines(width, height, text)) <= lines

    if lines < 1:
        return ""
    total = len(names)
    candidates = [SUBJECT_SEPARATOR.join(names)] + [
        SUBJECT_SEPARATOR.join(names[:shown]) + MORE.format(count=total)
        for shown in range(total - 1, 0, -1)]
    found = next((text for text in candidates if fits(text)), None)
    if found is not None:
        return found
    suffix = "…" + (MORE.format(count=total) if total > 1 else "")
    first = names[0]
    low, high = 0, len(first)  # the longest start of the first name that fits with the suffix
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(first[:middle] + suffix) else (low, middle - 1)
    return first[:low] + suffix


def code_lines(token: str) -> list[str]:
    """The code in groups of four, at most four groups a line so it never wraps mid-group."""
    groups = grouped(token).split("-")
    return ["-".join(groups[i : i + 4]) for i in range(0, len(groups), 4)]


def qr_matrix(url: str) -> list[list[bool]]:
    """`url`'s QR code at error level M, its dark modules True. zxing-cpp's encoder (C++)
    still chooses the best of the eight masks, in a tenth of qrcode's time."""
    code = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return (np.asarray(code.to_image(scale=1, add_quiet_zones=False)) == 0).tolist()


def draw_qr(pdf: FPDF, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """The dark modules as one filled path, a rectangle per run of them in a row (fpdf2 has
    no public call for a path of many rectangles; its rect() writes one such operator and a
    fill each time, which for a thousand codes took seconds)."""
    module = size / len(matrix) * pdf.k  # points, PDF's unit
    left, top = x * pdf.k, (pdf.h - y) * pdf.k  # PDF's y axis points up
    runs = []
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            runs.append(f"{left + start * module:.2f} {top - (row + 1) * module:.2f} "
                        f"{(column - start) * module:.2f} {module:.2f} re")
    pdf.set_fill_color(0)
    pdf._out("\n".join([*runs, "f"]))


def ticket_svg(face: TicketFace) -> bytes:
    """The QR code with the code under it, as SVG (ASCII text only: no font needed)."""
    matrix = qr_matrix(face.url)
    quiet, module = 4, 10
    side = (len(matrix) + 2 * quiet) * module
    height = side + 40
    paths = []
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                paths.append(f"M{(column + quiet) * module} {(row + quiet) * module}h{module}"
                             f"v{module}h-{module}z")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {height}" '
        f'width="{side}" height="{height}"><rect width="100%" height="100%" fill="#fff"/>'
        f'<path d="{"".join(paths)}" fill="#000"/>'
        f'<text x="{side / 2}" y="{side + 22}" text-anchor="middle" '
        f'font-family="monospace" font-size="16">{grouped(face.token)}</text></svg>'
    )
    return svg.encode()


@cache
def _png_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size=size, index=MONO_SC)


def ticket_png(face: TicketFace) -> bytes:
    """The QR code with the rater group, subjects and code under it, as PNG."""
    matrix = qr_matrix(face.url)
    quiet, module = 4, 8
    side = (len(matrix) + 2 * quiet) * module
    image = Image.new("L", (side, side + 70), 255)
    draw = ImageDraw.Draw(image)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                x0, y0 = (column + quiet) * module, (row + quiet) * module
                draw.rectangle([x0, y0, x0 + module - 1, y0 + module - 1], fill=0)
    draw.text((side / 2, side + 8), face.group + " · " + SUBJECT_SEPARATOR.join(face.subjects),
              fill=0,
              font=_png_font(16), anchor="mt")
    draw.text((side / 2, side + 36), grouped(face.token), fill=0, font=_png_font(18),
              anchor="mt")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
