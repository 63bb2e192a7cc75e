"""Rounds (issue 27, part 1): a design made once at a unit (the round's template campaign)
and instantiated as one campaign per unit below it, each carrying the round.

Revision ID: c5d6e7f8a9b0
Revises: a3b4c5d6e786
Create Date: 2026-12-07 16:40:00

"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5d6e7f8a9b0'
down_revision = 'a3b4c5d6e786'
branch_labels = None
depends_on = None


def restore_campaign_guard():
    """SQLite's batch mode rebuilds the campaigns table and loses its trigger: 0007's
    function writes it again."""
    path = Path(__file__).with_name("0007_export_digest.py")
    spec = importlib.util.spec_from_file_location("export_digest_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.restore_campaign_guard()


def upgrade():
    op.create_table(
        'rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('opens_on', sa.Date(), nullable=True),
        sa.Column('closes_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('opens_on IS NULL OR closes_on IS NULL OR closes_on >= opens_on',
                           name=op.f('ck_rounds_closes_after_opening')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'],
                                name=op.f('fk_rounds_unit_id_org_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds')),
    )
    op.create_index(op.f('ix_rounds_unit_id'), 'rounds', ['unit_id'], unique=False)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('is_template', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_campaigns_round_id_rounds'), 'rounds',
                                    ['round_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_campaigns_round_id_unit_id'),
                                          ['round_id', 'unit_id'])
        batch_op.create_check_constraint(
            'template_is_draft_of_round',
            "NOT is_template OR (status = 'draft' AND round_id IS NOT NULL)")
    restore_campaign_guard()


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_campaigns_template_is_draft_of_round'),
                                 type_='check')
        batch_op.drop_constraint(batch_op.f('uq_campaigns_round_id_unit_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_campaigns_round_id_rounds'),
                                 type_='foreignkey')
        batch_op.drop_column('is_template')
        batch_op.drop_column('round_id')
    restore_campaign_guard()
    op.drop_index(op.f('ix_rounds_unit_id'), table_name='rounds')
    op.drop_table('rounds')
