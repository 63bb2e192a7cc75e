"""The digest (SHA-256) of a campaign's anonymised ballot export, published when its box is
opened (issue 18, a recount anyone can run).

Revision ID: b6d16e57a006
Revises: a5d0c0ffee05
Create Date: 2026-11-29 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6d16e57a006'
down_revision = 'a5d0c0ffee05'
branch_labels = None
depends_on = None

# SQLite's batch mode rebuilds the campaigns table and loses its trigger of 0001 (see 0003's
# restore_sqlite_guards): the same guard, written again.
CAMPAIGN_GUARD = (
    "CREATE TRIGGER campaigns_status_forward BEFORE UPDATE ON campaigns WHEN ("
    "CASE NEW.status WHEN 'draft' THEN 0 WHEN 'open' THEN 1 ELSE 2 END"
    " < CASE OLD.status WHEN 'draft' THEN 0 WHEN 'open' THEN 1 ELSE 2 END) "
    "BEGIN SELECT RAISE(ABORT, 'campaign status moves only forward: draft, open, closed'); END"
)


def restore_campaign_guard():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS campaigns_status_forward")
    op.execute(CAMPAIGN_GUARD)


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_export_sha256', sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            'ballot_export_sha256_length',
            'ballot_export_sha256 IS NULL OR length(ballot_export_sha256) = 64')
    restore_campaign_guard()


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_campaigns_ballot_export_sha256_length'), type_='check')
        batch_op.drop_column('ballot_export_sha256')
    restore_campaign_guard()
