"""Benchmarks for annotary.quality; run ``python bench/bench_quality.py``.

Targets (issue 5): class agreement for 100,000 items x 5 annotators < 5 s;
box matching for 10,000 images x 3 annotators x 10 boxes < 10 s.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from annotary.core.regions import BBox, Polygon
from annotary.quality.agreement import class_agreement, pairwise_cohen_kappa
from annotary.quality.boxes import pairwise_box_agreement
from annotary.quality.consensus import dawid_skene, majority_vote
from annotary.quality.ratings import rating_table
from annotary.quality.shapes import pairwise_shape_agreement
from annotary.quality.transcripts import cer, wer


def timed(name: str, call: Callable[[], Any], target: float | None = None) -> Any:
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    verdict = "" if target is None else f"  (target < {target:g} s)"
    print(f"{name:<58} {seconds:8.2f} s{verdict}")
    return result


def class_ratings(
    items: int, annotators: int, seed: int = 0
) -> dict[int, dict[str, str]]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, size=items)
    noise = rng.random((items, annotators)) < 0.25
    labels = np.where(
        noise, rng.integers(0, 4, size=(items, annotators)), truth[:, None]
    )
    names = ["cat", "dog", "bird", "fish"]
    return {
        i: {f"ann{j}": names[label] for j, label in enumerate(row)}
        for i, row in enumerate(labels.tolist())
    }


def box_images(
    images: int, annotators: int, per_image: int, seed: int = 0
) -> dict[int, dict[str, list[BBox]]]:
    rng = np.random.default_rng(seed)
    out: dict[int, dict[str, list[BBox]]] = {}
    for image in range(images):
        base = rng.uniform(0, 500, size=(per_image, 2))
        sizes = rng.uniform(20, 80, size=(per_image, 2))
        row: dict[str, list[BBox]] = {}
        for a in range(annotators):
            jitter = rng.normal(0, 3, size=(per_image, 2))
            row[f"ann{a}"] = [
                BBox.model_construct(
                    x=float(x), y=float(y), w=float(w), h=float(h), label="car"
                )
                for (x, y), (w, h) in zip(base + jitter, sizes, strict=True)
            ]
        out[image] = row
    return out


def polygon_images(
    images: int, annotators: int, per_image: int, seed: int = 0
) -> dict[int, dict[str, list[Polygon]]]:
    """Jittered copies of the same boxes, drawn as four-point polygons."""
    boxes = box_images(images, annotators, per_image, seed)
    return {
        image: {
            a: [
                Polygon.model_construct(
                    points=[
                        (b.x, b.y),
                        (b.x + b.w, b.y),
                        (b.x + b.w, b.y + b.h),
                        (b.x, b.y + b.h),
                    ],
                    holes=[],
                    label=b.label,
                )
                for b in drawn
            ]
            for a, drawn in row.items()
        }
        for image, row in boxes.items()
    }


def main() -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )

    ratings = class_ratings(100_000, 5)
    table = timed(
        "ratings table, 100,000 items x 5 annotators", lambda: rating_table(ratings)
    )
    timed(
        "class agreement (4 metrics) from the mapping",
        lambda: class_agreement(ratings),
        target=5,
    )
    timed(
        "class agreement (4 metrics) from a built table", lambda: class_agreement(table)
    )
    timed("pairwise Cohen's kappa, 10 pairs", lambda: pairwise_cohen_kappa(table))
    strangers = {
        i: {f"ann{2 * i}": "cat", f"ann{2 * i + 1}": "dog" if i % 3 else "cat"}
        for i in range(5_000)
    }
    timed(
        "pairwise Cohen's kappa, 10,000 annotators, 2 per item",
        lambda: pairwise_cohen_kappa(strangers),
    )
    timed("majority vote, 100,000 items", lambda: majority_vote(table))
    timed("Dawid-Skene, 100,000 items x 5", lambda: dawid_skene(table))

    images = box_images(10_000, 3, 10)
    timed(
        "box agreement, 10,000 images x 3 annotators x 10 boxes",
        lambda: pairwise_box_agreement(images),
        target=10,
    )

    polygons = polygon_images(10_000, 3, 10)
    sizes = dict.fromkeys(polygons, (640, 640))
    timed(
        "polygon agreement, 10,000 images x 3 annotators x 10 shapes",
        lambda: pairwise_shape_agreement(polygons, 0.5, sizes),
    )

    words = " ".join(f"w{i % 50}" for i in range(2_000))
    other = " ".join(f"w{(i * 7) % 50}" for i in range(2_000))
    timed("WER, 2,000 x 2,000 words", lambda: wer(words, other))
    timed("CER, ~6,000 x ~6,000 characters", lambda: cer(words[:6000], other[:6000]))


if __name__ == "__main__":
    main()
