"""The audit log, for auditors and the audit administrator (审计管理员): read it, filter it by
time, user and action, export it, and (the audit administrator of the whole organisation
only) purge what the law no longer requires to keep.

Each reads the entries of their unit and the units below it: those about its campaigns, and
those without a campaign (log-ins, log-outs, refusals) of its staff. An auditor of a unit
above several (海关总署 over its customs) is the cross-unit auditor; one of a top unit also
reads the entries of no unit (a log-in refused to an unknown username).

Pages refused to a logged-in user (403) are recorded here too, whichever package refused
them (`refused_pages`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, to_utc
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from evalapp.audit.exports import audit_csv, audit_xlsx
from evalapp.audit.labels import ACTIONS, KINDS, action_kind
from evalapp.audit.models import AuditEntry
from evalapp.audit.operations import record_now
from evalapp.audit.present import AuditLine, present
from evalapp.audit.retention import purge, purgeable_before
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.confirm import confirm_page, confirmed
from evalapp.extensions import db
from evalapp.spreadsheets import XLSX_MIMETYPE
from evalapp.units.operations import subtree_ids
from forms.audit import AuditFilterForm, PurgeForm

bp = Blueprint("audit", __name__, url_prefix="/audit")
# The auditor of a unit, and the audit administrator (审计管理员), whose one area this is.
READERS = (Role.AUDITOR, Role.AUDIT_ADMIN)
PAGE = 200


def _utc(day: date) -> datetime:
    """The start of `day` in the organisation's time zone, as an aware UTC time."""
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=UTC)


def _entries(form: AuditFilterForm, limit: int | None) -> list[AuditEntry]:
    reach = AuditEntry.unit_id.in_(subtree_ids(current_user.unit_id))
    if current_user.unit.parent_id is None:  # and what belongs to no unit (an unknown name)
        reach = reach | AuditEntry.unit_id.is_(None)
    query = sa.select(AuditEntry).where(reach)
    chosen = (form.action.data or "").strip()
    if chosen in dict(KINDS):
        actions = [action for action in ACTIONS if action_kind(action) == chosen]
        query = query.where(AuditEntry.action.startswith(chosen)
                            | AuditEntry.action.in_(actions))
    elif chosen:
        query = query.where(AuditEntry.action == chosen)
    if username := (form.user.data or "").strip():
        query = query.where(AuditEntry.username.contains(username, autoescape=True))
    if form.start.data:
        query = query.where(AuditEntry.at >= _utc(form.start.data))
    if form.end.data:
        query = query.where(AuditEntry.at < _utc(form.end.data + timedelta(days=1)))
    query = query.order_by(AuditEntry.sequence.desc())
    return list(db.session.scalars(query.limit(limit) if limit else query))


def _filter() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.validate()
    return form


@bp.get("/")
@role_required(*READERS)
def index() -> tuple[str, int]:
    form = _filter()
    kinds = [(prefix, label, [(action, label) for action, label in ACTIONS.items()
                              if action_kind(action) == prefix]) for prefix, label in KINDS]
    lines = present(_entries(form, PAGE)) if not form.errors else []
    return render_template("audit/index.html", lines=lines, page=PAGE, kinds=kinds, form=form,
                           chosen=(form.action.data or "").strip(), query=request.args,
                           may_purge=_may_purge()), 400 if form.errors else 200


def _exported(fmt: str) -> list[AuditLine]:
    """The entries the filter selects, with the export itself recorded (and committed first,
    so that the reading that follows holds no lock)."""
    form = _filter()
    if form.errors:
        abort(400)  # the page's own form shows why
    record_now("audit.export", user=current_user, format=fmt, filter={
        key: value for key, value in request.args.items() if key in form.data and value})
    return present(_entries(form, None))


def _download(body: str | bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/audit.csv")
@role_required(*READERS)
def export() -> Response:
    return _download(audit_csv(_exported("csv")), "text/csv", "audit.csv")


@bp.get("/audit.xlsx")
@role_required(*READERS)
def export_xlsx() -> Response:
    return _download(audit_xlsx(_exported("xlsx")), XLSX_MIMETYPE, "audit.xlsx")


def _may_purge() -> bool:
    """Only the audit administrator of a unit at the top: the chain is one for all units, so
    a purge cuts every unit's old entries."""
    return current_user.role == Role.AUDIT_ADMIN and current_user.unit.parent_id is None


@bp.route("/purge", methods=["GET", "POST"])
@role_required(Role.AUDIT_ADMIN)
def purge_old() -> Response | tuple[str, int] | str:
    """Choose the date, confirm on a page of its own, purge. Entries younger than 181 days
    are refused here, by retention.purge, and by the database."""
    if not _may_purge():
        abort(403)
    form = PurgeForm(request.args)
    latest = purgeable_before().astimezone(UTC)
    if not request.args or not form.validate():
        return render_template("audit/purge.html", form=form,
                               latest=format_date(latest)), 400 if request.args else 200
    before = _utc(form.before.data)
    if before > latest:
        form.before.errors.append(_(
            "Entries are kept at least 181 days (网络安全法 art. 21): choose %(date)s or "
            "earlier.", date=format_date(latest)))
        return render_template("audit/purge.html", form=form, latest=format_date(latest)), 422
    if not confirmed():
        return _ask_to_purge(before)
    done = purge(before, user=current_user)  # (checked again there, and by the database)
    db.session.commit()
    flash(_("%(count)d entries were purged.", count=done.purged))
    return redirect(url_for("audit.index"), code=303)


def _ask_to_purge(before: datetime) -> str:
    count = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.at < before))
    return confirm_page(
        heading=_("Purge the audit log before %(date)s?", date=format_date(before)),
        lines=[_("%(count)d entries dated before %(date)s are deleted, for every unit.",
                 count=count, date=format_date(before)),
               _("The purge is recorded in the log with the chain's state at the cut, so "
                 "that the log still verifies.")],
        button=_("Purge"), back=url_for("audit.index"), back_label=_("Audit log"))


@bp.after_app_request
def refused_pages(response: Response) -> Response:
    """A page refused (403) to a logged-in user is recorded with its address and method:
    refusals are what an auditor looks for first (等保 2.0 8.1.4.3). Raters never log in, so
    they are never recorded."""
    if response.status_code == 403 and current_user.is_authenticated:
        record_now("access.forbidden", user=current_user, path=request.path,
                       method=request.method)
    return response
