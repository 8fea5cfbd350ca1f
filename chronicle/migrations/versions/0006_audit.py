"""The hash-chained audit log (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

`audit_log` holds the entries (chronicle/audit.py), `audit_head` the number
and hash of the last one, in a single row that writers lock to append.
Triggers make the log append-only for everyone who does not drop them
first: UPDATE and DELETE (and TRUNCATE on PostgreSQL) of `audit_log` are
refused, as are deleting the head row or moving it backwards. A database
superuser or the tables' owner can still drop the triggers; the hash chain
is what shows such changes (`chronicle audit verify`, docs/audit.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
REFUSED = "the audit log is append-only"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: UPDATE refused'); END""",
    f"""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: DELETE refused'); END""",
    f"""CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: its head row stays'); END""",
    f"""CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
        WHEN NEW.entry_id < OLD.entry_id OR NEW.head_id <> OLD.head_id
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: its head only moves forward'); END""",
]

_POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{REFUSED}: % refused', TG_OP; END $$""",
    f"""CREATE FUNCTION audit_head_check() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION '{REFUSED}: its head row stays'; END IF;
            IF NEW.entry_id < OLD.entry_id OR NEW.head_id <> OLD.head_id THEN
                RAISE EXCEPTION '{REFUSED}: its head only moves forward';
            END IF;
            RETURN NEW;
        END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()""",
    """CREATE TRIGGER audit_head_checked BEFORE UPDATE OR DELETE ON audit_head
        FOR EACH ROW EXECUTE FUNCTION audit_head_check()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()""",
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=1000), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("resource", sa.String(length=32), nullable=True),
        sa.Column("record_key", sa.String(length=1000), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"], unique=False)
    op.create_index("ix_audit_log_record", "audit_log", ["record_key"], unique=False)
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    head = op.create_table(
        "audit_head",
        sa.Column("head_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("head_id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"head_id": 1, "entry_id": 0, "hash": GENESIS}])
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    # Dropping a table drops its indexes and triggers.
    op.drop_table("audit_head")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_head_check()")
        op.execute("DROP FUNCTION audit_log_refuse()")
