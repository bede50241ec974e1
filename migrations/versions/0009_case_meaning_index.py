"""An index of the cases that still keep a meaning vector, for the upkeep to clear them once
past the wave window

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
KEPT = 'meaning IS NOT NULL'


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_meaning', ['brand_id', 'opened_at'], unique=False,
                              postgresql_where=sa.text(KEPT), sqlite_where=sa.text(KEPT))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_meaning', postgresql_where=sa.text(KEPT),
                            sqlite_where=sa.text(KEPT))
