"""Projects, their settings, and their versioned schema and guideline."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping, bindparam, func, select, update

from annotary.core.ids import parse_id
from annotary.core.models import DATA_KINDS, Project, ProjectSettings, Role, User
from annotary.core.schema import DEFAULT_TOOLS, Guideline, LabelSchema, parse_schema
from annotary.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from annotary.services.audit import record
from annotary.services.users import now, require_role, role_of
from annotary.services.workspace import Workspace
from annotary.storage import inserted_id
from annotary.storage import tables as t

MAX_DESCRIPTION = 10_000
MAX_GUIDELINE = 500_000


def _may_create(ws: Workspace, actor: User) -> None:
    """Workspace admins, and people who manage a project, may create projects."""
    with ws.db.read() as conn:
        manages = conn.execute(
            select(t.memberships.c.project_id).where(
                (t.memberships.c.user_id == actor.id)
                & t.memberships.c.role.in_((Role.admin.value, Role.manager.value))
            )
        ).first()
    if manages is None:
        raise PermissionDenied(
            "only workspace admins and project managers may create projects"
        )


def _settings(data: dict[str, Any] | None, kind: str) -> ProjectSettings:
    try:
        valid = ProjectSettings.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"settings.{where}: {first['msg']}", field=where) from None
    if valid.retrain_every is not None and kind != "text":
        # The model retrained in the background is the text classifier.
        raise InvalidInput(
            f"settings.retrain_every: only text projects retrain a model, "
            f"this project is {kind}",
            field="retrain_every",
        )
    return valid


def _project(row: RowMapping, schema: dict[str, Any]) -> Project:
    return Project(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        description=row["description"],
        settings=ProjectSettings.model_validate(row["settings"]),
        label_schema=LabelSchema.model_validate(schema),
        guideline_version=row["guideline_version"],
        created_at=row["created_at"],
    )


# The project with its current schema, in one query built once.
_PROJECT = (
    select(t.projects, t.guidelines.c.schema.label("_schema"))
    .select_from(t.projects)
    .join(
        t.guidelines,
        (t.guidelines.c.project_id == t.projects.c.id)
        & (t.guidelines.c.version == t.projects.c.guideline_version),
    )
    .where(t.projects.c.id == bindparam("pid"))
)


def load_project(conn: Connection, project_id: int) -> Project:
    row = conn.execute(_PROJECT, {"pid": project_id}).mappings().first()
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    return _project(row, row["_schema"])


def resolve_project(ws: Workspace, ref: str | int) -> int:
    """A project id from an id or a name (the CLI takes either)."""
    wanted = parse_id(ref)
    with ws.db.read() as conn:
        if wanted is not None:
            found = conn.execute(
                select(t.projects.c.id).where(t.projects.c.id == wanted)
            ).scalar()
            if found is not None:
                return int(found)
        found = conn.execute(
            select(t.projects.c.id).where(t.projects.c.name == str(ref))
        ).scalar()
    if found is None:
        raise NotFound(f"no project named {ref!r}", project=str(ref))
    return int(found)


def create_project(
    ws: Workspace,
    name: str,
    kind: str,
    *,
    actor: User | None = None,
    label_schema: LabelSchema | dict[str, Any] | None = None,
    guideline_text: str = "",
    description: str = "",
    settings: dict[str, Any] | ProjectSettings | None = None,
) -> Project:
    if actor is not None and not actor.is_admin:
        _may_create(ws, actor)
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"description is {len(description)} characters; at most {MAX_DESCRIPTION}",
            field="description",
        )
    if len(guideline_text) > MAX_GUIDELINE:
        raise InvalidInput(
            f"guideline text is {len(guideline_text)} characters; at most "
            f"{MAX_GUIDELINE}",
            field="guideline_text",
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("project name must be 1 to 200 characters", field="name")
    if kind not in DATA_KINDS:
        raise InvalidInput(
            f"kind {kind!r} is not one of {', '.join(DATA_KINDS)}", field="kind"
        )
    if isinstance(label_schema, dict):
        label_schema = parse_schema(label_schema)
    schema = label_schema or LabelSchema()
    if not schema.tools:
        schema = schema.model_copy(update={"tools": list(DEFAULT_TOOLS[kind])})
    if isinstance(settings, ProjectSettings):
        settings = settings.model_dump(mode="json")
    valid = _settings(settings, kind)

    with ws.db.write() as conn:
        if conn.execute(
            select(t.projects.c.id).where(t.projects.c.name == name)
        ).first():
            raise Conflict(f"a project named {name!r} exists", field="name")
        pid = inserted_id(
            conn.execute(
                t.projects.insert().values(
                    name=name,
                    kind=kind,
                    description=description,
                    settings=valid.model_dump(mode="json"),
                    guideline_version=1,
                    created_at=now(),
                )
            )
        )
        conn.execute(
            t.guidelines.insert().values(
                project_id=pid,
                version=1,
                schema=schema.model_dump(mode="json"),
                text=guideline_text,
                created_by=actor.username if actor else None,
                created_at=now(),
            )
        )
        if actor is not None and not actor.is_admin:
            conn.execute(
                t.memberships.insert().values(
                    project_id=pid, user_id=actor.id, role=Role.admin.value
                )
            )
        record(conn, "project.create", project_id=pid, user=actor, target=name)
        return load_project(conn, pid)


def get_project(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> Project:
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.annotator)
        return load_project(conn, project_id)


def list_projects(ws: Workspace, *, actor: User | None = None) -> list[dict[str, Any]]:
    """Projects the actor may see, each with its role and item counts by status."""
    with ws.db.read() as conn:
        query = select(t.projects.c.id).order_by(t.projects.c.id)
        if actor is not None and not actor.is_admin:
            query = query.join(
                t.memberships, t.memberships.c.project_id == t.projects.c.id
            ).where(t.memberships.c.user_id == actor.id)
        ids = conn.execute(query).scalars().all()
        out = []
        for pid in ids:
            project = load_project(conn, pid)
            role = role_of(conn, actor, pid)
            out.append(
                {
                    **project.model_dump(mode="json"),
                    "role": role.value if role else None,
                    "counts": item_counts(conn, pid),
                }
            )
        return out


def item_counts(conn: Connection, project_id: int) -> dict[str, int]:
    counts = {"total": 0, "new": 0, "in_progress": 0, "done": 0, "reviewed": 0}
    rows = conn.execute(
        select(t.items.c.status, t.items.c.excluded, func.count())
        .where(t.items.c.project_id == project_id)
        .group_by(t.items.c.status, t.items.c.excluded)
    ).all()
    excluded = 0
    for status, is_excluded, count in rows:
        if is_excluded:
            excluded += count
            continue
        counts[status] = counts.get(status, 0) + count
        counts["total"] += count
    counts["excluded"] = excluded
    return counts


def update_project(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    name: str | None = None,
    description: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Project:
    from annotary.services.queue import rerank

    with ws.db.write() as conn:
        require_role(conn, actor, project_id, Role.manager)
        current = load_project(conn, project_id)
        values: dict[str, Any] = {}
        if name is not None and name.strip() != current.name:
            clash = conn.execute(
                select(t.projects.c.id).where(t.projects.c.name == name.strip())
            ).first()
            if clash:
                raise Conflict(f"a project named {name!r} exists", field="name")
            values["name"] = name.strip()
        if description is not None:
            if len(description) > MAX_DESCRIPTION:
                raise InvalidInput(
                    f"description is {len(description)} characters; at most "
                    f"{MAX_DESCRIPTION}",
                    field="description",
                )
            values["description"] = description
        new_settings = current.settings
        if settings is not None:
            merged = {**current.settings.model_dump(mode="json"), **settings}
            new_settings = _settings(merged, current.kind)
            values["settings"] = new_settings.model_dump(mode="json")
        if values:
            conn.execute(
                update(t.projects).where(t.projects.c.id == project_id).values(**values)
            )
            record(
                conn,
                "project.update",
                project_id=project_id,
                user=actor,
                data={k: v for k, v in values.items()},
            )
        order_changed = (new_settings.queue_order, new_settings.seed) != (
            current.settings.queue_order,
            current.settings.seed,
        )
        if order_changed:
            rerank(conn, project_id, new_settings)
        return load_project(conn, project_id)


def add_guideline(
    ws: Workspace,
    project_id: int,
    *,
    text: str,
    label_schema: LabelSchema | dict[str, Any] | None = None,
    actor: User | None = None,
) -> Guideline:
    """Save a new version of the guideline (and schema); it becomes current."""
    if isinstance(label_schema, dict):
        label_schema = parse_schema(label_schema)
    if len(text) > MAX_GUIDELINE:
        raise InvalidInput(
            f"guideline text is {len(text)} characters; at most {MAX_GUIDELINE}",
            field="text",
        )
    with ws.db.write() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        schema = label_schema or project.label_schema
        version = project.guideline_version + 1
        created = now()
        conn.execute(
            t.guidelines.insert().values(
                project_id=project_id,
                version=version,
                schema=schema.model_dump(mode="json"),
                text=text,
                created_by=actor.username if actor else None,
                created_at=created,
            )
        )
        conn.execute(
            update(t.projects)
            .where(t.projects.c.id == project_id)
            .values(guideline_version=version)
        )
        record(
            conn,
            "guideline.create",
            project_id=project_id,
            user=actor,
            data={"version": version},
        )
    return Guideline(
        version=version,
        text=text,
        label_schema=schema,
        created_at=created,
        created_by=actor.username if actor else None,
    )


def list_guidelines(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> list[Guideline]:
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.annotator)
        return guidelines_of(conn, project_id)


def guidelines_of(conn: Connection, project_id: int) -> list[Guideline]:
    rows = (
        conn.execute(
            select(t.guidelines)
            .where(t.guidelines.c.project_id == project_id)
            .order_by(t.guidelines.c.version)
        )
        .mappings()
        .all()
    )
    return [
        Guideline(
            version=row["version"],
            text=row["text"],
            label_schema=LabelSchema.model_validate(row["schema"]),
            created_at=row["created_at"],
            created_by=row["created_by"],
        )
        for row in rows
    ]


def list_members(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> list[dict[str, Any]]:
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        rows = conn.execute(
            select(t.users.c.id, t.users.c.username, t.memberships.c.role)
            .join(t.memberships, t.memberships.c.user_id == t.users.c.id)
            .where(t.memberships.c.project_id == project_id)
            .order_by(t.users.c.username)
        ).all()
    return [{"user_id": r[0], "username": r[1], "role": r[2]} for r in rows]
