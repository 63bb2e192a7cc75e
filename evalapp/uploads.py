"""Uploads kept between the steps of a multi-step import (upload, map columns, confirm).

Kept in the database under a random name that the next step's form carries, so that whichever
node takes the next step finds them (a file of one node's instance folder could be read only
there): zlib-compressed JSON wrapped under the key-encryption key (evalapp.keywrap), since an
uploaded sheet may hold columns the import never reads (identity or telephone numbers) that a
reader of the database or its backups must not get, and bound to the account that uploaded
it, which alone takes the next steps. Any older than a day are removed on the next upload.
What is kept is the table's rows as the upload read them, not the file: a file is read once,
however many steps follow (a workbook of 50,000 rows takes openpyxl tens of seconds to read).
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy.orm import Mapped, mapped_column

from evalapp.database import UTCDateTime, utcnow
from evalapp.extensions import db
from evalapp.keywrap import ForeignKey, unwrap, wrap
from evalapp.tabular import Row, TableError, read_rows
from forms.tables import KEPT_NAME

MAX_AGE = timedelta(days=1)
NAME = re.compile(KEPT_NAME)


class KeptUpload(db.Model):
    """The rows of an uploaded table while its import goes from step to step."""

    __tablename__ = "kept_uploads"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    rows: Mapped[bytes] = mapped_column(sa.LargeBinary)  # wrapped, zlib-compressed JSON


PURPOSE = "upload"


def keep(content: bytes) -> str:
    """Keep `content` (the rows as JSON) for the account logged in, under a new name,
    committed at once; the ones kept over a day ago go."""
    db.session.execute(sa.delete(KeptUpload).where(KeptUpload.kept_at < utcnow() - MAX_AGE))
    name = secrets.token_hex(16)
    db.session.add(KeptUpload(name=name, user_id=current_user.id,
                              rows=wrap(zlib.compress(content), PURPOSE, name.encode("ascii"))))
    db.session.commit()
    return name


def _mine(name: str) -> sa.ColumnElement[bool]:
    return (KeptUpload.name == name) & (KeptUpload.user_id == current_user.id)


def load_rows(name: str) -> list[Row] | None:
    """The rows the account logged in kept under `name` (`keep_table`), or None when there
    are none to read: expired, another account's, or wrapped under another node's key."""
    if not NAME.match(name or ""):
        return None
    kept = db.session.scalar(sa.select(KeptUpload.rows).where(_mine(name)))
    if kept is None:
        return None
    try:
        content = zlib.decompress(unwrap(kept, PURPOSE, name.encode("ascii")))
    except ForeignKey:
        return None
    return [Row(number, tuple(cells), hidden)
            for number, hidden, cells in json.loads(content)]


def discard(name: str) -> None:
    """Remove the rows kept under `name` (committed: the import that used them is)."""
    db.session.execute(sa.delete(KeptUpload).where(_mine(name)))
    db.session.commit()


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
