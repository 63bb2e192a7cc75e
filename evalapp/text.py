"""Text as people type and paste it: one set of rules for every identifier and keyword.

A phone's input method in full-width mode (全角) types ＡＢＣ１２３ and －; Chinese input methods
give — (U+2014) for a dash; Word and web pages bring no-break, ideographic (U+3000) and
zero-width spaces; Excel headers are padded with U+3000 to line up two-character words
(姓　名). NFKC (Unicode's compatibility normalisation, UAX #15) turns full-width forms into
their ASCII letters, digits and punctuation; every dash (Unicode's Pd category and the minus
sign) counts as "-"; and for keywords every kind of space is ignored.

Line breaks come in many spellings: browsers send a textarea's as CR LF (HTML's form
submission rules), old Mac files a lone CR, Word a vertical tab (its manual line break,
Shift+Enter) or a form feed (a page break), and web pages and PDFs U+2028, U+2029 or NEL
(U+0085); other programs leave NUL, backspace or escape characters. Every text a person sends
is `plain_text` (applied to every form value by `evalapp.app.Request`, and to every imported
cell): each line break one LF, the other control characters dropped, so that what is stored can
be counted, shown, printed and written to Excel. Text stored before that is split into
paragraphs by the same rule when shown (`paragraphs`).
"""

from __future__ import annotations

import re
import unicodedata

# Every dash punctuation character of Unicode (category Pd: ‐ ‑ ‒ – — ― ⸺ 〜 ﹣ － …), the minus
# sign and the hyphen bullet. Built from the Unicode database rather than listed by hand.
DASHES = frozenset(
    {chr(code) for code in range(0x10000) if unicodedata.category(chr(code)) == "Pd"}
    | {"\u2212", "\u2043"}
)
_TO_HYPHEN = str.maketrans(dict.fromkeys(DASHES, "-"))
# Invisible characters pasted from web pages and Word: zero-width spaces and joiners, the byte
# order mark, the word joiner and the soft hyphen.
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Every line break str.splitlines() knows, CR LF first so that it counts once.
LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# The other C0 control characters (tab and LF kept), DEL and the C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def folded(text: str) -> str:
    """What a person typed, in one spelling: NFKC, every dash as "-", invisible characters
    removed, outer spaces stripped. For identifiers that are stored (staff numbers): ＮＢ－０１
    is NB-01."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(
        _TO_HYPHEN).strip()


def compact(text: str) -> str:
    """An identifier as stored and compared (staff numbers): `folded`, with every kind of space
    removed: "０３０１", "03 01" and "0301" are 0301."""
    return "".join(folded(text).split())


def squeezed(text: str) -> str:
    """A keyword for comparing, not for storing: `compact`, in lower case ("姓　名",
    "Staff  No" and "staff no" are 姓名, staffno and staffno)."""
    return compact(text).casefold()



def line_breaks(text: str) -> str:
    """`text` with every kind of line break (CR LF, CR, VT, FF, NEL, U+2028, U+2029, …) as one
    LF, and nothing else changed: what a textarea's counter and `maxlength` count, and what
    splitting into lines and paragraphs expects."""
    return LINE_BREAKS.sub("\n", text)


def plain_text(text: str) -> str:
    """Text as typed or pasted, fit to store: every line break as LF (`line_breaks`), other
    control characters (tab aside) removed. "甲\x0b乙\r\n丙\x00" is "甲\n乙\n丙"."""
    return _CONTROLS.sub("", line_breaks(text))


def paragraphs(text: str) -> list[str]:
    """A report's paragraphs as people write them: each line is one (a report pasted from
    Word has one line break between paragraphs, one typed in a textarea often a blank line),
    blank lines and trailing spaces are dropped, and a first-line indent of full-width spaces
    (首行缩进) is kept. Any kind of line break counts (`line_breaks`), for text stored before
    breaks were unified on input."""
    return [line.rstrip() for line in line_breaks(text).split("\n") if line.strip()]
