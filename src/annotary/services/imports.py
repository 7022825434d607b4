"""Importing data: files, folders, archives and other tools' exports."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, select

from annotary import plugins
from annotary.core.checks import Target, region_problems
from annotary.core.models import (
    Annotation,
    ImportReport,
    ItemDraft,
    Origin,
    Project,
    QueueOrder,
    Rejection,
    Role,
    TextDraft,
    User,
)
from annotary.core.schema import Label, LabelSchema
from annotary.errors import AnnotaryError, InvalidInput, NotFound
from annotary.ingest.text import make_text_draft
from annotary.services.audit import record
from annotary.services.items import (
    Draft,
    insert_drafts,
    insert_drafts_counted,
    next_rank,
)
from annotary.services.projects import add_guideline, load_project
from annotary.services.queue import shuffle_rank
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import inserted_id
from annotary.storage import tables as t

log = logging.getLogger("annotary.ingest")

BATCH = 5000
Progress = Callable[[int], None]


def media_store(ws: Workspace) -> Any:
    from annotary.media.store import MediaStore

    return MediaStore(ws.media_root)


def import_drafts(
    ws: Workspace,
    project_id: int,
    entries: Iterable[ItemDraft | TextDraft | Rejection],
    *,
    report: ImportReport,
    actor: User | None = None,
    progress: Progress | None = None,
    native: bool = False,
) -> ImportReport:
    """Add drafts in batches of one transaction each; reject bad ones, keep going.

    ``native`` (Annotary's own lossless format) keeps annotations as they were:
    origin, version, edit links and, where the author is a user here, the user.
    Plain `TextDraft` rows from the text readers go straight to the insert.
    """
    store = None
    batch: list[Draft] = []
    rejected = report.rejected
    read = report.read  # a report may gather several calls (one per path)
    ranks: list[int] = []  # the next queue position, found at the first batch
    try:
        for entry in entries:
            if isinstance(entry, TextDraft):
                batch.append(entry)
            elif isinstance(entry, Rejection):
                rejected.append(entry)
                continue
            else:
                if entry.file_path and entry.media is None:
                    store = store or media_store(ws)
                    try:
                        entry = _store_file(ws, store, entry)
                    except AnnotaryError as exc:
                        read += 1
                        rejected.append(
                            Rejection(source=entry.source, reason=exc.message)
                        )
                        continue
                checked = _with_content_hash(entry, ws.settings.max_text_bytes)
                if isinstance(checked, Rejection):
                    read += 1
                    rejected.append(checked)
                    continue
                batch.append(checked)
            read += 1
            if len(batch) >= BATCH:
                report.read = read
                _flush(ws, project_id, batch, report, actor, native, ranks)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            _flush(ws, project_id, batch, report, actor, native, ranks)
            if progress:
                progress(len(batch))
    finally:
        report.read = read
    return report


def _with_content_hash(draft: ItemDraft, max_bytes: int) -> ItemDraft | Rejection:
    """The draft with the hash that identifies its content, or why it has none.

    Format loaders hand over text without a hash; it gets the SHA-256 of its
    UTF-8 text after the checks the text readers make, so the same text
    imported from any format is one item.
    """
    if draft.content_hash:
        # A hash comes from a lossless export (or a caller that already
        # checked the text); such items are taken as they were written.
        return draft
    source = draft.source or draft.external_id or "an item"
    if draft.media is None and draft.text is not None:
        made = make_text_draft(draft.text, {}, source, max_bytes)
        if isinstance(made, Rejection):
            return made
        return draft.model_copy(update={"content_hash": made.content_hash})
    return Rejection(
        source=source, reason="no content to import: neither text nor a media file"
    )


def _store_file(ws: Workspace, store: Any, draft: ItemDraft) -> ItemDraft:
    assert draft.file_path is not None
    ref = store.put_file(
        Path(draft.file_path),
        original_name=draft.meta.get("file_name") or Path(draft.file_path).name,
        max_pixels=ws.settings.max_image_pixels,
    )
    return draft.model_copy(
        update={"media": ref, "content_hash": ref.sha256, "file_path": None}
    )


def _flush(
    ws: Workspace,
    project_id: int,
    batch: Sequence[Draft],
    report: ImportReport,
    actor: User | None,
    native: bool = False,
    next_ranks: list[int] | None = None,
) -> None:
    """Insert one batch in one transaction.

    ``next_ranks`` carries the next queue position from batch to batch, so
    that only the first batch of an import looks it up (a scan of the
    project's rows); a concurrent import into the same project may then share
    positions with this one, which only ties their order (broken by id).
    """
    with ws.db.write() as conn:
        project = load_project(conn, project_id)
        # The same content twice in one batch counts once.
        unique: dict[str, Draft] = {}
        for draft in batch:
            unique.setdefault(draft.content_hash, draft)
        drafts = list(unique.values())
        if project.settings.queue_order == QueueOrder.random:
            ranks = [
                shuffle_rank(project.settings.seed, d.content_hash) for d in drafts
            ]
        else:
            base = next_ranks[0] if next_ranks else next_rank(conn, project_id)
            ranks = list(range(base, base + len(drafts)))
            if next_ranks is not None:
                next_ranks[:] = [base + len(drafts)]
        if not any(d.annotations or d.flags for d in drafts):
            count = insert_drafts_counted(conn, project_id, drafts, ranks)
            report.added += count
            report.duplicates += len(batch) - count
            _record_batch(conn, project_id, actor, count, len(batch))
            return
        added = insert_drafts(conn, project_id, drafts, ranks)
        report.added += len(added)
        report.duplicates += len(batch) - len(added)
        annotations: list[dict[str, Any]] = []
        touched_items: set[int] = set()
        flag_rows: list[dict[str, Any]] = []
        users_by_name = _user_ids(conn) if native else {}
        stamp = now()
        for draft in drafts:
            item_id = added.get(draft.content_hash)
            if item_id is None:
                continue
            if draft.annotations:
                touched_items.add(item_id)
            for flag in draft.flags:
                flag_rows.append(
                    {
                        "project_id": project_id,
                        "item_id": item_id,
                        "check": str(flag.get("check", "imported")),
                        "score": float(flag.get("score", 0.0)),
                        "reason": str(flag.get("reason", "")),
                        "cluster": flag.get("cluster"),
                        "data": flag.get("data") or {},
                        "decision": flag.get("decision"),
                        "created_at": stamp,
                    }
                )
            for ann in _checked(project, draft, report):
                annotations.append(
                    {
                        "project_id": project_id,
                        "item_id": item_id,
                        "user_id": users_by_name.get(ann.author or "")
                        if native
                        else None,
                        "author": ann.author,
                        "origin": (
                            ann.origin.value
                            if native or ann.origin != Origin.human
                            else Origin.imported.value
                        ),
                        "model_name": ann.model_name,
                        "model_version": ann.model_version,
                        "parent_id": ann.parent_id,
                        "guideline_version": ann.guideline_version
                        or project.guideline_version,
                        "state": ann.state.value,
                        "regions": [r.model_dump(mode="json") for r in ann.regions],
                        "lead_time": ann.lead_time,
                        "version": ann.version if native else 1,
                        "created_at": ann.created_at or stamp,
                        "updated_at": (ann.updated_at or stamp) if native else stamp,
                        "_old_id": ann.id,
                    }
                )
        if flag_rows:
            conn.execute(t.flags.insert(), flag_rows)
        if annotations:
            _insert_annotations(conn, annotations, keep_links=native)
            report.annotations_added += len(annotations)
            from annotary.services.annotations import refresh_item

            for touched in touched_items:
                refresh_item(conn, touched, project.settings.overlap)
        _record_batch(conn, project_id, actor, len(added), len(batch))


def _checked(project: Project, draft: Draft, report: ImportReport) -> list[Annotation]:
    """The draft's annotations less the regions the project refuses.

    Each refused region is reported on its own, naming the item's source, the
    annotation and the region; an annotation left with no region is dropped,
    so that it does not count as a finished "nothing here".
    """
    if not draft.annotations:
        return []
    target = Target.of(
        draft.text, draft.media.model_dump() if draft.media is not None else None
    )
    kept = []
    for number, ann in enumerate(draft.annotations, 1):
        problems = region_problems(project.label_schema, target, ann.regions)
        if not problems:
            kept.append(ann)
            continue
        for problem in problems:
            report.rejected.append(
                Rejection(
                    source=draft.source or draft.content_hash,
                    reason=f"annotation {number}: {problem.message}; region left out",
                )
            )
        bad = {problem.index for problem in problems}
        regions = [r for i, r in enumerate(ann.regions) if i not in bad]
        if regions:
            kept.append(ann.model_copy(update={"regions": regions}))
    return kept


def _record_batch(
    conn: Connection, project_id: int, actor: User | None, added: int, read: int
) -> None:
    record(
        conn,
        "import.batch",
        project_id=project_id,
        user=actor,
        data={"added": added, "read": read},
    )


def _user_ids(conn: Connection) -> dict[str, int]:
    return {
        name: uid
        for uid, name in conn.execute(select(t.users.c.id, t.users.c.username))
    }


def _insert_annotations(
    conn: Connection, rows: list[dict[str, Any]], *, keep_links: bool
) -> None:
    """Insert annotations; a lossless import keeps edit links (parent ids).

    Rows come in file order, so a parent precedes the annotations made from
    it; its new id replaces the old one in the rows after it.
    """
    if not keep_links:
        for row in rows:
            row.pop("_old_id", None)
            row["parent_id"] = None
        conn.execute(t.annotations.insert(), rows)
        return
    new_ids: dict[int, int] = {}
    for row in rows:
        old = row.pop("_old_id", None)
        parent = row["parent_id"]
        row["parent_id"] = new_ids.get(parent) if parent is not None else None
        new = inserted_id(conn.execute(t.annotations.insert().values(**row)))
        if old is not None:
            new_ids[old] = new


def import_paths(
    ws: Workspace,
    project_id: int,
    paths: Sequence[Path],
    *,
    actor: User | None = None,
    format: str | None = None,
    field: str | None = None,
    text_mode: Literal["line", "file"] = "line",
    options: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import files, folders or archives into a project, with one report."""
    started = time.perf_counter()
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
    report = ImportReport(project=project.name)
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise InvalidInput(
            f"no such file or folder: {', '.join(missing)}", paths=missing
        )
    log.info("import into %s from %d path(s) started", project.name, len(paths))

    if format and format not in ("auto", "files"):
        try:
            fmt = plugins.formats.get(format)
        except NotFound as exc:
            raise InvalidInput(exc.message, field="format") from None
        for path in paths:
            result = fmt.load(Path(path), options=options or {})
            if result.label_schema is not None:
                _merge_labels(ws, project_id, result.label_schema, actor)
            import_drafts(
                ws,
                project_id,
                result.drafts,
                report=report,
                actor=actor,
                progress=progress,
                native=result.project is not None,
            )
            report.rejected.extend(result.rejections)
    else:
        from annotary.ingest.readers import IngestOptions, read_sources

        opts = IngestOptions(
            kind=project.kind,
            text_mode=text_mode,
            field=field,
            max_members=ws.settings.max_archive_members,
            max_uncompressed_bytes=ws.settings.max_archive_mb * 2**20,
            max_image_pixels=ws.settings.max_image_pixels,
            max_text_bytes=ws.settings.max_text_bytes,
        )
        entries = read_sources([Path(p) for p in paths], opts, tmp_dir=ws.tmp_dir)
        import_drafts(
            ws, project_id, entries, report=report, actor=actor, progress=progress
        )
        report.encodings.update(getattr(entries, "encodings", {}) or {})

    report.seconds = round(time.perf_counter() - started, 3)
    log.info(
        "import into %s done: %d added, %d duplicates, %d rejected in %.2f s",
        project.name,
        report.added,
        report.duplicates,
        len(report.rejected),
        report.seconds,
    )
    return report


def nothing_imported(report: ImportReport, paths: Sequence[Path]) -> str | None:
    """Why an import added nothing, in one line; None when it did its job.

    An import did its job when it added items or annotations, or when every
    entry it read was already there and none was rejected (a re-import). It
    did not when everything was rejected, or when nothing at all was read
    (an empty folder, a CSV with only a header).

    Example:
        >>> nothing_imported(ImportReport(project="p", added=2), [Path("a.csv")])
    """
    if report.added or report.annotations_added:
        return None
    where = ", ".join(str(p) for p in paths)
    if report.rejected:
        there = f", {report.duplicates} already there" if report.duplicates else ""
        return (
            f"nothing imported from {where}: "
            f"{len(report.rejected)} rejected{there}, none added"
        )
    if report.read:
        return None
    reasons = [_why_empty(Path(p)) for p in paths]
    if len(paths) == 1:
        return f"nothing to import in {where}: {reasons[0]}"
    return "nothing to import: " + "; ".join(
        f"{p}: {why}" for p, why in zip(paths, reasons, strict=True)
    )


def _why_empty(path: Path) -> str:
    """What a path that yielded no entry at all holds, for the message."""
    if path.is_dir():
        if not any(f.is_file() for f in path.rglob("*")):
            return "the folder is empty"
        return "no file in the folder holds an item"
    suffix = path.suffix.lower()
    if suffix in (".zip",):
        return "the archive holds no item"
    with open(path, "rb") as file:
        head = file.read(1 << 16)
    lines = [line for line in head.splitlines() if line.strip()]
    if suffix in (".csv", ".tsv"):
        name = suffix[1:].upper()
        if len(lines) <= 1:
            return f"the {name} has a header and no rows"
        return f"the {name} has no rows with text"
    if not lines:
        return "the file holds only blank lines"
    if suffix == ".json":
        return "the JSON holds no records"
    return "the file holds no item"


def _merge_labels(
    ws: Workspace, project_id: int, found: LabelSchema, actor: User | None
) -> None:
    """Add the labels and tools an imported file uses to the schema (a new version)."""
    with ws.db.read() as conn:
        project = load_project(conn, project_id)
    schema = project.label_schema
    new = [label for label in found.labels if label.name not in schema.names]
    # A schema without tools allows every region type; it stays that way.
    tools = list(dict.fromkeys([*schema.tools, *found.tools])) if schema.tools else []
    if not new and tools == list(schema.tools):
        return
    labels = [*schema.labels, *(Label(name=label.name) for label in new)]
    merged = LabelSchema(
        labels=labels,
        tools=tools,
        multi_label=schema.multi_label or found.multi_label,
        allow_overlap=schema.allow_overlap or found.allow_overlap,
        ordinal=schema.ordinal,
    )
    current = _current_text(ws, project_id)
    add_guideline(ws, project_id, text=current, label_schema=merged, actor=actor)


def _current_text(ws: Workspace, project_id: int) -> str:
    from annotary.services.projects import guidelines_of

    with ws.db.read() as conn:
        return guidelines_of(conn, project_id)[-1].text


def import_project(
    ws: Workspace,
    path: Path,
    *,
    name: str | None = None,
    actor: User | None = None,
    progress: Progress | None = None,
) -> tuple[int, ImportReport]:
    """Rebuild a project from Annotary's native JSONL export (a file or folder).

    Every guideline version comes back with its number, so annotations keep
    pointing at the version they were made under.
    """
    from annotary.core.schema import parse_schema
    from annotary.services.projects import create_project

    result = plugins.formats.get("jsonl").load(Path(path), options={})
    header = result.project
    if not header:
        raise InvalidInput(f"{path}: not an Annotary JSONL export (no project line)")
    guidelines = sorted(header.get("guidelines") or [], key=lambda g: g["version"])
    if not guidelines:
        guidelines = [{"version": 1, "text": "", "schema": header.get("label_schema")}]
    first, *later = guidelines
    project = create_project(
        ws,
        name or header["name"],
        header["kind"],
        actor=actor,
        label_schema=parse_schema(first.get("schema") or {}),
        guideline_text=first.get("text", ""),
        description=header.get("description", ""),
        settings=header.get("settings"),
    )
    for guideline in later:
        add_guideline(
            ws,
            project.id,
            text=guideline.get("text", ""),
            label_schema=parse_schema(guideline.get("schema") or {}),
            actor=actor,
        )
    report = ImportReport(project=project.name)
    import_drafts(
        ws,
        project.id,
        result.drafts,
        report=report,
        actor=actor,
        progress=progress,
        native=True,
    )
    report.rejected.extend(result.rejections)
    return project.id, report
