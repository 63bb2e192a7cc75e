"""Roster import for organisers: upload, map the columns, preview, confirm."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from evalapp import tabular, uploads
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for
from evalapp.campaigns.models import Campaign, RaterGroup
from evalapp.extensions import db
from evalapp.roster.columns import GUESSES, OPTIONAL_COLUMNS, guessed_column, rows_from_header
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.roster.operations import (
    GROUP_VALUES_MAX,
    ColumnMapping,
    RosterFrozen,
    RosterLocked,
    check_roster,
    group_choices,
    import_roster,
    roster_counts,
    roster_lock,
)
from evalapp.text import squeezed
from forms.roster import NO_COLUMN, RosterMappingForm, RosterUploadForm

bp = Blueprint("roster", __name__, url_prefix="/campaigns/<int:campaign_id>/roster")


PEOPLE_PER_PAGE = 50


def _page(campaign: Campaign, form: RosterUploadForm | None,
          lock: type[RosterLocked] | None = None) -> str:
    """The roster page: counts per group, the people (paged) and the import form, or instead
    of the form why the roster can no longer be replaced (said before anyone fills it)."""
    counts = roster_counts(campaign)
    total = sum(count for _group, count in counts)
    pages = max(1, -(-total // PEOPLE_PER_PAGE))
    number = min(max(request.args.get("page", 1, type=int), 1), pages)
    people = db.session.scalars(
        sa.select(RosterEntry).where(RosterEntry.campaign_id == campaign.id)
        .order_by(RosterEntry.id).offset((number - 1) * PEOPLE_PER_PAGE).limit(PEOPLE_PER_PAGE))
    draws = db.session.scalars(sa.select(SampleDraw).where(
        SampleDraw.campaign_id == campaign.id).order_by(SampleDraw.sequence)).all()
    return render_template(
        "roster/index.html", campaign=campaign, form=form, counts=counts,
        people=list(people), total=total, page=number, pages=pages, draws=draws,
        max_rows=tabular.MAX_ROWS,
        locked={RosterFrozen: "open", RosterLocked: "drawn"}.get(lock, ""))


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def index(campaign_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    lock = roster_lock(campaign)
    if lock is not None:
        return _page(campaign, None, lock), 409 if request.method == "POST" else 200
    form = RosterUploadForm()
    if form.validate_on_submit() and (name := uploads.keep_table(form.file, rows_from_header)):
        return redirect(url_for("roster.mapping", campaign_id=campaign.id, upload=name),
                        code=303)
    return _page(campaign, form), 422 if form.errors else 200


def _mapping_form(header: list[str], groups: list[RaterGroup]) -> RosterMappingForm:
    """The columns' form; the head office/grassroots and membership columns only while some
    of the campaign's groups are the preset's (机关/基层 × 党员/群众): the organiser's own
    groups are found by the group column alone."""
    form = RosterMappingForm()
    if not any(group.office for group in groups):
        del form.office, form.membership
    columns = [SelectChoice(index, cell or _("column %(number)d", number=index + 1))
               for index, cell in enumerate(header)]
    optional = [SelectChoice(NO_COLUMN, _("(none)")), *columns]
    for field in (form.name, form.staff_number):
        field.choices = columns
    for name in OPTIONAL_COLUMNS:
        if name in form:
            form[name].choices = optional
    if not form.is_submitted():
        for field_name in GUESSES:
            if field_name not in form:
                continue
            match = guessed_column(header, field_name)
            form[field_name].data = match if match is not None else (
                0 if field_name in ("name", "staff_number") else NO_COLUMN)
    return form


@bp.route("/mapping", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def mapping(campaign_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    lock = roster_lock(campaign)
    if lock is not None:
        return _page(campaign, None, lock), 409
    name = request.values.get("upload", "")
    rows = uploads.load_rows(name)
    if rows is None:
        flash(_("The uploaded file has expired; please upload it again."), "error")
        return redirect(url_for("roster.index", campaign_id=campaign.id), code=303)
    rows = rows_from_header(rows)
    groups = campaign.rater_groups
    form = _mapping_form(list(rows[0].cells), groups)
    form.upload.data = name
    preview, values = None, []
    hidden = [row for row in rows[1:] if row.hidden]
    if form.validate_on_submit():
        # Hidden rows (people who have left, rows filtered out) are left out unless included.
        used = [rows[0], *(row for row in rows[1:] if form.include_hidden.data or not row.hidden)]
        cells = [row.cells for row in used]
        optional = {f: (form[f].data if form[f].data != NO_COLUMN else None)
                    for f in OPTIONAL_COLUMNS if f in form}
        if optional["group"] is not None:
            values = group_choices(cells, optional["group"], groups,
                                   _chosen_groups(optional["group"], groups))
            if len(values) > GROUP_VALUES_MAX:
                form.group.errors.append(_(
                    "This column has %(count)d different values, more than %(most)d: choose "
                    "the column that holds each person's category.", count=len(values),
                    most=GROUP_VALUES_MAX))
                values = []
        if not form.errors:
            preview = check_roster(cells, ColumnMapping(
                form.name.data, form.staff_number.data, **optional,
                group_values={squeezed(v.value): v.group_id for v in values}), groups,
                [row.number for row in used])
            if "confirm" in request.form and not preview.problems:
                return _import(campaign, preview, name)
    status = 422 if form.errors or (preview and preview.problems) else 200
    return render_template("roster/mapping.html", campaign=campaign, form=form, rows=rows,
                           hidden=hidden, preview=preview, groups=groups, values=values,
                           fields=[form[f] for f in ("name", "staff_number", *OPTIONAL_COLUMNS)
                                   if f in form]), status


def _chosen_groups(column: int, groups: list[RaterGroup]) -> dict[str, int | None]:
    """The group the organiser chose for each value of the group column, as the page posted
    them back (`value-N` the value, `value-N-group` a group's id or "" for none), keyed by
    the `squeezed` value. Only choices made for this column count (`values_column`): those
    made for another column before the organiser changed it are left; a group that is not
    the campaign's leaves the value to be matched by name."""
    if request.form.get("values_column") != str(column):
        return {}
    ids = {str(group.id): group.id for group in groups}
    chosen: dict[str, int | None] = {}
    for key, value in request.form.items():
        picked = request.form.get(f"{key}-group")
        if key.startswith("value-") and picked is not None and (picked in ids or not picked):
            chosen[squeezed(value)] = ids.get(picked)
    return chosen


def _import(campaign, preview, name: str) -> Response:
    try:
        count = import_roster(campaign, preview, current_user)
    except RosterLocked:
        flash(_("A sample has already been drawn from this campaign's roster; it cannot be "
                "replaced."), "error")
        return redirect(url_for("roster.index", campaign_id=campaign.id), code=303)
    db.session.commit()
    uploads.discard(name)
    flash(_("%(count)d people imported.", count=count))
    return redirect(url_for("roster.index", campaign_id=campaign.id), code=303)
