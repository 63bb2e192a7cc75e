"""What a closing and a campaign's results leave behind, in the database instead of one node's
instance folder (issue 26): the progress of a box's opening, which every node's progress page
reads while any worker opens the box, and a closed campaign's charts and exports, built by
jobs when it closes and read by every node. The files kept before are a cache and are not
moved: they are built again when asked for (and `evalapp serve` removes the old folder).

Revision ID: c9d0e1f2a342
Revises: b8c9d0e1f231
Create Date: 2026-12-07 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9d0e1f2a342'
down_revision = 'b8c9d0e1f231'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'box_openings',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('ceremony', sa.String(length=64), nullable=False),
        sa.Column('released', sa.JSON(), nullable=False),
        sa.Column('stuck', sa.Boolean(), nullable=False),
        sa.Column('misfits', sa.JSON(), nullable=False),
        sa.Column('request', sa.String(length=32), nullable=False),
        sa.CheckConstraint("state IN ('waiting', 'opening', 'done', 'failed')",
                           name=op.f('ck_box_openings_box_opening_state')),
        sa.CheckConstraint('done >= 0 AND total >= 0',
                           name=op.f('ck_box_openings_box_opening_counts')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_box_openings_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_box_openings')),
    )
    op.create_table(
        'result_outputs',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('edition', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('building', 'ready', 'failed')",
                           name=op.f('ck_result_outputs_result_output_state')),
        sa.CheckConstraint("(state = 'ready') = (content IS NOT NULL)",
                           name=op.f('ck_result_outputs_result_output_content_when_ready')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_result_outputs_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', 'locale', 'name', name=op.f('pk_result_outputs')),
    )


def downgrade():
    op.drop_table('result_outputs')
    op.drop_table('box_openings')
