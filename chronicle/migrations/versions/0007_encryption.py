"""Restricted data encrypted at rest (issue 7)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Adds `register_keys`: the id of the key that opens the register, a known
text sealed under it, and the columns it holds encrypted. On PostgreSQL the
source texts and the TOTP secrets of the accounts become `text`, since their
encrypted form is longer than the columns were (SQLite does not enforce
lengths; its columns stay as they are).

A migration cannot ask for the key, so it seals nothing itself: the first
`Database.open` with a key after this migration finds `register_keys` empty,
encrypts every restricted value still in the clear and every digest of the
tables that hold them, records the key, all in one transaction, and then
compacts the database so that no cleartext stays in freed space
(chronicle/keys.py, `check_key`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# table, column, length before, nullable
_WIDENED = (
    ("sources", "title", 1000, False),
    ("sources", "publisher", 1000, True),
    ("sources", "url", 4000, True),
    ("users", "totp_secret", 64, True),
    ("user_sessions", "totp_setup_secret", 64, True),
)


def upgrade() -> None:
    op.create_table(
        "register_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("key_check", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_register_keys")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length, nullable in _WIDENED:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length=length), existing_nullable=nullable)


def downgrade() -> None:
    """Refused once any encrypted column holds a value: a migration cannot decrypt it."""
    bind = op.get_bind()
    quote = bind.dialect.identifier_preparer.quote
    for sealed in bind.execute(sa.text("SELECT sealed FROM register_keys")).scalars():
        for name in filter(None, sealed.split(",")):
            table, column = name.split(".")
            if bind.execute(sa.text(f"SELECT count({quote(column)}) FROM {quote(table)}")).scalar_one():
                raise RuntimeError(
                    f"{name} holds encrypted values, and a migration cannot decrypt them: export the register "
                    "with its key (chronicle export) and import it into a new register instead"
                )
    op.drop_table("register_keys")
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length, nullable in _WIDENED:
            op.alter_column(table, column, type_=sa.String(length=length), existing_type=sa.Text(), existing_nullable=nullable)
