from __future__ import annotations

from pathlib import Path

import pytest

from annotary.core import BBox, ClassRegion, Item, Span
from tests.formats.conftest import annotation, context, image_item, ingest, make_project

datasets = pytest.importorskip("datasets", reason="datasets is an optional extra")

from annotary.formats.hf import dump_hf, load_hf  # noqa: E402


def _text_records() -> list:
    return [
        (
            Item(id=1, project_id=1, text="Ada Lovelace wrote.", split="train"),
            [
                annotation(
                    1, [Span(label="PER", start=0, end=12), ClassRegion(labels=["bio"])]
                )
            ],
        ),
        (Item(id=2, project_id=1, text="Nothing.", split="test"), []),
    ]


def test_text_features_are_typed(tmp_path: Path) -> None:
    project = make_project(labels=["PER", "bio"], tools=["span", "class"], kind="text")
    dump_hf(context(project, _text_records(), tmp_path / "ds"))
    saved = datasets.load_from_disk(str(tmp_path / "ds"))

    assert sorted(saved) == ["test", "train"]
    row = saved["train"][0]
    features = saved["train"].features
    assert features["labels"].feature.names == ["PER", "bio"]
    assert [features["ner_tags"].feature.int2str(t) for t in row["ner_tags"]] == [
        "B-PER",
        "I-PER",
        "O",
        "O",
    ]
    assert row["tokens"] == ["Ada", "Lovelace", "wrote", "."]
    assert features["labels"].feature.int2str(row["labels"]) == ["bio"]


def test_text_round_trip(tmp_path: Path) -> None:
    project = make_project(labels=["PER", "bio"], tools=["span", "class"], kind="text")
    dump_hf(context(project, _text_records(), tmp_path / "a"))
    result = load_hf(tmp_path / "a")
    drafts = list(result.drafts)
    assert [d.split for d in drafts] == ["test", "train"]
    regions = drafts[1].annotations[0].regions
    assert (regions[0].label, regions[0].start, regions[0].end) == ("PER", 0, 12)
    assert regions[1].labels == ["bio"]
    records = ingest(drafts)
    dump_hf(context(project, records, tmp_path / "b"))
    again = datasets.load_from_disk(str(tmp_path / "b"))
    first = datasets.load_from_disk(str(tmp_path / "a"))
    for split in ("train", "test"):
        strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]  # noqa: E731
        assert strip(again[split]) == strip(first[split])


def test_image_objects(tmp_path: Path) -> None:
    regions = [BBox(label="cat", x=1, y=2, w=3, h=4), Span(label="cat", start=0, end=1)]
    records = [(image_item(1, split="val"), [annotation(1, regions)])]
    report = dump_hf(context(make_project(), records, tmp_path / "ds"))
    saved = datasets.load_from_disk(str(tmp_path / "ds"))
    row = saved["val"][0]
    assert row["objects"] == {"bbox": [[1.0, 2.0, 3.0, 4.0]], "category": [0]}
    objects = saved["val"].features["objects"]
    # datasets 3+ turns a Sequence of a dict into a dict of lists.
    category = (
        objects["category"]
        if isinstance(objects, dict)
        else objects.feature["category"]
    )
    assert getattr(category, "feature", category).names == ["cat", "dog"]
    assert report.left_out == {"span regions in hf image (boxes only)": 1}
