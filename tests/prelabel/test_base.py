"""The protocol, the registry of built-ins and their documentation."""

from __future__ import annotations

import doctest
import importlib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from annotary import plugins
from annotary.core import BBox, ClassRegion, Origin
from annotary.errors import InvalidInput, NotFound, SchemaError
from annotary.prelabel import Prediction, Prelabeler, load_prelabeler
from annotary.prelabel.base import check_kinds, item_kind, pick_label
from tests.prelabel.conftest import image_input, schema, text_input

BUILT_INS = {
    "opencv-faces.v1",
    "opencv-cat-faces.v1",
    "opencv-people.v1",
    "sklearn-text.v1",
    "spacy-ner.v1",
    "rule-patterns.v1",
    "http.v1",
    "zero-shot.v1",
}
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_built_ins_are_registered() -> None:
    registered = {ep.name for ep in entry_points(group="annotary.prelabelers")}
    assert registered >= BUILT_INS


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_each_built_in_is_documented(name: str) -> None:
    assert f"`{name}`" in (DOCS / "prelabelers.md").read_text(encoding="utf-8")
    factory = plugins.prelabelers.get(name)
    assert factory.name == name
    assert name in (factory.__doc__ or "")


@pytest.mark.parametrize("name", sorted(BUILT_INS - {"http.v1"}))
def test_each_built_in_builds_and_follows_the_protocol(name: str) -> None:
    model = load_prelabeler(name)
    assert isinstance(model, Prelabeler)
    assert model.name == name
    assert model.kinds


def test_unknown_name_is_not_found() -> None:
    with pytest.raises(NotFound, match="no pre-labeler named 'nope'"):
        load_prelabeler("nope")


def test_unversioned_name_resolves_to_newest() -> None:
    assert load_prelabeler("rule-patterns").name == "rule-patterns.v1"


def test_prediction_becomes_a_model_draft_annotation() -> None:
    prediction = Prediction(
        item_id=4,
        regions=[BBox(x=1, y=2, w=3, h=4, label="face", score=0.8)],
        model_name="opencv-faces.v1",
        model_version="1+opencv4.10",
    )

    annotation = prediction.to_annotation(project_id=9)

    assert annotation.origin == Origin.model
    assert annotation.state == "draft"
    assert (annotation.model_name, annotation.model_version) == (
        "opencv-faces.v1",
        "1+opencv4.10",
    )
    assert annotation.regions[0].score == 0.8
    assert annotation.regions[0] is not prediction.regions[0]
    assert annotation.project_id == 9


def test_prediction_round_trips_through_json() -> None:
    prediction = Prediction(
        item_id=1,
        regions=[ClassRegion(label="pos", score=0.7), BBox(x=0, y=0, w=1, h=1)],
        model_name="m",
        model_version="2",
    )
    again = Prediction.model_validate_json(prediction.model_dump_json())
    assert again == prediction
    assert isinstance(again.regions[1], BBox)


@pytest.mark.parametrize(
    ("names", "wanted", "option", "expected"),
    [
        (("Face", "car"), ("face",), None, "Face"),
        (("car", "person"), ("face", "person"), None, "person"),
        (("a", "b"), ("face",), "b", "b"),
        (("a", "b"), ("face",), None, SchemaError),
        (("a", "b"), ("face",), "zebra", SchemaError),
    ],
)
def test_pick_label(
    names: tuple[str, ...],
    wanted: tuple[str, ...],
    option: str | None,
    expected: str | type[Exception],
) -> None:
    if isinstance(expected, str):
        assert pick_label(schema(*names), wanted, option=option, model="m") == expected
    else:
        with pytest.raises(expected):
            pick_label(schema(*names), wanted, option=option, model="m")


def test_item_kind_and_check_kinds(tmp_path: Path) -> None:
    text = text_input(1, "hello")
    image = image_input(2, tmp_path / "a.png", 4, 4)
    assert (item_kind(text.item), item_kind(image.item)) == ("text", "image")

    check_kinds("m", frozenset({"text"}), [text])
    with pytest.raises(InvalidInput, match="item 2 is image"):
        check_kinds("m", frozenset({"text"}), [text, image])


@pytest.mark.parametrize(
    "module",
    [
        "annotary.prelabel.base",
        "annotary.prelabel.uncertainty",
        "annotary.prelabel.assist",
        "annotary.prelabel.active",
        "annotary.prelabel.nlp",
        "annotary.prelabel.textclf",
        "annotary.prelabel.zeroshot",
    ],
)
def test_docstring_examples_hold(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
