"""Alembic migrations of the Annotary database."""
