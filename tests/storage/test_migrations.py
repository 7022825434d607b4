from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from annotary.services.workspace import Workspace
from annotary.storage.engine import head_revision
from annotary.storage.migrate import alembic_config
from annotary.storage.tables import metadata


def test_migrations_build_exactly_the_declared_tables(workspace: Workspace) -> None:
    with workspace.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
        tables = set(inspect(conn).get_table_names())

    assert diff == []
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables


def test_opening_twice_migrates_once(workspace: Workspace) -> None:
    workspace.db.create_all()
    with workspace.db.engine.connect() as conn:
        version = conn.exec_driver_sql("select version_num from alembic_version").all()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and head.isdigit()
    assert version == [(head,)]


def test_revisions_form_one_numbered_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    chain = [rev.revision for rev in script.walk_revisions()][::-1]
    assert chain == [f"{n:04d}" for n in range(1, len(chain) + 1)]
    # The start-up short cut reads the head from the file names alone.
    assert head_revision() == script.get_current_head()


def test_a_database_behind_the_head_is_upgraded(workspace: Workspace) -> None:
    # As a database made before 0004 (the parent_id index) and 0005 (the audit
    # indexes by id in place of one by time) looks.
    with workspace.db.write() as conn:
        conn.exec_driver_sql("DROP INDEX ix_annotations_parent")
        for name in ("id", "action", "user"):
            conn.exec_driver_sql(f"DROP INDEX ix_audit_project_{name}")
        conn.exec_driver_sql(
            "CREATE INDEX ix_audit_project ON audit_events (project_id, created_at)"
        )
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")
    assert workspace.db.revision() == "0003"

    workspace.db.create_all()

    assert workspace.db.revision() == head_revision()
    with workspace.db.engine.connect() as conn:
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("annotations")}
        audit = {
            ix["name"]: ix["column_names"]
            for ix in inspect(conn).get_indexes("audit_events")
        }
    assert "ix_annotations_parent" in indexes
    assert audit == {
        "ix_audit_project_id": ["project_id", "id"],
        "ix_audit_project_action": ["project_id", "action", "id"],
        "ix_audit_project_user": ["project_id", "user_id", "id"],
    }
