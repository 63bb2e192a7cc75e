"""Where a prepared draw's secret waits for the draw: a file of the instance folder (0600),
never the database.

A reader of the database or of its backups before the draw would otherwise hold the secret,
and with it the sample for every possible witness value: enough to know, before the meeting,
which value to type in place of the one read out for the sample that suits. The commitment in
the database binds the secret, so the file cannot be swapped unseen: the draw checks the
secret it reads against the commitment. At the draw (or when the draw is set aside) the
secret is copied onto the record, where everyone may read it; the file is then of no use.
Several nodes must share the instance folder, as they do for the ballot box's keys.
"""

from __future__ import annotations

from pathlib import Path

from evalapp.paths import private_folder, write_private


def secret_file(instance_path: str, commitment: str) -> Path:
    return Path(instance_path) / "draw-secrets" / f"{commitment}.secret"


def keep_secret(instance_path: str, commitment: str, secret: bytes) -> None:
    """Write the secret (as hex). A file for this commitment holds this very secret (the
    commitment binds it), unless it was tampered with: then FileExistsError."""
    if kept_secret(instance_path, commitment) == secret:
        return
    path = secret_file(instance_path, commitment)
    private_folder(path.parent)
    write_private(path, secret.hex().encode("ascii"), exclusive=True)


def kept_secret(instance_path: str, commitment: str) -> bytes | None:
    """The secret kept for this commitment, or None when its file is missing or unreadable
    as 32 bytes of hex (the caller checks it against the commitment)."""
    try:
        return bytes.fromhex(secret_file(instance_path, commitment).read_text("ascii").strip())
    except (OSError, ValueError):
        return None
