"""Import and export throughput on SQLite, and peak memory while streaming.

Targets (issue 2): JSONL import of 100,000 short texts >= 50,000 items/s with
RSS growth < 200 MB even at 1,000,000 items; JSONL export of 100,000 annotated
items >= 50,000 items/s, streamed.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from annotary.services import exports, imports, projects
from annotary.services.workspace import init_workspace
from annotary.storage import tables as t


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_jsonl(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"text": f"short text number {i} 😀", "id": i}) + "\n")


def bench_import(root: Path, n: int) -> None:
    ws = init_workspace(root / f"ws{n}")
    project = projects.create_project(ws, "bench", "text")
    source = root / f"items{n}.jsonl"
    write_jsonl(source, n)
    before = rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    report = imports.import_paths(ws, project.id, [source])
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    print(
        f"import {n:>9,} JSONL items: {seconds:6.2f} s = {n / seconds:9,.0f} items/s "
        f"wall, {cpu:6.2f} s = {n / cpu:9,.0f} items/s CPU "
        f"(added {report.added:,}); peak RSS growth {rss_mb() - before:6.1f} MB; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    ws.close()


def bench_export(root: Path, n: int) -> None:
    ws = init_workspace(root / f"ws{n}")
    with ws.db.read() as conn:
        pid = conn.execute(select(t.projects.c.id)).scalar_one()
        items = (
            conn.execute(select(t.items.c.id).where(t.items.c.project_id == pid))
            .scalars()
            .all()
        )
    stamp = __import__("annotary.services.users", fromlist=["now"]).now()
    with ws.db.write() as conn:
        conn.execute(
            t.annotations.insert(),
            [
                {
                    "project_id": pid,
                    "item_id": i,
                    "user_id": None,
                    "author": "bench",
                    "origin": "imported",
                    "state": "submitted",
                    "version": 1,
                    "regions": [
                        {
                            "type": "class",
                            "id": "r1",
                            "labels": ["pos"],
                            "label": "pos",
                            "score": None,
                            "attributes": {},
                        }
                    ],
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for i in items
            ],
        )
    before = rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    report = exports.export_project(ws, pid, "jsonl", root / "out.jsonl")
    seconds = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    print(
        f"export {report.items:>9,} annotated items as JSONL: {seconds:6.2f} s = "
        f"{report.items / seconds:9,.0f} items/s wall, {cpu:6.2f} s = "
        f"{report.items / cpu:9,.0f} items/s CPU; peak RSS growth "
        f"{rss_mb() - before:6.1f} MB; load {os.getloadavg()[0]:.1f}"
    )
    ws.close()


def main() -> None:
    big = "--big" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench_import(root, 100_000)
        bench_export(root, 100_000)
        if big:
            bench_import(root, 1_000_000)


if __name__ == "__main__":
    main()
