"""COCO and YOLO export through the services layer, from a SQLite workspace.

Run ``python bench/bench_exports.py [images] [boxes_per_image]`` (default
100,000 images with 10 boxes each, the issue's target: < 20 s and < 1 GB RSS
for COCO and for YOLO, streamed). Unlike ``bench_formats`` this reads the rows
back from the database, so it measures what ``annotary export`` does: rows to
records, records to files. The workspace is filled once with bulk inserts
(not timed); each export then runs in its own process so peak RSS is its own.
CPU seconds are printed beside wall seconds because a shared machine's wall
time says little.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from annotary.core import Label, LabelSchema
from annotary.services import exports, projects
from annotary.services.users import now
from annotary.services.workspace import init_workspace, open_workspace
from annotary.storage import tables as t

LABELS = [f"class{n}" for n in range(20)]
BATCH = 10_000


def fill(root: Path, images: int, boxes: int) -> int:
    """A workspace with ``images`` 640x480 images of ``boxes`` boxes each."""
    ws = init_workspace(root)
    schema = LabelSchema(labels=[Label(name=n) for n in LABELS], tools=["bbox"])
    pid = projects.create_project(ws, "bench", "image", label_schema=schema).id
    stamp = now()
    for start in range(1, images + 1, BATCH):
        ids = range(start, min(start + BATCH, images + 1))
        with ws.db.write() as conn:
            conn.execute(t.items.insert(), [_item(pid, i, stamp) for i in ids])
            conn.execute(
                t.annotations.insert(), [_annotation(pid, i, boxes, stamp) for i in ids]
            )
    ws.close()
    return pid


def _item(pid: int, n: int, stamp: object) -> dict[str, object]:
    digest = f"{n:064x}"
    return {
        "id": n,
        "project_id": pid,
        "content_hash": digest,
        "media": {
            "path": f"{digest[:2]}/{digest}.jpg",
            "sha256": digest,
            "size": 1000,
            "mime": "image/jpeg",
            "width": 640,
            "height": 480,
            "original_name": f"frame_{n:06d}.jpg",
        },
        "meta": {},
        "status": "done",
        "split": "train" if n % 10 else "val",
        "excluded": False,
        "rank": n,
        "holds": 0,
        "annotation_count": 1,
        "labels": "",
        "created_at": stamp,
    }


def _annotation(pid: int, n: int, boxes: int, stamp: object) -> dict[str, object]:
    regions = [
        {
            "type": "bbox",
            "id": f"r{n}_{k}",
            "label": LABELS[(n + k) % len(LABELS)],
            "score": None,
            "attributes": {},
            "x": float(k * 30 % 600),
            "y": float(k * 17 % 440),
            "w": 40.5,
            "h": 30.25,
            "rotation": 0.0,
            "frame": None,
        }
        for k in range(boxes)
    ]
    return {
        "project_id": pid,
        "item_id": n,
        "author": "bench",
        "origin": "human",
        "state": "submitted",
        "regions": regions,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _run(
    name: str, root: str, pid: int, out: str, queue: multiprocessing.Queue
) -> None:
    ws = open_workspace(Path(root))
    options = {"copy_media": False}
    started, cpu_started = time.perf_counter(), time.process_time()
    report = exports.export_project(ws, pid, name, Path(out), options=options)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, cpu, peak_mib, report.items, report.regions))


def main() -> None:
    images = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    boxes = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    print(f"{images:,} images x {boxes} boxes = {images * boxes:,} boxes", flush=True)
    results = {}
    where = os.environ.get("BENCH_TMP") or None
    with tempfile.TemporaryDirectory(prefix="bench_exports_", dir=where) as tmp:
        started = time.perf_counter()
        pid = fill(Path(tmp) / "ws", images, boxes)
        print(f"filled in {time.perf_counter() - started:.1f} s", flush=True)
        spawn = multiprocessing.get_context("spawn")
        for name in ("coco.v1", "yolo.v1"):
            queue: multiprocessing.Queue = spawn.Queue()
            out = str(Path(tmp) / name)
            process = spawn.Process(
                target=_run, args=(name, str(Path(tmp) / "ws"), pid, out, queue)
            )
            process.start()
            seconds, cpu, peak, items, regions = queue.get()
            process.join()
            results[name] = {
                "wall_s": round(seconds, 2),
                "cpu_s": round(cpu, 2),
                "peak_rss_mib": round(peak),
            }
            print(
                f"{name:8s} {items:,} images, {regions:,} objects: wall "
                f"{seconds:7.2f} s  cpu {cpu:7.2f} s  peak RSS {peak:6.0f} MiB",
                flush=True,
            )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
