"""Roles for the three separated administrators (系统管理员, 安全管理员, 审计管理员) and for
scrutineers (监票人), who each keep one share of a ballot box's key.

Revision ID: c8a1d2e3f408
Revises: b6d16e57a006
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8a1d2e3f408'
down_revision = 'b6d16e57a006'
branch_labels = None
depends_on = None

ROLES = ('organiser', 'leader', 'auditor', 'clerk')
NEW_ROLES = ('scrutineer', 'sysadmin', 'secadmin', 'auditadmin')


def _roles(roles, length):
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('role', type_='check')
        batch_op.alter_column('role', type_=sa.String(length), existing_nullable=False)
        batch_op.create_check_constraint(
            'role', 'role IN (' + ', '.join(f"'{role}'" for role in roles) + ')')


def upgrade():
    _roles(ROLES + NEW_ROLES, 10)


def downgrade():
    op.execute("DELETE FROM users WHERE role IN ("
               + ", ".join(f"'{role}'" for role in NEW_ROLES) + ")")
    _roles(ROLES, 9)
