"""The cleaning service end to end: items from the database, flags back into it.

What a user waits for after ``annotary clean``: reading the items, running the
checks, storing the flags; then the cleaning screen's reads (a page of flags,
the live count behind a threshold slider, the clusters) and applying the
suggested decisions. SQLite in a temporary workspace.
Run: ``python bench/bench_clean_service.py [N_TEXTS]``.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from annotary.core.models import ImportReport, ItemDraft
from annotary.services import cleaning, imports, projects
from annotary.services.workspace import Workspace, init_workspace

T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """The result, wall seconds and CPU seconds of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def texts(count: int) -> list[str]:
    """Sentences with every tenth a copy (case and spaces changed) of another."""
    out = []
    for n in range(count):
        if n % 10 == 9:
            out.append(f"  Review NUMBER {n - 9} says the product is fine. ")
        else:
            out.append(f"Review number {n} says the product is fine.")
    return out


def fill(ws: Workspace, count: int) -> int:
    project = projects.create_project(ws, "Bench", "text")
    drafts = [
        ItemDraft(text=text, content_hash=hashlib.sha256(text.encode()).hexdigest())
        for text in texts(count)
    ]
    imports.import_drafts(ws, project.id, drafts, report=ImportReport(project="b"))
    return project.id


def line(label: str, wall: float, cpu: float, extra: str = "") -> None:
    print(f"{label:48} {wall:7.2f} s wall {cpu:7.2f} s CPU  {extra}")


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(Path(tmp) / "ws")
        pid = fill(ws, count)
        checks = ["exact-duplicates", "empty-text", "text-length"]

        report, wall, cpu = timed(lambda: cleaning.run_cleaning(ws, pid, checks=checks))
        line(
            f"run_cleaning, {count:,} texts, 3 checks",
            wall,
            cpu,
            f"{report['flags']:,} flags stored",
        )
        again, wall, cpu = timed(lambda: cleaning.run_cleaning(ws, pid, checks=checks))
        line("run_cleaning again (replaces the flags)", wall, cpu)

        page, wall, cpu = timed(lambda: cleaning.list_flags(ws, pid, limit=100))
        line("list_flags, first 100 by score", wall, cpu, f"of {page['total']:,}")
        _, wall, cpu = timed(
            lambda: cleaning.count_for_threshold(ws, pid, "exact-duplicates", 0.5)
        )
        line("count_for_threshold (slider)", wall, cpu)
        found, wall, cpu = timed(lambda: cleaning.clusters(ws, pid))
        line("clusters", wall, cpu, f"{len(found):,} clusters")
        decided, wall, cpu = timed(lambda: cleaning.apply_suggestions(ws, pid))
        line("apply_suggestions", wall, cpu, f"{decided['exclude']:,} excluded")
        ws.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
