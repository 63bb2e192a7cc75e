"""The key-encryption key (EVALAPP_KEY_ENCRYPTION_KEY, 32 bytes): what every node needs and no
reader of the database may use is kept in the database wrapped under it, so that no state is
tied to one node's instance folder (an open box's key, a prepared draw's secret), and what is
derived from it (a paper keying's key) is the same on every node.

Wrapping is PyNaCl's Aead (libsodium's XChaCha20-Poly1305, a random 24-byte nonce per
wrapping) with what the secret is and whose as associated data ("evalapp <purpose>", a zero
byte, the owner: migration 0019 writes the same), so that a wrapped secret copied to another
row does not unwrap. Every node must have the same key: the
configuration refuses a malformed one at start (evalapp.config).
"""

from __future__ import annotations

from flask import current_app
from nacl.encoding import HexEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.secret import Aead

WRAPPING_BYTES = Aead.NONCE_SIZE + Aead.MACBYTES  # what wrapping adds to a secret: 40


class ForeignKey(ValueError):
    """A wrapped secret this node's key-encryption key does not unwrap (nodes configured with
    different keys, or a database restored beside another configuration)."""


def key_encryption_key() -> bytes:
    """This node's key-encryption key (32 bytes)."""
    return bytes.fromhex(current_app.config["KEY_ENCRYPTION_KEY"])


def _context(purpose: str, owner: bytes) -> bytes:
    return b"evalapp " + purpose.encode("ascii") + b"\x00" + owner


def wrap(secret: bytes, purpose: str, owner: bytes) -> bytes:
    """`secret` encrypted and authenticated under the key-encryption key, bound to what it is
    (`purpose`, e.g. "box key") and whose (`owner`, e.g. the box's public key); WRAPPING_BYTES
    longer than the secret."""
    return bytes(Aead(key_encryption_key()).encrypt(secret, _context(purpose, owner)))


def unwrap(wrapped: bytes, purpose: str, owner: bytes) -> bytes:
    """The secret `wrap` wrapped for this purpose and owner; ForeignKey when it does not
    unwrap (another key-encryption key, or another purpose or owner)."""
    try:
        return Aead(key_encryption_key()).decrypt(bytes(wrapped), _context(purpose, owner))
    except CryptoError:
        raise ForeignKey("not wrapped under this node's key-encryption key") from None


def keyed_digest(data: bytes, purpose: str) -> str:
    """BLAKE2b keyed with the key-encryption key and personalised with `purpose` (at most 16
    ASCII bytes), as 64 hex digits: a MAC, so that a reader of the database who knows a
    credential's digest cannot find the credential, and one who writes the database cannot
    make a digest that a credential of their own would match."""
    return blake2b(data, digest_size=32, key=key_encryption_key(),
                   person=purpose.encode("ascii"), encoder=HexEncoder).decode("ascii")
