"""Self-review: a revision approved or rejected by its own author says so.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "revisions",
        sa.Column("self_review", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy would lose the triggers that
    # keep revisions immutable.
    op.execute("ALTER TABLE revisions DROP COLUMN self_review")
