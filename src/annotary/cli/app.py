"""Verbs: init, serve, demo, project, import, export, user, token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from annotary.cli.common import (
    AnnotaryGroup,
    JsonOption,
    console,
    emit,
    fail,
    guarded,
    progress_bar,
    state,
    table,
    workspace,
    workspace_dir,
)
from annotary.core.ids import MAX_ID
from annotary.errors import InvalidInput
from annotary.services import exports, imports, projects, users
from annotary.services.workspace import init_workspace

app = typer.Typer(
    name="annotary",
    help="Annotary: label data and turn it into a training-ready dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=AnnotaryGroup,
)
project_app = typer.Typer(help="Create, list and show projects.", no_args_is_help=True)
user_app = typer.Typer(
    help="Add and list users, set roles and passwords.", no_args_is_help=True
)
token_app = typer.Typer(help="Create API tokens.", no_args_is_help=True)
app.add_typer(project_app, name="project")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


@app.callback()
def _root(
    workspace_opt: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        help="Workspace folder (default: ANNOTARY_WORKSPACE or the current folder).",
    ),
    as_json: bool = JsonOption,
) -> None:
    state.workspace_dir = workspace_opt
    state.json = as_json


@app.command()
@guarded
def init(
    directory: Path | None = typer.Argument(
        None, help="Folder (default: the workspace)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="e.g. postgresql+psycopg://user@host/db"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a workspace: annotary.toml, the database and media/."""
    ws = init_workspace(directory or workspace_dir(), database_url=database_url)
    emit(
        {"workspace": str(ws.root), "database": ws.db.engine.url.render_as_string()},
        as_json,
        lambda d: console.print(f"Workspace ready in [bold]{d['workspace']}[/]"),
    )


@app.command()
@guarded
def serve(
    host: str | None = typer.Option(None, help="Address to listen on."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port to listen on (1 to 65535)."
    ),
    jobs: bool = typer.Option(
        True, "--jobs/--no-jobs", help="Run background jobs in this process too."
    ),
) -> None:
    """Serve the API and the browser UI (and run background jobs)."""
    import uvicorn

    from annotary.server.app import create_app

    ws = workspace()
    host = host or ws.settings.host
    port = port or ws.settings.port
    console.print(f"Annotary on http://{host}:{port}  (API docs: /api/docs)")
    worker = start_worker(ws) if jobs else None
    try:
        # No websockets: the UI and API speak plain HTTP (httptools and uvloop
        # come with uvicorn[standard] and serve it faster).
        uvicorn.run(
            create_app(ws), host=host, port=port, log_level="warning", ws="none"
        )
    finally:
        if worker is not None:
            worker.stop()


@app.command()
@guarded
def demo(
    directory: Path = typer.Argument(Path("demo-workspace"), help="Workspace folder."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build it, do not serve."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(
        8080, min=1, max=65535, help="Port to listen on (1 to 65535)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Build a demo workspace from real data shipped inside packages, then serve it."""
    from annotary.services.demo import build_demo

    summary = build_demo(directory)
    emit(summary, as_json, _print_demo)
    if not no_serve:
        import uvicorn

        from annotary.server.app import create_app
        from annotary.services.workspace import open_workspace

        console.print(f"Serving on [bold]http://{host}:{port}[/]  (Ctrl+C stops)")
        served = open_workspace(directory)
        start_worker(served)
        uvicorn.run(
            create_app(served),
            host=host,
            port=port,
            log_level="warning",
            ws="none",
        )


def start_worker(ws: Any) -> Any:
    """A background thread that runs queued jobs (pre-label, clean, retrain)."""
    from annotary.cli.common import load_job_handlers
    from annotary.jobs import Worker

    # The handlers (scikit-learn, OpenCV, ...) load in the worker's thread,
    # while the server starts; the worker takes no job before they are there.
    worker = Worker(ws.db, {"workspace": ws}, prepare=load_job_handlers)
    worker.start()
    return worker


def _print_demo(summary: dict[str, Any]) -> None:
    table(
        ["project", "kind", "items", "gold"],
        [
            [p["name"], p["kind"], p["items"], p.get("gold", 0)]
            for p in summary["projects"]
        ],
        title=f"Demo workspace {summary['workspace']}",
    )
    console.print("Log in as:")
    for user in summary["users"]:
        console.print(
            f"  [bold]{user['username']}[/] / {user['password']}  ({user['role']})"
        )


# project -----------------------------------------------------------------


@project_app.command("create")
@guarded
def project_create(
    name: str,
    kind: str = typer.Option(..., "--kind", help="image|text|audio|video|pointcloud"),
    schema: Path | None = typer.Option(None, "--schema", help="Label schema (JSON)."),
    guideline: Path | None = typer.Option(None, "--guideline", help="Markdown file."),
    overlap: int = typer.Option(1, min=1, max=100, help="Annotators per item."),
    as_json: bool = JsonOption,
) -> None:
    """Create a project."""
    schema_data = None
    if schema is not None:
        try:
            schema_data = json.loads(schema.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{schema}: {exc}")
    text = guideline.read_text(encoding="utf-8") if guideline else ""
    project = projects.create_project(
        workspace(),
        name,
        kind,
        label_schema=schema_data,
        guideline_text=text,
        settings={"overlap": overlap},
    )
    emit(
        project.model_dump(mode="json"),
        as_json,
        lambda p: console.print(f"Created project {p['id']}: [bold]{p['name']}[/]"),
    )


@project_app.command("list")
@guarded
def project_list(as_json: bool = JsonOption) -> None:
    """List projects with their progress."""
    data = projects.list_projects(workspace())
    emit(
        data,
        as_json,
        lambda rows: table(
            ["id", "name", "kind", "items", "done", "excluded", "guideline"],
            [
                [
                    p["id"],
                    p["name"],
                    p["kind"],
                    p["counts"]["total"],
                    p["counts"]["done"] + p["counts"]["reviewed"],
                    p["counts"]["excluded"],
                    f"v{p['guideline_version']}",
                ]
                for p in rows
            ],
        ),
    )


@project_app.command("show")
@guarded
def project_show(project: str, as_json: bool = JsonOption) -> None:
    """Show one project: settings, labels, counts."""
    ws = workspace()
    pid = projects.resolve_project(ws, project)
    data = next(p for p in projects.list_projects(ws) if p["id"] == pid)
    emit(data, as_json, _print_project)


@project_app.command("import")
@guarded
def project_import(
    path: Path = typer.Argument(..., help="A native JSONL export (file or folder)."),
    name: str | None = typer.Option(None, help="Name of the new project."),
    as_json: bool = JsonOption,
) -> None:
    """Rebuild a project from Annotary's native JSONL export."""
    ws = workspace()
    with progress_bar("importing") as advance:
        _pid, report = imports.import_project(ws, path, name=name, progress=advance)
    emit(report.model_dump(mode="json"), as_json, _print_import)
    # An export of an empty project is still a project: only rejections fail.
    problem = imports.nothing_imported(report, [path]) if report.rejected else None
    if problem is not None:
        raise InvalidInput(f"project {report.project!r} created, but {problem}")


def _print_project(p: dict[str, Any]) -> None:
    console.print(
        f"[bold]{p['name']}[/] (id {p['id']}, {p['kind']}, "
        f"guideline v{p['guideline_version']})"
    )
    console.print("counts: " + ", ".join(f"{k} {v}" for k, v in p["counts"].items()))
    console.print(
        "settings: " + ", ".join(f"{k}={v}" for k, v in p["settings"].items())
    )
    labels = p["label_schema"]["labels"]
    table(
        ["label", "hotkey", "description"],
        [[x["name"], x["hotkey"] or "", x["description"]] for x in labels],
    )


# import / export ---------------------------------------------------------


@app.command("import")
@guarded
def import_(
    project: str,
    paths: list[Path] = typer.Argument(..., help="Files, folders or zip archives."),
    format: str | None = typer.Option(
        None,
        "--format",
        help="A format name (coco, yolo, jsonl, label_studio, ...); "
        "default: plain files by extension.",
    ),
    field: str | None = typer.Option(None, "--field", help="Text field or column."),
    per_file: bool = typer.Option(False, "--per-file", help=".txt: one item per file."),
    as_json: bool = JsonOption,
) -> None:
    """Import data (and annotations, with --format) into a project."""
    ws = workspace()
    pid = projects.resolve_project(ws, project)
    with progress_bar("importing") as advance:
        report = imports.import_paths(
            ws,
            pid,
            paths,
            format=format,
            field=field,
            text_mode="file" if per_file else "line",
            progress=advance,
        )
    emit(report.model_dump(mode="json"), as_json, _print_import)
    problem = imports.nothing_imported(report, paths)
    if problem is not None:
        raise InvalidInput(problem)


def _print_import(r: dict[str, Any]) -> None:
    console.print(
        f"Imported into [bold]{r['project']}[/]: {r['added']} added, "
        f"{r['duplicates']} already there, {len(r['rejected'])} rejected, "
        f"{r['annotations_added']} annotations ({r['seconds']} s)"
    )
    for name, encoding in r["encodings"].items():
        console.print(f"  {name}: read as {encoding}")
    for rejection in r["rejected"][:50]:
        console.print(
            f"  [yellow]rejected[/] {rejection['source']}: {rejection['reason']}",
            highlight=False,
        )
    if len(r["rejected"]) > 50:
        console.print(f"  ... and {len(r['rejected']) - 50} more (use --json)")


@app.command("export")
@guarded
def export(
    project: str,
    format: str = typer.Option(
        ..., "--format", help="coco, yolo, voc, conll, jsonl, ..."
    ),
    out: Path = typer.Option(..., "--out", help="File or folder to write."),
    option: list[str] = typer.Option(
        [], "--option", "-o", help="KEY=VALUE, repeatable."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Export a project in a standard format."""
    options = {}
    for pair in option:
        key, sep, value = pair.partition("=")
        if not sep:
            fail(f"--option {pair!r} is not KEY=VALUE")
        options[key] = value
    ws = workspace()
    pid = projects.resolve_project(ws, project)
    report = exports.export_project(ws, pid, format, out, options=options)
    emit(report.model_dump(mode="json"), as_json, _print_export)


def _print_export(r: dict[str, Any]) -> None:
    console.print(
        f"Exported {r['items']} items, {r['annotations']} annotations, "
        f"{r['regions']} regions as {r['format']}"
    )
    for what, count in r.get("left_out", {}).items():
        console.print(f"  [yellow]left out[/] {count} x {what}")
    for warning in r.get("warnings", [])[:50]:
        console.print(f"  [yellow]warning[/] {warning}", highlight=False)


# users and tokens --------------------------------------------------------


@user_app.command("add")
@guarded
def user_add(
    username: str,
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True
    ),
    admin: bool = typer.Option(False, "--admin", help="Workspace administrator."),
    project: list[str] = typer.Option(
        [], "--project", help="PROJECT=ROLE, repeatable."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add a user (and, optionally, give them roles in projects)."""
    ws = workspace()
    user = users.create_user(ws, username, password, is_admin=admin)
    for pair in project:
        name, sep, role = pair.rpartition("=")
        if not sep:
            fail(f"--project {pair!r} is not PROJECT=ROLE")
        users.set_role(ws, projects.resolve_project(ws, name), user.id, role)
    emit(
        user.model_dump(mode="json"),
        as_json,
        lambda u: console.print(f"Added user {u['username']} (id {u['id']})"),
    )


@user_app.command("list")
@guarded
def user_list(as_json: bool = JsonOption) -> None:
    """List users."""
    data = [u.model_dump(mode="json") for u in users.list_users(workspace())]
    emit(
        data,
        as_json,
        lambda rows: table(
            ["id", "username", "admin"],
            [[u["id"], u["username"], u["is_admin"]] for u in rows],
        ),
    )


@user_app.command("role")
@guarded
def user_role(
    username: str, project: str, role: str, as_json: bool = JsonOption
) -> None:
    """Give a user a role (admin, manager, reviewer, annotator) in a project."""
    ws = workspace()
    user = users.find_user(ws, username)
    users.set_role(ws, projects.resolve_project(ws, project), user.id, role)
    emit(
        {"username": username, "project": project, "role": role},
        as_json,
        lambda d: console.print(f"{d['username']} is {d['role']} in {d['project']}"),
    )


@user_app.command("password")
@guarded
def user_password(
    username: str,
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True
    ),
    as_json: bool = JsonOption,
) -> None:
    """Set a user's password; their browser sessions end (API tokens stay)."""
    users.set_password(workspace(), username, password)
    emit(
        {"username": username, "password_changed": True},
        as_json,
        lambda d: console.print(
            f"Password of {d['username']} changed; their sessions have ended"
        ),
    )


@token_app.command("create")
@guarded
def token_create(
    username: str,
    name: str = typer.Option("cli", help="A name to recognise it by."),
    as_json: bool = JsonOption,
) -> None:
    """Create an API token for a user; it is shown once."""
    ws = workspace()
    token = users.create_token(ws, users.find_user(ws, username), name)
    emit(
        {"username": username, "token": token},
        as_json,
        lambda d: console.print(
            f"Token for {d['username']} (shown once): {d['token']}"
        ),
    )


# splits ------------------------------------------------------------------


@app.command()
@guarded
def split(
    project: str,
    ratios: str = typer.Option("train=0.8,val=0.1,test=0.1", help="NAME=SHARE,..."),
    seed: int = typer.Option(
        0, min=0, max=MAX_ID, help="The same seed gives the same splits."
    ),
    stratify: bool = typer.Option(False, "--stratify", help="Keep label shares."),
    group_by: str | None = typer.Option(
        None, "--group-by", help="Metadata key whose items stay in one split."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Split items into train/val/test without leakage; stored on the items."""
    from annotary.services import splits

    shares: dict[str, float] = {}
    for pair in ratios.split(","):
        name, sep, value = pair.partition("=")
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            fail(f"--ratios: {pair!r} is not NAME=SHARE")
        if not sep:
            fail(f"--ratios: {pair!r} is not NAME=SHARE")
    ws = workspace()
    result = splits.split_project(
        ws,
        projects.resolve_project(ws, project),
        ratios=shares,
        seed=seed,
        stratify=stratify,
        group_by=group_by,
    )
    emit(result, as_json, _print_split)


def _print_split(r: dict[str, Any]) -> None:
    console.print(
        "Split: " + ", ".join(f"{k} {v}" for k, v in sorted(r["counts"].items()))
    )
    leaks = r["leakage"]
    total = len(leaks.get("exact", [])) + len(leaks.get("near", []))
    console.print(f"Duplicate groups that cross splits: {total}")
    for warning in r.get("warnings", []):
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)


# snapshots ---------------------------------------------------------------

snapshot_app = typer.Typer(
    help="Freeze, list and compare exports.", no_args_is_help=True
)
app.add_typer(snapshot_app, name="snapshot")


@snapshot_app.command("create")
@guarded
def snapshot_create(
    project: str,
    name: str | None = typer.Option(None, help="Default: v1, v2, ..."),
    format: str = typer.Option("jsonl", "--format", help="Any export format."),
    as_json: bool = JsonOption,
) -> None:
    """Freeze an export with a manifest (ids, versions, splits, sha256 of files)."""
    from annotary.services import snapshots

    ws = workspace()
    summary = snapshots.create_snapshot(
        ws, projects.resolve_project(ws, project), name=name, format=format
    )
    emit(
        summary,
        as_json,
        lambda s: console.print(
            f"Snapshot [bold]{s['name']}[/] (id {s['id']}): "
            f"{s['counts']['items']} items, "
            f"{s['counts']['annotations']} annotations, manifest sha256 "
            f"{s['manifest_sha256']}\n  {s['path']}"
        ),
    )


@snapshot_app.command("list")
@guarded
def snapshot_list(project: str, as_json: bool = JsonOption) -> None:
    """List a project's snapshots."""
    from annotary.services import snapshots

    ws = workspace()
    rows = snapshots.list_snapshots(ws, projects.resolve_project(ws, project))
    emit(
        rows,
        as_json,
        lambda data: table(
            ["id", "name", "format", "items", "annotations", "created", "sha256"],
            [
                [
                    s["id"],
                    s["name"],
                    s["format"],
                    s["counts"]["items"],
                    s["counts"]["annotations"],
                    s["created_at"][:19],
                    s["manifest_sha256"][:12],
                ]
                for s in data
            ],
        ),
    )


@snapshot_app.command("diff")
@guarded
def snapshot_diff(old: str, new: str, as_json: bool = JsonOption) -> None:
    """What changed between two snapshots (ids or PROJECT:NAME)."""
    from annotary.services import snapshots

    ws = workspace()
    diff = snapshots.diff_snapshots(
        ws, snapshots.resolve_snapshot(ws, old), snapshots.resolve_snapshot(ws, new)
    )
    emit(diff, as_json, _print_diff)


def _print_diff(d: dict[str, Any]) -> None:
    console.print(f"{d['old']['name']} -> {d['new']['name']}")
    console.print(
        f"  items added: {len(d['items_added'])}, removed: {len(d['items_removed'])}"
    )
    console.print(f"  items whose annotations changed: {len(d['annotations_changed'])}")
    console.print(f"  items that moved split: {len(d['split_changed'])}")
    va, vb = d["guideline_version"]
    console.print(f"  guideline version: v{va} -> v{vb}")
    for path in d["files_changed"]:
        console.print(f"  file changed: {path}")


from annotary.cli.clean import register as register_clean  # noqa: E402
from annotary.cli.prelabel import register  # noqa: E402

register(app)
register_clean(app)

from annotary.cli.quality import register as _register_quality  # noqa: E402

_register_quality(app)


def main() -> None:
    app()
