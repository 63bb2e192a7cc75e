"""Files kept between the steps of a multi-step import (upload, map columns, confirm).

Kept in the instance folder under a random name that the next step's form carries; nothing
else refers to them, and any older than a day are removed on the next upload.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_wtf.file import FileField

from evalapp.paths import private_folder, write_private
from evalapp.tabular import Row, TableError, read_rows
from forms.tables import KEPT_NAME

MAX_AGE_SECONDS = 24 * 3600
NAME = re.compile(KEPT_NAME)  # the suffixes of the files the reader reads


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


def keep_table(field: FileField, header: Callable[[list[Row]], list[Row]] = list) -> str | None:
    """The name `keep` gives the file of an upload form's `field`, when it reads as a table
    with rows below its header (the rows from the header on, as `header` finds it); else
    None, with the reason, in the reader's language, in the field's errors."""
    content = field.data.read()
    try:
        rows = header(read_rows(field.data.filename, content))
    except TableError as error:
        field.errors.append(error.message())
        return None
    if len(rows) < 2:
        field.errors.append(_("The file has no rows below its header."))
        return None
    return keep(field.data.filename, content)
