"""the register's records

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 21:43:21.788502
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('opened', sa.String(length=10), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(), nullable=True),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_key', ['case_id', 'recorded_at'], unique=False)
        batch_op.create_index('uq_cases_current', ['case_id'], unique=True, sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))

    op.create_table('events',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('person_id', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=1000), nullable=True),
    sa.Column('case_id', sa.String(length=200), nullable=True),
    sa.Column('charges', sa.Text(), nullable=False),
    sa.Column('sentence_months', sa.Integer(), nullable=True),
    sa.Column('sentence_kind', sa.String(length=32), nullable=True),
    sa.Column('destination', sa.String(length=1000), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('politically_motivated', sa.Boolean(), nullable=False),
    sa.Column('source_ids', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(), nullable=True),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_day', ['day'], unique=False)
        batch_op.create_index('ix_events_key', ['event_id', 'recorded_at'], unique=False)
        batch_op.create_index('ix_events_person', ['person_id'], unique=False)
        batch_op.create_index('uq_events_current', ['event_id'], unique=True, sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))

    op.create_table('memberships',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=1000), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(), nullable=True),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_key', ['person_id', 'organisation_id', 'recorded_at'], unique=False)
        batch_op.create_index('uq_memberships_current', ['person_id', 'organisation_id'], unique=True, sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))

    op.create_table('organisations',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('organisation_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('kind', sa.String(length=1000), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(), nullable=True),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_organisations'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index('ix_organisations_key', ['organisation_id', 'recorded_at'], unique=False)
        batch_op.create_index('uq_organisations_current', ['organisation_id'], unique=True, sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))

    op.create_table('persons',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('name_be', sa.String(length=1000), nullable=True),
    sa.Column('name_ru', sa.String(length=1000), nullable=True),
    sa.Column('name_en', sa.String(length=1000), nullable=True),
    sa.Column('aliases', sa.Text(), nullable=False),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.Column('categories', sa.Text(), nullable=False),
    sa.Column('region', sa.String(length=1000), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('restricted_notes', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(), nullable=True),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_persons'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_key', ['person_id', 'recorded_at'], unique=False)
        batch_op.create_index('uq_persons_current', ['person_id'], unique=True, sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))

    op.create_table('sources',
    sa.Column('row_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('publisher', sa.String(length=1000), nullable=True),
    sa.Column('url', sa.String(length=4000), nullable=True),
    sa.Column('published', sa.String(length=10), nullable=True),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(), nullable=True),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('row_id', name=op.f('pk_sources'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index('ix_sources_key', ['source_id', 'recorded_at'], unique=False)
        batch_op.create_index('uq_sources_current', ['source_id'], unique=True, sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index('uq_sources_current', sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))
        batch_op.drop_index('ix_sources_key')

    op.drop_table('sources')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('uq_persons_current', sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))
        batch_op.drop_index('ix_persons_key')

    op.drop_table('persons')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index('uq_organisations_current', sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))
        batch_op.drop_index('ix_organisations_key')

    op.drop_table('organisations')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_memberships_current', sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))
        batch_op.drop_index('ix_memberships_key')

    op.drop_table('memberships')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('uq_events_current', sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))
        batch_op.drop_index('ix_events_person')
        batch_op.drop_index('ix_events_key')
        batch_op.drop_index('ix_events_day')

    op.drop_table('events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_current', sqlite_where=sa.text('retracted_at IS NULL'), postgresql_where=sa.text('retracted_at IS NULL'))
        batch_op.drop_index('ix_cases_key')

    op.drop_table('cases')
