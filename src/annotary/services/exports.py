"""Exporting a project through a registered format."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Result, Text, bindparam, cast, select

from annotary import plugins
from annotary.core.models import Annotation, Item, Role, User
from annotary.core.regions import Region
from annotary.errors import InvalidInput
from annotary.services.projects import guidelines_of, load_project
from annotary.services.users import require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

log = logging.getLogger("annotary.formats")
PAGE = 2000
_FINAL_ORDER = {"consensus": 0, "accepted": 1}


_FLAG_FIELDS = ("check", "score", "reason", "cluster", "data", "decision")
_PAGE_ALL = (
    select(t.items)
    .where(
        (t.items.c.project_id == bindparam("pid")) & (t.items.c.id > bindparam("after"))
    )
    .order_by(t.items.c.id)
    .limit(PAGE)
)
_PAGE_KEPT = _PAGE_ALL.where(t.items.c.excluded == False)  # noqa: E712
# By item id range only, so that the item_id index serves them; rows of other
# projects' items inside the range are skipped while reading. Regions come as
# JSON text, which pydantic-core parses straight into regions (faster than
# decoding to Python objects and validating those).
_PAGE_ANNOTATIONS = (
    select(
        *(c for c in t.annotations.c if c.name != "regions"),
        cast(t.annotations.c.regions, Text).label("regions"),
    )
    .where(t.annotations.c.item_id.between(bindparam("first"), bindparam("last")))
    .order_by(t.annotations.c.id)
)
_PAGE_FLAGS = (
    select(t.flags)
    .where(t.flags.c.item_id.between(bindparam("first"), bindparam("last")))
    .order_by(t.flags.c.id)
)


def iter_records(
    ws: Workspace,
    project_id: int,
    *,
    which: str = "final",
    include_excluded: bool = False,
) -> Iterator[tuple[Item, list[Annotation]]]:
    """Items in id order with their annotations, a page per read transaction.

    ``which``: "all" (every annotation, drafts and predictions included: the
    native format), "submitted" (every finished human, imported or consensus
    annotation) or "final" (one per item: consensus, else accepted, else the
    newest submitted).
    """
    if which not in ("all", "submitted", "final"):
        raise InvalidInput(f"which={which!r} is not all, submitted or final")
    items_query = _PAGE_ALL if include_excluded else _PAGE_KEPT
    last = 0
    while True:
        with ws.db.read() as conn:
            rows = list(
                _dicts(conn.execute(items_query, {"pid": project_id, "after": last}))
            )
            if not rows:
                return
            # The page's id range: one index range scan, not an IN list of
            # PAGE values (which SQLAlchemy would compile anew for each page).
            span = {"first": rows[0]["id"], "last": rows[-1]["id"]}
            by_item: dict[int, list[dict[str, Any]]] = {}
            for ann_row in _dicts(conn.execute(_PAGE_ANNOTATIONS, span)):
                if ann_row["project_id"] == project_id:
                    by_item.setdefault(ann_row["item_id"], []).append(ann_row)
            flags: dict[int, list[dict[str, Any]]] = {}
            for flag in _dicts(conn.execute(_PAGE_FLAGS, span)):
                if flag["project_id"] == project_id:
                    flags.setdefault(flag["item_id"], []).append(
                        {key: flag[key] for key in _FLAG_FIELDS}
                    )
        # Records are built one item at a time as they are asked for: a page
        # of built regions kept alive at once made the garbage collector walk
        # them over and over, which doubled the time of a large export.
        for row in rows:
            chosen = _choose(by_item.get(row["id"], []), which)
            item = _stored_item(row)
            if row["id"] in flags:
                item.flags = flags[row["id"]]
            yield item, [_stored_annotation(a) for a in chosen]
        last = rows[-1]["id"]


def _dicts(result: Result[Any]) -> Iterator[dict[str, Any]]:
    # Plain tuples zipped with the names once: RowMapping builds its keys
    # again for every row, which cost more than the rest of the export.
    names = list(result.keys())
    for row in result:
        yield dict(zip(names, row, strict=True))


@functools.cache
def _regions() -> TypeAdapter[list[Region]]:
    return TypeAdapter(list[Region])


def _stored_item(row: dict[str, Any]) -> Item:
    media, meta = row["media"] or None, row["meta"] or {}
    return Item.model_validate({**row, "media": media, "meta": meta})


def _stored_annotation(row: dict[str, Any]) -> Annotation:
    # The row was validated when it was written; pydantic-core checks it again
    # in a few microseconds a box (measured faster than model_construct). The
    # row keeps its text, so the page holds no built regions.
    return Annotation.model_validate(
        {**row, "regions": _regions().validate_json(row["regions"])}
    )


def _choose(anns: list[dict[str, Any]], which: str) -> list[dict[str, Any]]:
    """The stored annotation rows ``which`` asks for, in id order."""
    if which == "all":
        return anns
    done = [
        a
        for a in anns
        if a["state"] in ("submitted", "accepted") and a["origin"] != "model"
    ]
    if which == "submitted" or not done:
        return done
    consensus = [a for a in done if a["origin"] == "consensus"]
    if consensus:
        return consensus[-1:]
    accepted = [a for a in done if a["state"] == "accepted"]
    if accepted:
        return accepted[-1:]
    return done[-1:]


def _tapped(
    records: Iterator[tuple[Item, list[Annotation]]],
    tap: Callable[[Item, list[Annotation]], None],
) -> Iterator[tuple[Item, list[Annotation]]]:
    for item, anns in records:
        tap(item, anns)
        yield item, anns


@contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A stand-in for ``out`` in a hidden folder beside it.

    The format writes there; only when it has finished does what it wrote
    move into place (replacing files of the same names), so a failed export
    leaves nothing half-written at ``out``.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".annotary-export-", dir=out.parent))
    staged = stage / out.name
    # The format tells a file target from a folder by what exists there.
    if out.is_file():
        staged.touch()
    elif out.is_dir():
        staged.mkdir()
    try:
        yield staged
        for entry in stage.iterdir():
            _move_into(entry, out.parent / entry.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_into(source: Path, target: Path) -> None:
    if source.is_dir() and target.is_dir():
        for child in source.iterdir():
            _move_into(child, target / child.name)
        return
    if target.is_dir():
        shutil.rmtree(target)
    os.replace(source, target)


def export_project(
    ws: Workspace,
    project_id: int,
    format: str,
    out: Path,
    *,
    actor: User | None = None,
    options: dict[str, Any] | None = None,
    tap: Callable[[Item, list[Annotation]], None] | None = None,
) -> Any:
    """Write the project in ``format`` to ``out`` and return the format's report.

    ``tap`` sees every record the format is given (snapshots build their
    manifest from it, so the manifest lists exactly what was written).
    """
    from annotary.formats.base import ExportContext
    from annotary.media.store import MediaStore

    started = time.perf_counter()
    fmt = plugins.formats.get(format)
    options = dict(options or {})
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        guidelines = guidelines_of(conn, project_id)
    if project.kind not in fmt.kinds:
        raise InvalidInput(
            f"format {fmt.name} holds {', '.join(sorted(fmt.kinds))} data, "
            f"not {project.kind}",
            format=fmt.name,
        )
    native = fmt.name.startswith("jsonl.")
    which = options.pop("which", "all" if native else "final")
    store = MediaStore(ws.media_root)

    def media_path(item: Item) -> Path | None:
        return store.local_path(item.media) if item.media else None

    records = iter_records(ws, project_id, which=which, include_excluded=native)
    if tap is not None:
        records = _tapped(records, tap)
    out = Path(out)
    with _staged(out) as staged:
        ctx = ExportContext(
            project=project,
            records=records,
            out=staged,
            media_path=media_path,
            options=options,
            guidelines=guidelines,
        )
        report = fmt.dump(ctx)
    log.info(
        "export of %s as %s: %d items in %.2f s",
        project.name,
        fmt.name,
        report.items,
        time.perf_counter() - started,
    )
    return report
