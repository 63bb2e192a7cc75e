"""The audit log as auditors take it away: CSV (UTF-8 with a byte order mark, so that Excel
reads the Chinese) and Excel. One row per entry, headers in the reader's language (Chinese
first), times in the organisation's time zone (named in the header), and each entry's
sequence number and MAC, so that a printed or archived copy can be checked against the chain."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from flask_babel import get_timezone
from flask_babel import gettext as _
from openpyxl import Workbook

from evalapp.audit.present import AuditLine
from evalapp.spreadsheets import append_row, csv_text, fit_columns, workbook_bytes

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _headers() -> list[str]:
    return [_("No."), _("Time (%(zone)s)", zone=str(get_timezone())), _("By"), _("Username"),
            _("Campaign"), _("Action"), _("Detail"), _("MAC (HMAC-SHA256)")]


def _row(line: AuditLine) -> list[Any]:
    return [line.sequence, line.at.replace(tzinfo=None, microsecond=0), line.user, line.username,
            line.campaign, line.action, line.details_text(), line.mac]


def audit_csv(lines: Sequence[AuditLine]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers())
    for line in lines:
        row = _row(line)
        row[1] = row[1].strftime(TIME_FORMAT)
        writer.writerow([csv_text(value) if isinstance(value, str) else value
                         for value in row])
    return "\ufeff" + buffer.getvalue()  # the BOM: Excel reads UTF-8


def audit_xlsx(lines: Sequence[AuditLine]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Audit log")
    append_row(sheet, _headers())
    for line in lines:
        append_row(sheet, _row(line))
        sheet.cell(sheet.max_row, 2).number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.freeze_panes = "A2"
    fit_columns(sheet)
    return workbook_bytes(workbook)
