"""Who holds the key that opens a campaign's ballot box.

Either the server, in a file of the instance folder (mode 0600) that the database never sees
and that is deleted once the box is open; or n scrutineers (监票人), k of whom must enter their
shares at close. Shares are made with Shamir's secret sharing (PyCryptodome's
`Crypto.Protocol.SecretSharing.Shamir`, over GF(2^128)): a random 16-byte secret is shared, and
the campaign's X25519 key pair is derived from it with BLAKE2b (PyNaCl), so combining k shares
gives back the very key the ballots were sealed to; nothing of the secret is kept anywhere.

A share is typed by a person, so it carries a check: 3 bytes of SHA-256 over the campaign's
public key, the share's number and its value. A mistyped share, or one of another campaign,
is refused by name instead of yielding a wrong key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from Crypto.Protocol.SecretSharing import Shamir
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey

from evalapp.paths import private_folder

SECRET_BYTES = 16
_CHECK_BYTES = 3
_SHARE_CHARACTERS = 32  # base32 of number (1 byte) + share (16) + check (3)
# Characters people confuse with base32's letters are read as the letter they look like.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def key_folder(instance_path: str) -> Path:
    return Path(instance_path) / "ballot-box"


def key_file(instance_path: str, public_key: bytes) -> Path:
    return key_folder(instance_path) / f"{public_key.hex()}.key"


def new_server_key(instance_path: str) -> bytes:
    """A fresh key pair whose private half is written to the instance folder, readable by its
    owner only; the public key is returned for the database."""
    private = PrivateKey.generate()
    public = bytes(private.public_key)
    path = key_file(instance_path, public)
    private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(bytes(private))
        handle.flush()
        os.fsync(handle.fileno())
    return public


def keying_key_file(instance_path: str, public_key: bytes) -> Path:
    return key_folder(instance_path) / f"{public_key.hex()}.keying"


def keying_key(instance_path: str, public_key: bytes) -> bytes:
    """The symmetric key that hides paper ballots' provisional keyings (evalapp.paper) while
    the box whose public key is given is open: made on first use, readable by its owner only,
    destroyed with the box's key when the box is opened. Two processes making it at once
    agree: each writes a whole key under a name of its own and links it into place, which
    only the first link does; a reader never sees a half-written file."""
    path = keying_key_file(instance_path, public_key)
    if not path.exists():
        private_folder(path.parent)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(partial, path)
        finally:
            partial.unlink()
    return path.read_bytes()


def server_key(instance_path: str, public_key: bytes) -> PrivateKey | None:
    path = key_file(instance_path, public_key)
    if not path.exists():
        return None
    private = PrivateKey(path.read_bytes())
    return private if bytes(private.public_key) == public_key else None


def destroy_server_key(instance_path: str, public_key: bytes) -> None:
    """Overwrite, then delete. (On journalling or copy-on-write file systems the overwrite is
    no guarantee; the deletion is what docs/anonymity.md promises.)"""
    _destroy(key_file(instance_path, public_key))


def destroy_keying_key(instance_path: str, public_key: bytes) -> None:
    _destroy(keying_key_file(instance_path, public_key))


def _destroy(path: Path) -> None:
    if path.exists():
        with path.open("r+b") as handle:
            handle.write(secrets.token_bytes(32))
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()


def _derive(secret: bytes) -> PrivateKey:
    seed = blake2b(secret, digest_size=32, person=b"evalapp-box-key", encoder=RawEncoder)
    return PrivateKey.from_seed(seed)


@dataclass(frozen=True)
class Share:
    number: int  # 1..n
    text: str  # as printed: 8 groups of 4 characters


def split_key(threshold: int, shares: int) -> tuple[bytes, list[Share]]:
    """(public key, n shares of which any `threshold` rebuild the private key)."""
    if not 2 <= threshold <= shares <= 255:
        raise ValueError("need 2 <= threshold <= shares <= 255")
    secret = secrets.token_bytes(SECRET_BYTES)
    public = bytes(_derive(secret).public_key)
    return public, [
        Share(number, _format(public, number, value))
        for number, value in Shamir.split(threshold, shares, secret)
    ]


def _check(public_key: bytes, number: int, value: bytes) -> bytes:
    return hashlib.sha256(public_key + bytes([number]) + value).digest()[:_CHECK_BYTES]


def _format(public_key: bytes, number: int, value: bytes) -> str:
    raw = bytes([number]) + value + _check(public_key, number, value)
    text = base64.b32encode(raw).decode("ascii")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


class ShareRefused(ValueError):
    """Why the shares entered cannot open the box; `position` is the 1-based field at fault
    (None when the set as a whole is at fault)."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


def parse_share(public_key: bytes, typed: str, position: int) -> tuple[int, bytes]:
    """(number, value) of a typed share; ShareRefused("wrong") when it is not one of this
    campaign's shares as printed. Spaces, dashes, case, full-width forms and the look-alikes
    0/1/8 are forgiven."""
    text = re.sub(r"[^A-Z2-7]", "", unicodedata.normalize("NFKC", typed).upper()
                  .translate(_LOOKALIKES))
    if len(text) != _SHARE_CHARACTERS:
        raise ShareRefused("wrong", position)
    raw = base64.b32decode(text)
    number, value, check = raw[0], raw[1:1 + SECRET_BYTES], raw[1 + SECRET_BYTES:]
    if number == 0 or not secrets.compare_digest(check, _check(public_key, number, value)):
        raise ShareRefused("wrong", position)
    return number, value


def combine_shares(public_key: bytes, threshold: int, typed: Sequence[str]) -> PrivateKey:
    """The private key from at least `threshold` typed shares (blank fields are skipped)."""
    entered = [(position, text) for position, text in enumerate(typed, 1) if text.strip()]
    parsed: dict[int, bytes] = {}
    for position, text in entered:
        number, value = parse_share(public_key, text, position)
        if number in parsed:
            raise ShareRefused("duplicate", position)
        parsed[number] = value
    if len(parsed) < threshold:
        raise ShareRefused("too_few")
    secret = Shamir.combine(list(parsed.items())[:threshold])
    private = _derive(secret)
    if bytes(private.public_key) != public_key:  # checks passed, so never expected
        raise ShareRefused("mismatch")
    return private
