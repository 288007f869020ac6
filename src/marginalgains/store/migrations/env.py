"""Alembic environment: runs the shipped migrations on the engine `store.database` passes in."""

from alembic import context

from marginalgains.store.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
