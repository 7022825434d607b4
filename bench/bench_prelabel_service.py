"""Pre-labeling through the services: storing predictions, retrain, assistance.

Measures the service layer's own cost on a SQLite workspace in a temporary
folder: the rule pre-labeler is nearly free, so its figure is mostly reading
items and writing prediction rows. Prints one line per figure, wall and CPU.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from annotary.core.models import ImportReport, ItemDraft
from annotary.services import imports, prelabel, projects
from annotary.services.workspace import init_workspace
from annotary.storage import tables as t

ITEMS = 5000
LABELLED = 1000
WORDS = ["good", "bad", "film", "plot", "Paris", "Ada", "slow", "great", "dull", "Oslo"]


def timed(work: Callable[[], object]) -> tuple[float, float]:
    started, started_cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - started, time.process_time() - started_cpu


def report(name: str, count: int, unit: str, seconds: tuple[float, float]) -> None:
    wall, cpu = seconds
    print(
        f"{name:<44} {count / wall:>10,.1f} {unit}/s wall"
        f" {count / max(cpu, 1e-9):>10,.1f} {unit}/s cpu  ({wall:.2f} s wall)"
    )


def sentence(n: int) -> str:
    return " ".join(WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(8)) + f" {n}"


def main() -> None:
    # scikit-learn's import (seconds on a busy machine) is no part of the figures.
    from annotary.prelabel.textclf import build_text_model

    build_text_model()
    with tempfile.TemporaryDirectory() as folder:
        ws = init_workspace(Path(folder) / "ws")
        project = projects.create_project(
            ws,
            "Bench",
            "text",
            label_schema={
                "labels": [
                    {"name": "pos", "examples": ["good", "great"]},
                    {"name": "neg", "examples": ["bad", "dull"]},
                ],
                "tools": ["span", "class"],
            },
        )
        texts = [sentence(n) for n in range(ITEMS)]
        drafts = [
            ItemDraft(text=s, content_hash=hashlib.sha256(s.encode()).hexdigest())
            for s in texts
        ]
        imports.import_drafts(ws, project.id, drafts, report=ImportReport(project="b"))

        def rules() -> None:
            prelabel.run_prelabel(ws, project.id, "rule-patterns.v1", batch_size=256)

        report("rule-patterns.v1, predictions stored", ITEMS, "items", timed(rules))
        report("same version again (replaces)", ITEMS, "items", timed(rules))

        _label(ws, project.id, texts)
        classify = timed(
            lambda: prelabel.run_prelabel(
                ws, project.id, "sklearn-text.v1", batch_size=256
            )
        )
        report(f"sklearn-text.v1 (fit on {LABELLED}) + store", ITEMS, "items", classify)

        projects.update_project(ws, project.id, settings={"queue_order": "uncertainty"})
        report(
            f"retrain + held-out + rerank {ITEMS - LABELLED} open",
            ITEMS,
            "items",
            timed(lambda: prelabel.retrain(ws, project.id)),
        )
        report(
            "assistance report over all annotations",
            ITEMS,
            "items",
            timed(lambda: prelabel.assistance_report(ws, project.id)),
        )
        ws.close()


def _label(ws: object, project_id: int, texts: list[str]) -> None:
    """Human class labels on the first items, written in one transaction."""
    from annotary.services.users import now

    stamp = now()
    rows = [
        {
            "project_id": project_id,
            "item_id": n + 1,
            "origin": "human",
            "state": "submitted",
            "regions": [
                {"type": "class", "label": "pos" if "good" in texts[n] else "neg"}
            ],
            "version": 1,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for n in range(LABELLED)
    ]
    with ws.db.write() as conn:  # type: ignore[attr-defined]
        conn.execute(t.annotations.insert(), rows)


if __name__ == "__main__":
    main()
