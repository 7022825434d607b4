"""The database tables (SQLAlchemy Core). SQLite and PostgreSQL share them."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid; BigInteger would not.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    _ts("created_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(12), nullable=False),
    _ts("created_at"),
    _ts("last_used_at", nullable=True),
)

# A browser session: the cookie carries a random token, the table its hash, so
# logging out (or a password change) ends the session on the server too.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    Index("ix_sessions_user_id", "user_id"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("settings", JSON, nullable=False),
    Column("guideline_version", Integer, nullable=False, default=1),
    _ts("created_at"),
)

memberships = Table(
    "memberships",
    metadata,
    Column(
        "project_id",
        Id,
        ForeignKey("projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(20), nullable=False),
)

guidelines = Table(
    "guidelines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("version", Integer, nullable=False),
    Column("schema", JSON, nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("created_by", String(150), nullable=True),
    _ts("created_at"),
    UniqueConstraint("project_id", "version", name="uq_guidelines_project_version"),
)

items = Table(
    "items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("external_id", String(500), nullable=True),
    Column("content_hash", String(64), nullable=False),
    Column("text", Text, nullable=True),
    Column("media", JSON, nullable=True),
    Column("meta", JSON, nullable=False),
    Column("status", String(20), nullable=False, default="new"),
    Column("split", String(20), nullable=True),
    Column("excluded", Boolean, nullable=False, default=False),
    Column("exclude_reason", Text, nullable=True),
    # Queue position (import order, or a seeded shuffle) and how many people
    # hold a slot on the item: active leases plus finished assignments.
    Column("rank", BigInteger, nullable=False, default=0),
    Column("holds", Integer, nullable=False, default=0),
    Column("annotation_count", Integer, nullable=False, default=0),
    # "|cat|dog|": labels of the item's current annotations, for filtering.
    Column("labels", Text, nullable=False, default=""),
    _ts("created_at"),
    UniqueConstraint("project_id", "content_hash", name="uq_items_project_hash"),
    Index("ix_items_queue", "project_id", "excluded", "holds", "rank"),
    Index("ix_items_project_status", "project_id", "status"),
)

annotations = Table(
    "annotations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("author", String(200), nullable=True),
    Column("origin", String(20), nullable=False, default="human"),
    Column("model_name", String(200), nullable=True),
    Column("model_version", String(100), nullable=True),
    Column("parent_id", Id, ForeignKey("annotations.id", ondelete="SET NULL")),
    Column("guideline_version", Integer, nullable=True),
    Column("state", String(20), nullable=False, default="submitted"),
    Column("regions", JSON, nullable=False),
    Column("lead_time", Float, nullable=True),
    Column("version", Integer, nullable=False, default=1),
    _ts("created_at"),
    _ts("updated_at"),
    Index("ix_annotations_item", "item_id"),
    Index("ix_annotations_project_user", "project_id", "user_id"),
    Index("ix_annotations_parent", "parent_id"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(20), nullable=False),  # active, done, skipped
    Column("is_gold", Boolean, nullable=False, default=False),
    _ts("leased_until", nullable=True),
    _ts("created_at"),
    UniqueConstraint("item_id", "user_id", name="uq_assignments_item_user"),
    Index("ix_assignments_user_state", "project_id", "user_id", "state"),
    Index("ix_assignments_lease", "project_id", "state", "leased_until"),
)

gold_answers = Table(
    "gold_answers",
    metadata,
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("regions", JSON, nullable=False),
    _ts("created_at"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("annotation_id", Id, ForeignKey("annotations.id", ondelete="CASCADE")),
    Column(
        "reviewer_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    ),
    Column("decision", String(20), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    _ts("created_at"),
)

flags = Table(
    "flags",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("item_id", Id, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("check", String(100), nullable=False),
    Column("score", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("cluster", String(64), nullable=True),
    Column("data", JSON, nullable=False),
    Column("decision", String(20), nullable=True),
    _ts("created_at"),
    Index("ix_flags_item", "item_id"),
    Index("ix_flags_project_check", "project_id", "check"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE")),
    Column("kind", String(50), nullable=False),
    Column("state", String(20), nullable=False),  # queued running done failed cancelled
    Column("params", JSON, nullable=False),
    Column("progress", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=True),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("worker", String(100), nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE")),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("action", String(50), nullable=False),
    Column("target", String(100), nullable=True),
    Column("data", JSON, nullable=False),
    _ts("created_at"),
    # Pages are read newest first by id, of all events, one action or one person.
    Index("ix_audit_project_id", "project_id", "id"),
    Index("ix_audit_project_action", "project_id", "action", "id"),
    Index("ix_audit_project_user", "project_id", "user_id", "id"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(200), nullable=False),
    Column("format", String(50), nullable=False),
    Column("path", Text, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("manifest", JSON, nullable=False),
    Column("created_by", String(150), nullable=True),
    _ts("created_at"),
    UniqueConstraint("project_id", "name", name="uq_snapshots_project_name"),
)
