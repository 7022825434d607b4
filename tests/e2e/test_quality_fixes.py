"""Gold feedback after submitting, and a reviewer fixing a box, in real Chromium."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import Shots, login
from tests.e2e.test_labeling import SCALE_IS, drag, fit

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}], "tools": ["class"]}
BOXES = {"labels": [{"name": "cat"}, {"name": "dog"}], "tools": ["bbox"]}


@pytest.fixture(scope="module")
def gold_project(server: dict[str, Any]) -> dict[str, int]:
    """Two texts; "good" is gold (pos); feedback is off until the test turns it on."""
    from annotary.services import gold, projects, users
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(ws, "E2E gold", "text", label_schema=SCHEMA)
        good, bad = add_texts(ws, project.id, ["good", "bad"])
        gold.set_gold(ws, {good: [{"type": "class", "label": "pos"}]})
        alice = users.find_user(ws, "alice")
        users.set_role(ws, project.id, alice.id, "annotator")
        return {"pid": project.id, "good": good, "bad": bad}
    finally:
        ws.close()


def choose(page: Any, label: str) -> None:
    # The radio keeps its state in the screen, so the click is seen once applied.
    page.get_by_role("radio", name=label).click()
    page.locator(f"input[value={label}]:checked").wait_for()


def test_gold_feedback_is_shown_after_submitting(
    page: Any, shots: Shots, gold_project: dict[str, int]
) -> None:
    pid = gold_project["pid"]
    login(page, "admin")
    page.goto(f"/#/projects/{pid}/edit")
    box = page.get_by_label("Tell annotators right after submitting a gold item")
    box.wait_for()
    assert not box.is_checked()
    box.check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()
    settings = page.request.get(f"/api/v1/projects/{pid}").json()["settings"]
    assert settings["gold_feedback"] is True
    shots(page, "setting-on")
    page.get_by_role("button", name="Log out").click()

    login(page, "alice")
    page.goto(f"/#/projects/{pid}/label")
    page.get_by_test_id("item-text").filter(has_text="good").wait_for()
    choose(page, "neg")
    page.get_by_test_id("submit").click()
    feedback = page.get_by_test_id("gold-feedback")
    feedback.wait_for()
    shots(page, "gold-feedback")
    assert feedback.inner_text().startswith("Not quite")
    assert f"item {gold_project['good']} was a check item" in feedback.inner_text()
    assert page.get_by_test_id("gold-answer").inner_text() == "class: pos"

    # The next item is not gold: the feedback goes and no other comes.
    page.get_by_test_id("item-text").filter(has_text="bad").wait_for()
    choose(page, "neg")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("queue-empty").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("gold-feedback").count() == 0
    mine = page.request.get(f"/api/v1/items/{gold_project['bad']}/annotations")
    (annotation,) = mine.json()
    quiet = page.request.get(f"/api/v1/annotations/{annotation['id']}/gold-feedback")
    assert quiet.status == 204


@pytest.fixture(scope="module")
def boxed(server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An image alice drew one cat box on (x 40, y 30, 60 x 50), for rita to fix."""
    from annotary.services import annotations, imports, projects, queue, users
    from annotary.services.workspace import open_workspace

    folder = tmp_path_factory.mktemp("review-photos")
    Image.new("RGB", (320, 240), (120, 140, 160)).save(folder / "street.png")
    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(
            ws, "E2E review boxes", "image", label_schema=BOXES
        )
        imports.import_paths(ws, project.id, [folder])
        alice = users.find_user(ws, "alice")
        rita = users.find_user(ws, "rita")
        users.set_role(ws, project.id, alice.id, "annotator")
        users.set_role(ws, project.id, rita.id, "reviewer")
        item = queue.next_item(ws, project.id, alice)
        assert item is not None
        box = {"type": "bbox", "x": 40, "y": 30, "w": 60, "h": 50, "label": "cat"}
        work = annotations.create_annotation(ws, item.id, [box], actor=alice)
        return {"pid": project.id, "aid": work.id, "item": item.id}
    finally:
        ws.close()


def test_reviewer_moves_and_relabels_a_box(
    page: Any, shots: Shots, boxed: dict[str, int]
) -> None:
    login(page, "rita")
    page.goto(f"/#/projects/{boxed['pid']}/review")
    row = page.get_by_test_id(f"review-row-{boxed['aid']}")
    row.get_by_role("button", name="Fix…").click()
    editor = page.get_by_test_id("fix-editor")
    canvas = editor.get_by_test_id("image-canvas")
    canvas.wait_for()
    bounds = canvas.bounding_box()
    view = fit(320, 240, bounds["width"], bounds["height"])
    page.wait_for_function(SCALE_IS, arg=view["scale"])

    # Grab the box at its centre (70, 55) and move it 90 screen px right, 45 down.
    scale = view["scale"]
    start = (
        round(bounds["x"] + view["x"] + 70 * scale),
        round(bounds["y"] + view["y"] + 55 * scale),
    )
    drag(page, start, (start[0] + 90, start[1] + 45))
    editor.get_by_label("Label of this region").select_option("dog")
    shots(page, "fix-editor")
    editor.get_by_role("button", name="Save fix").click()
    message = page.get_by_test_id("review-message")
    message.filter(has_text="fixed as annotation").wait_for()
    shots(page, "fixed")

    stored = page.request.get(f"/api/v1/items/{boxed['item']}/annotations").json()
    by_author = {a["author"]: a for a in stored}
    original, fix = by_author["alice"], by_author["rita"]
    assert original["id"] == boxed["aid"]
    assert [(r["x"], r["y"], r["label"]) for r in original["regions"]] == [
        (40, 30, "cat")
    ]
    (moved,) = fix["regions"]
    assert fix["parent_id"] == boxed["aid"] and fix["state"] == "accepted"
    assert (moved["x"], moved["y"]) == (
        40 + math.floor(90 / scale + 0.5),  # JavaScript's Math.round
        30 + math.floor(45 / scale + 0.5),
    )
    assert (moved["w"], moved["h"], moved["label"]) == (60, 50, "dog")
    assert f"fixed as annotation {fix['id']}" in message.inner_text()


def test_a_rejected_item_returns_with_the_comment(
    page: Any, shots: Shots, server: dict[str, Any]
) -> None:
    from annotary.services import annotations, projects, queue, review, users
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(
            ws, "E2E rejected", "text", label_schema=SCHEMA
        )
        (item,) = add_texts(ws, project.id, ["not bad at all"])
        alice, rita = users.find_user(ws, "alice"), users.find_user(ws, "rita")
        users.set_role(ws, project.id, alice.id, "annotator")
        users.set_role(ws, project.id, rita.id, "reviewer")
        assert queue.next_item(ws, project.id, alice) is not None
        work = annotations.create_annotation(
            ws, item, [{"type": "class", "label": "neg"}], actor=alice
        )
        review.review_annotation(
            ws, work.id, "reject", actor=rita, comment="double negation: positive"
        )
    finally:
        ws.close()

    login(page, "alice")
    page.goto(f"/#/projects/{project.id}/label")
    note = page.get_by_test_id("rejection-note")
    note.wait_for()
    shots(page, "returned")
    assert note.inner_text() == (
        "Returned by rita: “double negation: positive” Correct it and submit again."
    )
    assert page.get_by_role("radio", name="neg").is_checked()
    choose(page, "pos")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("queue-empty").wait_for()
    stored = page.request.get(f"/api/v1/annotations/{work.id}").json()
    assert stored["state"] == "submitted"
    assert stored["regions"][0]["labels"] == ["pos"]
