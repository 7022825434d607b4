"""Throughput of the built-in pre-labelers and the pure helpers, on CPU.

Prints one line per figure. Parts whose optional packages are missing
(OpenCV, spaCy, scikit-image, gensim) are reported as skipped.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from annotary.core import BBox, Item, Label, LabelSchema, MediaRef
from annotary.prelabel import PrelabelInput, load_prelabeler
from annotary.prelabel.assist import compare_regions
from annotary.prelabel.uncertainty import entropy, margin

ROOT = Path(__file__).resolve().parents[1]


def timed(work: Callable[[], object], repeat: int = 1) -> tuple[float, float]:
    """Best wall time and best CPU time of ``repeat`` runs, in seconds.

    CPU time is printed too because the shared 2-core machines these figures
    come from are often busy with other work, which stretches wall time.
    """
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu


def report(name: str, count: int, unit: str, seconds: tuple[float, float]) -> None:
    wall, cpu = seconds
    print(
        f"{name:<46} {count / wall:>11,.1f} {unit}/s wall"
        f" {count / max(cpu, 1e-9):>11,.1f} {unit}/s cpu  ({wall:.3f} s wall)"
    )


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def text_batch(texts: list[str]) -> list[PrelabelInput]:
    return [
        PrelabelInput(Item(id=i, project_id=1, text=t)) for i, t in enumerate(texts)
    ]


def sentences() -> list[str]:
    spec = importlib.util.find_spec("gensim")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "test" / "test_data" / "pang_lee_polarity.cor"
    lines = path.read_text(encoding="latin-1").splitlines()
    return [line.partition(" ")[2].strip() for line in lines]


def bench_vision(folder: Path) -> None:
    if not (has("cv2") and has("skimage")):
        print("vision: skipped (needs annotary[vision] and scikit-image)")
        return
    from PIL import Image
    from skimage import data

    schema = LabelSchema(labels=[Label(name="face"), Label(name="person")])
    for photo in ("astronaut", "chelsea"):
        pixels = getattr(data, photo)()
        path = folder / f"{photo}.png"
        Image.fromarray(pixels).save(path)
        height, width = pixels.shape[:2]
        media = MediaRef(path=path.name, sha256="", size=0, mime="image/png")
        batch = [
            PrelabelInput(Item(id=i, project_id=1, media=media), path) for i in range(5)
        ]
        for name in ("opencv-faces.v1", "opencv-cat-faces.v1", "opencv-people.v1"):
            model = load_prelabeler(name, label="face" if "face" in name else None)
            model.predict(batch[:1], schema)
            seconds = timed(lambda m=model, b=batch: m.predict(b, schema), repeat=2)
            report(f"{name} {photo} {width}x{height}", len(batch), "images", seconds)


def bench_text() -> None:
    if not has("gensim"):
        print("text: skipped (needs gensim for the pang_lee sentences)")
        return
    texts = sentences()
    labels = ["neg"] * 100 + ["pos"] * 100
    schema = LabelSchema(labels=[Label(name="pos"), Label(name="neg")])

    model = load_prelabeler("sklearn-text.v1")
    seconds = timed(lambda: model.fit_texts(texts, labels), repeat=3)
    report("sklearn-text.v1 fit, 200 sentences", 200, "sentences", seconds)
    many = text_batch(texts * 50)
    seconds = timed(lambda: model.predict(many, schema))
    report("sklearn-text.v1 predict", len(many), "sentences", seconds)

    rules = LabelSchema(
        labels=[
            Label(
                name="w", examples=sorted({w for t in texts for w in t.split()})[:200]
            )
        ]
    )
    rule_model = load_prelabeler("rule-patterns.v1")
    seconds = timed(lambda: rule_model.predict(text_batch(texts * 5), rules))
    report("rule-patterns.v1, 200 phrases", 1000, "texts", seconds)

    if not has("spacy"):
        print("spacy-ner.v1: skipped (needs annotary[nlp])")
        return
    entities = LabelSchema(labels=[Label(name="person"), Label(name="org")])
    for width in (0, 16):
        ner = load_prelabeler("spacy-ner.v1", beam_width=width)
        ner.predict(text_batch(texts[:2]), entities)
        seconds = timed(lambda n=ner: n.predict(text_batch(texts), entities))
        report(f"spacy-ner.v1 beam_width={width}", 200, "sentences", seconds)


def bench_http() -> None:
    server = ROOT / "examples" / "model_server" / "server.py"
    process = subprocess.Popen(
        [sys.executable, str(server), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("listening on ")
        schema = LabelSchema(labels=[Label(name="person", examples=["Ada Lovelace"])])
        model = load_prelabeler("http.v1", url=url, batch_size=64)
        batch = text_batch(["Ada Lovelace wrote the first program."] * 2000)
        seconds = timed(lambda: model.predict(batch, schema))
        report(
            "http.v1 to the example server, batches of 64", len(batch), "items", seconds
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def bench_pure() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10), size=1_000_000)
    report(
        "entropy, 1,000,000 x 10 labels",
        1_000_000,
        "items",
        timed(lambda: entropy(probs)),
    )
    report(
        "margin, 1,000,000 x 10 labels",
        1_000_000,
        "items",
        timed(lambda: margin(probs)),
    )

    predicted = [BBox(x=30.0 * k, y=0, w=20, h=20, label="car") for k in range(20)]
    final = [b.model_copy(update={"x": b.x + 1}) for b in predicted]
    seconds = timed(lambda: [compare_regions(predicted, final) for _ in range(200)])
    report("compare_regions, 20 boxes each", 200, "items", seconds)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bench_vision(Path(tmp))
    bench_text()
    bench_http()
    bench_pure()


if __name__ == "__main__":
    main()
