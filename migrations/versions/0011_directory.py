"""Accounts checked by the organisation's directory (LDAP / Active Directory, issue 21): a
`directory` flag, and no local password hash for such an account (the CHECK now says: a local
account has a hash, a directory account none).

Revision ID: f1d4051a2b11
Revises: c8a1d2e3f408
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1d4051a2b11'
down_revision = 'c8a1d2e3f408'
branch_labels = None
depends_on = None

LOCAL_ONLY = "password_hash LIKE '%$%'"
LOCAL_OR_DIRECTORY = ("(directory AND password_hash IS NULL)"
                      " OR (NOT directory AND password_hash IS NOT NULL"
                      " AND password_hash LIKE '%$%')")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.alter_column('password_hash', existing_type=sa.String(length=256),
                              nullable=True)
        batch_op.drop_constraint(batch_op.f('ck_users_password_is_hashed'), type_='check')
        batch_op.create_check_constraint('password_is_hashed', LOCAL_OR_DIRECTORY)


def downgrade():
    # A directory account has no password to keep: it cannot exist in the older schema.
    op.execute("DELETE FROM users WHERE directory")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_password_is_hashed'), type_='check')
        batch_op.create_check_constraint('password_is_hashed', LOCAL_ONLY)
        batch_op.alter_column('password_hash', existing_type=sa.String(length=256),
                              nullable=False)
        batch_op.drop_column('directory')
