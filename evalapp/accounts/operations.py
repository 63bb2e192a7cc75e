"""Staff accounts managed in the app by the separated administrators (三员分立, GB/T 22239-2019
8.1.4.2): the system administrator creates, disables, re-enables and deletes accounts and
resets their passwords; the security administrator gives roles and units. Each may act only
within its own unit and the units below it, never on its own account, and every action goes
to the audit log (the caller commits it with the action).

The separation is kept here, not only by the pages: the system administrator gives only
business roles and never touches an administrator's account (a password it reset would be
its way into that account); the security administrator, who may grant an administrator role,
can neither create accounts nor learn a password. An account holds one administrator role
for life (`User.administrator_role`, which the database guards as well).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from evalapp.audit.operations import record
from evalapp.audit.present import value_labels
from evalapp.auth.events import rights_withdrawn
from evalapp.auth.models import BUSINESS_ROLES, Role, User, password_problems
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from evalapp.units.operations import offered, subtree_ids

ROLE_LABELS = {
    Role.ORGANISER: _l("Organiser"),
    Role.LEADER: _l("Leader"),
    Role.AUDITOR: _l("Auditor"),
    Role.CLERK: _l("Clerk"),
    Role.SCRUTINEER: _l("Scrutineer"),
    Role.SYSTEM_ADMIN: _l("System administrator"),
    Role.SECURITY_ADMIN: _l("Security administrator"),
    Role.AUDIT_ADMIN: _l("Audit administrator"),
}
# Characters of a temporary password: no 0/O, 1/l/I, which are misread when it is read out.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 14  # 14 × log2(56) ≈ 81 bits


class Refused(Exception):
    """This administrator may not do this to this account; `str(error)` says why, in the
    reader's language."""


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    unit_id: int
    role: Role
    # Checked by the organisation's directory (evalapp.auth.directory): no local password.
    directory: bool = False


@dataclass(frozen=True)
class Issued:
    """A temporary password for `username`: shown once to the administrator, stored only as
    its hash, and to be changed by its owner at the next log-in. None for an account the
    directory checks, which has no local password."""

    username: str
    display_name: str
    password: str | None


def temporary_password(username: str) -> str:
    """A random password (secrets, ~81 bits) that `password_problems` accepts."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        if not password_problems(password, username):
            return password


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[role])


value_labels("role", lambda value: role_label(Role(value)) if value in set(Role) else None)


def units_in_reach(actor: User, keep: int | None = None) -> list[tuple[OrgUnit, int]]:
    """(unit, depth) of the actor's unit and every unit below it, as a tree reads, that may
    take a new account or role: a retired unit (and what lies below it) takes none, but
    `keep` (an account's present unit) stays offered, so that changing the role of an account
    of a retired unit does not move it (`evalapp.units.operations.offered`)."""
    return offered(actor.unit_id, keep)


def accounts_in_reach(actor: User) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.unit_id.in_(subtree_ids(actor.unit_id)))
        .order_by(User.unit_id, User.username)))


def account_for(actor: User, user_id: int) -> User | None:
    """The account, or None when it does not exist or lies outside the actor's units."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.unit_id in subtree_ids(actor.unit_id) else None


def _require(actor: User, role: Role) -> None:
    if actor.role is not role:
        raise Refused(_("Only the %(role)s may do this.", role=role_label(role)))


def _unit_in_reach(actor: User, unit_id: int) -> OrgUnit:
    """An existing account's unit, retired or not: its account keeps working."""
    if unit_id not in subtree_ids(actor.unit_id):
        raise Refused(_("The unit is outside your units."))
    return db.session.get_one(OrgUnit, unit_id)


def _unit_offered(actor: User, unit_id: int, keep: int | None = None) -> OrgUnit:
    """A unit to put an account in (see `units_in_reach`). Raises Refused for a unit outside
    reach, or retired (or below a retired one) unless it is `keep`."""
    unit = _unit_in_reach(actor, unit_id)
    if unit_id not in {offered_unit.id for offered_unit, _depth in units_in_reach(actor, keep)}:
        raise Refused(_("The unit %(unit)s has been retired: it takes no new accounts or "
                        "roles.", unit=unit.name_zh))
    return unit


def _managed(actor: User, user: User) -> None:
    """What the system administrator may do to an existing account: one of its units'
    business accounts, never its own."""
    _require(actor, Role.SYSTEM_ADMIN)
    if user.id == actor.id:
        raise Refused(_("Nobody changes the status of their own account."))
    if user.role.is_administrator:
        raise Refused(_("An administrator's account is not managed here: the security "
                        "administrator first gives it a business role."))
    _unit_in_reach(actor, user.unit_id)


def _issue(user: User) -> Issued:
    password = temporary_password(user.username)
    user.set_password(password)  # ends every session of the account
    user.require_password_change()
    return Issued(user.username, user.display_name, password)


def vacant_administrator_roles() -> list[Role]:
    """The security and audit administrator roles no account has ever held. The system
    administrator may create the first account of each (else day one would need the console
    for them); from then on only the security administrator grants them."""
    held = set(db.session.scalars(sa.select(User.administrator_role).distinct()))
    return [role for role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
            if all(holder is None or holder.value != role.value for holder in held)]


def add_account(actor: User, new: NewAccount) -> Issued:
    """An account of the actor's units with a business role (or the first security or audit
    administrator, see `vacant_administrator_roles`), with a temporary password unless the
    directory checks it. Raises Refused for any other administrator role, a unit outside
    reach or a username taken. Not recorded: the callers record one account or one import."""
    _require(actor, Role.SYSTEM_ADMIN)
    if new.role not in BUSINESS_ROLES and new.role not in vacant_administrator_roles():
        raise Refused(_("An administrator role is granted by the security administrator, "
                        "not given to a new account."))
    unit = _unit_offered(actor, new.unit_id)
    if db.session.scalar(sa.select(User.id).where(User.username == new.username)):
        raise Refused(_("The username %(username)s is taken.", username=new.username))
    user = User(username=new.username, display_name=new.display_name, role=new.role,
                unit=unit, directory=new.directory)
    issued = (Issued(user.username, user.display_name, None) if new.directory
              else _issue(user))
    db.session.add(user)
    db.session.flush()
    return issued


def create_account(actor: User, new: NewAccount) -> Issued:
    issued = add_account(actor, new)
    record("account.create", user=actor, username=new.username, role=new.role.value,
           unit=db.session.get_one(OrgUnit, new.unit_id).name_zh, directory=new.directory)
    return issued


def set_active(actor: User, user: User, active: bool) -> None:
    """Disable (its sessions end, it cannot log in) or re-enable an account."""
    _managed(actor, user)
    user.active = active
    if not active:
        user.end_sessions()
        rights_withdrawn.send(current_app._get_current_object(), user=user)
    record("account.enable" if active else "account.disable", user=actor,
           username=user.username)


def delete_account(actor: User, user: User) -> None:
    """Delete the account. Its audit entries stay, without the account (their user becomes
    NULL), so the deletion's own entry names it. Raises Refused while the account holds a
    scrutineer's share of a ballot box not yet opened (the database keeps the share, whose
    loss could leave the box unopenable): it can be disabled meanwhile."""
    _managed(actor, user)
    detail = {"username": user.username, "display_name": user.display_name,
              "role": user.role.value, "unit": user.unit.name_zh}
    try:
        with db.session.begin_nested():
            db.session.delete(user)
    except sa.exc.IntegrityError:
        raise Refused(_("%(username)s holds a share of a ballot box not yet opened: the "
                        "account can be disabled now and deleted once the box is open.",
                        username=user.username)) from None
    record("account.delete", user=actor, **detail)


def reset_password(actor: User, user: User) -> Issued:
    """A new temporary password: the old one stops working, every session ends, and the
    owner must choose a new one at the next log-in. Raises Refused for an account the
    directory checks: its password is the directory's."""
    _managed(actor, user)
    if user.directory:
        raise Refused(_("%(username)s signs in with the organisation's directory: its "
                        "password is changed there.", username=user.username))
    issued = _issue(user)
    rights_withdrawn.send(current_app._get_current_object(), user=user)
    record("account.reset_password", user=actor, username=user.username)
    return issued


def change_role(actor: User, user: User, role: Role, unit_id: int) -> None:
    """The security administrator gives `user` another role or unit (an administrator role
    included). Raises Refused for the actor's own account, a unit outside reach, or a second
    administrator role for an account that had another (the database refuses that too)."""
    _require(actor, Role.SECURITY_ADMIN)
    if user.id == actor.id:
        raise Refused(_("Nobody changes their own role."))
    _unit_in_reach(actor, user.unit_id)
    unit = _unit_offered(actor, unit_id, keep=user.unit_id)
    held = user.administrator_role
    if role.is_administrator and held is not None and held.value != role.value:
        raise Refused(_("This account was %(role)s: one account never holds two of the three "
                        "administrator roles.", role=role_label(Role(held.value))))
    before = {"role": user.role.value, "unit": user.unit.name_zh}
    user.role, user.unit = role, unit
    user.end_sessions()  # sessions opened under the old rights end with them
    rights_withdrawn.send(current_app._get_current_object(), user=user)
    record("account.role", user=actor, username=user.username, before=before,
           after={"role": role.value, "unit": unit.name_zh})
