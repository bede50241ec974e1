"""Waves across languages: the meaning vector of a recent case and of a wave, the wave's
main category, and an index to find a brand's recent waves

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meaning', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('meaning', sa.LargeBinary(), nullable=True))
        batch_op.create_index('ix_waves_brand_last', ['brand_id', 'last_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.drop_index('ix_waves_brand_last')
        batch_op.drop_column('meaning')
        batch_op.drop_column('category')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('meaning')
