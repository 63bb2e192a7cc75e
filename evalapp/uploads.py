"""Files kept between the steps of a multi-step import (upload, map columns, confirm).

Kept in the instance folder under a random name that the next step's form carries; nothing
else refers to them, and any older than a day are removed on the next upload.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app

from evalapp.paths import private_folder, write_private

MAX_AGE_SECONDS = 24 * 3600
NAME = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")


def _folder() -> Path:
    return private_folder(Path(current_app.instance_path) / "uploads")


def keep(filename: str, content: bytes) -> str:
    folder = _folder()
    for old in folder.iterdir():
        if old.stat().st_mtime < time.time() - MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    extension = filename.rsplit(".", 1)[-1].lower()
    name = f"{secrets.token_hex(16)}.{extension}"
    write_private(folder / name, content, exclusive=True)
    return name


def load(name: str) -> bytes | None:
    if not NAME.match(name or ""):
        return None
    path = _folder() / name
    return path.read_bytes() if path.exists() else None


def discard(name: str) -> None:
    if NAME.match(name or ""):
        (_folder() / name).unlink(missing_ok=True)
