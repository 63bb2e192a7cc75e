"""Scrutineer custody that no single staff member can undo (issue 23): each scrutineer's
custody key (the public half; the private half comes from a passphrase only they know), and
each campaign's shares, sealed to their scrutineers' keys. Campaigns opened earlier with
printed shares keep closing with the shares typed off their slips: nothing to migrate.

Revision ID: c4a7384d5e14
Revises: e6c95a6f7016
Create Date: 2026-12-06 20:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a7384d5e14'
down_revision = 'e6c95a6f7016'
branch_labels = None
depends_on = None

SEALED_SHARE_BYTES = 97  # 32 + 1 + 16 + 48, as evalapp.ballotbox.models says


def upgrade():
    op.create_table(
        'custody_keys',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('salt', sa.LargeBinary(length=16), nullable=False),
        sa.Column('opslimit', sa.Integer(), nullable=False),
        sa.Column('memlimit', sa.BigInteger(), nullable=False),
        sa.Column('enrolled_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('length(public_key) = 32',
                           name=op.f('ck_custody_keys_custody_public_key_length')),
        sa.CheckConstraint('length(salt) = 16', name=op.f('ck_custody_keys_custody_salt_length')),
        sa.CheckConstraint('opslimit >= 1 AND memlimit >= 8192',
                           name=op.f('ck_custody_keys_custody_costs')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_custody_keys_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_custody_keys')),
    )
    op.create_table(
        'custody_shares',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('released', sa.LargeBinary(), nullable=True),
        sa.CheckConstraint('number BETWEEN 1 AND 255',
                           name=op.f('ck_custody_shares_custody_share_number')),
        sa.CheckConstraint(f'length(sealed) = {SEALED_SHARE_BYTES}',
                           name=op.f('ck_custody_shares_custody_sealed_length')),
        sa.CheckConstraint(f'released IS NULL OR length(released) = {SEALED_SHARE_BYTES}',
                           name=op.f('ck_custody_shares_custody_released_length')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_custody_shares_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_custody_shares_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_shares')),
        sa.UniqueConstraint('campaign_id', 'number',
                            name=op.f('uq_custody_shares_campaign_id_number')),
        sa.UniqueConstraint('campaign_id', 'user_id',
                            name=op.f('uq_custody_shares_campaign_id_user_id')),
    )
    with op.batch_alter_table('custody_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custody_shares_campaign_id'), ['campaign_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_custody_shares_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    op.drop_table('custody_shares')
    op.drop_table('custody_keys')
