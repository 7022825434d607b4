"""The trainable text classifier: real accuracy, training data, versions."""

from __future__ import annotations

import pytest

from annotary.core import Annotation, AnnotationState, ClassRegion, Item, Origin, Span
from annotary.errors import InvalidInput
from annotary.prelabel.textclf import SklearnText, training_pairs
from tests.prelabel.conftest import image_input, schema, text_input

POLARITY = schema("pos", "neg", "unused")


def _items(texts: list[str], first_id: int = 0) -> list[Item]:
    return [Item(id=first_id + i, project_id=1, text=t) for i, t in enumerate(texts)]


def _labels(labels: list[str], first_id: int = 0) -> list[Annotation]:
    return [
        Annotation(item_id=first_id + i, regions=[ClassRegion(label=label)])
        for i, label in enumerate(labels)
    ]


def test_trained_on_100_sentences_beats_chance_on_the_other_100(
    pang_lee: tuple[list[str], list[str]],
) -> None:
    texts, labels = pang_lee
    # The file lists 100 negative then 100 positive sentences: even lines
    # train, odd lines test, 50 of each label on both sides.
    train = _items(texts[0::2])
    test = _items(texts[1::2], first_id=1000)
    model = SklearnText()
    model.fit(train, _labels(labels[0::2]), POLARITY)

    predictions = model.predict(
        [text_input(i.id, i.text or "") for i in test], POLARITY
    )

    guessed = [p.regions[0].label for p in predictions]
    accuracy = sum(g == t for g, t in zip(guessed, labels[1::2], strict=True)) / 100
    print(f"sklearn-text.v1 on pang_lee, 100 train / 100 test: accuracy {accuracy:.2f}")
    # 100 coin flips reach 0.58 with probability 0.067 and 0.60 with 0.028.
    assert accuracy >= 0.58
    assert model.trained_on == 100


def test_probabilities_cover_the_schema_and_sum_to_one() -> None:
    model = SklearnText(min_examples=2)
    model.fit_texts(
        ["great fun", "awful bore", "fine joy", "dull mess"],
        ["pos", "neg", "pos", "neg"],
    )

    (probs,) = model.predict_proba([text_input(1, "great joy")], POLARITY)
    (prediction,) = model.predict([text_input(1, "great joy")], POLARITY)

    assert list(probs) == ["pos", "neg", "unused"]
    assert probs["unused"] == 0.0
    assert sum(probs.values()) == pytest.approx(1.0)
    assert probs["pos"] > probs["neg"]
    region = prediction.regions[0]
    assert (region.label, region.score) == ("pos", pytest.approx(probs["pos"]))
    assert region.attributes["probabilities"] == probs


def test_three_labels_train_with_lbfgs() -> None:
    model = SklearnText(min_examples=3)
    model.fit_texts(["red red", "blue blue", "green green"] * 2, ["r", "b", "g"] * 2)
    (probs,) = model.predict_proba([text_input(1, "blue")], schema("r", "g", "b"))
    assert max(probs, key=probs.__getitem__) == "b"
    assert sum(probs.values()) == pytest.approx(1.0)


def test_version_names_the_training_data() -> None:
    texts, labels = ["a good one", "a bad one"] * 2, ["pos", "neg"] * 2
    first, same, other = (SklearnText(min_examples=2) for _ in range(3))
    first.fit_texts(texts, labels)
    same.fit_texts(texts, labels)
    other.fit_texts([*texts, "good"], [*labels, "pos"])

    assert first.version == same.version
    assert first.version != other.version
    assert first.version.startswith("1+n4-")
    assert SklearnText().version == "1+untrained"


def test_training_pairs_keep_only_trusted_final_class_labels() -> None:
    items = _items(["t0", "t1", "t2", "t3", "t4", "t5"])
    items.append(Item(id=6, project_id=1, media=None))  # no text
    annotations = [
        Annotation(item_id=0, regions=[ClassRegion(label="pos")]),
        Annotation(item_id=0, regions=[ClassRegion(label="neg")]),  # later wins
        Annotation(item_id=1, origin=Origin.model, regions=[ClassRegion(label="pos")]),
        Annotation(
            item_id=2, state=AnnotationState.draft, regions=[ClassRegion(label="pos")]
        ),
        Annotation(
            item_id=3,
            state=AnnotationState.rejected,
            regions=[ClassRegion(label="neg")],
        ),
        Annotation(item_id=4, regions=[ClassRegion(label="gone")]),  # not in schema
        Annotation(item_id=5, regions=[Span(start=0, end=1, label="pos")]),
        Annotation(item_id=6, regions=[ClassRegion(label="pos")]),
        Annotation(
            item_id=5, origin=Origin.imported, regions=[ClassRegion(label="pos")]
        ),
        Annotation(item_id=99, regions=[ClassRegion(label="pos")]),  # unknown item
    ]

    assert training_pairs(items, annotations, POLARITY) == (
        ["t0", "t5"],
        ["neg", "pos"],
    )


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b", "c"], ["pos", "neg", "pos"], "3 labelled items, need 4"),
        (["a", "b", "c", "d"], ["pos"] * 4, "at least two labels"),
    ],
)
def test_too_little_training_data_is_refused(
    texts: list[str], labels: list[str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        SklearnText().fit(_items(texts), _labels(labels), POLARITY)


def test_untrained_model_and_image_items_are_refused(tmp_path) -> None:
    with pytest.raises(InvalidInput, match="not trained yet"):
        SklearnText().predict([text_input(1, "x")], POLARITY)
    with pytest.raises(InvalidInput, match="item 2 is image"):
        SklearnText().predict([image_input(2, tmp_path / "a.png", 1, 1)], POLARITY)
