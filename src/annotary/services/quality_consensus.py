"""Consensus annotations: one merged answer per item, stored with origin "consensus".

Classes go by majority vote (ties are reported and skipped) or by a fitted
Dawid-Skene model; boxes are matched and averaged with each annotator weighed
by gold accuracy when it is known; spans go by majority. Running it again
replaces the consensus annotations an earlier run of the same method made.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from sqlalchemy import delete

from annotary.core.models import Project, Role, User
from annotary.core.regions import ClassRegion, Region
from annotary.errors import InvalidInput
from annotary.quality.consensus import (
    consensus_boxes,
    consensus_spans,
    dawid_skene,
    majority_vote,
)
from annotary.quality.gold import gold_accuracy
from annotary.services.audit import record
from annotary.services.projects import load_project
from annotary.services.quality_data import (
    Work,
    gold_correctness,
    gold_regions,
    load_work,
    rater_columns,
)
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

log = logging.getLogger("annotary.services")

METHODS = ("majority", "dawid_skene")
IOU_THRESHOLD = 0.5


def create_consensus(
    ws: Workspace,
    project_id: int,
    method: str = "majority",
    actor: User | None = None,
) -> dict[str, Any]:
    """Store one consensus annotation per item that two or more people labelled.

    Args:
        ws: The workspace.
        project_id: The project.
        method: ``"majority"`` or ``"dawid_skene"`` (classes; boxes and spans
            always merge by weighted majority).
        actor: Who runs it; managers and above.

    Returns:
        ``{"method", "created", "replaced", "items", "ties", "skipped_single",
        "weights"}``: ``items`` the item ids that got a consensus, ``ties``
        ``[{"item_id", "labels"}]`` for class ties left without one,
        ``skipped_single`` items only one person labelled, ``weights`` the
        gold accuracy each annotator's boxes were weighed by.

    Raises:
        InvalidInput: An unknown method, or Dawid-Skene on multi-label classes.
        PermissionDenied: The actor is not a manager.
    """
    if method not in METHODS:
        raise InvalidInput(
            f"consensus method {method!r} is not one of {', '.join(METHODS)}",
            field="method",
        )
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        work = load_work(conn, project)
        gold = gold_regions(conn, project_id)
    if method == "dawid_skene" and project.label_schema.multi_label and work.classes:
        raise InvalidInput(
            "Dawid-Skene needs single-label classes; use method 'majority'",
            field="method",
        )

    weights = _gold_weights(work, gold, project)
    merged, ties, single = _merge(work, project, method, weights)
    created, replaced = _store(ws, project, method, merged, actor)
    log.info(
        "consensus %s for project %s: %s items, %s ties",
        method,
        project_id,
        created,
        len(ties),
    )
    return {
        "method": method,
        "created": created,
        "replaced": replaced,
        "items": sorted(merged),
        "ties": ties,
        "skipped_single": single,
        "weights": {str(a): w for a, w in weights.items()},
    }


def _gold_weights(
    work: Work, gold: dict[int, list[Region]], project: Project
) -> dict[Hashable, float]:
    correct = gold_correctness(work, gold, project, IOU_THRESHOLD)
    accuracy = gold_accuracy(correct, dict.fromkeys(correct, True))
    return {a: r.value for a, r in accuracy.items() if r.value is not None}


def _merge(
    work: Work, project: Project, method: str, weights: dict[Hashable, float]
) -> tuple[dict[int, list[Region]], list[dict[str, Any]], list[int]]:
    """``item -> merged regions``, the class ties and the single-annotator items."""
    people: dict[int, set[Hashable]] = {}
    for item, author in work.ids:
        people.setdefault(item, set()).add(author)
    shared = {item for item, who in people.items() if len(who) >= 2}

    merged: dict[int, list[Region]] = {}
    ties: list[dict[str, Any]] = []
    classes = {i: row for i, row in work.classes.items() if i in shared}
    if classes:
        chosen, ties = _classes(classes, project.label_schema.multi_label, method)
        for item, region in chosen.items():
            merged.setdefault(item, []).append(region)
    for item, drawn in work.boxes.items():
        if item in shared:
            boxes = consensus_boxes(drawn, IOU_THRESHOLD, weights or None)
            merged.setdefault(item, []).extend(boxes)
    for item, marked in work.spans.items():
        if item in shared:
            merged.setdefault(item, []).extend(consensus_spans(marked))
    tied = {tie["item_id"] for tie in ties}
    for item in shared - tied:
        merged.setdefault(item, [])
    return merged, ties, sorted(set(people) - shared)


def _classes(
    classes: dict[Any, dict[Hashable, Any]], multi: bool, method: str
) -> tuple[dict[Any, ClassRegion], list[dict[str, Any]]]:
    if multi:
        return _multi_label_majority(classes), []
    if method == "dawid_skene":
        model = dawid_skene(classes)
        return {item: model.region(item) for item in model.items}, []
    chosen: dict[Any, ClassRegion] = {}
    ties = []
    # Votes are counted per item, so unattributed raters can share columns.
    for item, vote in majority_vote(rater_columns(classes)).items():
        region = vote.region()
        if region is None:
            ties.append({"item_id": item, "labels": [str(x) for x in vote.tied]})
        else:
            chosen[item] = region
    return chosen, ties


def _multi_label_majority(
    classes: dict[Any, dict[Hashable, Any]],
) -> dict[int, ClassRegion]:
    """Labels more than half the item's annotators chose."""
    out = {}
    for item, row in classes.items():
        counts: dict[str, int] = {}
        for answer in row.values():
            for label in answer:
                counts[label] = counts.get(label, 0) + 1
        kept = sorted(label for label, n in counts.items() if n * 2 > len(row))
        out[item] = ClassRegion(labels=kept)
    return out


def _store(
    ws: Workspace,
    project: Project,
    method: str,
    merged: dict[int, list[Region]],
    actor: User | None,
) -> tuple[int, int]:
    """Replace the method's earlier consensus annotations with these."""
    stamp = now()
    with ws.db.write() as conn:
        old = conn.execute(
            delete(t.annotations).where(
                (t.annotations.c.project_id == project.id)
                & (t.annotations.c.origin == "consensus")
                & (t.annotations.c.model_name == method)
            )
        ).rowcount
        rows = [
            {
                "project_id": project.id,
                "item_id": item,
                "user_id": None,
                "author": f"consensus.{method}",
                "origin": "consensus",
                "model_name": method,
                "model_version": "v1",
                "guideline_version": project.guideline_version,
                "state": "submitted",
                "regions": [region.model_dump(mode="json") for region in regions],
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for item, regions in sorted(merged.items())
        ]
        if rows:
            conn.execute(t.annotations.insert(), rows)
        record(
            conn,
            "consensus.create",
            project_id=project.id,
            user=actor,
            target=method,
            data={"created": len(rows), "replaced": old},
        )
    return len(rows), old
