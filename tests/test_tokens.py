"""Ticket codes: 128 random bits, typed back forgivingly, stored as a hash."""

from __future__ import annotations

import re

from evalapp.tickets.tokens import (
    TOKEN_LENGTH,
    grouped,
    hash_token,
    new_receipt_code,
    new_token,
    normalize,
)


def test_tokens_are_long_random_and_canonical():
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in list(tokens)[:50]:
        assert len(token) == TOKEN_LENGTH == 26
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", token)
        assert normalize(token) == token
    # the first character carries the top 3 bits: every value 0..7 shows up
    assert {token[0] for token in tokens} == set("01234567")


def test_typing_slips_are_forgiven():
    token = new_token()
    typed = grouped(token).lower().replace("0", "o").replace("1", "l")
    assert normalize(f"  {typed} ") == token
    assert normalize(" ".join(token[i:i + 4] for i in range(0, 26, 4))) == token


def test_what_cannot_be_a_token_is_refused():
    token = new_token()
    assert normalize(token[:-1]) is None
    assert normalize(token + "7") is None
    assert normalize("U" + token[1:]) is None  # U is not in the alphabet
    assert normalize("Z" + token[1:]) is None  # too large for 128 bits
    assert normalize("") is None


def test_hash_is_sha256_hex_and_differs_from_the_code():
    token = new_token()
    digest = hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert token not in digest


def test_receipt_codes_are_random():
    codes = {new_receipt_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(code) == 10 for code in codes)
