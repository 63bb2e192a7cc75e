"""The audit log, for auditors and audit administrators: read it and export it, for the units
they belong to.

An auditor reads the entries of their unit and the units below it: those about its campaigns,
and those without a campaign (log-ins, log-outs) of its staff. An auditor of a unit above
several (海关总署 over its customs) is the cross-unit auditor.
"""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from evalapp.audit.labels import ACTIONS, KINDS, action_kind
from evalapp.audit.models import AuditEntry
from evalapp.audit.present import present
from evalapp.auth.access import role_required
from evalapp.auth.models import Role, User
from evalapp.extensions import db
from evalapp.units.operations import subtree_ids

bp = Blueprint("audit", __name__, url_prefix="/audit")
# The auditor of a unit, and the audit administrator (审计管理员), whose one area this is.
READERS = (Role.AUDITOR, Role.AUDIT_ADMIN)
PAGE = 200


def _chosen() -> str:
    """The filter: a kind (a prefix from KINDS) or one action, as the select offers them."""
    return request.args.get("action", "").strip()


def _entries(limit: int | None) -> list[AuditEntry]:
    units = subtree_ids(current_user.unit_id)
    # The campaigns table by its name, as the entries' foreign key names it: the log imports
    # no feature package, so that every feature may record into it.
    campaigns = db.metadata.tables["campaigns"]
    query = sa.select(AuditEntry).where(sa.or_(
        AuditEntry.campaign_id.in_(
            sa.select(campaigns.c.id).where(campaigns.c.unit_id.in_(units))),
        AuditEntry.campaign_id.is_(None)
        & AuditEntry.user_id.in_(sa.select(User.id).where(User.unit_id.in_(units))),
    )).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
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
@role_required(*READERS)
def index() -> str:
    kinds = [(prefix, label, [(action, label) for action, label in ACTIONS.items()
                              if action_kind(action) == prefix]) for prefix, label in KINDS]
    return render_template("audit/index.html", lines=present(_entries(PAGE)), page=PAGE,
                           kinds=kinds, chosen=_chosen())


@bp.get("/audit.csv")
@role_required(*READERS)
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
