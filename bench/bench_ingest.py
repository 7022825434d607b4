"""Reader throughput and memory: how fast files become item drafts.

Targets (issue 2): the whole JSONL import of 100,000 short texts must reach
50,000 items/s, so the reader alone aims at >= 300,000 items/s; reading is
streamed, with RSS growth < 200 MB at 1,000,000 items.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from annotary.ingest import IngestOptions, read_sources
from annotary.media import MediaStore


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_jsonl(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            row = {"text": f"short text number {i} 😀", "id": i, "label": "pos"}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "text", "label"])
        for i in range(n):
            writer.writerow([i, f"short text number {i}, with a comma", "pos"])


def write_lines(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(f"short text number {i} 😀\n")


def count(
    path: Path, tmp: Path, kind: str = "text", store: MediaStore | None = None
) -> int:
    reader = read_sources([path], IngestOptions(kind=kind), tmp_dir=tmp, store=store)
    drafts = 0
    for _ in reader:
        drafts += 1
    return drafts


def rate(path: Path, tmp: Path, n: int, repeats: int = 5) -> tuple[float, float]:
    """(best wall-clock, best CPU-time) items per second over a few runs.

    CPU time is printed too because on a shared machine the wall clock also
    counts the time other processes held the cores.
    """
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        assert count(path, tmp) == n
        wall.append(n / (time.perf_counter() - started))
        cpu.append(n / (time.process_time() - started_cpu))
    return max(wall), max(cpu)


def bench_memory(root: Path, n: int) -> None:
    source = root / f"items{n}.jsonl"
    write_jsonl(source, n)
    before = rss_mb()
    started = time.perf_counter()
    assert count(source, root) == n
    seconds = time.perf_counter() - started
    growth = rss_mb() - before
    print(
        f"jsonl {n:,} items: {n / seconds:,.0f} items/s, "
        f"peak RSS growth {growth:.1f} MB (target < 200 MB)"
    )


def bench_text(root: Path, n: int) -> None:
    for name, write in [
        ("jsonl", write_jsonl),
        ("csv", write_csv),
        ("txt", write_lines),
    ]:
        source = root / f"items{n}.{name}"
        write(source, n)
        wall, cpu = rate(source, root, n)
        target = " (target >= 300,000)" if name == "jsonl" else ""
        print(
            f"{name} {n:,} items: {wall:,.0f} items/s wall-clock, "
            f"{cpu:,.0f} items/s CPU time (best of 5){target}"
        )


def bench_images(root: Path, n: int) -> None:
    folder = root / "photos"
    folder.mkdir()
    for i in range(n):
        buffer = io.BytesIO()
        Image.effect_noise((640, 480), 20 + i % 50).convert("RGB").save(
            buffer, format="JPEG", quality=85
        )
        (folder / f"{i:04d}.jpg").write_bytes(buffer.getvalue())

    store = MediaStore(root / "media")
    started = time.perf_counter()
    assert count(folder, root, kind="image", store=store) == n
    seconds = time.perf_counter() - started
    print(f"images {n} JPEG 640x480 probed and stored: {n / seconds:,.0f} images/s")


def main() -> int:
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at start")
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        bench_memory(root, 1_000_000)
        bench_text(root, 100_000)
        bench_images(root, 200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
