"""Merges of persons and "not the same" decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A merge moves the absorbed person's events and memberships to the kept
person by retracting and recording versions (chronicle/merging.py); `merges`
says who merged whom and when, `merge_rows` exactly which rows the merge
retracted and created, so that it can be undone exactly. `not_same` holds
the pairs someone decided are two different persons.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merges",
        sa.Column("merge_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kept_person_id", sa.String(length=200), nullable=False),
        sa.Column("absorbed_person_id", sa.String(length=200), nullable=False),
        sa.Column("merged_by", sa.String(length=1000), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("merge_id", name=op.f("pk_merges")),
    )
    with op.batch_alter_table("merges") as batch:
        batch.create_index("ix_merges_kept_person_id", ["kept_person_id"], unique=False)
        batch.create_index("ix_merges_absorbed_person_id", ["absorbed_person_id"], unique=False)

    op.create_table(
        "merge_rows",
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["merge_id"], ["merges.merge_id"], name="fk_merge_rows_merge_id"),
        sa.PrimaryKeyConstraint("merge_id", "step", "resource", "row_id", name=op.f("pk_merge_rows")),
    )
    with op.batch_alter_table("merge_rows") as batch:
        batch.create_index("ix_merge_rows_resource_row_id", ["resource", "row_id"], unique=False)

    op.create_table(
        "not_same",
        sa.Column("decision_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_a", sa.String(length=200), nullable=False),
        sa.Column("person_b", sa.String(length=200), nullable=False),
        sa.Column("decided_by", sa.String(length=1000), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_not_same")),
        sa.UniqueConstraint("person_a", "person_b", name=op.f("uq_not_same_person_a_person_b")),
    )


def downgrade() -> None:
    op.drop_table("not_same")
    with op.batch_alter_table("merge_rows") as batch:
        batch.drop_index("ix_merge_rows_resource_row_id")
    op.drop_table("merge_rows")
    with op.batch_alter_table("merges") as batch:
        batch.drop_index("ix_merges_absorbed_person_id")
        batch.drop_index("ix_merges_kept_person_id")
    op.drop_table("merges")
