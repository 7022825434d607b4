"""Annotations without an annotator in the quality report.

Imported labels without an author, and annotations saved by a script without
a user, are nobody's work: no annotator card, no pair table, no count of
annotators, but they still count in the item-level numbers.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import select

from annotary.core.models import Annotation, ImportReport, ItemDraft
from annotary.quality.agreement import krippendorff_alpha
from annotary.services import annotations, gold, imports, projects, quality
from annotary.services.annotations import parse_regions
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import add_texts, member
from tests.services.test_quality import NER, SCHEMA, cls, label_in_order, value

Json = dict[str, Any]


def import_labelled(
    ws: Workspace, project_id: int, labelled: list[tuple[str, list[str]]]
) -> None:
    """Import texts in Annotary's own format with class labels naming no author."""
    drafts = [
        ItemDraft(
            text=text,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            annotations=[
                Annotation(item_id=0, regions=parse_regions(cls(label)[0]))
                for label in labels
            ],
        )
        for text, labels in labelled
    ]
    report = imports.import_drafts(
        ws, project_id, drafts, report=ImportReport(project="t"), native=True
    )
    assert report.annotations_added == sum(len(labels) for _, labels in labelled)


def item_ids(ws: Workspace, project_id: int) -> list[int]:
    with ws.db.read() as conn:
        return list(
            conn.execute(
                select(t.items.c.id)
                .where(t.items.c.project_id == project_id)
                .order_by(t.items.c.id)
            ).scalars()
        )


def people_parts(report: Json) -> Json:
    """What the report says about people: cards, pairs, confusion, per-person gold."""
    return {
        "cards": report["annotators"],
        "annotators": report["counts"]["annotators"],
        "pairs": {k: part["per_pair"] for k, part in report["agreement"].items()},
        "confusion": report["confusion"],
        "gold": report["gold"]["per_annotator"],
    }


def test_unattributed_labels_make_no_cards_or_pairs(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "I", "text", label_schema=SCHEMA)
    import_labelled(
        workspace,
        project.id,
        [
            ("good", ["pos", "pos"]),
            ("fine", ["pos", "neg"]),
            ("bad", ["neg", "neg"]),
            ("awful", ["neg", "neg"]),
        ],
    )
    items = item_ids(workspace, project.id)
    gold.set_gold(workspace, {items[1]: cls("pos")[0]})

    report = quality.quality_report(workspace, project.id)

    assert report["counts"]["annotations"] == 8
    assert report["counts"]["unattributed"] == 8
    assert report["counts"]["annotators"] == 0
    assert report["annotators"] == []
    assert report["confusion"] == []
    classes = report["agreement"]["classes"]
    assert classes["per_pair"] == []
    # Item-level metrics still read them, two raters on each item:
    # nominal alpha = 1 - (8 - 1) * 2 / (2 * 3 * 5) = 8/15 over 8 values.
    overall = classes["overall"]
    assert value(overall["krippendorff_alpha"]) == pytest.approx(8 / 15)
    assert overall["krippendorff_alpha"]["n"] == 8
    assert value(overall["percent_agreement"]) == 0.75
    assert "cohen_kappa" not in overall
    assert classes["disagreements"] == [items[1]]
    (disagreement,) = report["disagreements"]
    assert sorted(disagreement["labels"].values()) == ["neg", "pos"]
    assert all(key.startswith("#") for key in disagreement["annotations"])
    # Gold counts them overall, but there is no one to credit.
    assert report["gold"]["overall"]["n"] == 2
    assert value(report["gold"]["overall"]) == 0.5
    assert report["gold"]["per_annotator"] == {}


def ann_and_bob_classes(ws: Workspace) -> tuple[int, list[int], Callable[[], None]]:
    """ann says pos pos neg neg, bob pos neg neg neg; the imports add a third view."""
    project = projects.create_project(
        ws, "P", "text", label_schema=SCHEMA, settings={"overlap": 2}
    )
    items = add_texts(ws, project.id, ["good", "fine", "bad", "awful"])
    ann = member(ws, project.id, "ann", "annotator")
    bob = member(ws, project.id, "bob", "annotator")
    label_in_order(ws, project.id, ann, cls("pos", "pos", "neg", "neg"))
    label_in_order(ws, project.id, bob, cls("pos", "neg", "neg", "neg"))

    def add_unattributed() -> None:
        # A script without a user: two views on "fine", one on "bad", and two
        # labelled texts imported without an author.
        for item, label in [(1, "pos"), (1, "pos"), (2, "pos"), (0, "neg")]:
            annotations.create_annotation(ws, items[item], cls(label)[0])
        import_labelled(ws, project.id, [("nice", ["pos"]), ("meh", ["neg", "pos"])])

    return project.id, items, add_unattributed


def ann_and_bob_spans(ws: Workspace) -> tuple[int, list[int], Callable[[], None]]:
    project = projects.create_project(
        ws, "N", "text", label_schema=NER, settings={"overlap": 2}
    )
    items = add_texts(ws, project.id, ["Alice met Bob", "Bob met Cy"])
    ann = member(ws, project.id, "ann", "annotator")
    bob = member(ws, project.id, "bob", "annotator")
    per = {"type": "span", "label": "PER"}
    alice, bob_span = {**per, "start": 0, "end": 5}, {**per, "start": 10, "end": 13}
    label_in_order(
        ws, project.id, ann, [[alice, bob_span], [{**per, "start": 0, "end": 3}]]
    )
    label_in_order(ws, project.id, bob, [[{**per, "start": 0, "end": 4}], []])

    def add_unattributed() -> None:
        annotations.create_annotation(ws, items[0], [alice])
        annotations.create_annotation(ws, items[1], [{**per, "start": 8, "end": 10}])

    return project.id, items, add_unattributed


@pytest.mark.parametrize("build", [ann_and_bob_classes, ann_and_bob_spans])
def test_imported_labels_leave_the_people_parts_as_they_were(
    workspace: Workspace,
    build: Callable[[Workspace], tuple[int, list[int], Callable[[], None]]],
) -> None:
    pid, _, add_unattributed = build(workspace)
    without = quality.quality_report(workspace, pid)
    add_unattributed()

    mixed = quality.quality_report(workspace, pid)

    assert people_parts(mixed) == people_parts(without)
    assert mixed["counts"]["annotators"] == 2
    assert "unattributed" not in without["counts"]
    assert (
        mixed["counts"]["unattributed"]
        == mixed["counts"]["annotations"] - (without["counts"]["annotations"])
    )
    assert [card["annotator"] for card in mixed["annotators"]] == ["ann", "bob"]
    assert mixed["agreement"]


def test_alpha_and_gold_still_count_the_imported_labels(workspace: Workspace) -> None:
    pid, items, add_unattributed = ann_and_bob_classes(workspace)
    gold.set_gold(workspace, {items[1]: cls("neg")[0]})
    add_unattributed()

    report = quality.quality_report(workspace, pid)

    ratings = {
        items[0]: {"ann": "pos", "bob": "pos", "x1": "neg"},
        items[1]: {"ann": "pos", "bob": "neg", "x1": "pos", "x2": "pos"},
        items[2]: {"ann": "neg", "bob": "neg", "x1": "pos"},
        items[3]: {"ann": "neg", "bob": "neg"},
        "meh": {"x1": "neg", "x2": "pos"},
        "nice": {"x1": "pos"},
    }
    expected = krippendorff_alpha(ratings)
    assert expected.n == 14
    overall = report["agreement"]["classes"]["overall"]
    assert overall["krippendorff_alpha"] == {"value": expected.value, "n": 14}
    assert "cohen_kappa" not in overall
    # On "fine" (gold: neg) ann and both imports say pos, bob says neg.
    assert report["gold"]["overall"] == {"value": 0.25, "n": 4}
    per = report["gold"]["per_annotator"]
    assert sorted(per) == ["ann", "bob"]
    assert (value(per["bob"]), per["ann"]["value"]) == (1.0, 0.0)


def python_calls(call: Callable[[], object]) -> int:
    """How many Python functions run during ``call`` (a measure of work, not time)."""
    count = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return count


def test_report_work_grows_linearly_with_unattributed_labels(
    workspace: Workspace,
) -> None:
    """Twice the imported labels, about twice the work (it was quadratic)."""
    calls = []
    for size in (100, 200):
        project = projects.create_project(
            workspace, f"I{size}", "text", label_schema=SCHEMA
        )
        import_labelled(
            workspace,
            project.id,
            [(f"text {size} {i}", ["pos" if i % 3 else "neg"]) for i in range(size)],
        )
        quality.quality_report(workspace, project.id)  # statements compiled
        calls.append(
            python_calls(lambda pid=project.id: quality.quality_report(workspace, pid))
        )

    assert calls[1] < 2.3 * calls[0], calls


def test_3000_unattributed_labels_give_no_pairs(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "big", "text", label_schema=SCHEMA)
    import_labelled(
        workspace,
        project.id,
        [(f"text {i}", ["pos", "neg" if i % 4 else "pos"]) for i in range(1500)],
    )

    report = quality.quality_report(workspace, project.id)

    assert report["counts"]["unattributed"] == 3000
    assert report["counts"]["annotators"] == 0
    assert report["annotators"] == []
    assert report["confusion"] == []
    classes = report["agreement"]["classes"]
    assert classes["per_pair"] == []
    assert classes["overall"]["krippendorff_alpha"]["n"] == 3000
    assert len(classes["disagreements"]) == 1125


def test_consensus_counts_each_unattributed_label_as_a_vote(
    workspace: Workspace,
) -> None:
    project = projects.create_project(workspace, "C", "text", label_schema=SCHEMA)
    import_labelled(
        workspace,
        project.id,
        [("good", ["pos", "pos", "neg"]), ("fine", ["pos", "neg"]), ("bad", ["neg"])],
    )
    items = item_ids(workspace, project.id)

    result = quality.create_consensus(workspace, project.id, "majority")

    assert result["items"] == [items[0]]
    assert result["ties"] == [{"item_id": items[1], "labels": ["neg", "pos"]}]
    assert result["skipped_single"] == [items[2]]
    with workspace.db.read() as conn:
        regions = conn.execute(
            select(t.annotations.c.regions).where(t.annotations.c.origin == "consensus")
        ).scalar_one()
    assert regions[0]["labels"] == ["pos"]
    assert regions[0]["score"] == pytest.approx(2 / 3)
