"""Train/val/test splits stored on the items, and the leakage check."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from annotary.core.models import Item, Role, User
from annotary.errors import InvalidInput
from annotary.services.audit import record
from annotary.services.exports import iter_records
from annotary.services.projects import load_project
from annotary.services.users import require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

log = logging.getLogger("annotary.dataset")
SPLIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}")
# The item filters read split=none as "no split"; no split may take that name.
RESERVED = frozenset({"none"})
MAX_SHARE = 1e6  # shares are fractions or weights; beyond this they overflow
STRATEGIES = ("random", "stratified")


def duplicate_clusters(conn: Connection, project_id: int) -> dict[int, Hashable]:
    """Item id -> duplicate cluster id, from the cleaning checks' flags."""
    rows = conn.execute(
        select(t.flags.c.item_id, t.flags.c.check, t.flags.c.cluster).where(
            (t.flags.c.project_id == project_id) & t.flags.c.cluster.is_not(None)
        )
    ).all()
    return {item_id: f"{check}:{cluster}" for item_id, check, cluster in rows}


def _check_ratios(ratios: dict[str, float] | None) -> None:
    for name, share in (ratios or {}).items():
        if not SPLIT_NAME.fullmatch(name):
            raise InvalidInput(
                f"split name {name!r} must be 1 to 20 letters, digits, '-' or '_', "
                "starting with a letter or digit",
                field="ratios",
            )
        if name.lower() in RESERVED:
            raise InvalidInput(
                f"split name {name!r} is reserved: the item filters use it for "
                "items without a split",
                field="ratios",
            )
        if (
            not isinstance(share, int | float)
            or isinstance(share, bool)
            or not 0 <= share <= MAX_SHARE
        ):
            raise InvalidInput(
                f"the share of split {name!r} must be a number from 0 to "
                f"{MAX_SHARE:g}, not {share!r}",
                field="ratios",
            )
    if ratios is not None and not any(share > 0 for share in ratios.values()):
        raise InvalidInput("give at least one split a share above 0", field="ratios")


def _weights_note(ratios: dict[str, float] | None) -> list[str]:
    """A warning when the shares do not add up to 1 and are read as weights."""
    total = sum((ratios or {}).values())
    if not ratios or abs(total - 1) < 1e-6:
        return []
    shares = ", ".join(
        f"{name} {share / total:.1%}" for name, share in ratios.items() if share > 0
    )
    return [f"the shares add up to {total:g}, not 1; read as weights: {shares}"]


def split_project(
    ws: Workspace,
    project_id: int,
    *,
    ratios: dict[str, float] | None = None,
    seed: int = 0,
    stratify: bool = False,
    group_by: str | None = None,
    by_clusters: bool = True,
    preview: bool = False,
    actor: User | None = None,
) -> dict[str, Any]:
    """Assign every item a split and store it; no group crosses two splits.

    ``group_by`` names a metadata key (source video, patient, session) whose
    items stay together; with ``by_clusters`` the duplicate clusters found by
    cleaning stay together too. With ``preview`` nothing is stored: the result
    says what the split would be.

    Returns ``counts`` (items per split), ``by_label`` (split -> label ->
    items), ``warnings`` (labels too rare to stratify), ``leakage`` (exact and
    near duplicates that would still cross splits), ``stored`` and the
    parameters used.
    """
    from annotary.dataset.splits import (
        DEFAULT_RATIOS,
        assign_splits,
        labels_of,
        leakage_report,
    )

    _check_ratios(ratios)
    group_by = (group_by or "").strip() or None
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        clusters = duplicate_clusters(conn, project_id) if by_clusters else {}
    records = list(iter_records(ws, project_id, which="final"))
    if group_by and not any(group_by in item.meta for item, _ in records):
        raise InvalidInput(
            f"no item has the metadata key {group_by!r}", field="group_by"
        )

    def group_key(item: Item) -> list[Hashable]:
        keys: list[Hashable] = []
        if group_by and item.meta.get(group_by) is not None:
            keys.append(("meta", str(item.meta[group_by])))
        if item.id in clusters:
            keys.append(("cluster", clusters[item.id]))
        return keys

    warnings = _weights_note(ratios)
    assignment = assign_splits(
        records,
        ratios=ratios,
        seed=seed,
        stratify="label" if stratify else None,
        group_key=group_key,
        multi_label=project.label_schema.multi_label,
        warnings=warnings,
    )
    names = [name for name, share in (ratios or DEFAULT_RATIOS).items() if share > 0]
    counts = {name: 0 for name in names} | dict(Counter(assignment.values()))
    by_label: dict[str, dict[str, int]] = {name: {} for name in counts}
    for item, anns in records:
        into = by_label[assignment[item.id]]
        for label in labels_of(anns):
            into[label] = into.get(label, 0) + 1
    params = {
        "ratios": dict(ratios or DEFAULT_RATIOS),
        "seed": seed,
        "stratify": stratify,
        "group_by": group_by,
        "by_clusters": by_clusters,
    }
    if not preview:
        with ws.db.write() as conn:
            if assignment:
                conn.execute(
                    update(t.items)
                    .where(t.items.c.id == bindparam("item"))
                    .values(split=bindparam("name")),
                    [{"item": i, "name": name} for i, name in assignment.items()],
                )
            record(
                conn,
                "items.split",
                project_id=project_id,
                user=actor,
                data={"counts": counts, **params},
            )
    leaks = leakage_report([item for item, _ in records], assignment, clusters)
    return {
        "counts": counts,
        "by_label": by_label,
        "warnings": warnings,
        "leakage": leaks.model_dump(mode="json"),
        "stored": not preview,
        "params": params,
    }


def split_summary(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """Items per split as stored now (``null`` for none), excluded ones apart."""
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.reviewer)
        rows = conn.execute(
            select(t.items.c.split, t.items.c.excluded, func.count())
            .where(t.items.c.project_id == project_id)
            .group_by(t.items.c.split, t.items.c.excluded)
        ).all()
    counts: dict[str, int] = {}
    unassigned = excluded = 0
    for split, is_excluded, n in rows:
        if is_excluded:
            excluded += n
        elif split is None:
            unassigned += n
        else:
            counts[split] = counts.get(split, 0) + n
    return {
        "counts": dict(sorted(counts.items())),
        "unassigned": unassigned,
        "excluded": excluded,
    }


def leakage(
    ws: Workspace, project_id: int, *, actor: User | None = None
) -> dict[str, Any]:
    """Exact and near duplicates that sit in different splits now (reviewers)."""
    from annotary.dataset.splits import leakage_report

    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.reviewer)
        clusters = duplicate_clusters(conn, project_id)
    items = [item for item, _ in iter_records(ws, project_id, which="final")]
    return leakage_report(items, None, clusters).model_dump(mode="json")
