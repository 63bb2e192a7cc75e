"""The three ways results leave the app, shared by the web pages and `evalapp report`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.published import record_json
from evalapp.results.report_pdf import report_pdf
from evalapp.results.summary_xlsx import summary_xlsx
from evalapp.spreadsheets import XLSX_MIMETYPE


@dataclass(frozen=True)
class Export:
    label: str
    mimetype: str
    build: Callable[..., bytes]  # (results) -> bytes; the report also takes charts=


EXPORTS = {
    "pdf": Export(_l("Printable report (PDF)"), "application/pdf", report_pdf),
    "xlsx": Export(_l("Summary table (Excel)"), XLSX_MIMETYPE, summary_xlsx),
    "csv": Export(_l("Anonymised ballots, in content order (CSV)"), "text/csv", ballots_csv),
    "json": Export(_l("Recount record: settings and figures (JSON)"), "application/json",
                   record_json),
}
