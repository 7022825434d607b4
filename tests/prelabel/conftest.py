"""Fixtures for pre-labeler tests: items, schemas and real offline data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from annotary.core import Item, Label, LabelSchema, MediaRef
from annotary.prelabel import PrelabelInput


def need(module: str, extra: str) -> None:
    """Skip the calling test, naming the extra, when ``module`` is missing."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install 'annotary[{extra}]')")


def text_input(item_id: int, text: str) -> PrelabelInput:
    return PrelabelInput(item=Item(id=item_id, project_id=1, text=text))


def image_input(item_id: int, path: Path, width: int, height: int) -> PrelabelInput:
    media = MediaRef(
        path=path.name, sha256="", size=0, mime="image/png", width=width, height=height
    )
    return PrelabelInput(item=Item(id=item_id, project_id=1, media=media), path=path)


def schema(*names: str, **examples: list[str]) -> LabelSchema:
    return LabelSchema(
        labels=[Label(name=n, examples=examples.get(n, [])) for n in names]
    )


@pytest.fixture(scope="session")
def pang_lee() -> tuple[list[str], list[str]]:
    """The 200 labelled sentences of gensim's test data (read, not imported)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:
        pytest.skip("gensim is not installed (pip install 'annotary[demo]')")
    path = Path(spec.origin).parent / "test" / "test_data" / "pang_lee_polarity.cor"
    texts, labels = [], []
    for line in path.read_text(encoding="latin-1").splitlines():
        tag, _, sentence = line.partition(" ")
        labels.append(tag.removeprefix("__label__"))
        texts.append(sentence.strip())
    assert len(texts) == 200 and labels.count("pos") == 100
    return texts, labels


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """skimage's bundled astronaut, chelsea and camera photos as PNG files."""
    need("skimage", "demo")
    from PIL import Image
    from skimage import data

    folder = tmp_path_factory.mktemp("photos")
    out = {}
    for name in ("astronaut", "chelsea", "camera"):
        out[name] = folder / f"{name}.png"
        Image.fromarray(getattr(data, name)()).save(out[name])
    return out
