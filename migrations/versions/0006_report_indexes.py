"""Indexes for the reports: one brand's cases opened, due or answered in one period

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# monitor/store_reports.py; the mentions are read through 0005's ix_mentions_brand_published.
INDEXES = (
    ("ix_cases_brand_opened", ["brand_id", "opened_at"]),
    ("ix_cases_brand_deadline", ["brand_id", "deadline_at"]),
    ("ix_cases_brand_replied", ["brand_id", "replied_at"]),
)


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name, _ in reversed(INDEXES):
            batch_op.drop_index(name)
