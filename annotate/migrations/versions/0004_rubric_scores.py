"""Rubric scores: reviewers score model descriptions on VAU-Eval's criteria.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rubric_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=128), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["model_runs.id"], name=op.f("fk_rubric_scores_run_id_model_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_scores")),
    )
    op.create_index(op.f("ix_rubric_scores_run_id"), "rubric_scores", ["run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rubric_scores_run_id"), table_name="rubric_scores")
    op.drop_table("rubric_scores")
