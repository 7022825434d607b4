"""Likely label errors: confident learning on the project's own labels.

Texts are read as TF-IDF features, images as a small colour histogram plus a
histogram of gradient orientations (numpy only); a model fitted out of fold
on the project's labels points at items whose label it finds unlikely. Each
suspect becomes a ``flags`` row (check ``label-error.v1``), and
``review.review_queue(..., suspects_only=True)`` lists its annotations.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, delete, select

from annotary.core.models import Project, Role, User
from annotary.errors import InvalidInput
from annotary.quality import label_errors
from annotary.services.annotations import parse_regions
from annotary.services.audit import record
from annotary.services.imports import media_store
from annotary.services.projects import load_project
from annotary.services.quality_data import class_answer
from annotary.services.users import now, require_role
from annotary.services.workspace import Workspace
from annotary.storage import tables as t

log = logging.getLogger("annotary.services")

CHECK = "label-error.v1"
MAX_FOLDS = 5
IMAGE_SIDE = 64
COLOUR_BINS = 4
ORIENTATION_BINS = 9

FloatArray = npt.NDArray[np.float64]


def find_label_errors(
    ws: Workspace, project_id: int, *, actor: User | None = None, top: int = 50
) -> list[dict[str, Any]]:
    """Rank the items whose labels look wrong and send the top ones to review.

    Each item's label is its consensus annotation, else its accepted one,
    else the majority of its finished annotations (ties and unlabelled items
    are left out). Earlier undecided ``label-error.v1`` flags are replaced.

    Args:
        ws: The workspace.
        project_id: A text or image project with single-label classes.
        actor: Who runs it; managers and above.
        top: How many suspects to keep and flag.

    Returns:
        ``[{"rank", "item_id", "given", "suggested", "self_confidence",
        "annotation_ids"}]``, most likely error first.

    Raises:
        InvalidInput: ``top`` < 1, the project is neither text nor image, it
            is multi-label, or a label has too few items for two folds.
        PermissionDenied: The actor is not a manager.
    """
    if top < 1:
        raise InvalidInput(f"top must be at least 1, got {top}", field="top")
    with ws.db.read() as conn:
        require_role(conn, actor, project_id, Role.manager)
        project = load_project(conn, project_id)
        _check_project(project)
        labelled = _labelled_items(conn, project)

    items = sorted(labelled)
    labels = [labelled[i][0] for i in items]
    inputs = _inputs(ws, project, items)
    folds = _folds(labels)
    suspects = label_errors.find_label_errors(
        inputs, labels, folds=folds, seed=project.settings.seed
    )[:top]
    out = [
        {
            "rank": rank,
            "item_id": items[s.index],
            "given": s.given,
            "suggested": s.suggested,
            "self_confidence": s.self_confidence,
            "annotation_ids": labelled[items[s.index]][1],
        }
        for rank, s in enumerate(suspects, start=1)
    ]
    _flag(ws, project, out, actor)
    log.info("label errors in project %s: %s suspects flagged", project_id, len(out))
    return out


def _check_project(project: Project) -> None:
    if project.kind not in ("text", "image"):
        raise InvalidInput(
            f"project {project.name!r} holds {project.kind} items; label errors "
            "are found for text and image projects",
            field="kind",
        )
    if project.label_schema.multi_label:
        raise InvalidInput(
            f"project {project.name!r} is multi-label; label errors need one "
            "class per item",
            field="multi_label",
        )


def _labelled_items(
    conn: Connection, project: Project
) -> dict[int, tuple[str, list[int]]]:
    """``item -> (label, ids of the finished annotations)`` for labelled items."""
    rows = conn.execute(
        select(
            t.annotations.c.id,
            t.annotations.c.item_id,
            t.annotations.c.origin,
            t.annotations.c.state,
            t.annotations.c.regions,
        )
        .join(t.items, t.items.c.id == t.annotations.c.item_id)
        .where(
            (t.annotations.c.project_id == project.id)
            & t.annotations.c.state.in_(("submitted", "accepted"))
            & (t.annotations.c.origin != "model")
            & ~t.items.c.excluded
        )
        .order_by(t.annotations.c.id)
    ).all()
    grouped: dict[int, list[tuple[int, str, str, Any]]] = {}
    for aid, item, origin, state, regions in rows:
        answer = class_answer(parse_regions(regions), multi=False)
        if answer is not None:
            grouped.setdefault(item, []).append((aid, origin, state, answer))
    out = {}
    for item, found in grouped.items():
        label = _final_label(found)
        if label is not None:
            ids = [aid for aid, origin, _, _ in found if origin != "consensus"]
            out[item] = (label, ids)
    return out


def _final_label(found: list[tuple[int, str, str, Any]]) -> str | None:
    for wanted in ("consensus", "accepted"):
        chosen = [
            answer for _, origin, state, answer in found if wanted in (origin, state)
        ]
        if chosen:
            return str(chosen[-1])
    counts = Counter(str(answer) for _, _, _, answer in found).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None
    return counts[0][0]


def _folds(labels: list[str]) -> int:
    counts = Counter(labels)
    if len(counts) < 2:
        raise InvalidInput(
            f"label errors need at least two labels in use, found {len(counts)}",
            field="labels",
        )
    fewest = min(counts.values())
    if fewest < 2:
        rare = sorted(label for label, n in counts.items() if n < 2)
        raise InvalidInput(
            f"label(s) {', '.join(rare)} have fewer than 2 items; cross-validation "
            "needs at least 2 per label",
            field="labels",
        )
    return min(MAX_FOLDS, fewest)


def _inputs(ws: Workspace, project: Project, items: list[int]) -> Any:
    with ws.db.read() as conn:
        rows = dict(
            conn.execute(
                select(
                    t.items.c.id,
                    t.items.c.text if project.kind == "text" else t.items.c.media,
                ).where(t.items.c.id.in_(items))
            ).all()
        )
    if project.kind == "text":
        return [rows[i] or "" for i in items]
    store = media_store(ws)
    return np.stack([image_features(store.local_path(rows[i]["path"])) for i in items])


def image_features(path: Path) -> FloatArray:
    """A small colour histogram and gradient-orientation histogram of an image.

    The image is shrunk to 64x64 RGB; the colour part is a 4x4x4 joint
    histogram, the gradient part a 9-bin histogram of unsigned gradient
    orientations weighted by magnitude in each quarter of the image (36
    values, a coarse HOG); both parts sum to one.
    """
    from PIL import Image

    with Image.open(path) as image:
        rgb = np.asarray(
            image.convert("RGB").resize((IMAGE_SIDE, IMAGE_SIDE)), dtype=np.float64
        )

    codes = (rgb // (256 / COLOUR_BINS)).astype(np.int64)
    flat = (codes[..., 0] * COLOUR_BINS + codes[..., 1]) * COLOUR_BINS + codes[..., 2]
    colour = np.bincount(flat.ravel(), minlength=COLOUR_BINS**3).astype(np.float64)
    colour /= colour.sum()

    grey = rgb.mean(axis=2)
    dy, dx = np.gradient(grey)
    magnitude = np.hypot(dx, dy)
    angle = np.mod(np.arctan2(dy, dx), np.pi)
    bins = np.minimum((angle / np.pi * ORIENTATION_BINS).astype(np.int64), 8)
    half = IMAGE_SIDE // 2
    cells = []
    for rows in (slice(0, half), slice(half, None)):
        for cols in (slice(0, half), slice(half, None)):
            cells.append(
                np.bincount(
                    bins[rows, cols].ravel(),
                    weights=magnitude[rows, cols].ravel(),
                    minlength=ORIENTATION_BINS,
                )
            )
    gradients = np.concatenate(cells).astype(np.float64)
    total = gradients.sum()
    if total > 0:
        gradients /= total
    return np.concatenate([colour, gradients])


def _flag(
    ws: Workspace, project: Project, suspects: list[dict[str, Any]], actor: User | None
) -> None:
    stamp = now()
    with ws.db.write() as conn:
        conn.execute(
            delete(t.flags).where(
                (t.flags.c.project_id == project.id)
                & (t.flags.c.check == CHECK)
                & t.flags.c.decision.is_(None)
            )
        )
        if suspects:
            conn.execute(
                t.flags.insert(),
                [
                    {
                        "project_id": project.id,
                        "item_id": s["item_id"],
                        "check": CHECK,
                        "score": 1.0 - s["self_confidence"],
                        "reason": (
                            f"labelled {s['given']!r} but the model suggests "
                            f"{s['suggested']!r} (p={s['self_confidence']:.2f} for "
                            "the given label)"
                        ),
                        "data": {k: v for k, v in s.items() if k != "item_id"},
                        "created_at": stamp,
                    }
                    for s in suspects
                ],
            )
        record(
            conn,
            "label_errors.flag",
            project_id=project.id,
            user=actor,
            target=CHECK,
            data={"suspects": len(suspects)},
        )


def suspect_items(conn: Connection, project_id: int) -> set[Hashable]:
    """Items with an undecided label-error flag (what review lists as suspects)."""
    return set(
        conn.execute(
            select(t.flags.c.item_id).where(
                (t.flags.c.project_id == project_id)
                & (t.flags.c.check == CHECK)
                & t.flags.c.decision.is_(None)
            )
        ).scalars()
    )
