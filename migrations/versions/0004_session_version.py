"""A session version per staff account: log-out ends the session on the server.

Revision ID: 5e1c0a9d4b15
Revises: 5b1d7a0e3c42
Create Date: 2026-11-29 09:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c0a9d4b15'
down_revision = '5b1d7a0e3c42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
