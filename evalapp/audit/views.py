"""The audit log, for auditors: read it and export it."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import get_timezone
from werkzeug.wrappers import Response

from evalapp.audit.models import AuditEntry
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 200


def _entries(limit: int | None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


@bp.get("/")
@role_required(Role.AUDITOR)
def index() -> str:
    return render_template("audit/index.html", entries=_entries(PAGE), page=PAGE)


@bp.get("/audit.csv")
@role_required(Role.AUDITOR)
def export() -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    zone = get_timezone()
    writer.writerow([f"time ({zone})", "user", "campaign", "action", "detail"])
    for entry in _entries(None):
        writer.writerow([entry.at.astimezone(zone).isoformat(),
                         entry.user.username if entry.user else "",
                         entry.campaign_id or "", entry.action,
                         json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)])
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")  # BOM: Excel reads UTF-8
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
