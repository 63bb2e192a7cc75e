"""Paper ballots beside phones: clerks (an account role), provisional keyings sealed with a
key the database never holds, how each ticket was used (phone or paper, a void paper ballot,
a re-check), and the share of paper ballots keyed a third time.

Revision ID: 9a9e12ba1105
Revises: 5e1c0a9d4b15
Create Date: 2026-11-29 15:30:00

"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a9e12ba1105'
down_revision = '5e1c0a9d4b15'
branch_labels = None
depends_on = None

ROLES = ('organiser', 'leader', 'auditor')


def restore_sqlite_guards():
    """SQLite's batch mode rebuilds a table to add a constraint and the rebuilt table loses
    its triggers: 0003's function writes the same guards again."""
    path = Path(__file__).with_name("0003_ballot_box.py")
    spec = importlib.util.spec_from_file_location("ballot_box_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.restore_sqlite_guards()


def upgrade():
    op.create_table(
        'paper_keyings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('clerk_id', sa.Integer(), nullable=False),
        sa.Column('box', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['clerk_id'], ['users.id'],
                                name=op.f('fk_paper_keyings_clerk_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                                name=op.f('fk_paper_keyings_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_keyings')),
        sa.UniqueConstraint('ticket_id', 'clerk_id',
                            name=op.f('uq_paper_keyings_ticket_id_clerk_id')),
    )
    with op.batch_alter_table('paper_keyings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_keyings_ticket_id'), ['ticket_id'],
                              unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper_recheck_percent', sa.Integer(), server_default='10',
                                      nullable=False))
        batch_op.create_check_constraint('paper_recheck_percent_range',
                                         'paper_recheck_percent BETWEEN 0 AND 100')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('paper_void', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column(
            'recheck', sa.Enum('drawn', 'agreed', 'differed', name='recheck',
                               native_enum=False, create_constraint=True), nullable=True))
        batch_op.create_check_constraint('paper_void_when_used',
                                         'NOT paper_void OR spent OR voided')
        batch_op.create_check_constraint('recheck_on_paper', 'recheck IS NULL OR paper')

    _roles(ROLES + ('clerk',))
    restore_sqlite_guards()


def _roles(roles):
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('role', type_='check')
        batch_op.create_check_constraint(
            'role', 'role IN (' + ', '.join(f"'{role}'" for role in roles) + ')')


def downgrade():
    op.execute("DELETE FROM users WHERE role = 'clerk'")
    _roles(ROLES)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('recheck_on_paper', type_='check')
        batch_op.drop_constraint('paper_void_when_used', type_='check')
        batch_op.drop_constraint('recheck', type_='check')
        batch_op.drop_column('recheck')
        batch_op.drop_column('paper_void')
        batch_op.drop_column('paper')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint('paper_recheck_percent_range', type_='check')
        batch_op.drop_column('paper_recheck_percent')
    with op.batch_alter_table('paper_keyings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_keyings_ticket_id'))
    op.drop_table('paper_keyings')
    restore_sqlite_guards()
