"""Accounts, their sessions and sign-in attempts (issue 7)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

`users` holds the accounts (an Argon2id hash of the password, never the
password; the TOTP secret once two-factor sign-in is set up),
`recovery_codes` the SHA-256 of each one-time recovery code,
`user_sessions` the SHA-256 of each session token with its stage and times,
`sign_in_failures` the failed sign-ins of the last half hour (hashed
username and client address) for the rate limits. See chronicle/accounts.py.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=1000), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("totp_required", sa.Boolean(), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled_at", sa.DateTime(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_recovery_codes_user_id"),
        sa.PrimaryKeyConstraint("user_id", "code_hash", name=op.f("pk_recovery_codes")),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("totp_setup_secret", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_user_sessions_user_id"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions") as batch:
        batch.create_index("ix_user_sessions_user_id", ["user_id"], unique=False)
    op.create_table(
        "sign_in_failures",
        sa.Column("failure_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username_hash", sa.String(length=64), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("failure_id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures") as batch:
        batch.create_index("ix_sign_in_failures_username_hash", ["username_hash", "failed_at"], unique=False)
        batch.create_index("ix_sign_in_failures_address_hash", ["address_hash", "failed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures") as batch:
        batch.drop_index("ix_sign_in_failures_address_hash")
        batch.drop_index("ix_sign_in_failures_username_hash")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_index("ix_user_sessions_user_id")
    op.drop_table("user_sessions")
    op.drop_table("recovery_codes")
    op.drop_table("users")
