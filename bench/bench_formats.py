"""Export speed and peak memory of the streamed formats.

Run ``python bench/bench_formats.py [images] [boxes_per_image]`` (default
100,000 images with 10 boxes each, the issue's target: < 20 s, < 1 GB RSS for
COCO and YOLO). Each format runs in its own process so peak RSS is its own.
Records are generated lazily, as the services layer streams them; the time
to only generate them is printed too, so the format's share can be read off.
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
from collections.abc import Iterator
from pathlib import Path

from annotary.core import Annotation, BBox, Item, Label, LabelSchema, MediaRef, Project
from annotary.formats.base import ExportContext, Record

LABELS = [f"class{n}" for n in range(20)]


def records(images: int, boxes: int) -> Iterator[Record]:
    for item_id in range(1, images + 1):
        media = MediaRef(
            path=f"ab/{item_id:064x}.jpg",
            sha256=f"{item_id:064x}",
            size=1000,
            width=640,
            height=480,
            original_name=f"frame_{item_id:06d}.jpg",
        )
        item = Item(id=item_id, project_id=1, media=media, split="train")
        regions = [
            BBox(
                label=LABELS[(item_id + n) % len(LABELS)],
                x=float(n * 30 % 600),
                y=float(n * 17 % 440),
                w=40.5,
                h=30.25,
            )
            for n in range(boxes)
        ]
        yield item, [Annotation(item_id=item_id, regions=regions)]


def _run(
    name: str, images: int, boxes: int, out: str, queue: multiprocessing.Queue
) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    if name == "generate only":
        for _ in records(images, boxes):
            pass
    else:
        from annotary import plugins

        project = Project(
            id=1,
            name="bench",
            kind="image",
            label_schema=LabelSchema(labels=[Label(name=n) for n in LABELS]),
        )
        ctx = ExportContext(project, records(images, boxes), Path(out) / name)
        plugins.formats.get(name).dump(ctx)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, cpu, peak_mib))


def main() -> None:
    images = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    boxes = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    print(f"{images:,} images x {boxes} boxes = {images * boxes:,} boxes", flush=True)
    results = {}
    # BENCH_TMP picks the folder to write in: a slow temporary disk measures
    # the disk (YOLO creates one file per image) rather than the format.
    where = os.environ.get("BENCH_TMP") or None
    with tempfile.TemporaryDirectory(prefix="bench_formats_", dir=where) as out:
        for name in ("generate only", "coco.v1", "yolo.v1", "jsonl.v1"):
            queue: multiprocessing.Queue = multiprocessing.Queue()
            process = multiprocessing.Process(
                target=_run, args=(name, images, boxes, out, queue)
            )
            process.start()
            seconds, cpu, peak = queue.get()
            process.join()
            results[name] = {
                "wall_s": round(seconds, 2),
                "cpu_s": round(cpu, 2),
                "peak_rss_mib": round(peak),
            }
            print(
                f"{name:14s} wall {seconds:8.2f} s  cpu {cpu:8.2f} s  "
                f"peak RSS {peak:7.0f} MiB",
                flush=True,
            )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
