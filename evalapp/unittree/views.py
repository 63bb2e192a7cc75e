"""The unit tree's pages, for the system administrator (系统管理员): the tree below their own
unit, a unit created, edited, moved, retired or restored, and a tree imported from the HR
office's spreadsheet (upload, preview, confirm, as the roster import does)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from evalapp import uploads
from evalapp.audit.operations import record
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.extensions import db
from evalapp.units.imports import UnitFileRefused, apply_plan, plan_import
from evalapp.units.models import OrgUnit, UnitKind
from evalapp.units.operations import (
    KIND_LABELS,
    UnitData,
    UnitRefused,
    create_unit,
    default_kind,
    edit_unit,
    in_reach,
    move_unit,
    offered,
    restore_unit,
    retire_unit,
    subtree,
    subtree_ids,
    tree_choices,
)
from forms.units import KIND_FROM_PARENT, MoveForm, UnitFileForm, UnitForm, UnitImportForm

bp = Blueprint("units", __name__, url_prefix="/units")
admin_only = role_required(Role.SYSTEM_ADMIN)


def _kind_choices(*, automatic: bool, root: bool = False) -> list[SelectChoice]:
    """The levels a unit may take: the administration only at the top of a tree."""
    kinds = [kind for kind in UnitKind if root or kind is not UnitKind.ADMINISTRATION]
    first = [SelectChoice(KIND_FROM_PARENT, _("The level below its parent"))] if automatic else []
    return first + [SelectChoice(kind.value, str(KIND_LABELS[kind])) for kind in kinds]


def _unit(unit_id: int) -> OrgUnit:
    """A unit within the administrator's reach, else 404 (never saying it exists elsewhere)."""
    unit = in_reach(unit_id, current_user.unit_id)
    if unit is None:
        abort(404)
    return unit


def _create_form() -> UnitForm:
    form = UnitForm(prefix="new")
    form.parent.choices = tree_choices(offered(current_user.unit_id))
    form.kind.choices = _kind_choices(automatic=True)
    return form


def _index_page(form: UnitForm | None = None, upload: UnitFileForm | None = None,
                status: int = 200) -> tuple[str, int]:
    return render_template(
        "units/index.html", tree=subtree(current_user.unit_id), form=form or _create_form(),
        upload=upload or UnitFileForm(prefix="file"), kinds=KIND_LABELS), status


@bp.get("/")
@admin_only
def index() -> tuple[str, int]:
    return _index_page()


def _data(form: UnitForm, kind: UnitKind) -> UnitData:
    return UnitData(form.name_zh.data.strip(), (form.name_en.data or "").strip(),
                    form.code.data or "", kind)


@bp.post("/")
@admin_only
def create() -> Response | tuple[str, int]:
    form = _create_form()
    if not form.validate():
        return _index_page(form, status=422)
    parent = _unit(form.parent.data)
    kind = UnitKind(form.kind.data) if form.kind.data else default_kind(parent)
    try:
        unit = create_unit(parent, _data(form, kind))
    except UnitRefused as error:
        form.name_zh.errors.append(error.message())
        return _index_page(form, status=409)
    record("unit.create", user=current_user, unit=unit.name_zh, parent=parent.name_zh,
           code=unit.code, kind=unit.kind.value)
    db.session.commit()
    flash(_("Unit created: %(name)s", name=unit.name_zh))
    return redirect(url_for("units.index") + f"#unit-{unit.id}", code=303)


def _edit_page(unit: OrgUnit, form: UnitForm | None = None, move: MoveForm | None = None,
               status: int = 200) -> tuple[str, int]:
    if form is None:
        form = UnitForm(obj=unit, formdata=None)
        form.kind.data = unit.kind.value
    form.kind.choices = _kind_choices(automatic=False, root=unit.parent_id is None)
    move = move or MoveForm(formdata=None, parent=unit.parent_id)
    below = subtree_ids(unit.id)
    move.parent.choices = tree_choices([(other, depth)
                                        for other, depth in offered(current_user.unit_id)
                                        if other.id not in below])
    return render_template("units/edit.html", unit=unit, form=form, move=move,
                           movable=unit.id != current_user.unit_id, kinds=KIND_LABELS), status


@bp.route("/<int:unit_id>", methods=["GET", "POST"])
@admin_only
def edit(unit_id: int) -> Response | tuple[str, int]:
    unit = _unit(unit_id)
    if request.method == "GET":
        return _edit_page(unit)
    form = UnitForm()
    form.kind.choices = _kind_choices(automatic=False, root=unit.parent_id is None)
    del form.parent  # a unit is moved by its own form
    if not form.validate():
        return _edit_page(unit, form, status=422)
    try:
        changed = edit_unit(unit, _data(form, UnitKind(form.kind.data)))
    except UnitRefused as error:
        db.session.rollback()
        form.name_zh.errors.append(error.message())
        return _edit_page(unit, form, status=409)
    if changed:
        record("unit.edit", user=current_user, unit=unit.name_zh,
               **{field: list(values) for field, values in changed.items()})
        db.session.commit()
    flash(_("Unit saved: %(name)s", name=unit.name_zh))
    return redirect(url_for("units.index") + f"#unit-{unit.id}", code=303)


@bp.post("/<int:unit_id>/move")
@admin_only
def move(unit_id: int) -> Response | tuple[str, int]:
    """Move a unit. The form offers no unit below it; one posted anyway (or raced in) is
    refused here, and by the database's trigger behind that."""
    unit = _unit(unit_id)
    form = MoveForm()
    parent = in_reach(request.form.get("parent", type=int), current_user.unit_id)
    if parent is None:
        form.parent.errors = [_("That unit is outside your unit.")]
        return _edit_page(unit, move=form, status=409)
    before = unit.parent.name_zh if unit.parent else ""
    try:
        move_unit(unit, parent, current_user.unit_id)
    except UnitRefused as error:
        form.parent.errors = [error.message()]
        return _edit_page(unit, move=form, status=409)
    record("unit.move", user=current_user, unit=unit.name_zh, before=before,
           after=parent.name_zh)
    db.session.commit()
    flash(_("%(unit)s is now under %(parent)s.", unit=unit.name_zh, parent=parent.name_zh))
    return redirect(url_for("units.index") + f"#unit-{unit.id}", code=303)


def _retire_or_restore(unit: OrgUnit, change: Callable[[], list[OrgUnit]], action: str,
                       done: Callable[[str], str]) -> Response | tuple[str, int]:
    """Retire or restore `unit` with the units that go with it (`change` returns them):
    recorded as `action`, said by `done` (given their names), or refused on the unit's page."""
    try:
        changed = change()
    except UnitRefused as error:
        flash(error.message(), "error")
        return _edit_page(unit, status=409)
    record(action, user=current_user, unit=unit.name_zh,
           units=[below.name_zh for below in changed])
    db.session.commit()
    flash(done("、".join(below.name_zh for below in changed)))
    return redirect(url_for("units.index") + f"#unit-{unit.id}", code=303)


@bp.post("/<int:unit_id>/retire")
@admin_only
def retire(unit_id: int) -> Response | tuple[str, int]:
    unit = _unit(unit_id)
    return _retire_or_restore(
        unit, lambda: retire_unit(unit, current_user.unit_id), "unit.retire",
        lambda names: _("Retired: %(names)s. Their campaigns and results stay as they are.",
                        names=names))


@bp.post("/<int:unit_id>/restore")
@admin_only
def restore(unit_id: int) -> Response | tuple[str, int]:
    unit = _unit(unit_id)
    return _retire_or_restore(unit, lambda: restore_unit(unit), "unit.restore",
                              lambda names: _("Restored: %(names)s.", names=names))


@bp.post("/import")
@admin_only
def upload() -> Response | tuple[str, int]:
    form = UnitFileForm(prefix="file")
    if form.validate() and (name := uploads.keep_table(form.file)):
        return redirect(url_for("units.preview", upload=name), code=303)
    return _index_page(upload=form, status=422)


@bp.route("/import/preview", methods=["GET", "POST"])
@admin_only
def preview() -> Response | tuple[str, int]:
    """What the file would do, row by row; confirming writes it all (in one transaction), and
    only when no row has a problem. The plan is made again from the tree as it is then."""
    form = UnitImportForm()
    name = request.values.get("upload", "")
    rows = uploads.load_rows(name)
    if rows is None:
        flash(_("The uploaded file has expired; please upload it again."), "error")
        return redirect(url_for("units.index"), code=303)
    form.upload.data = name
    reach = db.session.get(OrgUnit, current_user.unit_id)
    try:
        plan = plan_import(rows, reach)
    except UnitFileRefused as error:
        return render_template("units/import.html", form=form, plan=None,
                               refused=error.message(), kinds=KIND_LABELS), 422
    if form.validate_on_submit() and not plan.problems:
        done = apply_plan(plan)
        record("unit.import", user=current_user, unit=reach.name_zh, **done)
        db.session.commit()
        uploads.discard(name)
        flash(_("Unit file imported: %(created)d created, %(moved)d moved, %(updated)d "
                "changed, %(unchanged)d unchanged.", **done))
        return redirect(url_for("units.index"), code=303)
    return render_template("units/import.html", form=form, plan=plan, refused="",
                           kinds=KIND_LABELS), 422 if plan.problems else 200
