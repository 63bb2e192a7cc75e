"""Accounts checked by the organisation's directory (LDAP / Active Directory, issue 21): a
`directory` flag, and no local password hash for such an account (the CHECK now says: a local
account has a hash, a directory account none).

Revision ID: f1d4051a2b11
Revises: e0c3f4051a10
Create Date: 2026-12-06 20:00:00

"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1d4051a2b11'
down_revision = 'e0c3f4051a10'
branch_labels = None
depends_on = None

LOCAL_ONLY = "password_hash LIKE '%$%'"
LOCAL_OR_DIRECTORY = ("(directory AND password_hash IS NULL)"
                      " OR (NOT directory AND password_hash IS NOT NULL"
                      " AND password_hash LIKE '%$%')")


def restore_users_guard():
    """SQLite's batch mode rebuilds `users` and loses 0009's trigger (an account keeps its
    one administrator role): the same guard, written again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    path = Path(__file__).with_name("0009_accounts.py")
    spec = importlib.util.spec_from_file_location("accounts_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.drop_guard()
    module.create_guard()


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.alter_column('password_hash', existing_type=sa.String(length=256),
                              nullable=True)
        batch_op.drop_constraint(batch_op.f('ck_users_password_is_hashed'), type_='check')
        batch_op.create_check_constraint('password_is_hashed', LOCAL_OR_DIRECTORY)
    restore_users_guard()


def downgrade():
    # A directory account has no password to keep: it cannot exist in the older schema.
    op.execute("DELETE FROM users WHERE directory")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_password_is_hashed'), type_='check')
        batch_op.create_check_constraint('password_is_hashed', LOCAL_ONLY)
        batch_op.alter_column('password_hash', existing_type=sa.String(length=256),
                              nullable=False)
        batch_op.drop_column('directory')
    restore_users_guard()
