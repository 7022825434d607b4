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


def flip(labels: dict[int, str], seed: int) -> set[int]:
    """Flip 10% of the labels (seeded); the flipped item ids."""
    rng = random.Random(seed)
    flipped = set(rng.sample(sorted(labels), int(len(labels) * FLIP_SHARE)))
    for item in flipped:
        labels[item] = "neg" if labels[item] == "pos" else "pos"
    return flipped


def scores(suspects: list[dict[str, object]], flipped: set[int]) -> tuple[float, float]:
    found = {s["item_id"] for s in suspects} & flipped
    return len(found) / len(suspects), len(found) / len(flipped)


def test_demo_sentiment_flipped_labels_and_review(
    sentiment: tuple[Workspace, int],
) -> None:
    """The demo's 200 sentences: the figures are printed, the plumbing asserted.

    200 one-sentence reviews are too few for TF-IDF: out of fold, the model
    scores about 0.53 even on the true labels, so its suspects find flipped
    items at about the chance rate (10%); the synthetic test below carries the
    precision and recall floor.
    """
    ws, pid = sentiment
    answers = gold.gold_answers(ws, pid)
    assert len(answers) == 200
    labels = {item: regions[0].labels[0] for item, regions in answers.items()}
    flipped = flip(labels, seed=7)
    for item, label in sorted(labels.items()):
        annotations.create_annotation(ws, item, [{"type": "class", "label": label}])

    suspects = quality.find_label_errors(ws, pid, top=len(flipped))
    again = quality.find_label_errors(ws, pid, top=len(flipped))

    precision, recall = scores(suspects, flipped)
    print(f"demo sentiment, top 20: precision {precision:.2f}, recall {recall:.2f}")
    assert [s["item_id"] for s in again] == [s["item_id"] for s in suspects]
    assert all(s["given"] == labels[s["item_id"]] for s in suspects)
    queue = review.review_queue(ws, pid, suspects_only=True, limit=500)
    assert sorted(a.item_id for a in queue) == sorted(s["item_id"] for s in suspects)
    assert all(len(s["annotation_ids"]) == 1 for s in suspects)


SPORT = [
    "goal",
    "match",
    "team",
    "score",
    "league",
    "coach",
    "striker",
    "keeper",
    "derby",
    "season",
]
POLITICS = [
    "vote",
    "party",
    "senate",
    "election",
    "minister",
    "ballot",
    "law",
    "council",
    "budget",
    "poll",
]
FILLER = ["the", "a", "today", "big", "new", "very", "late", "said", "this", "that"]


def test_flipped_labels_are_found_where_a_model_can_learn(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    project = projects.create_project(ws, "T", "text", label_schema=SCHEMA)
    rng = random.Random(3)
    texts = [
        " ".join(
            rng.choices(SPORT if k % 2 else POLITICS, k=4) + rng.choices(FILLER, k=4)
        )
        + f" #{k}"
        for k in range(300)
    ]
    items = add_texts(ws, project.id, texts)
    labels = {item: "pos" if k % 2 else "neg" for k, item in enumerate(items)}
    flipped = flip(labels, seed=7)
    for item, label in labels.items():
        annotations.create_annotation(ws, item, [{"type": "class", "label": label}])

    suspects = quality.find_label_errors(ws, project.id, top=len(flipped))

    precision, recall = scores(suspects, flipped)
    print(f"synthetic topics, top 30: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.8 and recall >= 0.8


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
