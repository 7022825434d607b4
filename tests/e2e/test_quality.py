"""The quality dashboard and the review page show what the API says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Shots, login

SCHEMA = {"labels": [{"name": "pos"}, {"name": "neg"}]}


def shown(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@pytest.fixture(scope="module")
def rated(server: dict[str, Any]) -> int:
    """A project where alice says pos pos neg neg and bob pos neg neg neg."""
    from annotary.services import annotations, projects, queue, users
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(
            ws,
            "E2E quality",
            "text",
            label_schema=SCHEMA,
            settings={"overlap": 2},
        )
        add_texts(ws, project.id, ["good", "fine", "bad", "awful"])
        for name, labels in (("alice", "pos pos neg neg"), ("bob", "pos neg neg neg")):
            user = users.find_user(ws, name)
            users.set_role(ws, project.id, user.id, "annotator")
            for label in labels.split():
                item = queue.next_item(ws, project.id, user)
                assert item is not None
                annotations.create_annotation(
                    ws, item.id, [{"type": "class", "label": label}], actor=user
                )
        rita = users.find_user(ws, "rita")
        users.set_role(ws, project.id, rita.id, "reviewer")
        return project.id
    finally:
        ws.close()


def test_dashboard_numbers_equal_the_api(page: Any, shots: Shots, rated: int) -> None:
    login(page, "rita")
    page.goto(f"/#/projects/{rated}/quality")
    page.get_by_test_id("agreement-classes").wait_for()
    shots(page, "quality-dashboard")
    report = page.request.get(f"/api/v1/projects/{rated}/quality").json()

    overall = report["agreement"]["classes"]["overall"]
    for name, metric in overall.items():
        cell = page.get_by_test_id(f"metric-classes-{name}")
        assert cell.inner_text() == shown(metric["value"]), name
    assert overall["percent_agreement"]["value"] == 0.75
    confusion = page.get_by_test_id("confusion-alice-bob")
    cells = confusion.locator("tbody td").all_inner_texts()
    assert [int(c) for c in cells] == [
        n for row in report["confusion"][0]["matrix"] for n in row
    ]
    card = page.get_by_test_id("card-alice-agreement")
    expected = report["annotators"][0]["agreement_with_others"]["value"]
    assert card.inner_text() == shown(expected)
    rate = page.get_by_test_id("rejection-rate").inner_text()
    assert rate == shown(report["rejection"]["rate"]["value"])

    page.get_by_test_id("disagreements-classes").click()
    panel = page.get_by_test_id("selected-items")
    links = panel.get_by_role("link").all_inner_texts()
    assert links == [
        f"item {i}" for i in report["agreement"]["classes"]["disagreements"]
    ]
    panel.get_by_role("link").first.click()
    columns = page.get_by_test_id("compare").locator("article")
    columns.first.wait_for()
    assert sorted(columns.locator("h2").all_inner_texts()) == ["alice", "bob"]
    shots(page, "side-by-side")


def test_review_page_accepts_and_rejects(page: Any, shots: Shots, rated: int) -> None:
    login(page, "rita")
    page.goto(f"/#/projects/{rated}/review")
    page.get_by_test_id("review-queue").wait_for()
    waiting = page.request.get(f"/api/v1/projects/{rated}/reviews/queue").json()
    size = page.get_by_test_id("queue-size")
    size.filter(has_text=f"{len(waiting)} annotations waiting").wait_for()
    shots(page, "review-queue")

    first = page.get_by_test_id(f"review-row-{waiting[0]['id']}")
    first.get_by_role("button", name="Accept").click()
    size.filter(has_text=f"{len(waiting) - 1} annotations waiting").wait_for()
    second = page.get_by_test_id(f"review-row-{waiting[1]['id']}")
    second.get_by_placeholder("comment for the annotator").fill("read it again")
    second.get_by_role("button", name="Reject").click()
    size.filter(has_text=f"{len(waiting) - 2} annotations waiting").wait_for()

    report = page.request.get(f"/api/v1/projects/{rated}/quality").json()
    assert report["rejection"]["reviewed"] == 2
    assert report["rejection"]["rate"]["value"] == 0.5
    page.goto(f"/#/projects/{rated}/quality")
    rate = page.get_by_test_id("rejection-rate")
    rate.filter(has_text="0.500").wait_for()
    shots(page, "quality-after-review")


@pytest.fixture(scope="module")
def with_imports(server: dict[str, Any]) -> int:
    """alice and bob on two texts; a script without a user labels those and two more."""
    from annotary.services import annotations, projects, queue, users
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(
            ws, "E2E imported", "text", label_schema=SCHEMA, settings={"overlap": 2}
        )
        items = add_texts(ws, project.id, ["sunny", "rainy", "windy", "foggy"])
        for name, labels in (("alice", "pos neg"), ("bob", "pos pos")):
            user = users.find_user(ws, name)
            users.set_role(ws, project.id, user.id, "annotator")
            for label in labels.split():
                item = queue.next_item(ws, project.id, user)
                assert item is not None
                annotations.create_annotation(
                    ws, item.id, [{"type": "class", "label": label}], actor=user
                )
        for item, label in zip(items, ["pos", "neg", "neg", "pos"], strict=True):
            annotations.create_annotation(ws, item, [{"type": "class", "label": label}])
        rita = users.find_user(ws, "rita")
        users.set_role(ws, project.id, rita.id, "reviewer")
        return project.id
    finally:
        ws.close()


def test_dashboard_says_how_many_annotations_have_no_annotator(
    page: Any, shots: Shots, with_imports: int
) -> None:
    login(page, "rita")
    page.goto(f"/#/projects/{with_imports}/quality")
    note = page.get_by_test_id("unattributed")
    note.wait_for()
    report = page.request.get(f"/api/v1/projects/{with_imports}/quality").json()
    note.scroll_into_view_if_needed()
    shots(page, "quality-unattributed")

    assert report["counts"]["unattributed"] == 4
    assert report["counts"]["annotators"] == 2
    assert note.inner_text().startswith("4 annotations have no annotator")
    assert page.locator("article.card h3").all_inner_texts() == ["alice", "bob"]
    assert [(p["first"], p["second"]) for p in report["confusion"]] == [
        ("alice", "bob")
    ]
    alpha = report["agreement"]["classes"]["overall"]["krippendorff_alpha"]
    assert alpha["n"] == 6  # alice, bob and an import on two texts
    cell = page.get_by_test_id("metric-classes-krippendorff_alpha")
    assert cell.inner_text() == shown(alpha["value"])

    counts = page.get_by_test_id("counts")
    assert "2 annotators, 4 without an annotator, 0 gold items" in counts.inner_text()
    counts.get_by_role("button", name="4 items").click()
    links = page.get_by_test_id("selected-items").get_by_role("link")
    assert len(links.all_inner_texts()) == 4
