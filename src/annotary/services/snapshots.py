"""Snapshots: a frozen, hashed export of a project that a training run can cite."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from annotary.core.ids import parse_id
from annotary.core.models import Annotation, Item, Role, User
from annotary.errors import Conflict, InvalidInput, NotFound
from annotary.formats.naming import file_stem
from annotary.services import exports
from annotary.services.audit import record
from annotary.services.projects import load_project
from annotary.services.users import require_role
from annotary.services.workspace import Workspace
from annotary.storage import inserted_id
from annotary.storage import tables as t

MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def create_snapshot(
    ws: Workspace,
    project_id: int,
    *,
    name: str | None = None,
    format: str = "jsonl",
    actor: User | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export the project now and freeze it with a manifest of what it holds."""
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        taken = set(
            conn.execute(
                select(t.snapshots.c.name).where(t.snapshots.c.project_id == project_id)
            ).scalars()
        )
    name = name or f"v{len(taken) + 1}"
    if name in taken:
        raise Conflict(f"project {project.name!r} has a snapshot named {name!r}")
    if (
        not name.replace("-", "").replace("_", "").replace(".", "").isalnum()
        or not name[0].isalnum()
        or len(name) > 100
    ):
        raise InvalidInput(
            f"snapshot name {name!r} may hold letters, digits, '-', '_' and '.' "
            "only, start with a letter or digit and be at most 100 long",
            field="name",
        )
    final = ws.root / "snapshots" / str(project_id) / name
    # Built aside and moved into place once the name is ours in the database,
    # so two snapshots racing for one name never write into the same folder.
    folder = final.with_name(f".{name}.{secrets.token_hex(6)}.partial")
    folder.mkdir(parents=True)

    listed: list[dict[str, Any]] = []

    def tap(item: Item, anns: list[Annotation]) -> None:
        listed.append(
            {
                "id": item.id,
                "content_hash": item.content_hash,
                "split": item.split,
                "excluded": item.excluded,
                "annotations": [[a.id, a.version] for a in anns],
            }
        )

    try:
        report = exports.export_project(
            ws,
            project_id,
            format,
            folder / "export",
            actor=actor,
            options=options,
            tap=tap,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    files = {
        str(path.relative_to(folder)): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    created = datetime.now(UTC)
    manifest = {
        "project": {"id": project.id, "name": project.name, "kind": project.kind},
        "snapshot": name,
        "format": report.format,
        "created_at": created.isoformat(),
        "created_by": actor.username if actor else None,
        "guideline_version": project.guideline_version,
        "counts": {
            "items": len(listed),
            "annotations": sum(len(i["annotations"]) for i in listed),
        },
        "items": listed,
        "files": files,
    }
    text = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False)
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    manifest_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        with ws.db.write() as conn:
            row = {
                "project_id": project_id,
                "name": name,
                "format": report.format,
                "path": str(final),
                "manifest_sha256": manifest_sha,
                "manifest": manifest,
                "created_by": actor.username if actor else None,
                "created_at": created,
            }
            snapshot_id = _record(conn, row, actor)
    except IntegrityError:
        shutil.rmtree(folder, ignore_errors=True)
        raise Conflict(
            f"project {project.name!r} has a snapshot named {name!r}", field="name"
        ) from None
    if final.exists():  # left by a run that died before it was recorded
        shutil.rmtree(final)
    folder.rename(final)
    return _summary(snapshot_id, name, manifest, manifest_sha, final)


def _record(conn: Connection, row: dict[str, Any], actor: User | None) -> int:
    """Insert the snapshot row and its audit event; the new id."""
    snapshot_id = inserted_id(conn.execute(t.snapshots.insert().values(**row)))
    record(
        conn,
        "snapshot.create",
        project_id=row["project_id"],
        user=actor,
        target=row["name"],
        data={"sha256": row["manifest_sha256"]},
    )
    return snapshot_id


def _summary(
    snapshot_id: int, name: str, manifest: dict[str, Any], sha: str, folder: Path
) -> dict[str, Any]:
    return {
        "id": snapshot_id,
        "name": name,
        "project_id": manifest["project"]["id"],
        "format": manifest["format"],
        "created_at": manifest["created_at"],
        "guideline_version": manifest["guideline_version"],
        "counts": manifest["counts"],
        "splits": _split_counts(manifest),
        "excluded": sum(1 for item in manifest["items"] if item["excluded"]),
        "files": len(manifest["files"]),
        "manifest_sha256": sha,
        "path": str(folder),
    }


def _split_counts(manifest: dict[str, Any]) -> dict[str, int]:
    """Items per split in the manifest; ``"none"`` for items with no split."""
    counts = Counter(item["split"] or "none" for item in manifest["items"])
    return dict(sorted(counts.items()))


def list_snapshots(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> list[dict[str, Any]]:
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.reviewer)
        rows = (
            conn.execute(
                select(t.snapshots)
                .where(t.snapshots.c.project_id == project_id)
                .order_by(t.snapshots.c.id)
            )
            .mappings()
            .all()
        )
    return [
        _summary(
            r["id"], r["name"], r["manifest"], r["manifest_sha256"], Path(r["path"])
        )
        for r in rows
    ]


def _row(ws: Workspace, snapshot_id: int, actor: User | None) -> dict[str, Any]:
    """The snapshot's row, if the actor may read it (reviewers and up)."""
    with ws.db.read() as conn:
        row = (
            conn.execute(select(t.snapshots).where(t.snapshots.c.id == snapshot_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"no snapshot with id {snapshot_id}")
        require_role(conn, actor, row["project_id"], Role.reviewer)
    return dict(row)


def get_snapshot(
    ws: Workspace, snapshot_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """The snapshot's summary: counts, items per split, hashes."""
    row = _row(ws, snapshot_id, actor)
    return _summary(
        row["id"],
        row["name"],
        row["manifest"],
        row["manifest_sha256"],
        Path(row["path"]),
    )


def get_manifest(
    ws: Workspace, snapshot_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    return dict(_row(ws, snapshot_id, actor)["manifest"])


def write_archive(
    ws: Workspace, snapshot_id: int, dest: Path, *, actor: User | None = None
) -> Path:
    """Zip the frozen files and the manifest into ``dest`` (a folder).

    Every file is checked against the sha256 the manifest holds as it is
    written, and the manifest against the hash stored in the database; a
    snapshot whose files changed or went missing is a Conflict, never a
    quietly different download.
    """
    row = _row(ws, snapshot_id, actor)
    folder = Path(row["path"])
    manifest = row["manifest"]
    expected = {**manifest["files"], MANIFEST: row["manifest_sha256"]}
    project = manifest["project"]["name"]
    archive = Path(dest) / f"{file_stem(project)}-{file_stem(row['name'])}.zip"
    missing = sorted(rel for rel in expected if not (folder / rel).is_file())
    if missing:
        raise Conflict(
            f"snapshot {row['name']!r} is missing {len(missing)} of its files "
            f"under {folder}",
            missing=missing[:20],
        )
    changed: list[str] = []
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in sorted(expected):
            digest = hashlib.sha256()
            with (
                (folder / rel).open("rb") as source,
                zf.open(rel, "w", force_zip64=True) as sink,
            ):
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
                    sink.write(chunk)
            if digest.hexdigest() != expected[rel]:
                changed.append(rel)
    if changed:
        archive.unlink()
        raise Conflict(
            f"snapshot {row['name']!r}: {len(changed)} file(s) changed on disk "
            "since it was made",
            changed=changed[:20],
        )
    return archive


def resolve_snapshot(ws: Workspace, ref: str | int) -> int:
    """A snapshot id from an id or ``PROJECT:NAME``."""
    if isinstance(ref, int) or (str(ref).isascii() and str(ref).isdigit()):
        wanted = parse_id(ref)
        if wanted is None:
            raise NotFound(f"no snapshot with id {ref}", snapshot=str(ref))
        return wanted
    project, sep, name = str(ref).rpartition(":")
    if not sep:
        raise InvalidInput(f"snapshot {ref!r}: give an id or PROJECT:NAME")
    from annotary.services.projects import resolve_project

    pid = resolve_project(ws, project)
    with ws.db.read() as conn:
        found = conn.execute(
            select(t.snapshots.c.id).where(
                (t.snapshots.c.project_id == pid) & (t.snapshots.c.name == name)
            )
        ).scalar()
    if found is None:
        raise NotFound(f"project {project!r} has no snapshot named {name!r}")
    return int(found)


def diff_snapshots(
    ws: Workspace, old_id: int, new_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """What changed between two snapshots: items, annotations, splits, files.

    ``items_changed``: in both, but content or exclusion differs;
    ``annotations_added/removed/edited``: annotation ids new, gone, or at
    another version; ``annotations_changed``: per item, the (id, version)
    lists before and after.
    """
    old = get_manifest(ws, old_id, actor=actor)
    new = get_manifest(ws, new_id, actor=actor)
    if old["project"]["id"] != new["project"]["id"]:
        raise InvalidInput(
            f"snapshots {old_id} and {new_id} are of different projects "
            f"({old['project']['name']!r}, {new['project']['name']!r}); "
            "compare two snapshots of one project",
            field="other",
        )
    before = {i["id"]: i for i in old["items"]}
    after = {i["id"]: i for i in new["items"]}
    changed_items = [
        item_id
        for item_id in sorted(before.keys() & after.keys())
        if (before[item_id]["content_hash"], before[item_id]["excluded"])
        != (after[item_id]["content_hash"], after[item_id]["excluded"])
    ]
    old_versions = {a: v for i in old["items"] for a, v in i["annotations"]}
    new_versions = {a: v for i in new["items"] for a, v in i["annotations"]}
    changed_annotations = [
        {
            "item": item_id,
            "before": before[item_id]["annotations"],
            "after": after[item_id]["annotations"],
        }
        for item_id in sorted(before.keys() & after.keys())
        if before[item_id]["annotations"] != after[item_id]["annotations"]
    ]
    moved = [
        {
            "item": item_id,
            "before": before[item_id]["split"],
            "after": after[item_id]["split"],
        }
        for item_id in sorted(before.keys() & after.keys())
        if before[item_id]["split"] != after[item_id]["split"]
    ]
    files_changed = sorted(
        path
        for path in old["files"].keys() | new["files"].keys()
        if old["files"].get(path) != new["files"].get(path)
    )
    return {
        "old": {"id": old_id, "name": old["snapshot"]},
        "new": {"id": new_id, "name": new["snapshot"]},
        "items_added": sorted(after.keys() - before.keys()),
        "items_removed": sorted(before.keys() - after.keys()),
        "items_changed": changed_items,
        "annotations_added": sorted(new_versions.keys() - old_versions.keys()),
        "annotations_removed": sorted(old_versions.keys() - new_versions.keys()),
        "annotations_edited": sorted(
            a
            for a in old_versions.keys() & new_versions.keys()
            if old_versions[a] != new_versions[a]
        ),
        "annotations_changed": changed_annotations,
        "split_changed": moved,
        "guideline_version": [old["guideline_version"], new["guideline_version"]],
        "files_changed": files_changed,
    }
