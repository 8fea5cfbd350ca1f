"""Alembic environment: migrations run on the connection Chronicle hands over."""

from alembic import context

from chronicle.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Chronicle runs its migrations itself: use `chronicle db upgrade`.")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
