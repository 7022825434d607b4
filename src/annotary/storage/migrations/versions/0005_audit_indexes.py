"""audit_events indexes for paging and filtering

The audit screen reads a project's events newest first by id, a page at a
time, optionally of one action or one person; the old (project_id,
created_at) index served none of these, so a project with half a million
events sorted them all for each page.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_project", table_name="audit_events")
    op.create_index("ix_audit_project_id", "audit_events", ["project_id", "id"])
    op.create_index(
        "ix_audit_project_action", "audit_events", ["project_id", "action", "id"]
    )
    op.create_index(
        "ix_audit_project_user", "audit_events", ["project_id", "user_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_audit_project_user", table_name="audit_events")
    op.drop_index("ix_audit_project_action", table_name="audit_events")
    op.drop_index("ix_audit_project_id", table_name="audit_events")
    op.create_index("ix_audit_project", "audit_events", ["project_id", "created_at"])
