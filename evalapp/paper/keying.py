"""A clerk's keying of a paper ballot: hidden from the database, and compared with another.

A keying is packed exactly as a sealed ballot is (`evalapp.ballotbox.sealing.pack`: a length
fixed by the number of subjects alone, so a stored keying's size says nothing of its opinion)
and encrypted with libsodium's secret box (XSalsa20-Poly1305, through PyNaCl) under a key
derived from the ticket's code, which the paper carries and the database never holds (it holds
the code's SHA-256), and from the nodes' key-encryption key (`keying_key`). The key is stored
nowhere: any node reads a keying made on another, and once the box is open no copy of the
database, taken while it was open, reads its keyings without both the papers' codes and the
key-encryption key. The receipt is left empty: a paper ballot gets its random receipt when it
is sealed, like a phone's, so the opened ballots do not show which came on paper.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.secret import SecretBox

from evalapp.ballotbox.sealing import SealedContent, pack, unpack
from evalapp.ballots.models import BLANK
from evalapp.campaigns.models import Satisfaction


def keying_key(code: str, key_encryption_key: bytes) -> bytes:
    """The key of a paper ballot's keyings: BLAKE2b keyed with the key-encryption key (32
    bytes) over the ticket's canonical code (evalapp.tickets.tokens.normalize)."""
    return blake2b(code.encode("ascii"), digest_size=SecretBox.KEY_SIZE, key=key_encryption_key,
                   person=b"evalapp-keying", encoder=RawEncoder)


def hide(key: bytes, rater_group_id: int, contents: Sequence[SealedContent]) -> bytes:
    return SecretBox(key).encrypt(pack(rater_group_id, [
        replace(content, receipt_code="") for content in contents]))


def reveal(key: bytes, box: bytes) -> list[SealedContent]:
    """Raises nacl.exceptions.CryptoError when `box` was not hidden with `key`."""
    return unpack(SecretBox(key).decrypt(box))[1]


@dataclass(frozen=True)
class Field:
    """One mark on a paper ballot: an item (`index` in questionnaire order, common items
    first), the satisfaction question (`index` None, `comment` False) or the opinion."""

    subject_id: int
    index: int | None
    comment: bool = False


# An item's code (`evalapp.ballots.models.encode_levels`: read with the item's scale), a
# satisfaction, an opinion, or blank.
Value = Satisfaction | str | None


def value_of(content: SealedContent, field: Field) -> Value:
    if field.comment:
        return content.comment
    if field.index is None:
        return content.satisfaction
    code = content.levels[field.index]
    return None if code == BLANK else code


def same_opinion(first: str | None, second: str | None) -> bool:
    """Two clerks typing one handwritten opinion agree when the text agrees: full-width and
    half-width forms, and runs of spaces and line breaks, are not differences."""
    def plain(text: str | None) -> str:
        return " ".join(unicodedata.normalize("NFKC", text or "").split())

    return plain(first) == plain(second)


def differences(keyings: Sequence[Sequence[SealedContent]]) -> list[Field]:
    """The fields on which the keyings of one ballot do not all agree, in ballot order."""
    first = keyings[0]
    fields = []
    for position, content in enumerate(first):
        subject = content.subject_id
        candidates = [Field(subject, index) for index in range(len(content.levels))]
        candidates += [Field(subject, None), Field(subject, None, comment=True)]
        for field in candidates:
            values = [value_of(keying[position], field) for keying in keyings]
            if field.comment:
                differ = any(not same_opinion(values[0], value) for value in values[1:])
            else:
                differ = any(value != values[0] for value in values[1:])
            if differ:
                fields.append(field)
    return fields


def decided(
    keying: Sequence[SealedContent], decisions: dict[Field, Value]
) -> list[SealedContent]:
    """The ballot as keyed, with the decided fields set to what the third person chose."""
    ballots = []
    for content in keying:
        levels = list(content.levels)
        satisfaction, comment = content.satisfaction, content.comment
        for field, value in decisions.items():
            if field.subject_id != content.subject_id:
                continue
            if field.comment:
                comment = value if isinstance(value, str) and value.strip() else None
            elif field.index is None:
                satisfaction = value if isinstance(value, Satisfaction) else None
            else:
                levels[field.index] = value if isinstance(value, str) else BLANK
        ballots.append(replace(content, levels="".join(levels), satisfaction=satisfaction,
                               comment=comment))
    return ballots
