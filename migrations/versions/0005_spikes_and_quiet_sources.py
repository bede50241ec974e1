"""Spikes and quiet sources: their state, and the indexes that count mentions per hour

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import monitor.models


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quiet_sources',
    sa.Column('brand_id', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('quiet_since', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notified_at', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('brand_id', 'source')
    )
    op.create_table('spikes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('started_at', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', monitor.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('peak', sa.Float(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('slack_channel', sa.String(length=40), nullable=True),
    sa.Column('slack_ts', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('spikes', schema=None) as batch_op:
        batch_op.create_index('ix_spikes_ended', ['brand_id', 'kind', 'ended_at'], unique=False)
        batch_op.create_index('uq_spikes_open', ['brand_id', 'kind'], unique=True,
                              sqlite_where=sa.text('ended_at IS NULL'),
                              postgresql_where=sa.text('ended_at IS NULL'))

    # The indexes an hourly count per brand and per source reads (monitor/store_spikes.py).
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_brand_published',
                              ['brand_id', 'published_at', 'is_complaint'], unique=False)
        batch_op.create_index('ix_mentions_source_published',
                              ['brand_id', 'source', 'published_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_source_published')
        batch_op.drop_index('ix_mentions_brand_published')
    with op.batch_alter_table('spikes', schema=None) as batch_op:
        batch_op.drop_index('uq_spikes_open')
        batch_op.drop_index('ix_spikes_ended')
    op.drop_table('spikes')
    op.drop_table('quiet_sources')
