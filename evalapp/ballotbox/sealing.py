"""What goes into a sealed box, and sealing it.

A ticket's ballots are packed into one plaintext of a length fixed by the number of subjects
alone (every field at its maximum, zero-padded), then encrypted with libsodium's sealed box
(X25519 + XSalsa20-Poly1305 with an ephemeral sender key, through PyNaCl). Fixed lengths
matter: a ciphertext as long as its opinion would let whoever kept a copy taken during the
campaign match it, after the opening, to the one published opinion of that length.

Layout (big-endian): version u8, rater group id u32, ballot count u8; per ballot: subject id
u32, satisfaction u8 (0 blank, 1.. in `Satisfaction` order), levels length u8 and the levels'
codes (`evalapp.ballots.models.encode_levels`), receipt length u8 and the receipt (ASCII),
opinion length u16 and the opinion (UTF-16-LE); then zero bytes up to the fixed length.

UTF-16 because the opinion's limit counts UTF-16 code units, as the browser's `maxlength` and
the page's counter do (`forms.ballot.utf16_length`): two bytes each, so the fixed length is
twice the limit, half what UTF-8's four bytes a character would need.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.public import PrivateKey, PublicKey, SealedBox

from evalapp.ballots.models import COMMENT_MAX_LENGTH, MAX_ITEMS
from evalapp.campaigns.models import Satisfaction

VERSION = 1
RECEIPT_MAX = 32
_HEADER = struct.Struct(">BIB")
_SUBJECT = struct.Struct(">IB")
_SATISFACTIONS = list(Satisfaction)
# A slot holds one ballot at its largest: an opinion of COMMENT_MAX_LENGTH UTF-16 code units,
# every item answered.
SLOT_BYTES = _SUBJECT.size + 1 + MAX_ITEMS + 1 + RECEIPT_MAX + 2 + 2 * COMMENT_MAX_LENGTH


class BoxDamaged(ValueError):
    """A box that decrypts but does not hold a ballot in this layout (never expected)."""


@dataclass(frozen=True)
class SealedContent:
    """One ballot as it goes into and comes out of the box."""

    subject_id: int
    levels: str  # the codes of `encode_levels`, one per item in questionnaire order
    satisfaction: Satisfaction | None
    comment: str | None
    receipt_code: str


def padded_length(ballots: int) -> int:
    return _HEADER.size + ballots * SLOT_BYTES


def pack(rater_group_id: int, ballots: Sequence[SealedContent]) -> bytes:
    """The fixed-length plaintext; ValueError when a field is beyond its limit."""
    parts = [_HEADER.pack(VERSION, rater_group_id, len(ballots))]
    for ballot in ballots:
        levels = ballot.levels.encode("ascii")
        receipt = ballot.receipt_code.encode("ascii")
        comment = (ballot.comment or "").encode("utf-16-le")
        if not (1 <= len(levels) <= MAX_ITEMS and len(receipt) <= RECEIPT_MAX
                and len(comment) <= 2 * COMMENT_MAX_LENGTH):
            raise ValueError("a ballot field is beyond its limit")
        satisfaction = 0 if ballot.satisfaction is None else (
            _SATISFACTIONS.index(ballot.satisfaction) + 1)
        parts += [
            _SUBJECT.pack(ballot.subject_id, satisfaction),
            bytes([len(levels)]), levels,
            bytes([len(receipt)]), receipt,
            len(comment).to_bytes(2, "big"), comment,
        ]
    plain = b"".join(parts)
    return plain + bytes(padded_length(len(ballots)) - len(plain))


def unpack(plain: bytes) -> tuple[int, list[SealedContent]]:
    """(rater group id, ballots) from a plaintext made by `pack`."""
    try:
        version, group_id, count = _HEADER.unpack_from(plain, 0)
        if version != VERSION or len(plain) != padded_length(count):
            raise BoxDamaged("unknown layout")
        offset = _HEADER.size
        ballots = []
        for _ in range(count):
            subject_id, satisfaction = _SUBJECT.unpack_from(plain, offset)
            offset += _SUBJECT.size
            levels, offset = _field(plain, offset, 1)
            receipt, offset = _field(plain, offset, 1)
            comment, offset = _field(plain, offset, 2)
            ballots.append(SealedContent(
                subject_id=subject_id,
                levels=levels.decode("ascii"),
                satisfaction=_SATISFACTIONS[satisfaction - 1] if satisfaction else None,
                comment=comment.decode("utf-16-le") or None,
                receipt_code=receipt.decode("ascii"),
            ))
    except (struct.error, IndexError, UnicodeDecodeError) as error:
        raise BoxDamaged(str(error)) from error
    return group_id, ballots


def _field(plain: bytes, offset: int, width: int) -> tuple[bytes, int]:
    length = int.from_bytes(plain[offset:offset + width], "big")
    start = offset + width
    if start + length > len(plain):
        raise BoxDamaged("field beyond the plaintext")
    return plain[start:start + length], start + length


def seal(public_key: bytes, rater_group_id: int, ballots: Sequence[SealedContent]) -> bytes:
    return SealedBox(PublicKey(public_key)).encrypt(pack(rater_group_id, ballots))


def unseal(private_key: PrivateKey, box: bytes) -> tuple[int, list[SealedContent]]:
    """Raises nacl.exceptions.CryptoError when the box was not sealed to this key."""
    return unpack(SealedBox(private_key).decrypt(box))
