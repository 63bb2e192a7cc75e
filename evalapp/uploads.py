"""Uploads kept between the steps of a multi-step import (upload, map columns, confirm).

Kept in the instance folder under a random name that the next step's form carries; nothing
else refers to them, and any older than a day are removed on the next upload. What is kept is
the table's rows as the upload read them, not the file: a file is read once, however many
steps follow (a workbook of 50,000 rows takes openpyxl tens of seconds to read).
"""

from __future__ import annotations

import json
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
NAME = re.compile(KEPT_NAME)


def _folder() -> Path:
    return private_folder(Path(current_app.instance_path) / "uploads")


def keep(content: bytes) -> str:
    folder = _folder()
    for old in folder.iterdir():
        if old.stat().st_mtime < time.time() - MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    name = f"{secrets.token_hex(16)}.json"
    write_private(folder / name, content, exclusive=True)
    return name


def load_rows(name: str) -> list[Row] | None:
    """The rows `keep_table` kept under `name`, or None when they have expired (or are not
    rows: a file kept by an older version of the app)."""
    if not NAME.match(name or "") or not (path := _folder() / name).exists():
        return None
    try:
        return [Row(number, tuple(cells), hidden)
                for number, hidden, cells in json.loads(path.read_bytes())]
    except (ValueError, TypeError):
        return None


def discard(name: str) -> None:
    if NAME.match(name or ""):
        (_folder() / name).unlink(missing_ok=True)


def keep_table(field: FileField, header: Callable[[list[Row]], list[Row]] = list) -> str | None:
    """The name under which `keep` keeps the rows of the file of an upload form's `field`
    (for `load_rows`), when it reads as a table with rows below its header (the rows from the
    header on, as `header` finds it); else None, with the reason, in the reader's language,
    in the field's errors."""
    try:
        rows = read_rows(field.data.filename, field.data.read())
    except TableError as error:
        field.errors.append(error.message())
        return None
    if len(header(rows)) < 2:
        field.errors.append(_("The file has no rows below its header."))
        return None
    return keep(json.dumps(
        [[row.number, row.hidden, row.cells] for row in rows], ensure_ascii=False).encode())
