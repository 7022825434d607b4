"""Label errors on the demo sentiment project: flipped labels are found."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from annotary.errors import InvalidInput, PermissionDenied
from annotary.services import annotations, demo, gold, projects, quality, review
from annotary.services.quality_labels import image_features
from annotary.services.workspace import Workspace, open_workspace
from tests.services.helpers import add_texts, member
from tests.services.test_quality import SCHEMA

FLIP_SHARE = 0.10


@pytest.fixture(scope="module")
def sentiment(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Workspace, int]]:
    pytest.importorskip("skimage", reason="the demo extra is not installed")
    pytest.importorskip("gensim", reason="the demo extra is not installed")
    root = tmp_path_factory.mktemp("demo") / "ws"
    demo.build_demo(root)
    ws = open_workspace(root)
    yield ws, projects.resolve_project(ws, "Demo: movie review sentiment")
    ws.close()


def test_flipped_demo_labels_rank_among_the_top_suspects(
    sentiment: tuple[Workspace, int],
) -> None:
    ws, pid = sentiment
    answers = gold.gold_answers(ws, pid)
    assert len(answers) == 200
    rng = random.Random(7)
    flipped = set(rng.sample(sorted(answers), int(len(answers) * FLIP_SHARE)))
    for item, regions in sorted(answers.items()):
        label = regions[0].labels[0]
        if item in flipped:
            label = "neg" if label == "pos" else "pos"
        annotations.create_annotation(ws, item, [{"type": "class", "label": label}])

    suspects = quality.find_label_errors(ws, pid, top=len(flipped))

    found = {s["item_id"] for s in suspects} & flipped
    precision = len(found) / len(suspects)
    recall = len(found) / len(flipped)
    print(f"label errors: precision {precision:.2f}, recall {recall:.2f} at top 20")
    assert precision >= 0.5 and recall >= 0.5
    queue = review.review_queue(ws, pid, suspects_only=True, limit=500)
    assert {a.item_id for a in queue} == {s["item_id"] for s in suspects}
    assert all(s["annotation_ids"] for s in suspects)


def test_label_errors_validate_their_input(workspace: Workspace) -> None:
    project = projects.create_project(workspace, "P", "text", label_schema=SCHEMA)
    items = add_texts(workspace, project.id, ["good", "great", "bad"])
    for item, label in zip(items, ["pos", "pos", "neg"], strict=True):
        annotations.create_annotation(
            workspace, item, [{"type": "class", "label": label}]
        )
    rev = member(workspace, project.id, "rev", "reviewer")
    with pytest.raises(PermissionDenied):
        quality.find_label_errors(workspace, project.id, actor=rev)
    with pytest.raises(InvalidInput, match="top"):
        quality.find_label_errors(workspace, project.id, top=0)
    with pytest.raises(InvalidInput, match="neg have fewer than 2"):
        quality.find_label_errors(workspace, project.id)


def test_image_features_see_colour_and_edges(tmp_path: Path) -> None:
    red = tmp_path / "red.png"
    Image.new("RGB", (32, 32), (255, 0, 0)).save(red)
    stripes = tmp_path / "stripes.png"
    pixels = np.zeros((64, 64, 3), dtype=np.uint8)
    pixels[:, ::8] = 255  # vertical lines: horizontal gradients, angle 0
    Image.fromarray(pixels).save(stripes)

    plain, lined = image_features(red), image_features(stripes)

    assert plain.shape == lined.shape == (64 + 36,)
    assert plain[:64].argmax() == 3 * 16  # red falls in the top red bin
    assert plain[64:].sum() == 0  # a flat image has no gradients
    assert lined[64:].sum() == pytest.approx(1.0)
    assert lined[64:73].argmax() == 0
