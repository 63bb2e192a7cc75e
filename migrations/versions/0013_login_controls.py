"""Log-in controls (issue 22, parts 1-4): failed log-ins counted per username for the
lock-out, the security administrator's settings (one row, with the defaults), when each
password was set (existing ones: now, so they keep working for the full maximum age), the
last five password hashes, and the second factor (an encrypted TOTP secret, the last time
step used, hashed one-time recovery codes).

Revision ID: a2e5162b3c12
Revises: c4a7384d5e14
Create Date: 2026-12-06 20:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2e5162b3c12'
down_revision = 'c4a7384d5e14'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failures',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.CheckConstraint('failed >= 0', name=op.f('ck_login_failures_failed_not_negative')),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_login_failures'))
    )
    settings = op.create_table('security_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lock_threshold', sa.Integer(), nullable=False),
    sa.Column('lock_minutes', sa.Integer(), nullable=False),
    sa.Column('idle_minutes', sa.Integer(), nullable=False),
    sa.Column('session_hours', sa.Integer(), nullable=False),
    sa.Column('password_max_age_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_security_settings_single_row')),
    sa.CheckConstraint('idle_minutes BETWEEN 1 AND 120', name=op.f('ck_security_settings_idle_minutes_range')),
    sa.CheckConstraint('lock_minutes BETWEEN 1 AND 1440', name=op.f('ck_security_settings_lock_minutes_range')),
    sa.CheckConstraint('lock_threshold BETWEEN 3 AND 10', name=op.f('ck_security_settings_lock_threshold_range')),
    sa.CheckConstraint('password_max_age_days BETWEEN 1 AND 365', name=op.f('ck_security_settings_password_max_age_range')),
    sa.CheckConstraint('session_hours BETWEEN 1 AND 24', name=op.f('ck_security_settings_session_hours_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_settings'))
    )
    op.bulk_insert(settings, [{'id': 1, 'lock_threshold': 5, 'lock_minutes': 15,
                               'idle_minutes': 15, 'session_hours': 8,
                               'password_max_age_days': 90}])
    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.CheckConstraint("password_hash LIKE '%$%'", name=op.f('ck_password_history_password_is_hashed')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_history_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_history_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('user_id', 'code_hash', name=op.f('uq_recovery_codes_user_id_code_hash'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.LargeBinary(length=80), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    # Existing passwords count as set now (naive UTC, as UTCDateTime stores it): NULL would
    # make everyone change theirs at the next log-in.
    users = sa.table('users', sa.column('password_changed_at', sa.DateTime()))
    op.execute(users.update().values(
        password_changed_at=datetime.now(timezone.utc).replace(tzinfo=None)))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('password_changed_at')

    op.drop_table('recovery_codes')
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_history_user_id'))

    op.drop_table('password_history')
    op.drop_table('security_settings')
    op.drop_table('login_failures')
