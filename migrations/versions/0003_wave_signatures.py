"""wave_keys: LSH band hashes of recent cases and wave topics, so waves cost the same at any volume

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import monitor.models


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Cases opened and waves joined before this revision have no keys: for one wave window
    # (10 minutes by default) they are not found, then every recent case has its keys.
    op.create_table('wave_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.String(length=40), nullable=False),
    sa.Column('band', sa.SmallInteger(), nullable=False),
    sa.Column('bucket', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('at', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('wave_keys', schema=None) as batch_op:
        batch_op.create_index('ix_wave_keys_bucket', ['brand_id', 'bucket', 'id'], unique=False)
        batch_op.create_index('ix_wave_keys_bucket_wave', ['brand_id', 'bucket', 'wave_id'], unique=False)
        batch_op.create_index('ix_wave_keys_at', ['brand_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wave_keys_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wave_keys_wave_id'), ['wave_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wave_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wave_keys_wave_id'))
        batch_op.drop_index(batch_op.f('ix_wave_keys_case_id'))
        batch_op.drop_index('ix_wave_keys_at')
        batch_op.drop_index('ix_wave_keys_bucket_wave')
        batch_op.drop_index('ix_wave_keys_bucket')
    op.drop_table('wave_keys')
