"""Reading printed ticket sheets back: their text and the ticket codes on them."""

from __future__ import annotations

import re

import numpy as np
import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, ImageFilter

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


def page_image(body: bytes, index: int, dpi: int, grayscale: bool = True) -> Image.Image:
    """Page `index` of a PDF rendered at `dpi`."""
    document = pdfium.PdfDocument(body)
    try:
        return document[index].render(scale=dpi / 72, grayscale=grayscale).to_pil()
    finally:
        document.close()


def page_sizes(body: bytes) -> list[tuple[int, int]]:
    """Each page's width and height, in whole millimetres."""
    document = pdfium.PdfDocument(body)
    try:
        return [(round(page.get_width() / 72 * 25.4), round(page.get_height() / 72 * 25.4))
                for page in document]
    finally:
        document.close()


def decoded(body: bytes, dpi: int, blur: float, index: int = 0) -> list[str]:
    """What a phone reads from page `index` at `dpi`, softened by a Gaussian blur of `blur`
    pixels as a camera's lens and focus soften it."""
    image = page_image(body, index, dpi)
    return [code.text for code in zxingcpp.read_barcodes(image.filter(
        ImageFilter.GaussianBlur(blur)))]


def _char_boxes(textpage: pdfium.PdfTextPage) -> list[tuple[str, tuple[float, ...]]]:
    boxes = []
    for index in range(textpage.count_chars()):
        char = textpage.get_text_range(index, 1)
        if char and not char.isspace():
            boxes.append((char, textpage.get_charbox(index)))
    return boxes


def text_in_quiet_zones(body: bytes, index: int = 0) -> tuple[int, list[str]]:
    """The QR codes found on page `index` (a clean 300 dpi render), and every character drawn
    in one of them or its quiet zone of 4 modules (ISO/IEC 18004), the codes' size known from
    their version."""
    document = pdfium.PdfDocument(body)
    try:
        page = document[index]
        scale = 300 / 72
        height = page.get_height()
        zones = []
        for code in zxingcpp.read_barcodes(page.render(scale=scale).to_pil()):
            corners = [code.position.top_left, code.position.top_right,
                       code.position.bottom_right, code.position.bottom_left]
            xs = [corner.x / scale for corner in corners]
            ys = [height - corner.y / scale for corner in corners]  # PDF points grow upwards
            modules = 17 + 4 * int(code.extra["Version"])
            quiet = 4 * (max(xs) - min(xs)) / modules
            zones.append((min(xs) - quiet, min(ys) - quiet, max(xs) + quiet, max(ys) + quiet))
        inside = [char for char, (left, bottom, right, top) in _char_boxes(page.get_textpage())
                  if any(left < z_right and right > z_left and bottom < z_top and top > z_bottom
                         for z_left, z_bottom, z_right, z_top in zones)]
        return len(zones), inside
    finally:
        document.close()


def overlapping_characters(body: bytes, index: int) -> list[tuple[str, str]]:
    """Pairs of characters of page `index` whose glyph boxes overlap by more than a tenth of
    a point both ways: text printed over text."""
    document = pdfium.PdfDocument(body)
    try:
        boxes = _char_boxes(document[index].get_textpage())
    finally:
        document.close()
    if not boxes:
        return []
    edges = np.array([box for _char, box in boxes])  # left, bottom, right, top
    left, bottom, right, top = (edges[:, i] for i in range(4))
    wide = np.minimum(right[:, None], right[None, :]) - np.maximum(left[:, None], left[None, :])
    high = np.minimum(top[:, None], top[None, :]) - np.maximum(bottom[:, None], bottom[None, :])
    first, second = np.nonzero(np.triu((wide > 0.1) & (high > 0.1), k=1))
    return [(boxes[i][0], boxes[j][0]) for i, j in zip(first, second, strict=True)]
