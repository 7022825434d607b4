"""index on annotations.parent_id

The assistance report and re-running a model version look annotations up by
the prediction they started from.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_annotations_parent", "annotations", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_annotations_parent", table_name="annotations")
