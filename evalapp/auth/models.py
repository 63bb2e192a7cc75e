from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

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
# zxcvbn's score from 0 to 4; 3 is "safely unguessable" (about 10⁸ guesses and more). Below it
# the password is in (or made of) the lists of leaked and common passwords zxcvbn ships.
MIN_PASSWORD_SCORE = 3
PASSWORD_HISTORY = 5  # a new password may not be any of the account's last five


class WeakPassword(ValueError):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def password_problems(password: str, username: str = "") -> list[str]:
    """Why a staff password is too weak, or nothing. Length is what makes a password hard to
    guess (NIST SP 800-63B, 5.1.1): at least 12 characters, not made of one repeated character
    and not containing the username; and, as 5.1.1.2 asks, not one of the passwords known from
    leaks or common use, nor a small variation of one (zxcvbn's frequency lists, which come
    from leaked password sets; its score also catches keyboard walks, dates and sequences)."""
    reasons = []
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(_("The password needs at least %(count)d characters.",
                         count=MIN_PASSWORD_LENGTH))
    elif len(set(password)) < 4:
        reasons.append(_("The password repeats too few different characters."))
    if username and username.casefold() in password.casefold():
        reasons.append(_("The password must not contain the username."))
    if not reasons and zxcvbn(password, user_inputs=[username])["score"] < MIN_PASSWORD_SCORE:
        reasons.append(_("The password is a common or leaked one, or too close to one."))
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
        # administrator role, which a trigger of migration 0009 never lets change once set.
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
    # The one administrator role this account may ever hold: set when it is first given one,
    # never changed after (a trigger refuses). None for an account never an administrator.
    administrator_role: Mapped[AdministratorRole | None] = mapped_column(
        str_enum(AdministratorRole, "administrator_role"))
    # NULL: the password must be changed at the next log-in (see auth.passwords): an
    # administrator made it (a new account, a reset), not its owner.
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The TOTP secret, encrypted with a key the database does not hold (see auth.totp); NULL
    # while the account has no second factor. The last time step whose code was accepted:
    # a code of that step or an earlier one is a replay.
    totp_secret: Mapped[bytes | None] = mapped_column(sa.LargeBinary(80))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    unit: Mapped[OrgUnit] = relationship()
    password_history: Mapped[list[PasswordHistory]] = relationship(
        order_by="PasswordHistory.id", cascade="all, delete-orphan")

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

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None

    def used_recently(self, password: str) -> bool:
        """Whether `password` is the current one or one of the last PASSWORD_HISTORY."""
        hashes = [self.password_hash, *(old.password_hash for old in self.password_history)]
        return any(check_password_hash(hashed, password) for hashed in hashes if hashed)

    def set_password(self, password: str, at: datetime | None = None) -> None:
        """Raises WeakPassword (with the reasons) for a password `password_problems` refuses
        or one used recently; sessions opened with the old password end. `at` (aware UTC,
        default now) starts the new password's age. A password set this way is the owner's
        own unless `require_password_change` follows."""
        problems = password_problems(password, self.username)
        if not problems and self.used_recently(password):
            problems = [_("The password was used recently; choose another one.")]
        if problems:
            raise WeakPassword(problems)
        if self.password_hash:  # the one replaced joins the history; with it, the last five
            self.password_history.append(PasswordHistory(password_hash=self.password_hash))
            del self.password_history[:-(PASSWORD_HISTORY - 1)]
        self.password_hash = generate_password_hash(password)
        self.password_changed_at = at or utcnow()
        self.end_sessions()

    def require_password_change(self) -> None:
        """The password was made by an administrator, not by its owner: the owner must
        choose a new one at the next log-in."""
        self.password_changed_at = None

    @property
    def must_change_password(self) -> bool:
        return self.password_changed_at is None

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class PasswordHistory(db.Model):
    """The hashes of an account's previous passwords (the last PASSWORD_HISTORY - 1; with the
    current one, the last PASSWORD_HISTORY), which a new password may not repeat."""

    __tablename__ = "password_history"
    __table_args__ = (sa.CheckConstraint("password_hash LIKE '%$%'", name="password_is_hashed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))


class RecoveryCode(db.Model):
    """One of an account's one-time recovery codes, for a lost authenticator: stored as a
    SHA-256 hash (the codes are random, 80 bits each, so a fast hash cannot be reversed) and
    spent by setting `used_at`."""

    __tablename__ = "recovery_codes"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """Failed log-ins in a row for one username, known or not (so that a lock-out does not
    tell which usernames exist), counted in the database so that every worker and node sees
    the same count; `locked_until` is set when the count reaches the threshold."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.CheckConstraint("failed >= 0", name="failed_not_negative"),)

    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failed: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecuritySettings(db.Model):
    """The log-in controls, one row, changed by the security administrator. Missing, the
    defaults apply (see auth.policy)."""

    __tablename__ = "security_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("lock_threshold BETWEEN 3 AND 10", name="lock_threshold_range"),
        sa.CheckConstraint("lock_minutes BETWEEN 1 AND 1440", name="lock_minutes_range"),
        sa.CheckConstraint("idle_minutes BETWEEN 1 AND 120", name="idle_minutes_range"),
        sa.CheckConstraint("session_hours BETWEEN 1 AND 24", name="session_hours_range"),
        sa.CheckConstraint("password_max_age_days BETWEEN 1 AND 365",
                           name="password_max_age_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lock_threshold: Mapped[int]
    lock_minutes: Mapped[int]
    idle_minutes: Mapped[int]
    session_hours: Mapped[int]
    password_max_age_days: Mapped[int]
