"""Consensus annotations: majority, Dawid-Skene, ties, boxes weighed by gold."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from annotary.errors import InvalidInput, PermissionDenied
from annotary.services import exports, gold, imports, projects, quality
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts, member
from tests.services.test_quality import SCHEMA, cls, label_in_order


def three_annotators(ws: Workspace) -> tuple[int, list[int]]:
    """Item votes: (pos pos neg) (pos neg neg) (neg neg pos) (pos neg -)."""
    project = projects.create_project(
        ws, "P", "text", label_schema=SCHEMA, settings={"overlap": 3}
    )
    items = add_texts(ws, project.id, ["good", "fine", "bad", "meh", "solo"])
    ann, bob, cat = (
        member(ws, project.id, name, "annotator") for name in ("ann", "bob", "cat")
    )
    label_in_order(ws, project.id, ann, cls("pos", "pos", "neg", "pos", "neg"))
    label_in_order(ws, project.id, bob, cls("pos", "neg", "neg", "neg"))
    label_in_order(ws, project.id, cat, cls("neg", "neg", "pos"))
    return project.id, items


def consensus_labels(ws: Workspace, pid: int, method: str) -> dict[int, list[str]]:
    with ws.db.read() as conn:
        rows = conn.execute(
            select(t.annotations.c.item_id, t.annotations.c.regions).where(
                (t.annotations.c.project_id == pid)
                & (t.annotations.c.origin == "consensus")
                & (t.annotations.c.model_name == method)
            )
        ).all()
    return {
        item: [label for r in regions for label in r["labels"]]
        for item, regions in rows
    }


def test_majority_consensus_with_ties_and_single_items(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, items = three_annotators(ws)

    report = quality.create_consensus(ws, pid, "majority")

    assert consensus_labels(ws, pid, "majority") == {
        items[0]: ["pos"],
        items[1]: ["neg"],
        items[2]: ["neg"],
    }
    assert report["ties"] == [{"item_id": items[3], "labels": ["neg", "pos"]}]
    assert report["skipped_single"] == [items[4]]
    assert report["created"] == 3 and report["replaced"] == 0


def test_rerun_replaces_and_exports_prefer_consensus(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, items = three_annotators(ws)
    quality.create_consensus(ws, pid, "majority")

    again = quality.create_consensus(ws, pid, "majority")
    other = quality.create_consensus(ws, pid, "dawid_skene")

    assert again["replaced"] == 3 and again["created"] == 3
    assert other["replaced"] == 0
    assert set(consensus_labels(ws, pid, "dawid_skene")) == set(items[:4])
    final = {
        item.id: anns for item, anns in exports.iter_records(ws, pid, which="final")
    }
    assert final[items[0]][0].origin == "consensus"


def test_consensus_needs_a_manager_and_a_known_method(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    pid, _ = three_annotators(ws)
    rev = member(ws, pid, "rev", "reviewer")
    with pytest.raises(PermissionDenied):
        quality.create_consensus(ws, pid, "majority", actor=rev)
    with pytest.raises(InvalidInput, match="method"):
        quality.create_consensus(ws, pid, "mode")


def test_multi_label_majority_keeps_labels_most_chose(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    schema = {**SCHEMA, "multi_label": True}
    project = projects.create_project(
        ws, "M", "text", label_schema=schema, settings={"overlap": 3}
    )
    (item,) = add_texts(ws, project.id, ["good and bad"])
    for name, labels in (("a", ["pos", "neg"]), ("b", ["pos"]), ("c", ["pos", "neg"])):
        user = member(ws, project.id, name, "annotator")
        label_in_order(ws, project.id, user, [[{"type": "class", "labels": labels}]])

    quality.create_consensus(ws, project.id, "majority")

    assert consensus_labels(ws, project.id, "majority") == {item: ["neg", "pos"]}
    with pytest.raises(InvalidInput, match="single-label"):
        quality.create_consensus(ws, project.id, "dawid_skene")


def test_span_consensus_by_majority(sqlite_workspace: Workspace) -> None:
    ws = sqlite_workspace
    ner = {"labels": [{"name": "PER"}], "tools": ["span"]}
    project = projects.create_project(
        ws, "N", "text", label_schema=ner, settings={"overlap": 3}
    )
    (item,) = add_texts(ws, project.id, ["Alice met Bob"])
    alice = {"type": "span", "label": "PER", "start": 0, "end": 5}
    bob = {"type": "span", "label": "PER", "start": 10, "end": 13}
    for name, spans in (("a", [alice, bob]), ("b", [alice]), ("c", [alice, bob])):
        user = member(ws, project.id, name, "annotator")
        label_in_order(ws, project.id, user, [spans])

    quality.create_consensus(ws, project.id)

    with ws.db.read() as conn:
        (regions,) = conn.execute(
            select(t.annotations.c.regions).where(t.annotations.c.origin == "consensus")
        ).scalars()
    assert [(r["start"], r["end"], r["label"]) for r in regions] == [
        (0, 5, "PER"),
        (10, 13, "PER"),
    ]
    assert regions[0]["score"] == 1.0 and regions[1]["score"] == pytest.approx(2 / 3)
    assert item


def box(x: float, label: str = "cat") -> dict[str, object]:
    return {"type": "bbox", "x": x, "y": 0, "w": 10, "h": 10, "label": label}


def test_box_consensus_weighs_annotators_by_gold_accuracy(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    schema = {"labels": [{"name": "cat"}], "tools": ["bbox"]}
    project = projects.create_project(
        ws, "I", "image", label_schema=schema, settings={"overlap": 3}
    )
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, shade in (("a.png", 40), ("b.png", 200)):
        Image.new("RGB", (64, 64), (shade, shade, shade)).save(folder / name)
    imports.import_paths(ws, project.id, [folder])
    drawn = {  # item 1 is gold: ann and bob right, cat wrong.
        "ann": [[box(0)], [box(0)]],
        "bob": [[box(0)], [box(2)]],
        "cat": [[box(50)], [box(4)]],
    }
    for name, answers in drawn.items():
        user = member(ws, project.id, name, "annotator")
        ids = label_in_order(ws, project.id, user, answers)
    with ws.db.read() as conn:
        first, second = sorted(
            conn.execute(
                select(t.annotations.c.item_id).where(t.annotations.c.id.in_(ids))
            ).scalars()
        )
    gold.set_gold(ws, {first: [box(0)]})

    report = quality.create_consensus(ws, project.id)
    agreement = quality.quality_report(ws, project.id)["agreement"]["boxes"]

    assert report["weights"] == {"ann": 1.0, "bob": 1.0, "cat": 0.0}
    with ws.db.read() as conn:
        merged = dict(
            conn.execute(
                select(t.annotations.c.item_id, t.annotations.c.regions).where(
                    t.annotations.c.origin == "consensus"
                )
            ).all()
        )
    assert [(b["x"], b["score"]) for b in merged[first]] == [(0.0, 1.0)]
    assert [b["x"] for b in merged[second]] == [1.0]  # cat's x=4 weighs nothing
    ann_bob = agreement["per_pair"][0]
    assert (ann_bob["first"], ann_bob["second"]) == ("ann", "bob")
    assert ann_bob["f1"]["value"] == 1.0
    # IoU of x=0 and x=2 boxes, 10 wide: 80 / 120.
    assert ann_bob["mean_iou"]["value"] == pytest.approx((1 + 80 / 120) / 2)
    assert agreement["disagreements"] == [first, second]
