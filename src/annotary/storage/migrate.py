"""Bring a database to the newest schema with Alembic."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

log = logging.getLogger("annotary.storage")
MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    """Apply every migration the database lacks, inside the caller's transaction."""
    if connection.dialect.name == "postgresql":
        # Several API processes may start at once: one migrates, the others wait.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7406837)")
    command.upgrade(alembic_config(connection), "head")


def revision(connection: Connection, message: str) -> None:
    """Write a new migration from the difference between tables.py and the database."""
    command.revision(alembic_config(connection), message=message, autogenerate=True)
