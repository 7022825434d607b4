"""What the quality service adds over the pure metrics, on SQLite.

A text project with ITEMS items labelled by 5 annotators each (3 classes,
70% of answers the item's true class) is written straight into the tables;
then the full `quality_report`, the pure `class_agreement` on the same
ratings, `create_consensus` (majority and Dawid-Skene) are timed. A second
project holds IMPORTED texts with one class label each and no annotator (as
annotations made by a script or imported without an author are stored); its
report is timed too.

Run: python bench/bench_quality_service.py [ITEMS] [IMPORTED]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select

from annotary.quality.agreement import class_agreement
from annotary.services import projects, quality, users
from annotary.services.workspace import init_workspace
from annotary.storage import tables as t

ANNOTATORS = 5
LABELS = ["a", "b", "c"]


def build(root: Path, n_items: int) -> tuple[object, int, dict[int, dict[str, str]]]:
    ws = init_workspace(root)
    schema = {"labels": [{"name": name} for name in LABELS]}
    project = projects.create_project(
        ws, "bench", "text", label_schema=schema, settings={"overlap": ANNOTATORS}
    )
    names = [f"ann{k}" for k in range(ANNOTATORS)]
    people = [users.create_user(ws, name, "password-123") for name in names]
    rng = np.random.default_rng(0)
    truth = rng.integers(0, len(LABELS), n_items)
    noise = rng.integers(0, len(LABELS), (n_items, ANNOTATORS))
    right = rng.random((n_items, ANNOTATORS)) < 0.7
    answers = np.where(right, truth[:, None], noise)
    start = datetime(2026, 1, 1, tzinfo=UTC)

    with ws.db.write() as conn:
        conn.execute(
            t.items.insert(),
            [
                {
                    "project_id": project.id,
                    "content_hash": f"{i:064x}",
                    "text": f"text {i}",
                    "meta": {},
                    "rank": i,
                    "created_at": start,
                }
                for i in range(n_items)
            ],
        )
        ids = [
            row[0]
            for row in conn.execute(
                t.items.select().with_only_columns(t.items.c.id).order_by(t.items.c.id)
            )
        ]
        rows = []
        ratings: dict[int, dict[str, str]] = {}
        for i, item in enumerate(ids):
            for j, person in enumerate(people):
                label = LABELS[answers[i, j]]
                ratings.setdefault(item, {})[person.username] = label
                stamp = start + timedelta(seconds=30 * (i * ANNOTATORS + j))
                rows.append(
                    {
                        "project_id": project.id,
                        "item_id": item,
                        "user_id": person.id,
                        "author": person.username,
                        "origin": "human",
                        "guideline_version": 1,
                        "state": "submitted",
                        "regions": [{"type": "class", "labels": [label]}],
                        "lead_time": 20.0,
                        "version": 1,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
        conn.execute(t.annotations.insert(), rows)
    return ws, project.id, ratings


def build_unattributed(ws: object, n_items: int) -> int:
    """A project of ``n_items`` texts, each with one label and no annotator."""
    project = projects.create_project(
        ws,  # type: ignore[arg-type]
        "imported",
        "text",
        label_schema={"labels": [{"name": name} for name in LABELS]},
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with ws.db.write() as conn:  # type: ignore[attr-defined]
        conn.execute(
            t.items.insert(),
            [
                {
                    "project_id": project.id,
                    "content_hash": f"{i:063x}u",
                    "text": f"imported {i}",
                    "meta": {},
                    "rank": i,
                    "created_at": start,
                }
                for i in range(n_items)
            ],
        )
        ids = list(
            conn.execute(
                select(t.items.c.id)
                .where(t.items.c.project_id == project.id)
                .order_by(t.items.c.id)
            ).scalars()
        )
        conn.execute(
            t.annotations.insert(),
            [
                {
                    "project_id": project.id,
                    "item_id": item,
                    "user_id": None,
                    "author": None,
                    "origin": "human",
                    "guideline_version": 1,
                    "state": "submitted",
                    "regions": [{"type": "class", "labels": [LABELS[i % 3]]}],
                    "version": 1,
                    "created_at": start,
                    "updated_at": start,
                }
                for i, item in enumerate(ids)
            ],
        )
    return project.id


def timed(label: str, fn: object) -> float:
    began = time.perf_counter()
    fn()  # type: ignore[operator]
    seconds = time.perf_counter() - began
    print(f"{label:<42} {seconds:8.2f} s")
    return seconds


def main() -> None:
    n_items = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    n_imported = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        ws, pid, ratings = build(Path(tmp) / "ws", n_items)
        print(
            f"{n_items} items x {ANNOTATORS} annotators "
            f"({n_items * ANNOTATORS} annotations) written in "
            f"{time.perf_counter() - began:.1f} s"
        )
        timed("pure class_agreement (same ratings)", lambda: class_agreement(ratings))
        timed("quality_report", lambda: quality.quality_report(ws, pid))  # type: ignore[arg-type]
        timed(
            "create_consensus majority",
            lambda: quality.create_consensus(ws, pid, "majority"),  # type: ignore[arg-type]
        )
        timed(
            "create_consensus dawid_skene",
            lambda: quality.create_consensus(ws, pid, "dawid_skene"),  # type: ignore[arg-type]
        )
        imported = build_unattributed(ws, n_imported)
        timed(
            f"quality_report, {n_imported} labels without annotator",
            lambda: quality.quality_report(ws, imported),  # type: ignore[arg-type]
        )
        ws.close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
