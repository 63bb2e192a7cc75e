"""The chart foundation: Chinese text survives into every format, and a chart is reproducible."""

from __future__ import annotations

import pypdfium2
import pytest

from evalapp.charts import figure, render


def bar_chart():
    with figure(12, 8) as fig:
        axes = fig.subplots()
        axes.set_title("满意率")
        axes.bar(["机关党员", "基层非党员"], [0.9, 0.8])
    return fig


def test_chinese_text_is_real_text_in_the_pdf():
    document = pypdfium2.PdfDocument(render(bar_chart(), "pdf"))
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert "满意率" in text and "基层非党员" in text


def test_the_pdf_embeds_the_simplified_chinese_face():
    assert b"NotoSansCJKsc" in render(bar_chart(), "pdf")


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_each_format_is_reproducible(fmt, magic):
    first, second = render(bar_chart(), fmt), render(bar_chart(), fmt)
    assert first.startswith(magic)
    assert first == second


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="gif"):
        render(bar_chart(), "gif")
