"""The file field of every table import (roster, staff, units, problem list, ledger), in one
place: `evalapp.tabular` reads each of these kinds, telling them apart by their content, and
`evalapp.uploads` keeps them between an import's steps under the same suffixes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms.validators import Regexp

# CSV and text as Excel, WPS and Numbers save them (.txt: "Unicode 文本", tab-separated), the
# current workbook (.xlsx) and the old one (.xls; WPS's .et is the same format).
TABLE_SUFFIXES = ("csv", "txt", "xlsx", "xls", "et")
# The name `evalapp.uploads.keep` gives the rows it keeps of a file (read once), carried by
# the next step's form.
KEPT_NAME = r"^[0-9a-f]{32}$"


def table_file(label, required: bool = True) -> FileField:
    """A file field that takes the table files the reader reads (the browser offers only
    those), and asks for one when `required`."""
    allowed = FileAllowed(TABLE_SUFFIXES, _l("CSV, text (.txt) or Excel (.xlsx, .xls, .et) "
                                             "files only."))
    return FileField(label, validators=[FileRequired(_l("Choose a file.")), allowed]
                     if required else [allowed],
                     render_kw={"accept": ",".join(f".{suffix}" for suffix in TABLE_SUFFIXES)})


def kept_table() -> Regexp:
    """The validator of the hidden field naming a kept file."""
    return Regexp(KEPT_NAME)
