"""The administrators' account pages: 账号管理 for the system administrator (create, disable,
re-enable, delete, reset a password, import from Excel) and 角色与权限 for the security
administrator (give a role and a unit). Who may do what is `evalapp.accounts.operations`';
these pages only offer it.

A temporary password is shown once, on the page that answers the action (and, for an import,
as a file made in that page, never kept on the server), so it is in no log, link or store.
"""

from __future__ import annotations

import base64
import csv
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from evalapp import uploads
from evalapp.accounts.importing import MissingColumns, check_accounts, import_accounts
from evalapp.accounts.operations import (
    ROLE_LABELS,
    Issued,
    NewAccount,
    Refused,
    account_for,
    accounts_in_reach,
    change_role,
    create_account,
    delete_account,
    reset_password,
    set_active,
    units_in_reach,
    vacant_administrator_roles,
)
from evalapp.auth.access import role_required
from evalapp.auth.models import BUSINESS_ROLES, Role, User
from evalapp.confirm import confirm_page, confirmed
from evalapp.extensions import db
from evalapp.spreadsheets import csv_text
from evalapp.units.operations import tree_choices
from forms.accounts import AccountForm, AccountsUploadForm, RoleForm

bp = Blueprint("accounts", __name__, url_prefix="/accounts")
system_admin = role_required(Role.SYSTEM_ADMIN)
security_admin = role_required(Role.SECURITY_ADMIN)


@bp.app_template_global()
def role_name(role: Role) -> str:
    return str(ROLE_LABELS[role])


def _account(user_id: int) -> User:
    """An account of the administrator's units, else 404 (others' accounts do not exist)."""
    user = account_for(current_user, user_id)
    if user is None:
        abort(404)
    return user


def _unit_choices(form: AccountForm | RoleForm, keep: int | None = None) -> None:
    """The units offered, as a tree (no retired one but `keep`, the account's own); any
    other unit posted is refused by `_unit_offered` in words rather than WTForms' generic
    ones (and by the operations, the last word)."""
    form.unit.choices = tree_choices(units_in_reach(current_user, keep))
    form.unit.validate_choice = False


def _unit_offered(form: AccountForm | RoleForm) -> bool:
    """Whether the posted unit is one the form offers; if not, the reason is on the field."""
    if form.unit.data in {choice.value for choice in form.unit.choices}:
        return True
    form.unit.errors.append(_("This unit is outside your units, or it has been retired."))
    return False


@bp.errorhandler(Refused)
def refused(error: Refused) -> Response:
    """An action the separation of duties refuses, asked from the account list (or by a
    crafted request): the list, saying why."""
    flash(str(error), "error")
    return redirect(url_for("accounts.index"), code=303)


def _ask(heading: str, line: str, button: str) -> str:
    return confirm_page(heading=heading, lines=[line], button=button,
                        back=url_for("accounts.index"), back_label=_("Accounts"))


def _issued(accounts: list[Issued], heading: str) -> str:
    """The page that shows temporary passwords, once, with the same list as a CSV file made
    inside the page (a data: link), for handing them out."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Username"), _("Name"), _("Temporary password")])
    writer.writerows([csv_text(account.username), csv_text(account.display_name),
                      account.password] for account in accounts)
    data = base64.b64encode(("\ufeff" + buffer.getvalue()).encode()).decode()
    return render_template("accounts/issued.html", accounts=accounts, heading=heading,
                           download=f"data:text/csv;charset=utf-8;base64,{data}")


@bp.get("/")
@system_admin
def index() -> str:
    return render_template("accounts/index.html", users=accounts_in_reach(current_user))


@bp.route("/new", methods=["GET", "POST"])
@system_admin
def new() -> str | tuple[str, int]:
    form = AccountForm()
    _unit_choices(form)
    form.role.choices = [SelectChoice(role.value, role_name(role))
                         for role in (*BUSINESS_ROLES, *vacant_administrator_roles())]
    if form.validate_on_submit() and _unit_offered(form):
        try:
            issued = create_account(current_user, NewAccount(
                form.username.data.strip(), form.display_name.data.strip(), form.unit.data,
                Role(form.role.data), directory=form.directory.data))
        except Refused as error:
            form.username.errors.append(str(error))
        else:
            db.session.commit()
            if issued.password is None:
                flash(_("Account %(username)s created: it signs in with the organisation's "
                        "directory.", username=issued.username))
                return redirect(url_for("accounts.index"), code=303)
            return _issued([issued], _("Account created"))
    return render_template("accounts/new.html", form=form), 422 if form.errors else 200


@bp.post("/<int:user_id>/status")
@system_admin
def status(user_id: int) -> Response:
    user = _account(user_id)
    set_active(current_user, user, request.form.get("active") == "1")
    db.session.commit()
    flash(_("Account %(username)s enabled.", username=user.username) if user.active
          else _("Account %(username)s disabled.", username=user.username))
    return redirect(url_for("accounts.index"), code=303)


@bp.route("/<int:user_id>/delete", methods=["GET", "POST"])
@system_admin
def delete(user_id: int) -> Response | str:
    user = _account(user_id)
    if not confirmed():
        return _ask(_("Delete the account %(username)s?", username=user.username),
                    _("%(name)s can no longer log in. The audit log keeps what the account "
                      "did, and names it in the entry of this deletion.",
                      name=user.display_name), _("Delete the account"))
    delete_account(current_user, user)
    db.session.commit()
    flash(_("Account %(username)s deleted.", username=user.username))
    return redirect(url_for("accounts.index"), code=303)


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@system_admin
def reset(user_id: int) -> Response | str:
    user = _account(user_id)
    if not confirmed():
        return _ask(_("Reset the password of %(username)s?", username=user.username),
                    _("The current password stops working and every session of the account "
                      "ends. A temporary password is shown once; %(name)s must choose a new "
                      "one at the next log-in.", name=user.display_name),
                    _("Reset the password"))
    issued = reset_password(current_user, user)
    db.session.commit()
    return _issued([issued], _("Password reset"))


@bp.route("/import", methods=["GET", "POST"])
@system_admin
def upload() -> Response | tuple[str, int]:
    form = AccountsUploadForm()
    if form.validate_on_submit() and (name := uploads.keep_table(form.file)):
        return redirect(url_for("accounts.preview", upload=name), code=303)
    return render_template("accounts/upload.html", form=form), 422 if form.errors else 200


@bp.route("/import/<upload>", methods=["GET", "POST"])
@system_admin
def preview(upload: str) -> Response | str | tuple[str, int]:
    """The checked file; its button imports it (checked again, as it is then)."""
    rows = uploads.load_rows(upload)
    if rows is None:
        flash(_("The uploaded file has expired; please upload it again."), "error")
        return redirect(url_for("accounts.upload"), code=303)
    try:
        checked = check_accounts(current_user, rows)
    except MissingColumns as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.upload"), code=303)
    if confirmed() and not checked.problems:
        issued = import_accounts(current_user, checked)
        db.session.commit()
        uploads.discard(upload)
        return _issued(issued, _("%(count)d accounts imported", count=len(issued)))
    return render_template("accounts/preview.html", preview=checked, upload=upload), (
        422 if checked.problems else 200)


@bp.get("/roles")
@security_admin
def roles() -> str:
    return render_template("accounts/roles.html", users=accounts_in_reach(current_user))


@bp.route("/<int:user_id>/role", methods=["GET", "POST"])
@security_admin
def grant(user_id: int) -> Response | tuple[str, int]:
    user = _account(user_id)
    form = RoleForm(data={"unit": user.unit_id, "role": user.role.value})
    _unit_choices(form, keep=user.unit_id)
    form.role.choices = [SelectChoice(role.value, role_name(role)) for role in Role]
    status = 200
    if form.validate_on_submit() and _unit_offered(form):
        try:
            change_role(current_user, user, Role(form.role.data), form.unit.data)
        except Refused as error:
            form.role.errors.append(str(error))
            status = 403
        else:
            db.session.commit()
            flash(_("%(username)s is now %(role)s of %(unit)s.", username=user.username,
                    role=role_name(user.role), unit=user.unit.name_zh))
            return redirect(url_for("accounts.roles"), code=303)
    return render_template("accounts/role.html", form=form, user=user), (
        422 if status == 200 and form.errors else status)
