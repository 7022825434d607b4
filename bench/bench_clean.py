"""Cleaning checks: duplicate search and hashing speed.

Targets (issue 6): exact duplicates over 1,000,000 text items < 10 s;
near-duplicate search over 100,000 image hashes < 10 s; hashing throughput
per image reported. Run: ``python bench/bench_clean.py``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image, ImageFilter

from annotary.clean.base import CheckInput
from annotary.clean.duplicates import ExactDuplicates
from annotary.clean.hashindex import hamming_pairs
from annotary.clean.images import (
    DRAFT,
    NearDuplicateImages,
    cluster_hashes,
    hash_image,
    open_upright,
)
from annotary.clean.quality import Blur
from annotary.clean.text import NearDuplicateText
from annotary.core.models import Item

T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """The result, wall seconds and CPU seconds of ``work()``.

    CPU time is printed too because the machine may be shared: wall time then
    includes waiting for a core.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def text_items(n: int) -> list[CheckInput]:
    """Short texts; one in ten repeats an earlier one, half of those re-cased."""
    items = []
    for i in range(n):
        source = i - 7 if i % 10 == 9 else i
        text = f"Item {source} says the parcel arrived on day {source % 365}."
        if i % 20 == 19:
            text = "  " + text.upper()
        items.append(CheckInput(Item(id=i + 1, project_id=1, text=text)))
    return items


def bench_exact_text(n: int) -> None:
    items = text_items(n)
    flags, wall, cpu = timed(lambda: list(ExactDuplicates().run(items, params={})))
    print(
        f"exact-duplicates.v1 over {n:>9,} texts: {wall:6.2f} s wall, {cpu:6.2f} s "
        f"CPU = {n / cpu:10,.0f} items/CPU-s ({len(flags):,} flags)"
    )


def planted_hashes(n: int, seed: int = 0) -> np.ndarray:
    """Random 64-bit hashes; 1 in 10 is a copy of another with 0..8 bits flipped."""
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    copies = np.arange(9, n, 10)
    flips = np.zeros(len(copies), dtype=np.uint64)
    for bit in range(64):
        chosen = rng.random(len(copies)) < 4 / 64
        flips[chosen] |= np.uint64(1 << bit)
    hashes[copies] = hashes[copies - 5] ^ flips
    return hashes


def bench_hash_search(n: int, radius: int) -> None:
    hashes = planted_hashes(n)
    mirrored = planted_hashes(n, seed=1)
    pairs, wall, cpu = timed(lambda: hamming_pairs(hashes, radius))
    mirror = min(radius, NearDuplicateImages.defaults["mirror_distance"])
    groups, c_wall, c_cpu = timed(
        lambda: cluster_hashes(hashes, radius, mirrored, mirror)
    )
    print(
        f"hash search {n:>9,} hashes, radius {radius:2d}: pairs {wall:5.2f} s wall "
        f"{cpu:5.2f} s CPU ({len(pairs[0]):,} pairs); clusters, mirrored look-up "
        f"within {mirror}: {c_wall:5.2f} s wall {c_cpu:5.2f} s CPU "
        f"({len(groups):,} clusters)"
    )


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A smooth random picture (noise blurred), so JPEG sizes are realistic."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(height // 16, width // 16, 3), dtype=np.uint8)
    big = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    return big.filter(ImageFilter.GaussianBlur(2))


def bench_hashing(folder: Path, size: tuple[int, int], count: int, ext: str) -> None:
    paths = []
    for n in range(count):
        path = folder / f"{size[0]}x{size[1]}-{n}.{ext}"
        options = {"quality": 90} if ext == "jpg" else {}
        photo(*size, seed=n).save(path, **options)
        paths.append(path)

    def hash_all() -> None:
        for path in paths:
            hash_image(open_upright(path, draft=DRAFT))

    inputs = [
        CheckInput(Item(id=n + 1, project_id=1), path) for n, path in enumerate(paths)
    ]
    _, _, seconds = timed(hash_all)
    _, _, check = timed(lambda: list(NearDuplicateImages().run(inputs, params={})))
    _, _, blur = timed(lambda: list(Blur().run(inputs, params={})))
    print(
        f"phash {ext.upper():4s} {size[0]:>4}x{size[1]:<4}: "
        f"{1000 * seconds / count:6.1f} CPU-ms/image = {count / seconds:6.1f} "
        f"images/CPU-s; near-duplicate-images.v1 {1000 * check / count:6.1f} "
        f"CPU-ms/image; blur.v1 {1000 * blur / count:6.1f} CPU-ms/image"
    )


def bench_near_text(n: int) -> None:
    rng = np.random.default_rng(0)
    words = [f"w{k}" for k in range(5000)]
    texts = [" ".join(rng.choice(words, size=30)) for _ in range(n)]
    for i in range(9, n, 10):
        texts[i] = texts[i - 3].replace("w", "W", 1) + " extra"
    items = [
        CheckInput(Item(id=i + 1, project_id=1, text=t)) for i, t in enumerate(texts)
    ]
    flags, wall, cpu = timed(lambda: list(NearDuplicateText().run(items, params={})))
    print(
        f"near-duplicate-text.v1 over {n:>7,} texts: {wall:6.2f} s wall, "
        f"{cpu:6.2f} s CPU = {n / cpu:8,.0f} items/CPU-s ({len(flags):,} flags)"
    )


def main() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load} at start")
    bench_exact_text(1_000_000)
    for radius in (8, 10, 12):
        bench_hash_search(100_000, radius)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_hashing(folder, (640, 480), 100, "jpg")
        bench_hashing(folder, (4000, 3000), 10, "jpg")
        bench_hashing(folder, (640, 480), 50, "png")
    bench_near_text(20_000)


if __name__ == "__main__":
    main()
