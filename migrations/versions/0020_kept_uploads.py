"""Uploads kept between an import's steps in the database instead of one node's instance folder
(issue 26), so that whichever node takes the next step finds them: wrapped under the
key-encryption key, and bound to the account that uploaded them. Files kept before (a day's
worth at most) are not moved: an import under way when the upgrade runs is uploaded again.

Revision ID: b8c9d0e1f231
Revises: a7b8c9d0e120
Create Date: 2026-12-07 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8c9d0e1f231'
down_revision = 'a7b8c9d0e120'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'kept_uploads',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kept_at', sa.DateTime(), nullable=False),
        sa.Column('rows', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_kept_uploads_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_kept_uploads')),
    )
    with op.batch_alter_table('kept_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kept_uploads_kept_at'), ['kept_at'], unique=False)


def downgrade():
    op.drop_table('kept_uploads')
