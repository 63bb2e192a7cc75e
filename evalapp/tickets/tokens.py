"""Ticket codes: 128 random bits, written in Crockford's base32 so that a code typed from paper
survives the usual slips (O for 0, I or L for 1, lower case, spaces and dashes)."""

from __future__ import annotations

import hashlib
import secrets

from evalapp.text import folded

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_BITS = 128
TOKEN_LENGTH = -(-TOKEN_BITS // 5)  # 26 characters
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_VALUES = {char: value for value, char in enumerate(ALPHABET)}


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def new_token() -> str:
    return _encode(secrets.randbits(TOKEN_BITS), TOKEN_LENGTH)


def canonical(typed: str) -> str:
    """What a person typed, as the code it must mean: full-width forms as ASCII (NFKC), no
    spaces or dashes of any kind (a Chinese input method's —, a full-width －), upper case, and
    the letters that look like digits read as those digits."""
    return "".join(folded(typed).split()).replace("-", "").upper().translate(_CONFUSABLE)


def normalize(typed: str) -> str | None:
    """The canonical token for what a person typed, or None when it cannot be one."""
    text = canonical(typed)
    if len(text) != TOKEN_LENGTH or any(char not in _VALUES for char in text):
        return None
    if _VALUES[text[0]] >= 2 ** (TOKEN_BITS - 5 * (TOKEN_LENGTH - 1)):
        return None  # a first digit too large for 128 bits: a typo, not a ticket
    return text


def hash_token(token: str) -> str:
    """SHA-256 of the canonical token. A fast hash suffices: with 128 random bits there is
    nothing to guess, so a slow password hash would only slow down a room full of submits."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def grouped(token: str, size: int = 4) -> str:
    """The code as printed for typing: groups of four, e.g. 3F7K-…"""
    return "-".join(token[i : i + size] for i in range(0, len(token), size))


def new_receipt_code(length: int = 10) -> str:
    """A receipt: random, not derived from the ticket, short enough to read back."""
    return _encode(secrets.randbits(5 * length), length)
