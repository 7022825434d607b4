"""Cleaning a project: run the checks, store their flags, decide about items.

The checks themselves are pure (``annotary.clean``); this module feeds them
the project's items with the local files of their bytes, keeps their flags in
the ``flags`` table and turns decisions into exclusions. Nothing is deleted:
an excluded item leaves the queue, keeps its reason and can be restored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, RowMapping, bindparam, case, func, select, update

from annotary import clean, plugins
from annotary.clean.base import base_name, checks_for, merge_params
from annotary.core.models import Role, User
from annotary.errors import Conflict, InvalidInput, NotFound, Unavailable
from annotary.jobs import JobContext, handler, submit_job
from annotary.media.store import MediaStore
from annotary.services.audit import record
from annotary.services.items import to_item
from annotary.services.projects import load_project
from annotary.services.users import get_user, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

log = logging.getLogger("annotary.clean")

Progress = Callable[[int, int], None]
"""Called with (items read, items to read) as a run goes: the per-item checks
share one pass over the items, every other check makes a pass of its own."""

Action = Literal["keep", "exclude", "restore"]
ACTIONS: frozenset[str] = frozenset({"keep", "exclude", "restore"})
MAX_FLAGS = 5000
CHUNK = 5000  # ids per IN (...), under every database's bound-parameter limit
SNIPPET = 300  # characters of an item's text shown next to its flags
READ_CHUNK = 1000  # items read per transaction while the checks run


def _chunks_of_items(
    ws: Workspace, project_id: int, size: int | None = None
) -> Iterator[list[clean.CheckInput]]:
    """The project's items in id order, ``size`` at a time, each chunk read in
    a short transaction of its own (keyset paging, no OFFSET)."""
    size = size or READ_CHUNK
    store = MediaStore(ws.media_root)
    last = 0
    while True:
        with ws.db.read() as conn:
            rows = list(
                conn.execute(
                    select(t.items)
                    .where((t.items.c.project_id == project_id) & (t.items.c.id > last))
                    .order_by(t.items.c.id)
                    .limit(size)
                ).mappings()
            )
        if not rows:
            return
        chunk = []
        for row in rows:
            item = to_item(row)
            chunk.append(
                clean.CheckInput(item=item, path=_local_path(store, item.media))
            )
        last = int(rows[-1]["id"])
        yield chunk
        if len(rows) < size:
            return


def _local_path(store: MediaStore, media: Any) -> Path | None:
    if media is None:
        return None
    try:
        return store.local_path(media)
    except NotFound:
        # The corrupt-file check then reports that the bytes are missing.
        return store.root / str(media.path)


def _validate_params(
    params: Mapping[str, Mapping[str, Any]], checks: list[clean.Check]
) -> None:
    known = {c.name for c in checks} | {base_name(c.name) for c in checks}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidInput(
            f"parameters given for checks that do not run: {', '.join(unknown)}",
            field="params",
            unknown=unknown,
        )
    # Names and types of each check's parameters, before any work is queued.
    for check in checks:
        defaults = getattr(check, "defaults", {})
        for key in (base_name(check.name), check.name):
            if key in params and defaults:
                nullable = getattr(check, "nullable_params", ())
                merge_params(check.name, defaults, params[key], nullable=nullable)


def run_cleaning(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    checks: Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the cleaning checks over every item of a project and store the flags.

    Flags of the checks that ran replace their earlier flags; a decision
    already taken for the same item and check is carried over. The report is
    written to the audit log (action ``clean.run``) and returned.

    Args:
        ws: the workspace.
        project_id: the project to clean.
        actor: who runs it (None: the local owner); needs the manager role.
        checks: check names (versioned or not); all that apply when None.
        params: per-check parameters, e.g. ``{"blur": {"threshold": 50}}``.
        progress: called with (items read, items to read over all passes).

    Returns:
        The report: kind, items, checks (name, params, counts, seconds),
        counts (flagged items per check), flags, decisions kept, seconds.

    Example:
        >>> run_cleaning(ws, 1, checks=["blur"])["counts"]
        {'blur.v1': 3}
    """
    started = time.perf_counter()
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        kind = load_project(conn, project_id).kind
        count = conn.execute(
            select(func.count()).where(t.items.c.project_id == project_id)
        ).scalar_one()
    chosen = checks_for(kind, list(checks) if checks is not None else None)
    given = {str(k): dict(v) for k, v in (params or {}).items()}
    _validate_params(given, chosen)

    report = clean.run_streamed(
        lambda: _chunks_of_items(ws, project_id),
        kind,
        int(count),
        [check.name for check in chosen],
        given,
        progress,
    )

    with ws.db.write() as conn:
        kept = _store_flags(conn, project_id, report)
        summary = _summary(report, kept, time.perf_counter() - started)
        record(
            conn,
            "clean.run",
            project_id=project_id,
            user=actor,
            data=summary,
        )
    log.info(
        "project %s cleaned: %s flags over %s items",
        project_id,
        len(report.flags),
        report.items,
    )
    return summary


def _summary(report: clean.CleanReport, kept: int, seconds: float) -> dict[str, Any]:
    return {
        "kind": report.kind,
        "items": report.items,
        "checks": [run.model_dump(mode="json") for run in report.checks],
        "counts": report.counts,
        "flags": len(report.flags),
        "decisions_kept": kept,
        "seconds": round(seconds, 3),
    }


def _store_flags(conn: Connection, project_id: int, report: clean.CleanReport) -> int:
    names = [run.name for run in report.checks]
    scope = (t.flags.c.project_id == project_id) & t.flags.c.check.in_(names)
    earlier = {
        (item_id, check): decision
        for item_id, check, decision in conn.execute(
            select(t.flags.c.item_id, t.flags.c.check, t.flags.c.decision).where(
                scope & t.flags.c.decision.is_not(None)
            )
        )
    }
    conn.execute(t.flags.delete().where(scope))

    created = datetime.now(UTC)
    rows = [
        {
            "project_id": project_id,
            "item_id": flag.item_id,
            "check": flag.check,
            "score": float(flag.score),
            "reason": flag.reason,
            "cluster": flag.cluster,
            "data": flag.data,
            "decision": earlier.get((flag.item_id, flag.check)),
            "created_at": created,
        }
        for flag in report.flags
    ]
    if rows:
        conn.execute(t.flags.insert(), rows)
    return sum(1 for row in rows if row["decision"] is not None)


def submit_cleaning(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    checks: list[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Queue a ``clean`` job for a worker; returns the job id.

    Raises:
        Conflict: a clean job of the project is queued or running already.
    """
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        kind = load_project(conn, project_id).kind
    chosen = checks_for(kind, checks)
    _validate_params(params or {}, chosen)
    job_params = {
        "checks": checks,
        "params": params or {},
        "actor_id": actor.id if actor else None,
    }
    with ws.db.write() as conn:
        pending = conn.execute(
            select(t.jobs.c.id).where(
                (t.jobs.c.project_id == project_id)
                & (t.jobs.c.kind == "clean")
                & t.jobs.c.state.in_(("queued", "running"))
            )
        ).scalar()
        if pending is not None:
            raise Conflict(
                f"project {project_id} is being cleaned already (job {pending}); "
                "wait for it or cancel it",
                job=pending,
            )
        return submit_job(ws.db, "clean", job_params, project_id=project_id, conn=conn)


@handler("clean")
def clean_job(ctx: JobContext) -> dict[str, Any]:
    """The job handler: ``ctx.extra["workspace"]`` is the workspace to clean."""
    ws = ctx.extra.get("workspace")
    if not isinstance(ws, Workspace):
        raise Unavailable(
            f"job {ctx.job_id}: a clean job needs a worker given the workspace "
            '(Worker(db, extra={"workspace": ws}))'
        )
    if ctx.project_id is None:
        raise InvalidInput("a clean job needs a project", field="project_id")
    actor_id = ctx.params.get("actor_id")
    return run_cleaning(
        ws,
        ctx.project_id,
        actor=get_user(ws, actor_id) if actor_id is not None else None,
        checks=ctx.params.get("checks"),
        params=ctx.params.get("params") or {},
        progress=lambda done, total: ctx.progress(done, total),
    )


def _check_filter(check: str) -> Any:
    if base_name(check) != check:
        return t.flags.c.check == check
    return (t.flags.c.check == check) | t.flags.c.check.like(f"{check}.v%")


def _flag_rows(
    conn: Connection,
    project_id: int,
    *conditions: Any,
    by_score: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[RowMapping]:
    query = (
        select(
            t.flags.c.id,
            t.flags.c.item_id,
            t.flags.c.check,
            t.flags.c.score,
            t.flags.c.reason,
            t.flags.c.cluster,
            t.flags.c.data,
            t.flags.c.decision,
            t.items.c.excluded,
            t.items.c.exclude_reason,
            t.items.c.external_id,
            t.items.c.annotation_count,
            t.items.c.media,
            # A mojibake flag shows the whole text next to its repair; any
            # other flag a snippet, so a screen of flags needs no item reads.
            case(
                (t.flags.c.check.like("mojibake.v%"), t.items.c.text),
                else_=func.substr(t.items.c.text, 1, SNIPPET),
            ).label("snippet"),
        )
        .join(t.items, t.items.c.id == t.flags.c.item_id)
        .where(t.flags.c.project_id == project_id, *conditions)
    )
    if by_score:
        order = (t.flags.c.score.desc(), t.flags.c.item_id, t.flags.c.check)
        query = query.order_by(*order).offset(offset).limit(limit)
    else:
        query = query.order_by(t.flags.c.id)
    return list(conn.execute(query).mappings())


def _flag_dict(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "item_id": row["item_id"],
        "check": row["check"],
        "score": row["score"],
        "reason": row["reason"],
        "cluster": row["cluster"],
        "data": row["data"] or {},
        "decision": row["decision"],
        "excluded": bool(row["excluded"]),
        "exclude_reason": row["exclude_reason"],
        "external_id": row["external_id"],
        "annotation_count": row["annotation_count"],
        "preview": _preview(row),
    }


def _preview(row: RowMapping) -> dict[str, Any]:
    """What the cleaning screen shows of a flagged item without reading it."""
    media = row["media"] or {}
    return {
        "text": row["snippet"],
        "name": media.get("original_name"),
        "mime": media.get("mime"),
        "width": media.get("width"),
        "height": media.get("height"),
    }


def list_flags(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    check: str | None = None,
    min_score: float | None = None,
    decision: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> dict[str, Any]:
    """Flags of a project, highest score first, with their item's state.

    Args:
        check: only this check (``"blur"`` or ``"blur.v1"``).
        min_score: only flags scoring at least this.
        decision: ``"keep"``, ``"exclude"`` or ``"none"`` (not decided yet).
        limit: at most this many (1 to 5000); ``offset`` skips the first ones.

    Returns:
        ``{"total": n, "flags": [...]}``.
    """
    if not 1 <= limit <= MAX_FLAGS:
        raise InvalidInput(
            f"limit must be 1 to {MAX_FLAGS}, not {limit}", field="limit"
        )
    conditions = _conditions(check, min_score)
    if decision == "none":
        conditions.append(t.flags.c.decision.is_(None))
    elif decision is not None:
        conditions.append(t.flags.c.decision == decision)

    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        total = conn.execute(
            select(func.count()).where(t.flags.c.project_id == project_id, *conditions)
        ).scalar_one()
        rows = _flag_rows(
            conn, project_id, *conditions, by_score=True, limit=limit, offset=offset
        )
    return {"total": int(total), "flags": [_flag_dict(row) for row in rows]}


def _known_check(check: str) -> None:
    try:
        plugins.checks.resolve(check)
    except NotFound:
        raise InvalidInput(
            f"no check named {check!r}; known: {', '.join(plugins.checks.names())}",
            field="check",
        ) from None


def _conditions(check: str | None, min_score: float | None) -> list[Any]:
    conditions: list[Any] = []
    if check:
        _known_check(check)
        conditions.append(_check_filter(check))
    if min_score is not None:
        conditions.append(t.flags.c.score >= float(min_score))
    return conditions


def clusters(
    ws: Workspace,
    project_id: int,
    *,
    actor: User | None = None,
    check: str | None = None,
) -> list[dict[str, Any]]:
    """Duplicate clusters, members side by side with their scores.

    Each cluster: ``{"cluster", "check", "representative", "size",
    "members": [flag, ...]}``; ``representative`` is the member the checks
    suggest keeping, members are ordered representative first, then by
    score. Largest clusters come first.
    """
    conditions = [t.flags.c.cluster.is_not(None), *_conditions(check, None)]
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        rows = _flag_rows(conn, project_id, *conditions)

    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["cluster"], []).append(_flag_dict(row))
    found = []
    for cluster_id, members in grouped.items():
        representative = _representative(members)
        members.sort(
            key=lambda m: (m["item_id"] != representative, -m["score"], m["item_id"])
        )
        found.append(
            {
                "cluster": cluster_id,
                "check": members[0]["check"],
                "representative": representative,
                "size": len(members),
                "members": members,
            }
        )
    found.sort(key=lambda c: (-c["size"], c["cluster"]))
    return found


def _representative(members: list[dict[str, Any]]) -> int:
    for member in members:
        chosen = member["data"].get("representative")
        if isinstance(chosen, int):
            return chosen
    return min(int(member["item_id"]) for member in members)


def count_for_threshold(
    ws: Workspace,
    project_id: int,
    check: str,
    threshold: float,
    *,
    actor: User | None = None,
) -> dict[str, Any]:
    """How many items a check flags at a score of at least ``threshold``.

    For a live count next to a slider: ``{"check", "threshold", "items",
    "flags"}``.
    """
    _known_check(check)
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        scope = (
            (t.flags.c.project_id == project_id)
            & _check_filter(check)
            & (t.flags.c.score >= float(threshold))
        )
        flags, items = conn.execute(
            select(func.count(), func.count(t.flags.c.item_id.distinct())).where(scope)
        ).one()
    return {
        "check": check,
        "threshold": float(threshold),
        "items": int(items),
        "flags": int(flags),
    }


def decide(
    ws: Workspace,
    project_id: int,
    decisions: Mapping[int, str],
    *,
    reason: str | None = None,
    actor: User | None = None,
) -> dict[str, int]:
    """Keep, exclude or restore items; returns how many of each.

    ``exclude`` takes the item out of the queue with a reason (``reason``, or
    the reasons of its flags); ``keep`` keeps it in (and includes it if it
    was excluded); ``restore`` includes an excluded item again and clears the
    decision on its flags. Every decision is in the audit log.

    Raises:
        InvalidInput: an unknown action.
        NotFound: an item id that is not in the project.
    """
    wanted = {int(item_id): str(action) for item_id, action in decisions.items()}
    bad = sorted({a for a in wanted.values() if a not in ACTIONS})
    if bad:
        raise InvalidInput(
            f"decision(s) {', '.join(map(repr, bad))} not keep, exclude or restore",
            field="decisions",
        )
    with ws.db.write() as conn:
        require_role(conn, actor, project_id, Role.manager)
        _require_items(conn, project_id, list(wanted))
        counts = _apply(conn, project_id, wanted, reason)
        record(
            conn,
            "clean.decide",
            project_id=project_id,
            user=actor,
            data={
                "counts": counts,
                "reason": reason,
                "decisions": {str(k): v for k, v in list(wanted.items())[:1000]},
            },
        )
    return counts


def _require_items(conn: Connection, project_id: int, ids: list[int]) -> None:
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            conn.execute(
                select(t.items.c.id).where(
                    (t.items.c.project_id == project_id) & t.items.c.id.in_(chunk)
                )
            ).scalars()
        )
    missing = sorted(set(ids) - found)
    if missing:
        shown = ", ".join(map(str, missing[:10]))
        raise NotFound(
            f"item(s) {shown} not in project {project_id}", missing=missing[:100]
        )


def _apply(
    conn: Connection, project_id: int, wanted: dict[int, str], reason: str | None
) -> dict[str, int]:
    counts = {"keep": 0, "exclude": 0, "restore": 0}
    by_action: dict[str, list[int]] = {}
    for item_id, action in wanted.items():
        by_action.setdefault(action, []).append(item_id)
        counts[action] += 1

    excluded = by_action.get("exclude", [])
    if excluded:
        reasons = _flag_reasons(conn, excluded) if reason is None else {}
        conn.execute(
            update(t.items)
            .where(t.items.c.id == bindparam("item"))
            .values(excluded=True, exclude_reason=bindparam("why")),
            [
                {"item": i, "why": reason or reasons.get(i, "cleaning: by hand")}
                for i in excluded
            ],
        )
    for ids in _chunks(by_action.get("keep", []) + by_action.get("restore", [])):
        conn.execute(
            update(t.items)
            .where(t.items.c.id.in_(ids))
            .values(excluded=False, exclude_reason=None)
        )
    for action, value in (("keep", "keep"), ("exclude", "exclude"), ("restore", None)):
        for ids in _chunks(by_action.get(action, [])):
            conn.execute(
                update(t.flags)
                .where(
                    (t.flags.c.project_id == project_id) & t.flags.c.item_id.in_(ids)
                )
                .values(decision=value)
            )
    return counts


def _chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _flag_reasons(conn: Connection, item_ids: list[int]) -> dict[int, str]:
    """Item id -> "cleaning: <check>: <reason>; ..." from its top three flags."""
    found: dict[int, list[str]] = {}
    for ids in _chunks(item_ids):
        rows = conn.execute(
            select(t.flags.c.item_id, t.flags.c.check, t.flags.c.reason)
            .where(t.flags.c.item_id.in_(ids))
            .order_by(t.flags.c.item_id, t.flags.c.score.desc(), t.flags.c.check)
        )
        for item_id, check, why in rows:
            found.setdefault(item_id, []).append(f"{check}: {why}")
    return {i: "cleaning: " + "; ".join(parts[:3]) for i, parts in found.items()}


def keep_one_per_cluster(
    ws: Workspace,
    project_id: int,
    cluster_ids: Iterable[str] | None = None,
    *,
    actor: User | None = None,
) -> dict[str, int]:
    """Keep each cluster's representative and exclude its other members.

    Args:
        cluster_ids: the clusters to settle; every cluster when None.
    """
    chosen = set(cluster_ids) if cluster_ids is not None else None
    found = clusters(ws, project_id, actor=actor)
    if chosen is not None:
        unknown = sorted(chosen - {c["cluster"] for c in found})
        if unknown:
            raise NotFound(
                f"no cluster(s) {', '.join(unknown)} in project {project_id}"
            )
        found = [c for c in found if c["cluster"] in chosen]

    wanted: dict[int, str] = {}
    for cluster in found:
        for member in cluster["members"]:
            if member["item_id"] == cluster["representative"]:
                wanted.setdefault(member["item_id"], "keep")
            else:
                wanted[member["item_id"]] = "exclude"
    if not wanted:
        return {"keep": 0, "exclude": 0, "restore": 0}
    return decide(
        ws, project_id, wanted, reason="cleaning: duplicate of a kept item", actor=actor
    )


def apply_suggestions(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[str, int]:
    """Apply ``clean.suggest_decisions`` to the project's stored flags.

    Duplicate clusters keep one member each; corrupt files and empty texts
    are excluded; every other flagged item is kept for a person to judge.
    Items already decided by hand keep that decision.
    """
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        rows = _flag_rows(conn, project_id)
    flags = [
        clean.Flag(
            item_id=row["item_id"],
            check=row["check"],
            score=row["score"],
            reason=row["reason"],
            cluster=row["cluster"],
            data=row["data"] or {},
        )
        for row in rows
    ]
    decided = {row["item_id"] for row in rows if row["decision"] is not None}
    suggested = clean.suggest_decisions(flags)
    wanted = {k: v for k, v in suggested.items() if k not in decided}
    if not wanted:
        return {"keep": 0, "exclude": 0, "restore": 0}
    return decide(ws, project_id, wanted, reason=None, actor=actor)


def repair_text(
    ws: Workspace,
    project_id: int,
    item_id: int,
    *,
    text: str | None = None,
    actor: User | None = None,
) -> dict[str, Any]:
    """Apply the suggested mojibake repair as a new revision of the item's text.

    Only while the item has no annotations: spans point into the stored text,
    which is never rewritten under them. The earlier text is kept in
    ``meta["revisions"]`` (revision, text, when, by whom, why) and in the
    audit log; the item's ``content_hash`` stays the hash of what was
    imported, so importing the same file again still finds it.

    Args:
        text: the repaired text; the mojibake check's suggestion when None.

    Returns:
        ``{"item_id", "revision", "text"}``: ``revision`` numbers the new
        text; the one it replaced is kept as revision ``revision - 1``.

    Raises:
        NotFound: no such item in the project.
        InvalidInput: no repair to apply, or the item already holds it.
        Conflict: the item has annotations; the repair stays offered.
    """
    if text is not None and not text.strip():
        raise InvalidInput("a repaired text may not be empty", field="text")
    with ws.db.write() as conn:
        require_role(conn, actor, project_id, Role.manager)
        row = _item_for_update(ws, conn, project_id, item_id)
        new_text = text if text is not None else _suggested_repair(conn, item_id)
        _require_unannotated(conn, row)
        done = _apply_repair(conn, project_id, row, new_text, actor)
    return done


def repair_all(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """Apply every suggested mojibake repair that may be applied, in one go.

    Items with annotations keep their text: their repair stays offered and
    they are listed under ``offered``. Repairs already applied are skipped.

    Returns:
        ``{"repaired": [item ids], "offered": [item ids]}``.
    """
    with ws.db.write() as conn:
        require_role(conn, actor, project_id, Role.manager)
        suggested = conn.execute(
            select(t.flags.c.item_id, t.flags.c.data)
            .where(
                (t.flags.c.project_id == project_id)
                & _check_filter("mojibake")
                & ((t.flags.c.decision != "repaired") | t.flags.c.decision.is_(None))
            )
            .order_by(t.flags.c.item_id)
        ).all()
        repaired: list[int] = []
        offered: list[int] = []
        for item_id, data in suggested:
            new_text = (data or {}).get("repair")
            if not isinstance(new_text, str):
                continue
            row = _item_for_update(ws, conn, project_id, int(item_id))
            if row["text"] == new_text:
                continue
            if _annotation_count(conn, int(item_id)):
                offered.append(int(item_id))
                continue
            _apply_repair(conn, project_id, row, new_text, actor)
            repaired.append(int(item_id))
    return {"repaired": repaired, "offered": offered}


def _item_for_update(
    ws: Workspace, conn: Connection, project_id: int, item_id: int
) -> RowMapping:
    query = select(t.items).where(
        (t.items.c.id == item_id) & (t.items.c.project_id == project_id)
    )
    if not ws.db.is_sqlite:
        # An annotation saved meanwhile updates this row: it waits for us.
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"item {item_id} not in project {project_id}")
    return row


def _apply_repair(
    conn: Connection,
    project_id: int,
    row: RowMapping,
    new_text: str,
    actor: User | None,
) -> dict[str, Any]:
    item_id = int(row["id"])
    if row["text"] == new_text:
        raise InvalidInput(
            f"item {item_id} already holds that text; nothing to repair",
            field="text",
        )
    meta = dict(row["meta"] or {})
    revisions = list(meta.get("revisions", []))
    revisions.append(
        {
            "revision": len(revisions) + 1,
            "text": row["text"],
            "replaced_at": datetime.now(UTC).isoformat(),
            "by": actor.username if actor else None,
            "reason": "mojibake repair",
        }
    )
    meta["revisions"] = revisions
    conn.execute(
        update(t.items).where(t.items.c.id == item_id).values(text=new_text, meta=meta)
    )
    conn.execute(
        update(t.flags)
        .where((t.flags.c.item_id == item_id) & _check_filter("mojibake"))
        .values(decision="repaired")
    )
    record(
        conn,
        "clean.repair",
        project_id=project_id,
        user=actor,
        target=f"item:{item_id}",
        data={"revision": len(revisions) + 1, "before": row["text"]},
    )
    return {"item_id": item_id, "revision": len(revisions) + 1, "text": new_text}


def _suggested_repair(conn: Connection, item_id: int) -> str:
    rows = conn.execute(
        select(t.flags.c.data).where(
            (t.flags.c.item_id == item_id) & _check_filter("mojibake")
        )
    ).scalars()
    for data in rows:
        if data and isinstance(data.get("repair"), str):
            return str(data["repair"])
    raise InvalidInput(
        f"item {item_id} has no suggested text repair; run the mojibake check first",
        field="item_id",
    )


def _annotation_count(conn: Connection, item_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).where(t.annotations.c.item_id == item_id)
        ).scalar_one()
    )


def _require_unannotated(conn: Connection, row: RowMapping) -> None:
    count = _annotation_count(conn, int(row["id"]))
    if count:
        raise Conflict(
            f"item {row['id']} has {count} annotation(s) pointing into its text; "
            "the repair is offered, not applied",
            item_id=row["id"],
            status="offered",
        )


def cleaning_runs(
    ws: Workspace, project_id: int, *, actor: User | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The report of each cleaning run, newest first.

    Each: ``{"id", "at", "by", "kind", "items", "checks"`` (name, parameters
    and thresholds used, items flagged, clusters), ``"counts"`` (flagged
    items per check), ``"flags", "seconds", "decisions"}``, where
    ``decisions`` counts what people decided after the run and before the
    next one: kept, excluded, restored, and texts repaired.
    """
    actions = ("clean.run", "clean.decide", "clean.repair")
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        events = conn.execute(
            select(
                t.audit_events.c.id,
                t.audit_events.c.action,
                t.audit_events.c.data,
                t.audit_events.c.created_at,
                t.users.c.username,
            )
            .select_from(
                t.audit_events.outerjoin(
                    t.users, t.users.c.id == t.audit_events.c.user_id
                )
            )
            .where(
                (t.audit_events.c.project_id == project_id)
                & t.audit_events.c.action.in_(actions)
            )
            .order_by(t.audit_events.c.id)
        ).all()

    runs: list[dict[str, Any]] = []
    for event_id, action, data, at, username in events:
        data = data or {}
        if action == "clean.run":
            runs.append(
                {
                    "id": event_id,
                    "at": at.isoformat() if at else None,
                    "by": username,
                    **{k: data.get(k) for k in _RUN_FIELDS},
                    "decisions": {"keep": 0, "exclude": 0, "restore": 0, "repair": 0},
                }
            )
        elif runs and action == "clean.decide":
            taken = runs[-1]["decisions"]
            for name, count in (data.get("counts") or {}).items():
                if name in taken:
                    taken[name] += int(count)
        elif runs:
            runs[-1]["decisions"]["repair"] += 1
    return runs[::-1][:limit]


_RUN_FIELDS = (
    "kind",
    "items",
    "checks",
    "counts",
    "flags",
    "decisions_kept",
    "seconds",
)
