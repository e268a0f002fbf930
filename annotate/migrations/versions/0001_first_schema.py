"""First schema: videos, items, model runs, corrections, immutable revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)

# Revisions are history: the database itself refuses to change or delete one.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
       BEGIN SELECT RAISE(ABORT, 'revisions are immutable; save a new revision'); END""",
    """CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
       BEGIN SELECT RAISE(ABORT, 'revisions are immutable; they cannot be deleted'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION revisions_immutable() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'revisions are immutable; save a new revision'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER revisions_no_change BEFORE UPDATE OR DELETE ON revisions
       FOR EACH ROW EXECUTE FUNCTION revisions_immutable()""",
]


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
        sa.UniqueConstraint("source", "name", name=op.f("uq_videos_source_name")),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("gt_answer", sa.Text(), nullable=True),
        sa.Column("gt_start", sa.Float(), nullable=True),
        sa.Column("gt_end", sa.Float(), nullable=True),
        sa.Column("gt_class", sa.String(length=64), nullable=True),
        sa.Column("gt_description", sa.Text(), nullable=True),
        sa.Column("gt_reasoning", sa.Text(), nullable=True),
        sa.Column("gt_key_objects", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=255), nullable=True),
        sa.Column("origin_row", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "task IN ('qa', 'grounding', 'classification', 'description')",
            name=op.f("ck_items_task"),
        ),
        sa.ForeignKeyConstraint(["video_id"], ["videos.id"], name=op.f("fk_items_video_id_videos")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("video_id", "task", "key", name=op.f("uq_items_video_id_task_key")),
    )
    op.create_index(op.f("ix_items_video_id"), "items", ["video_id"])
    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=128), nullable=True),
        sa.Column("quantization", sa.String(length=16), nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("min_pixels", sa.Integer(), nullable=True),
        sa.Column("max_pixels", sa.Integer(), nullable=True),
        sa.Column("total_pixels", sa.Integer(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("class_name", sa.String(length=64), nullable=True),
        sa.Column("parsed", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_model_runs_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_runs")),
    )
    op.create_index(op.f("ix_model_runs_item_id"), "model_runs", ["item_id"])
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("annotator", sa.String(length=128), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_corrections_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
        sa.UniqueConstraint("item_id", "annotator", name=op.f("uq_corrections_item_id_annotator")),
    )
    op.create_index(op.f("ix_corrections_annotator"), "corrections", ["annotator"])
    op.create_index(op.f("ix_corrections_item_id"), "corrections", ["item_id"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("class_name", sa.String(length=64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("reviewer", sa.String(length=128), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'rejected')",
            name=op.f("ck_revisions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["correction_id"],
            ["corrections.id"],
            name=op.f("fk_revisions_correction_id_corrections"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["model_runs.id"], name=op.f("fk_revisions_run_id_model_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
        sa.UniqueConstraint(
            "correction_id", "number", name=op.f("uq_revisions_correction_id_number")
        ),
    )
    op.create_index("ix_revisions_status", "revisions", ["status"])
    dialect = op.get_bind().dialect.name
    triggers = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, [])
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER revisions_no_change ON revisions")
        op.execute("DROP FUNCTION revisions_immutable()")
    op.drop_table("revisions")
    op.drop_table("corrections")
    op.drop_table("model_runs")
    op.drop_table("items")
    op.drop_table("videos")
