"""State shared by several processes: poll counters per source, seen Slack requests, pauses

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import monitor.models


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('source_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('polls_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('errors_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_poll_at', monitor.models.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_table('seen_requests',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('expires_at', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('seen_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_requests_expires_at'), ['expires_at'], unique=False)
    op.create_table('pauses',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('until', monitor.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('pauses')
    with op.batch_alter_table('seen_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_requests_expires_at'))
    op.drop_table('seen_requests')
    with op.batch_alter_table('source_state', schema=None) as batch_op:
        batch_op.drop_column('last_poll_at')
        batch_op.drop_column('errors_total')
        batch_op.drop_column('polls_total')
