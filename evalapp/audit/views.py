"""The audit log, for auditors: read it and export it."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import get_timezone
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from evalapp.audit.labels import ACTIONS, KINDS, action_kind
from evalapp.audit.models import AuditEntry
from evalapp.audit.present import present
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 200


def _chosen() -> str:
    """The filter: a kind (a prefix from KINDS) or one action, as the select offers them."""
    return request.args.get("action", "").strip()


def _entries(limit: int | None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    chosen = _chosen()
    if chosen in dict(KINDS):
        actions = [action for action in ACTIONS if action_kind(action) == chosen]
        query = query.where(AuditEntry.action.startswith(chosen)
                            | AuditEntry.action.in_(actions))
    elif chosen:
        query = query.where(AuditEntry.action == chosen)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


@bp.get("/")
@role_required(Role.AUDITOR)
def index() -> str:
    kinds = [(prefix, label, [(action, label) for action, label in ACTIONS.items()
                              if action_kind(action) == prefix]) for prefix, label in KINDS]
    return render_template("audit/index.html", lines=present(_entries(PAGE)), page=PAGE,
                           kinds=kinds, chosen=_chosen())


@bp.get("/audit.csv")
@role_required(Role.AUDITOR)
def export() -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Time (%(zone)s)", zone=str(get_timezone())), _("By"), _("Campaign"),
                     _("Action"), _("Detail")])
    for line in present(_entries(None)):
        writer.writerow([line.at.strftime("%Y-%m-%d %H:%M:%S"), line.user, line.campaign,
                         line.action, line.details_text()])
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")  # BOM: Excel reads UTF-8
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
