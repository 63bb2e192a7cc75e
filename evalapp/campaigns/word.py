"""A Word report (.docx) as a page: raters on phones read it where they rate, because a .docx
reaches a phone as a download that in-app browsers (WeChat's among them) often cannot open.

Converted once, at upload, with mammoth (headings, paragraphs, lists, tables, bold and
italics; Word's look is not kept, and need not be), then cleaned with nh3 (the Ammonia
sanitiser) to the few tags a report needs: mammoth passes on what the document says, and a
document is the uploader's to write, so no link, image, attribute or script survives. The
original file is kept for organisers to download.
"""

from __future__ import annotations

import io
import zipfile

import mammoth
import nh3

# The tags a report's text needs; everything else is dropped, its text kept.
TAGS = frozenset({"p", "br", "h4", "h5", "h6", "strong", "em", "u", "s",
                  "sub", "sup", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
                  "blockquote"})
ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Word's headings below the ballot page's own (h1 the campaign, h2 the subject, h3 its parts):
# by style name (as Word stores it in every language: "heading 1") and by style id.
STYLE_MAP = "\n".join(
    f"p[style-name='heading {level}'] => h{min(level + 3, 6)}:fresh\n"
    f"p.Heading{level} => h{min(level + 3, 6)}:fresh" for level in range(1, 7))
# A 10 MB upload that expands past this much text is a compression bomb, not a report (a
# 100-page report's document.xml is about 2 MB).
EXPANDED_LIMIT = 40 * 1024 * 1024


class WordUnreadable(ValueError):
    """The file is a zip holding word/document.xml, but not a document mammoth can read, or one
    that expands beyond EXPANDED_LIMIT."""


def word_html(content: bytes) -> str:
    """The report's text as clean HTML (tags from TAGS only); raises WordUnreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile as error:
        raise WordUnreadable(str(error)) from error
    if expanded > EXPANDED_LIMIT:
        raise WordUnreadable(f"expands to {expanded} bytes")
    try:
        # Images are left out (never read, so never inlined as data: addresses).
        result = mammoth.convert_to_html(
            io.BytesIO(content), style_map=STYLE_MAP,
            convert_image=mammoth.images.img_element(lambda image: {}))
    except Exception as error:  # a broken document fails in any of mammoth's parsers
        raise WordUnreadable(repr(error)) from error
    return nh3.clean(result.value, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(),
                     strip_comments=True, link_rel=None)
