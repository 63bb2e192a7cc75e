"""Who holds the key that opens a campaign's ballot box.

Either the server, in the database wrapped under a key-encryption key that the database never
sees (evalapp.ballotbox.keystore), deleted by the transaction that opens the box; or n
scrutineers (监票人), k of whom must give their shares at close. Shares are made with
Shamir's secret sharing (PyCryptodome's `Crypto.Protocol.SecretSharing.Shamir`, over
GF(2^128)): a random 16-byte secret is shared, and the campaign's X25519 key pair is derived
from it with BLAKE2b (PyNaCl), so combining k shares gives back the very key the ballots were
sealed to; nothing of the secret is kept anywhere.
How each share reaches its scrutineer, sealed to their own custody key, is
`evalapp.ballotbox.scrutineers`.

Campaigns opened before that printed every share on slips the organiser saw; they still
close with the shares typed off the slips. A printed share ends with a typing check, which
anyone knowing the public key can compute: it catches typos, and never decides. What decides
is the key: `fit_shares` tries sets of k shares until one rebuilds the box's public key, so a
forged share cannot block k good ones, and is named.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from Crypto.Protocol.SecretSharing import Shamir
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey

SECRET_BYTES = 16
_CHECK_BYTES = 3
_SHARE_CHARACTERS = 32  # base32 of number (1 byte) + share (16) + check (3), as printed
# Characters people confuse with base32's letters are read as the letter they look like.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def _derive(secret: bytes) -> PrivateKey:
    seed = blake2b(secret, digest_size=32, person=b"evalapp-box-key", encoder=RawEncoder)
    return PrivateKey.from_seed(seed)


@dataclass(frozen=True)
class KeyShare:
    number: int  # 1..n, the x of Shamir's polynomial
    value: bytes  # SECRET_BYTES, its y


def split_key(threshold: int, shares: int) -> tuple[bytes, list[KeyShare]]:
    """(public key, n shares of which any `threshold` rebuild the private key)."""
    if not 2 <= threshold <= shares <= 255:
        raise ValueError("need 2 <= threshold <= shares <= 255")
    secret = secrets.token_bytes(SECRET_BYTES)
    return bytes(_derive(secret).public_key), [
        KeyShare(number, value) for number, value in Shamir.split(threshold, shares, secret)]


def typing_check(public_key: bytes, share: KeyShare) -> bytes:
    """The check printed at the end of a share of the earlier printed slips. Anyone who
    knows the public key can compute it, so it only catches typos; what decides whether a
    share belongs to the box is `fit_shares`."""
    return hashlib.sha256(public_key + bytes([share.number]) + share.value).digest()[
        :_CHECK_BYTES]


class ShareRefused(ValueError):
    """Why the shares entered cannot open the box; `position` is the 1-based field at fault
    (None when the set as a whole is at fault): "wrong" (not a share as printed),
    "duplicate", "too_few", or "mismatch" (no `threshold` of them rebuild the key)."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


def parse_share(public_key: bytes, typed: str, position: int) -> KeyShare:
    """A typed share of a printed slip; ShareRefused("wrong") when it is not one of this
    campaign's shares as printed. Spaces, dashes, case, full-width forms and the look-alikes
    0/1/8 are forgiven."""
    text = re.sub(r"[^A-Z2-7]", "", unicodedata.normalize("NFKC", typed).upper()
                  .translate(_LOOKALIKES))
    if len(text) != _SHARE_CHARACTERS:
        raise ShareRefused("wrong", position)
    raw = base64.b32decode(text)
    share = KeyShare(raw[0], raw[1:1 + SECRET_BYTES])
    check = raw[1 + SECRET_BYTES:]
    if share.number == 0 or not secrets.compare_digest(check, typing_check(public_key, share)):
        raise ShareRefused("wrong", position)
    return share


@dataclass(frozen=True)
class Fitted:
    key: PrivateKey
    misfits: tuple[int, ...]  # the labels of the shares offered that are not of this key


def fit_shares(public_key: bytes, threshold: int,
               offered: Sequence[tuple[int, KeyShare]]) -> Fitted:
    """The private key from the shares offered, each with the label that names it to people
    (a field's position, a share's number), and the labels of those that do not fit.

    Only the key itself decides: every `threshold` of the offered shares are combined in
    turn until one set rebuilds the private key whose public half is the box's. A forged
    share, whatever check it passes, thus cannot stop k good ones from opening the box, and
    is named: a share fits when it and `threshold` - 1 shares of the set that opened give
    the key again. ShareRefused("too_few") when fewer than `threshold` distinct shares are
    offered, ("mismatch") when no set of them fits (at least one is wrong, and which one is
    known only with a share more)."""
    distinct = list({share: label for label, share in reversed(offered)}.items())[::-1]
    if len({share.number for share, _ in distinct}) < threshold:
        raise ShareRefused("too_few")
    for chosen in itertools.combinations([share for share, _ in distinct], threshold):
        if _opens(public_key, chosen):
            return Fitted(_derive(_combine(chosen)), tuple(
                label for label, share in offered if not _fits(public_key, share, chosen)))
    raise ShareRefused("mismatch")


def _combine(shares: Sequence[KeyShare]) -> bytes:
    return Shamir.combine([(share.number, share.value) for share in shares])


def _opens(public_key: bytes, shares: Sequence[KeyShare]) -> bool:
    if len({share.number for share in shares}) < len(shares):
        return False
    return bytes(_derive(_combine(shares)).public_key) == public_key


def _fits(public_key: bytes, share: KeyShare, opening: Sequence[KeyShare]) -> bool:
    """Whether `share` lies on the polynomial of `opening`, a set of shares that opens."""
    same_number = [known for known in opening if known.number == share.number]
    if same_number:
        return same_number[0] == share
    return _opens(public_key, [*opening[1:], share])


def combine_shares(public_key: bytes, threshold: int, typed: Sequence[str]) -> Fitted:
    """The private key from shares typed off the earlier printed slips (blank fields are
    skipped), with the positions of the fields that are not shares of it.

    A field whose typing check fails is a typo; it is named when the others cannot open the
    box, and left out when they can. ShareRefused otherwise, naming what is wrong."""
    entered = [(position, text) for position, text in enumerate(typed, 1) if text.strip()]
    parsed: list[tuple[int, KeyShare]] = []
    mistyped: list[int] = []
    for position, text in entered:
        try:
            parsed.append((position, parse_share(public_key, text, position)))
        except ShareRefused:
            mistyped.append(position)
    try:
        fitted = fit_shares(public_key, threshold, parsed)
    except ShareRefused as refused:
        if mistyped:
            raise ShareRefused("wrong", mistyped[0]) from None
        repeated = _first_repeat(parsed)
        if refused.reason == "too_few" and repeated:
            raise ShareRefused("duplicate", repeated) from None
        raise
    return Fitted(fitted.key, tuple(sorted((*mistyped, *fitted.misfits))))


def _first_repeat(parsed: Sequence[tuple[int, KeyShare]]) -> int | None:
    seen: set[KeyShare] = set()
    for position, share in parsed:
        if share in seen:
            return position
        seen.add(share)
    return None
