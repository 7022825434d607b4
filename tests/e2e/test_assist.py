"""Model-assisted labeling in real Chromium: pre-label, review suggestions, report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Shots, login

GOOD = ["a wonderful film", "great acting", "lovely and moving"]
BAD = ["a dull mess", "boring and slow", "awful script"]
OPEN = ["wonderful and moving", "dull and boring", "a film"]


@pytest.fixture(scope="module")
def assisted(server: dict[str, Any]) -> int:
    """A sentiment project with six human labels and three open items."""
    from annotary.services import annotations, projects
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(
            ws,
            "E2E assist",
            "text",
            label_schema={"labels": [{"name": "pos"}, {"name": "neg"}]},
        )
        ids = add_texts(ws, project.id, GOOD + BAD + OPEN)
        for item_id, label in zip(ids, ["pos"] * 3 + ["neg"] * 3, strict=False):
            annotations.create_annotation(
                ws, item_id, [{"type": "class", "label": label}], lead_time=20.0
            )
        return project.id
    finally:
        ws.close()


def _suggestion(page: Any, item_id: int) -> dict[str, Any]:
    rows = page.request.get(f"/api/v1/items/{item_id}/annotations").json()
    (model,) = [a for a in rows if a["origin"] == "model"]
    return model


def test_prelabel_review_and_the_assistance_report(
    page: Any, shots: Shots, assisted: int
) -> None:
    pid = assisted
    login(page, "admin")

    # Pre-label the open items from the data manager, filtered to status "new".
    page.goto(f"/#/projects/{pid}/data")
    page.get_by_label("Status").select_option("new")
    page.get_by_test_id("total").filter(has_text="3 items").wait_for()
    page.get_by_role("button", name="Pre-label…").click()
    page.get_by_test_id("prelabel-model").select_option("sklearn-text.v1")
    page.get_by_role("button", name="Start").click()
    result = page.get_by_test_id("prelabel-result")
    result.wait_for(timeout=60_000)
    shots(page, "prelabel-done")
    assert result.inner_text() == (
        "Done: 3 predictions (3 regions) on 3 items; 0 without a suggestion."
    )

    items = page.request.get(f"/api/v1/projects/{pid}/items?status=new").json()
    open_ids = sorted(i["id"] for i in items["items"])
    assert len(open_ids) == 3
    first, second = open_ids[0], open_ids[1]

    # The suggestion is dashed with its score; the slider hides it live.
    model = _suggestion(page, first)
    (region,) = model["regions"]
    score, suggested = region["score"], region["label"]
    page.goto(f"/#/projects/{pid}/items/{first}")
    badge = page.get_by_test_id("class-suggestion")
    badge.wait_for()
    assert badge.inner_text().replace("\xa0", " ") == f"model {score:.2f}"
    outline = badge.locator("xpath=..").evaluate(
        "(el) => getComputedStyle(el).outlineStyle"
    )
    assert outline == "dashed"
    count = page.get_by_test_id("suggestion-count")
    assert count.inner_text() == "1 to review"

    above = min(1.0, math.floor(score / 0.05) * 0.05 + 0.05)
    page.get_by_test_id("score-threshold").fill(f"{above:.2f}")
    assert count.inner_text() == f"0 to review, 1 hidden below {above:.2f}"
    assert badge.count() == 0
    assert page.get_by_role("radio", checked=True).count() == 0
    shots(page, "suggestion-hidden")
    page.get_by_test_id("score-threshold").fill("0")
    badge.wait_for()

    page.get_by_test_id("accept-all").click()
    assert badge.count() == 0  # accepted: now the person's own choice
    assert page.get_by_role("radio", name=suggested).is_checked()
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"**/#/projects/{pid}/label")

    # The second item: the person changes the suggested class.
    other = _suggestion(page, second)
    (other_region,) = other["regions"]
    flipped = "neg" if other_region["label"] == "pos" else "pos"
    page.goto(f"/#/projects/{pid}/items/{second}")
    page.get_by_test_id("class-suggestion").wait_for()
    page.get_by_role("radio", name=flipped).click()
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"**/#/projects/{pid}/label")

    # Submitted annotations keep the prediction they started from.
    for item_id, parent, label in [
        (first, model, suggested),
        (second, other, flipped),
    ]:
        rows = page.request.get(f"/api/v1/items/{item_id}/annotations").json()
        (mine,) = [a for a in rows if a["origin"] == "human"]
        assert mine["parent_id"] == parent["id"]
        assert mine["state"] == "submitted"
        assert [r["label"] for r in mine["regions"]] == [label]

    # The dashboard shows what the service computes.
    report = page.request.get(f"/api/v1/projects/{pid}/assistance").json()
    (row,) = report["models"]
    assert row["items"] == 2
    assert (row["counts"]["classes_kept"], row["counts"]["classes_changed"]) == (1, 1)
    assert row["final_share"] == pytest.approx(0.5)
    assert report["unassisted_items"] == 6
    page.goto(f"/#/projects/{pid}/quality")
    table = page.get_by_test_id("assistance")
    table.wait_for()
    page.get_by_test_id("model-section").scroll_into_view_if_needed()
    shots(page, "assistance-report")
    assert page.get_by_test_id("assist-items").inner_text() == "2"
    assert page.get_by_test_id("classes_kept").inner_text() == "kept 1"
    assert page.get_by_test_id("classes_changed").inner_text() == "changed 1"
    assert page.get_by_test_id("assist-final-share").inner_text() == "50.0%"
    median = row["median_seconds"]
    assert page.get_by_test_id("assist-time").inner_text() == f"{median:.1f} s"
    assert page.get_by_test_id("unassisted").inner_text() == (
        "Without suggestions: 6 items, median 20.0 s per item."
    )


@pytest.fixture(scope="module")
def photos(server: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> int:
    """An image project with two small photos."""
    from PIL import Image

    from annotary.services import imports, projects
    from annotary.services.workspace import open_workspace

    folder = tmp_path_factory.mktemp("photos")
    for n, colour in enumerate([(200, 30, 30), (30, 30, 200)]):
        Image.new("RGB", (64, 48), colour).save(folder / f"p{n}.png")
    ws = open_workspace(Path(server["workspace"]))
    try:
        project = projects.create_project(ws, "E2E photos", "image")
        report = imports.import_paths(ws, project.id, [folder])
        assert report.added == 2
        return project.id
    finally:
        ws.close()


def test_the_prelabel_dialog_refuses_what_cannot_run(
    page: Any, shots: Shots, photos: int, server: dict[str, Any]
) -> None:
    from sqlalchemy import delete

    from annotary.jobs import list_jobs
    from annotary.services.workspace import open_workspace
    from annotary.storage import tables as t

    pid = photos
    login(page, "admin")
    models = page.request.get("/api/v1/prelabelers?kind=image").json()
    runnable = [m["name"] for m in models if not m["required_options"]]
    assert "http.v1" in [m["name"] for m in models] and "http.v1" not in runnable

    # The default is the first image model that needs no options, not http.v1.
    page.goto(f"/#/projects/{pid}/data")
    page.get_by_test_id("total").filter(has_text="2 items").wait_for()
    page.get_by_role("button", name="Pre-label…").click()
    chooser = page.get_by_test_id("prelabel-model")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=prelabel-model]').value !== ''"
    )
    assert chooser.input_value() == runnable[0]
    http = chooser.locator("option[value='http.v1']")
    assert http.is_disabled()
    assert "needs url" in http.inner_text()
    start = page.get_by_role("button", name="Start")
    assert start.is_enabled()

    # A filter that matches nothing: Start is off and the dialog says why.
    page.get_by_label("Status").select_option("reviewed")
    page.get_by_test_id("total").filter(has_text="0 items").wait_for()
    assert start.is_disabled()
    assert page.get_by_test_id("prelabel-empty").inner_text() == (
        "Nothing to pre-label: no item matches the filter."
    )
    shots(page, "prelabel-nothing-selected")

    # A ticked item removed meanwhile: the server's 422 message is shown.
    page.get_by_label("Status").select_option("")
    page.get_by_test_id("total").filter(has_text="2 items").wait_for()
    items = page.request.get(f"/api/v1/projects/{pid}/items").json()["items"]
    gone = min(i["id"] for i in items)
    page.get_by_label(f"Select item {gone}").check()
    page.get_by_text("the 1 ticked items").click()
    ws = open_workspace(Path(server["workspace"]))
    try:
        with ws.db.write() as conn:
            conn.execute(delete(t.items).where(t.items.c.id == gone))
    finally:
        ws.close()
    start.click()
    alert = page.locator(".prelabel [role=alert]")
    alert.wait_for()
    shots(page, "prelabel-refused")
    assert alert.inner_text() == f"item_ids: no item {gone} in project 'E2E photos'"
    assert page.get_by_test_id("prelabel-job").count() == 0
    ws = open_workspace(Path(server["workspace"]))
    try:
        assert list_jobs(ws.db, pid) == []
    finally:
        ws.close()


@pytest.fixture(scope="module")
def suggested_spans(server: dict[str, Any]) -> tuple[int, int, int]:
    """An NER item with a model prediction of three spans: project, item, prediction."""
    from annotary.services import annotations, projects
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    ws = open_workspace(Path(server["workspace"]))
    try:
        schema = {"labels": [{"name": "person"}, {"name": "place"}], "tools": ["span"]}
        project = projects.create_project(
            ws, "E2E left out", "text", label_schema=schema
        )
        (item_id,) = add_texts(ws, project.id, ["Ada met Bob in Rome"])
        spans = [
            {"type": "span", "id": "s-ada", "label": "person", "start": 0, "end": 3},
            {"type": "span", "id": "s-bob", "label": "person", "start": 8, "end": 11},
            {"type": "span", "id": "s-rome", "label": "place", "start": 15, "end": 19},
        ]
        model = annotations.create_annotation(
            ws, item_id, spans, origin="model", model_name="rules", model_version="1"
        )
        assert model.id is not None
        return project.id, item_id, model.id
    finally:
        ws.close()


def test_a_saved_draft_offers_the_suggestions_it_left_out_again(
    page: Any, shots: Shots, suggested_spans: tuple[int, int, int]
) -> None:
    pid, item_id, model_id = suggested_spans
    login(page, "admin")
    page.goto(f"/#/projects/{pid}/items/{item_id}")
    page.get_by_test_id("suggestion-count").filter(has_text="3 to review").wait_for()
    regions = page.get_by_test_id("regions").locator("li")
    regions.first.get_by_role("button", name="Accept this suggestion").click()
    page.get_by_test_id("suggestion-count").filter(has_text="2 to review").wait_for()
    page.get_by_role("button", name="Save draft").click()
    page.get_by_test_id("message").filter(has_text="Draft saved").wait_for()

    (draft,) = [
        a
        for a in page.request.get(f"/api/v1/items/{item_id}/annotations").json()
        if a["origin"] == "human"
    ]
    assert draft["state"] == "draft"
    assert draft["parent_id"] == model_id
    assert [r["id"] for r in draft["regions"]] == ["s-ada"]

    # Another visit: the draft holds one span, and says two were left out.
    page.reload()
    left_out = page.get_by_test_id("left-out")
    left_out.wait_for()
    assert left_out.inner_text().startswith(
        "2 suggestion(s) are not in your saved draft"
    )
    assert regions.count() == 1
    shots(page, "draft-left-out")
    page.get_by_role("button", name="Show them again").click()
    page.get_by_test_id("suggestion-count").filter(has_text="2 to review").wait_for()
    assert left_out.count() == 0
    page.get_by_test_id("accept-all").click()
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"**/#/projects/{pid}/label")  # submitted: on to the queue

    (final,) = [
        a
        for a in page.request.get(f"/api/v1/items/{item_id}/annotations").json()
        if a["origin"] == "human"
    ]
    assert final["state"] == "submitted"
    assert final["parent_id"] == model_id
    assert sorted((r["start"], r["end"], r["label"]) for r in final["regions"]) == [
        (0, 3, "person"),
        (8, 11, "person"),
        (15, 19, "place"),
    ]


@pytest.fixture(scope="module")
def labelled_reviews(server: dict[str, Any]) -> int:
    """A sentiment project with 32 human labels, sixteen of each."""
    from annotary.services import annotations, projects
    from annotary.services.workspace import open_workspace
    from tests.services.helpers import add_texts

    good = [f"{word} film, take {n}" for n in range(4) for word in GOOD + ["superb"]]
    bad = [f"{word} film, take {n}" for n in range(4) for word in BAD + ["tedious"]]
    ws = open_workspace(Path(server["workspace"]))
    try:
        schema = {"labels": [{"name": "pos"}, {"name": "neg"}], "tools": ["class"]}
        project = projects.create_project(
            ws, "E2E retrain", "text", label_schema=schema
        )
        ids = add_texts(ws, project.id, good + bad)
        for item_id, label in zip(ids, ["pos"] * 16 + ["neg"] * 16, strict=True):
            annotations.create_annotation(
                ws, item_id, [{"type": "class", "label": label}]
            )
        return project.id
    finally:
        ws.close()


def test_retrain_now_draws_the_learning_curve(
    page: Any, shots: Shots, labelled_reviews: int
) -> None:
    pid = labelled_reviews
    login(page, "admin")
    page.goto(f"/#/projects/{pid}/quality")
    page.get_by_test_id("curve-empty").wait_for()

    for run in (1, 2):
        page.get_by_test_id("retrain").click()
        status = page.get_by_test_id("retrain-status")
        status.filter(has_text="Retrained on").wait_for(timeout=60_000)
        page.get_by_test_id("curve").locator("tbody tr").nth(run - 1).wait_for()

    points = page.request.get(f"/api/v1/projects/{pid}/learning-curve").json()
    assert len(points) == 2
    assert all(p["labelled"] == 32 and p["accuracy"] is not None for p in points)
    newest = points[-1]
    assert newest["trained_on"] + newest["held_out"] == 32
    assert status.inner_text() == (
        f"Retrained on {newest['trained_on']} labels: "
        f"{newest['accuracy'] * 100:.1f}% on {newest['held_out']} held out."
    )
    rows = page.get_by_test_id("curve").locator("tbody tr")
    assert rows.count() == 2
    cells = rows.nth(1).locator("td").all_inner_texts()
    assert cells[:4] == [
        "32",
        str(newest["trained_on"]),
        str(newest["held_out"]),
        f"{newest['accuracy'] * 100:.1f}%",
    ]
    # The chart is drawn: uPlot's canvas inside the model section.
    chart = page.get_by_test_id("model-section").locator("canvas")
    assert chart.count() >= 1
    assert chart.first.bounding_box()["width"] > 100
    chart.first.scroll_into_view_if_needed()
    shots(page, "learning-curve")


def test_retrain_is_not_offered_where_the_classifier_cannot_learn(
    page: Any, suggested_spans: tuple[int, int, int]
) -> None:
    pid, _, _ = suggested_spans  # an NER project
    login(page, "admin")
    page.goto(f"/#/projects/{pid}/quality")
    page.get_by_test_id("curve-empty").wait_for()
    assert page.get_by_test_id("retrain").count() == 0
