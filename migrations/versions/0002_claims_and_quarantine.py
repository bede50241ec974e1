"""outbox claims, Slack answers and the quarantine of mentions

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import monitor.models


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', monitor.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('claims', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('slack_channel', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('slack_ts', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('brand_id', sa.String(length=40), nullable=True))
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_case_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('source_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pipeline_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('pipeline_error_at', monitor.models.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('mention', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_at', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_id', 'platform', 'external_id', name='uq_quarantine')
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_brand_id'), ['brand_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_brand_id'))
    op.drop_table('quarantine')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_column('joined_case_id')
    with op.batch_alter_table('source_state', schema=None) as batch_op:
        batch_op.drop_column('pipeline_error_at')
        batch_op.drop_column('pipeline_error')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        for name in ('brand_id', 'slack_ts', 'slack_channel', 'claims', 'claimed_until', 'claimed_by'):
            batch_op.drop_column(name)
