"""The quality report, gold feedback and consensus on small hand-checked projects."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from annotary.core.models import User
from annotary.errors import InvalidInput, PermissionDenied
from annotary.services import (
    annotations,
    gold,
    imports,
    projects,
    quality,
    queue,
    review,
)
from annotary.services.workspace import Workspace
from tests.services.helpers import add_texts, member

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}]}
NER = {"labels": [{"name": "PER"}, {"name": "LOC"}], "tools": ["span"]}


def label_in_order(
    ws: Workspace, pid: int, user: User, answers: list[list[dict[str, object]]]
) -> list[int]:
    """Take items from the (sequential) queue and submit one answer each."""
    ids = []
    for regions in answers:
        item = queue.next_item(ws, pid, user)
        assert item is not None
        ids.append(
            annotations.create_annotation(
                ws, item.id, regions, actor=user, lead_time=30.0
            ).id
        )
    return ids


def cls(*labels: str) -> list[list[dict[str, object]]]:
    return [[{"type": "class", "label": label}] for label in labels]


def two_annotators(ws: Workspace, **settings: object) -> dict[str, object]:
    """Four texts; ann says pos pos neg neg, bob says pos neg neg neg."""
    project = projects.create_project(
        ws, "P", "text", label_schema=SCHEMA, settings={"overlap": 2, **settings}
    )
    items = add_texts(ws, project.id, ["good", "fine", "bad", "awful"])
    ann = member(ws, project.id, "ann", "annotator")
    bob = member(ws, project.id, "bob", "annotator")
    rev = member(ws, project.id, "rev", "reviewer")
    ann_ids = label_in_order(ws, project.id, ann, cls("pos", "pos", "neg", "neg"))
    bob_ids = label_in_order(ws, project.id, bob, cls("pos", "neg", "neg", "neg"))
    return {
        "pid": project.id,
        "items": items,
        "ann": ann,
        "bob": bob,
        "rev": rev,
        "ann_ids": ann_ids,
        "bob_ids": bob_ids,
    }


def value(entry: dict[str, object]) -> float:
    assert entry["value"] is not None, entry
    return float(entry["value"])  # type: ignore[arg-type]


def test_class_agreement_matches_hand_computed_values(workspace: Workspace) -> None:
    p = two_annotators(workspace)
    items = p["items"]

    report = quality.quality_report(workspace, p["pid"], actor=p["rev"])

    overall = report["agreement"]["classes"]["overall"]
    # 4 items, 3 agree; ann: 2 pos 2 neg, bob: 1 pos 3 neg.
    assert value(overall["percent_agreement"]) == pytest.approx(0.75)
    assert value(overall["cohen_kappa"]) == pytest.approx(0.5)  # (.75-.5)/(1-.5)
    assert value(overall["fleiss_kappa"]) == pytest.approx(float(Fraction(7, 15)))
    assert value(overall["krippendorff_alpha"]) == pytest.approx(float(Fraction(8, 15)))
    assert value(overall["gwet_ac1"]) == pytest.approx(float(Fraction(9, 17)))
    assert report["agreement"]["classes"]["disagreements"] == [items[1]]
    (pair,) = report["agreement"]["classes"]["per_pair"]
    assert (pair["first"], pair["second"]) == ("ann", "bob")
    assert pair["disagreements"] == [items[1]]
    assert value(pair["cohen_kappa"]) == pytest.approx(0.5)
    # "pos" one against the rest: ann 1 1 0 0, bob 1 0 0 0.
    assert report["agreement"]["classes"]["per_label"]["pos"]["disagreements"] == [
        items[1]
    ]
    json.dumps(report, allow_nan=False)


def test_confusion_matrix_and_disagreements_name_their_items(
    workspace: Workspace,
) -> None:
    p = two_annotators(workspace)
    items = p["items"]

    report = quality.quality_report(workspace, p["pid"])

    (confusion,) = report["confusion"]
    assert confusion["categories"] == ["neg", "pos"]
    assert confusion["matrix"] == [[2, 0], [1, 1]]  # rows ann, columns bob
    assert confusion["items"]["pos|neg"] == [items[1]]
    (disagreement,) = report["disagreements"]
    assert disagreement["item_id"] == items[1]
    assert disagreement["labels"] == {"ann": "pos", "bob": "neg"}
    assert disagreement["annotations"] == {
        "ann": p["ann_ids"][1],
        "bob": p["bob_ids"][1],
    }


def test_gold_accuracy_counts_wrong_answers(workspace: Workspace) -> None:
    p = two_annotators(workspace)
    items = p["items"]
    gold.set_gold(workspace, {items[0]: cls("pos")[0], items[1]: cls("pos")[0]})

    report = quality.quality_report(workspace, p["pid"])

    per = report["gold"]["per_annotator"]
    assert value(per["bob"]) == 0.5 and per["bob"]["wrong"] == [items[1]]
    assert value(report["gold"]["overall"]) == pytest.approx(0.75)
    cards = {card["annotator"]: card for card in report["annotators"]}
    assert value(cards["bob"]["gold_accuracy"]) == 0.5


def test_gold_accuracy_rejection_rate_and_cards(workspace: Workspace) -> None:
    p = two_annotators(workspace)
    items = p["items"]
    gold.set_gold(
        workspace,
        {items[0]: [{"type": "class", "label": "pos"}], items[1]: cls("pos")[0]},
    )
    review.review_annotation(
        workspace, p["bob_ids"][1], "reject", actor=p["rev"], comment="it is fine"
    )
    review.review_annotation(workspace, p["ann_ids"][0], "accept", actor=p["rev"])

    report = quality.quality_report(workspace, p["pid"])

    per = report["gold"]["per_annotator"]
    assert value(per["ann"]) == 1.0 and per["ann"]["items"] == items[:2]
    # bob's wrong answer on items[1] was rejected, so it is no finished work.
    assert value(per["bob"]) == 1.0 and per["bob"]["items"] == [items[0]]
    assert value(report["gold"]["overall"]) == 1.0
    assert value(report["rejection"]["rate"]) == 0.5
    assert report["rejection"]["items"] == [items[1]]
    cards = {card["annotator"]: card for card in report["annotators"]}
    # bob's rejected annotation no longer counts as finished work.
    assert cards["bob"]["annotations"] == 3 and cards["ann"]["annotations"] == 4
    assert value(cards["ann"]["agreement_with_others"]) == 1.0
    assert value(cards["ann"]["median_lead_time"]) == 30.0
    assert value(cards["bob"]["gold_accuracy"]) == 1.0


def test_one_annotator_gives_undefined_metrics_never_nan(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=SCHEMA)
    add_texts(workspace, project.id, ["good", "bad"])
    ann = member(workspace, project.id, "ann", "annotator")
    label_in_order(workspace, project.id, ann, cls("pos", "pos"))

    report = quality.quality_report(workspace, project.id)

    overall = report["agreement"]["classes"]["overall"]
    for name in ("percent_agreement", "fleiss_kappa", "krippendorff_alpha"):
        assert overall[name]["value"] is None
        assert overall[name]["undefined"]
    card = report["annotators"][0]
    assert card["agreement_with_others"]["value"] is None
    assert card["gold_accuracy"]["undefined"]
    assert report["rejection"]["rate"]["undefined"] == "no annotation has been reviewed"
    json.dumps(report, allow_nan=False)


def test_timeline_counts_annotations_per_day(workspace: Workspace) -> None:
    p = two_annotators(workspace)

    (day,) = quality.quality_report(workspace, p["pid"])["timeline"]

    assert day["annotations"] == 8
    assert value(day["median_lead_time"]) == 30.0
    assert day["items"] == sorted(p["items"])


def test_split_by_guideline_version(workspace: Workspace) -> None:
    p = two_annotators(workspace)
    pid = p["pid"]
    projects.add_guideline(workspace, pid, text="v2: 'fine' is positive")
    items = add_texts(workspace, pid, ["nice", "meh"])
    label_in_order(workspace, pid, p["ann"], cls("pos", "neg"))
    label_in_order(workspace, pid, p["bob"], cls("pos", "neg"))

    report = quality.quality_report(workspace, pid)
    only_v2 = quality.quality_report(workspace, pid, guideline_version=2)

    v2 = report["per_guideline_version"]["2"]["agreement"]["classes"]
    assert value(v2["percent_agreement"]) == 1.0
    assert value(only_v2["agreement"]["classes"]["overall"]["percent_agreement"]) == 1
    assert only_v2["agreement"]["classes"]["items"] == items
    v1 = report["per_guideline_version"]["1"]["agreement"]["classes"]
    assert value(v1["percent_agreement"]) == 0.75


def test_span_agreement_exact_and_overlap(workspace: Workspace) -> None:
    project = projects.create_project(
        workspace, "N", "text", label_schema=NER, settings={"overlap": 2}
    )
    (item,) = add_texts(workspace, project.id, ["Alice met Bob"])
    ann = member(workspace, project.id, "ann", "annotator")
    bob = member(workspace, project.id, "bob", "annotator")
    per = {"type": "span", "label": "PER"}
    label_in_order(
        workspace,
        project.id,
        ann,
        [[{**per, "start": 0, "end": 5}, {**per, "start": 10, "end": 13}]],
    )
    label_in_order(workspace, project.id, bob, [[{**per, "start": 0, "end": 4}]])

    spans = quality.quality_report(workspace, project.id)["agreement"]["spans"]

    (pair,) = spans["per_pair"]
    assert value(pair["exact_f1"]) == 0.0
    # Overlap: bob's one span overlaps ann's first: recall 1/2, precision 1/1.
    assert value(pair["overlap_f1"]) == pytest.approx(2 / 3)
    assert pair["disagreements"] == [item]
    assert "PER" in spans["per_label"]


def test_report_needs_reviewer_and_a_valid_threshold(workspace: Workspace) -> None:
    p = two_annotators(workspace)
    with pytest.raises(PermissionDenied):
        quality.quality_report(workspace, p["pid"], actor=p["ann"])
    with pytest.raises(InvalidInput, match="iou_threshold"):
        quality.quality_report(workspace, p["pid"], iou_threshold=0)


@pytest.mark.parametrize(
    ("feedback", "answer", "expected"),
    [
        (True, "pos", {"matched": True}),
        (True, "neg", {"matched": False}),
        (False, "pos", None),
    ],
)
def test_gold_feedback(
    workspace: Workspace, feedback: bool, answer: str, expected: dict | None
) -> None:
    project = projects.create_project(
        workspace,
        "G",
        "text",
        label_schema=SCHEMA,
        settings={"gold_feedback": feedback},
    )
    (item,) = add_texts(workspace, project.id, ["good"])
    gold.set_gold(workspace, {item: cls("pos")[0]})
    ann = member(workspace, project.id, "ann", "annotator")
    (aid,) = label_in_order(workspace, project.id, ann, cls(answer))

    out = quality.gold_feedback(workspace, aid, ann)

    if expected is None:
        assert out is None
    else:
        assert out is not None and out["matched"] is expected["matched"]
        assert out["answer"][0]["labels"] == ["pos"]


def test_gold_feedback_is_none_for_items_without_gold(workspace: Workspace) -> None:
    project = projects.create_project(
        workspace, "G", "text", label_schema=SCHEMA, settings={"gold_feedback": True}
    )
    add_texts(workspace, project.id, ["good"])
    ann = member(workspace, project.id, "ann", "annotator")
    (aid,) = label_in_order(workspace, project.id, ann, cls("pos"))
    assert quality.gold_feedback(workspace, aid, ann) is None


def square(x: float, label: str = "cat", size: float = 10) -> dict[str, object]:
    points = [[x, 0], [x + size, 0], [x + size, size], [x, size]]
    return {"type": "polygon", "points": points, "label": label}


def painted(x: int, w: int, grid: tuple[int, int] = (64, 64)) -> dict[str, object]:
    """A 10-high mask from column x, w wide, RLE-encoded by pycocotools."""
    pixels = np.zeros(grid, dtype=np.uint8)
    pixels[0:10, x : x + w] = 1
    rle = mask_utils.encode(np.asfortranarray(pixels))
    counts = rle["counts"].decode("ascii")
    return {"type": "mask", "size": list(grid), "counts": counts, "label": "cat"}


def test_polygon_and_mask_agreement_in_the_report(
    workspace: Workspace, tmp_path: Path
) -> None:
    schema = {
        "labels": [{"name": "cat"}, {"name": "dog"}],
        "tools": ["polygon", "mask"],
    }
    project = projects.create_project(
        workspace, "S", "image", label_schema=schema, settings={"overlap": 2}
    )
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, shade in (("a.png", 40), ("b.png", 200)):
        Image.new("RGB", (64, 64), (shade, shade, shade)).save(folder / name)
    imports.import_paths(workspace, project.id, [folder])
    ann = member(workspace, project.id, "ann", "annotator")
    bob = member(workspace, project.id, "bob", "annotator")
    rev = member(workspace, project.id, "rev", "reviewer")
    # Image 1: ann's square against bob's mask offset by half (IoU 1/3, no
    # match at 0.5). Image 2: the same square as a polygon and as a mask.
    label_in_order(workspace, project.id, ann, [[square(0)], [square(0)]])
    bob_ids = label_in_order(
        workspace, project.id, bob, [[painted(5, 10)], [painted(0, 10)]]
    )
    with pytest.raises(InvalidInput, match=r"mask size \[32, 32\] is not the image"):
        review.review_annotation(
            workspace, bob_ids[0], "fix", actor=rev, regions=[painted(0, 10, (32, 32))]
        )

    items = sorted({a.item_id for a in review.review_queue(workspace, project.id)})
    gold.set_gold(workspace, {items[0]: [square(0)], items[1]: [square(0)]})

    report = quality.quality_report(workspace, project.id, actor=rev)
    loose = quality.quality_report(workspace, project.id, actor=rev, iou_threshold=0.3)

    shapes = report["agreement"]["shapes"]
    (pair,) = shapes["per_pair"]
    assert (pair["first"], pair["second"]) == ("ann", "bob")
    assert pair["matched"] == 1 and pair["first_count"] == pair["second_count"] == 2
    assert pair["f1"]["value"] == 0.5
    assert pair["mean_iou"]["value"] == 1.0
    assert pair["label_agreement"]["value"] == 1.0
    assert shapes["items"] == items
    assert shapes["disagreements"] == [items[0]]
    assert [d["kinds"] for d in report["disagreements"]] == [["shapes"]]
    assert shapes["per_label"]["cat"]["f1"]["value"] == 0.5
    assert loose["agreement"]["shapes"]["overall"]["mean_iou"]["value"] == (
        pytest.approx((1 / 3 + 1) / 2)
    )
    assert loose["agreement"]["shapes"]["disagreements"] == []
    cards = {c["annotator"]: c for c in report["annotators"]}
    assert cards["ann"]["agreement_with_others"]["value"] == 0.5
    gold_of = report["gold"]["per_annotator"]
    assert (gold_of["ann"]["value"], gold_of["bob"]["value"]) == (1.0, 0.5)
    assert gold_of["bob"]["wrong"] == [items[0]]


def test_transcript_agreement_wer_and_cer(workspace: Workspace) -> None:
    schema = {"labels": [], "tools": ["transcript"]}
    project = projects.create_project(
        workspace, "T", "text", label_schema=schema, settings={"overlap": 2}
    )
    add_texts(workspace, project.id, ["clip one", "clip two"])
    ann = member(workspace, project.id, "ann", "annotator")
    bob = member(workspace, project.id, "bob", "annotator")

    def said(*parts: tuple[float, str]) -> list[dict[str, object]]:
        return [{"type": "transcript", "start": s, "text": t} for s, t in parts]

    # Item 1: the same words, given as two segments out of order by bob.
    # Item 2: "the cat sat" vs "the bat sat down": 1 substitution + 1 insertion
    # over 3 reference words; characters "the cat sat" (11) vs "the bat sat
    # down" need 1 substitution + 5 insertions.
    label_in_order(
        workspace, project.id, ann, [said((0, "hello world")), said((0, "the cat sat"))]
    )
    label_in_order(
        workspace,
        project.id,
        bob,
        [said((1.5, "world"), (0, "hello")), said((0, "the bat  sat down"))],
    )

    report = quality.quality_report(workspace, project.id)

    part = report["agreement"]["transcripts"]
    (pair,) = part["per_pair"]
    assert pair["wer"]["value"] == pytest.approx(2 / 5)  # 2 edits, 2 + 3 words
    assert pair["cer"]["value"] == pytest.approx(6 / (11 + 11))
    items = part["items"]
    assert part["disagreements"] == [items[1]]
    assert [d["kinds"] for d in report["disagreements"]] == [["transcripts"]]
    cards = {c["annotator"]: c for c in report["annotators"]}
    assert cards["bob"]["agreement_with_others"]["value"] == 0.5
