"""Workspace persistence: SQLAlchemy models, the Alembic migrations shipped with them, and the store's operations."""
