"""Exporting a project through a registered format."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    Connection,
    Dialect,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.compiler import SQLCompiler

from annotary import plugins
from annotary.core.models import Annotation, Item, Role, User
from annotary.core.regions import Region
from annotary.errors import InvalidInput
from annotary.services.projects import guidelines_of, load_project
from annotary.services.users import require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from annotary.storage.engine import read_json

log = logging.getLogger("annotary.formats")
PAGE = 2000
_FINAL_ORDER = {"consensus": 0, "accepted": 1}


_FLAG_FIELDS = ("check", "score", "reason", "cluster", "data", "decision")
_ITEM_COLUMNS = (
    "id",
    "project_id",
    "external_id",
    "content_hash",
    "text",
    "status",
    "split",
    "excluded",
    "exclude_reason",
    "annotation_count",
    "created_at",
)
_BOUNDS = select(func.min(t.items.c.id), func.max(t.items.c.id)).where(
    t.items.c.project_id == bindparam("pid")
)
# The page is read along the primary key from the last id of the page before,
# up to the project's last id. ``project_id + 0`` keeps the planner off the
# (project_id, excluded, ...) queue index: SQLite chose it and then sorted every
# remaining item of the project for each page of PAGE (quadratic: a second of a
# 100,000-item export).
_PAGE_ALL = (
    select(
        *(t.items.c[name] for name in _ITEM_COLUMNS),
        cast(t.items.c.media, Text).label("media"),
        cast(t.items.c.meta, Text).label("meta"),
    )
    .where(
        ((t.items.c.project_id + literal_column("0")) == bindparam("pid"))
        & (t.items.c.id > bindparam("after"))
        & (t.items.c.id <= bindparam("last"))
    )
    .order_by(t.items.c.id)
    .limit(bindparam("limit"))
)
_PAGE_KEPT = _PAGE_ALL.where(t.items.c.excluded == False)  # noqa: E712
# By item id range only, so that the item_id index serves them; rows of other
# projects' items inside the range are skipped while reading. JSON columns come
# as JSON text: pydantic-core parses regions straight into regions (faster
# than decoding to Python objects and validating those).
_PAGE_ANNOTATIONS = (
    select(
        *(c for c in t.annotations.c if c.name != "regions"),
        cast(t.annotations.c.regions, Text).label("regions"),
    )
    .where(t.annotations.c.item_id.between(bindparam("first"), bindparam("last")))
    # The item_id index's own order (an item's rows in id order): no sort.
    .order_by(t.annotations.c.item_id, t.annotations.c.id)
)
_PAGE_FLAGS = (
    select(
        t.flags.c.project_id,
        t.flags.c.item_id,
        *(t.flags.c[name] for name in _FLAG_FIELDS if name != "data"),
        cast(t.flags.c.data, Text).label("data"),
    )
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
    with ws.db.read() as conn:
        first, last_id = _rows(conn, _BOUNDS, {"pid": project_id})[1][0]
    if first is None:
        return
    after = first - 1
    while True:
        with ws.db.read() as conn:
            page = {"pid": project_id, "after": after, "last": last_id, "limit": PAGE}
            names, rows = _rows(conn, items_query, page)
            if not rows:
                return
            # The page's id range: one index range scan, not an IN list of
            # PAGE values (which SQLAlchemy would compile anew for each page).
            span = {"first": rows[0][0], "last": rows[-1][0]}
            ann_names, ann_rows = _rows(conn, _PAGE_ANNOTATIONS, span)
            flag_names, flag_rows = _rows(conn, _PAGE_FLAGS, span)
        by_item: dict[int, list[dict[str, Any]]] = {}
        for ann_row in ann_rows:
            ann = dict(zip(ann_names, ann_row, strict=True))
            if ann["project_id"] == project_id:
                by_item.setdefault(ann["item_id"], []).append(ann)
        flags: dict[int, list[dict[str, Any]]] = {}
        for flag_row in flag_rows:
            flag = dict(zip(flag_names, flag_row, strict=True))
            if flag["project_id"] == project_id:
                flag["data"] = read_json(flag["data"])
                flags.setdefault(flag["item_id"], []).append(
                    {key: flag[key] for key in _FLAG_FIELDS}
                )
        # Records are built one item at a time as they are asked for: a page
        # of built regions kept alive at once made the garbage collector walk
        # them over and over, which doubled the time of a large export.
        for row in rows:
            item_row = dict(zip(names, row, strict=True))
            item_id = item_row["id"]
            # Popped: once yielded, the page no longer holds the rows, whose
            # regions _stored_annotation builds in place.
            chosen = _choose(by_item.pop(item_id, []), which)
            item = _stored_item(item_row)
            if item_id in flags:
                item.flags = flags[item_id]
            yield item, [_stored_annotation(a) for a in chosen]
        after = rows[-1][0]


def _rows(
    conn: Connection, statement: Select[Any], params: dict[str, Any]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and plain rows of ``statement``, straight from the driver.

    No SQLAlchemy result processing runs: JSON columns are selected as text,
    and date-times come as the driver gives them (an ISO string on SQLite, a
    ``datetime`` on PostgreSQL), both of which pydantic reads.
    """
    compiled = _compiled(conn.dialect, statement)
    values = compiled.construct_params(params)
    cursor = conn.connection.cursor()
    try:
        if compiled.positional:
            order = compiled.positiontup or ()
            cursor.execute(compiled.string, tuple(values[name] for name in order))
        else:
            cursor.execute(compiled.string, values)
        names = [column[0] for column in cursor.description]
        return names, list(cursor.fetchall())
    finally:
        cursor.close()


# Keyed by the engine's dialect: a few workspaces' worth, not every one a
# test suite opens.
@functools.lru_cache(maxsize=64)
def _compiled(dialect: Dialect, statement: Select[Any]) -> SQLCompiler:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    return compiled


@functools.cache
def _regions() -> TypeAdapter[list[Region]]:
    return TypeAdapter(list[Region])


def _stored_item(row: dict[str, Any]) -> Item:
    media, meta = row["media"], row["meta"]
    row["media"] = read_json(media) or None if media and media != "null" else None
    row["meta"] = read_json(meta) or {} if meta and meta != "{}" else {}
    # The validator itself: model_validate's Python wrapper costs a tenth.
    item: Item = Item.__pydantic_validator__.validate_python(row)
    return item


def _stored_annotation(row: dict[str, Any]) -> Annotation:
    # The row was validated when it was written; pydantic-core checks it again
    # in a few microseconds a box (measured faster than model_construct).
    row["regions"] = _regions().validator.validate_json(row["regions"])
    annotation: Annotation = Annotation.__pydantic_validator__.validate_python(row)
    return annotation


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


def download_stem(project_name: str, format_name: str) -> str:
    """The start of an export's download name: ``Pets-coco.v1``."""
    from annotary.formats.naming import file_stem

    return f"{file_stem(project_name)}-{format_name}"


# The CLI gives every option value as text, JSON gives real types: either way
# a format gets the kind it declares, and a value of neither ("maybe" for a
# flag) is refused, naming the option.
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def typed_options(
    format: str, declared: Mapping[str, str] | None, options: dict[str, Any]
) -> dict[str, Any]:
    """Export options as the format declares their kinds (``declared``, its
    ``export_options``): flags as booleans, counts as integers; ``which``
    (the service's own) is text.

    Example:
        >>> typed_options("coco.v1", {"copy_media": "flag"}, {"copy_media": "false"})
        {'copy_media': False}
    """
    kinds: dict[str, str] = {**(declared or {}), "which": "text"}
    typed = dict(options)
    for key, value in options.items():
        kind = kinds.get(key)
        if kind == "flag":
            typed[key] = _boolean(format, key, value)
        elif kind == "count":
            typed[key] = _count(format, key, value)
        elif kind == "text" and not isinstance(value, str):
            raise InvalidInput(
                f"{format}: option {key} must be text, not {value!r}", field=key
            )
    return typed


def _boolean(format: str, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput(
        f"{format}: option {key} must be true or false, not {value!r}", field=key
    )


def _count(format: str, key: str, value: Any) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value)
    if number is None or not 1 <= number <= 2**31 - 1:
        raise InvalidInput(
            f"{format}: option {key} must be a whole number from 1, not {value!r}",
            field=key,
        )
    return number


@contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A stand-in for ``out`` in a hidden folder beside it.

    The format writes there; only when it has finished does what it wrote
    move into place (replacing files of the same names), so a failed export
    leaves nothing half-written at ``out``.
    """
    made = [p for p in [out.parent, *out.parent.parents] if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".annotary-export-", dir=out.parent))
    except OSError as exc:
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise InvalidInput(
            f"cannot write the export to {out}: cannot create files in "
            f"{out.parent} ({exc.strerror or exc})",
            field="out",
            path=str(out),
        ) from None
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
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for folder in made:  # deepest first; only the ones this export made
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
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
    options = typed_options(fmt.name, fmt.export_options, options)
    which = options.pop("which", "all" if native else "final")
    if fmt.export_options is not None:
        unknown = sorted(set(options) - set(fmt.export_options))
        if unknown:
            takes = ", ".join(sorted({*fmt.export_options, "which"}))
            raise InvalidInput(
                f"{fmt.name} has no option {', '.join(map(repr, unknown))}; "
                f"it takes: {takes}",
                field="options",
            )
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
