from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import generate_password_hash

from evalapp.database import UTCDateTime, str_enum, utcnow
from evalapp.extensions import db
from evalapp.units.models import OrgUnit


class Role(enum.StrEnum):
    """What an account may do, within its unit and the units below it.

    The first five run evaluations. The last three are the separated administrators of
    GB/T 22239-2019 8.1.4.2 (三员分立): an account holds exactly one role, so it is never two
    of them at once, and none of them reads ballots or results by being an administrator.
    """

    ORGANISER = "organiser"  # runs campaigns of their unit
    LEADER = "leader"  # reads results once a campaign is closed
    AUDITOR = "auditor"  # reads the audit log and the sample draws
    CLERK = "clerk"  # keys paper ballots (organisers may too)
    SCRUTINEER = "scrutineer"  # 监票人: keeps one share of a ballot box's key
    SYSTEM_ADMIN = "sysadmin"  # 系统管理员: units, accounts, settings
    SECURITY_ADMIN = "secadmin"  # 安全管理员: roles and rights, security settings
    AUDIT_ADMIN = "auditadmin"  # 审计管理员: reads and exports the audit log, nothing else

    @property
    def is_administrator(self) -> bool:
        return self in ADMINISTRATORS


ADMINISTRATORS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# The business roles: what the system administrator may give a new account (granting an
# administrator role is the security administrator's).
BUSINESS_ROLES = tuple(role for role in Role if role not in ADMINISTRATORS)


class AdministratorRole(enum.StrEnum):
    """The administrator roles, as the column that fixes an account's one administrator role
    for life stores them (see `User.administrator_role`)."""

    SYSTEM_ADMIN = Role.SYSTEM_ADMIN.value
    SECURITY_ADMIN = Role.SECURITY_ADMIN.value
    AUDIT_ADMIN = Role.AUDIT_ADMIN.value


ADMINISTRATOR_VALUES = ", ".join(f"'{role.value}'" for role in AdministratorRole)


MIN_PASSWORD_LENGTH = 12


class WeakPassword(ValueError):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def password_problems(password: str, username: str = "") -> list[str]:
    """Why a staff password is too weak, or nothing. Length is what makes a password hard to
    guess (NIST SP 800-63B, 5.1.1): at least 12 characters, not made of one repeated character
    and not containing the username."""
    reasons = []
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(_("The password needs at least %(count)d characters.",
                         count=MIN_PASSWORD_LENGTH))
    elif len(set(password)) < 4:
        reasons.append(_("The password repeats too few different characters."))
    if username and username.casefold() in password.casefold():
        reasons.append(_("The password must not contain the username."))
    return reasons


PASSWORD_IS_HASHED = ("(directory AND password_hash IS NULL)"
                      " OR (NOT directory AND password_hash IS NOT NULL"
                      " AND password_hash LIKE '%$%')")


class User(UserMixin, db.Model):
    """A staff account. Raters never have one: they enter with a ticket."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("length(username) >= 2", name="username_not_empty"),
        # A local account has a hash; an account the directory checks has none, so that no
        # forgotten local password can open it behind the directory's back.
        sa.CheckConstraint(PASSWORD_IS_HASHED, name="password_is_hashed"),
        # 三员分立 in the database: an administrator role is held only as the account's one
        # administrator role, which a trigger of migration 0010 never lets change once set.
        # Together they refuse an account that was one administrator becoming another, also
        # through a business role in between, however the row is written.
        # (An account without one holds none: `role = NULL` alone would pass a CHECK.)
        sa.CheckConstraint(f"role NOT IN ({ADMINISTRATOR_VALUES}) OR (administrator_role IS "
                           "NOT NULL AND role = administrator_role)",
                           name="one_administrator_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    # Checked by the organisation's directory (LDAP / AD, evalapp.auth.directory): its
    # password is the directory's.
    directory: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Raised at log-out and at a password change: a session cookie names the version it was
    # given under, so a copied cookie stops working once its owner logs out.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an administrator made the password (a new account, a reset): the person
    # chooses their own at the next log-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The one administrator role this account may ever hold: set when it is first given one,
    # never changed after (a trigger refuses). None for an account never an administrator.
    administrator_role: Mapped[AdministratorRole | None] = mapped_column(
        str_enum(AdministratorRole, "administrator_role"))

    unit: Mapped[OrgUnit] = relationship()

    @validates("role")
    def _fix_administrator_role(self, _key: str, role: Role) -> Role:
        """Giving an administrator role names it as the account's one administrator role;
        for an account that already had another, the database refuses the change."""
        if Role(role).is_administrator:
            self.administrator_role = AdministratorRole(Role(role).value)
        return role

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What the session keeps: the id and the session version, e.g. "12.3"."""
        return f"{self.id}.{self.session_version}"

    def end_sessions(self) -> None:
        """Every session cookie issued so far stops working (Flask's sessions are cookies: the
        server cannot delete a copy, so it stops accepting it)."""
        self.session_version = (self.session_version or 0) + 1  # None before the first flush

    def set_password(self, password: str) -> None:
        """Raises WeakPassword (with the reasons) for a password `password_problems` refuses;
        sessions opened with the old password end. A password set this way is the owner's
        own unless `require_password_change` follows."""
        problems = password_problems(password, self.username)
        if problems:
            raise WeakPassword(problems)
        self.password_hash = generate_password_hash(password)
        self.must_change_password = False
        self.end_sessions()

    def require_password_change(self) -> None:
        """The password was made by an administrator, not by its owner: the owner must
        choose a new one at the next log-in."""
        self.must_change_password = True

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
