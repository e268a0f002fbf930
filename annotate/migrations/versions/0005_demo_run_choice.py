"""Demo run choice: a pin names the run the demo replays for its item (an admin's choice).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot add a constraint to a table, only a column with its REFERENCES (a batch
        # copy would rebuild the table instead).
        op.execute("ALTER TABLE pins ADD COLUMN run_id INTEGER REFERENCES model_runs (id)")
        return
    op.add_column("pins", sa.Column("run_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_pins_run_id_model_runs"), "pins", "model_runs", ["run_id"], ["id"]
    )


def downgrade() -> None:
    op.execute("ALTER TABLE pins DROP COLUMN run_id")
