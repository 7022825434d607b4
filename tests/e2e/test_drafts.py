"""Drafts survive a reload, and a stale save shows both versions (mock API)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from PIL import Image

from tests.e2e.conftest import VIEWPORT, Shots, free_port
from tests.e2e.mock_api import State, create_app
from tests.e2e.test_labeling import select_text

FOCUSED = """() => {
  const el = document.activeElement;
  return [el.tagName, el.textContent.trim(), getComputedStyle(el).outlineStyle];
}"""
TEXTS = ["\U0001f600 Alice met Bob in Paris.", "line one\r\nParis is big"]


@pytest.fixture
def mock() -> Iterator[tuple[str, State]]:
    state = State(Image.new("RGB", (64, 48), "gray"), TEXTS)
    port = free_port()
    config = uvicorn.Config(
        create_app(state), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", state
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def mock_page(browser: Any, mock: tuple[str, State]) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, base_url=mock[0])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    page.get_by_label("User name").fill("ann")
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


def test_local_draft_survives_reload(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page = mock_page
    page.goto("/#/projects/2/label")
    page.get_by_test_id("ner-text").wait_for()
    select_text(page, "Alice")
    assert page.get_by_test_id("regions").locator("li").count() == 1

    page.reload()
    page.get_by_test_id("ner-text").wait_for()
    message = page.get_by_test_id("message")
    assert message.inner_text() == "Restored your unsaved local draft."
    regions = page.get_by_test_id("regions").locator("li")
    assert regions.count() == 1
    assert "“Alice” [2, 7)" in regions.first.inner_text()
    shots(page, "restored-draft")
    assert mock[1].annotations == {}


def test_stale_save_shows_both_versions_and_keeps_mine(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page, state = mock_page, mock[1]
    page.goto("/#/projects/2/label")
    page.get_by_test_id("ner-text").wait_for()
    select_text(page, "Alice")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_test_id("message").filter(has_text="Draft saved").wait_for()
    assert state.annotations[1]["version"] == 1

    # Someone else saves version 2 with a different span meanwhile.
    other = {"id": "zz", "type": "span", "label": "geo-loc", "start": 19, "end": 24}
    state.annotations[1].update(version=2, regions=[other], author="bob")

    page.keyboard.press("2")
    select_text(page, "Paris")
    page.get_by_role("button", name="Save draft").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "Your version (2 regions)" in text
    assert "Server version 2 (1 regions)" in text
    assert "geo-loc: “Paris” [19, 24)" in text
    shots(page, "conflict")

    dialog.get_by_role("button", name="Keep mine (save over it)").click()
    page.get_by_test_id("message").filter(has_text="Draft saved (version 3)").wait_for()
    saved = state.annotations[1]
    assert saved["version"] == 3
    spans = sorted((r["start"], r["end"], r["label"]) for r in saved["regions"])
    assert spans == [(2, 7, "person"), (19, 24, "geo-loc")]


def test_data_manager_virtualises_100000_items(
    browser: Any, mock: tuple[str, State], shots: Shots
) -> None:
    base, state = mock
    for n in range(100_000):
        iid = 1_000 + n
        state.items[iid] = State._item(iid, 2, f"sentence number {n}", None)
    context = browser.new_context(viewport=VIEWPORT, base_url=base)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("User name").fill("ann")
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()

    page.goto("/#/projects/2/data")
    page.get_by_text("#10", exact=True).wait_for()
    assert page.get_by_test_id("total").inner_text() == "100002 items"
    grid = page.get_by_role("grid", name="Items")
    assert grid.get_by_role("row").count() < 60

    # Row 50,001 (item 50,999) sits at 50,000 x 44 px; scrolling there loads it.
    grid.evaluate("(el) => { el.scrollTop = 50000 * 44; }")
    row = grid.get_by_role("row").filter(has_text="sentence number 49998")
    row.wait_for(timeout=60_000)
    assert row.get_attribute("aria-rowindex") == "50001"
    top = grid.evaluate("(el) => el.getBoundingClientRect().top")
    assert abs(row.bounding_box()["y"] - top) <= 1  # at the top: no scroll drift
    assert grid.get_by_role("row").count() < 60
    shots(page, "data-manager-row-50001")
    context.close()


def test_model_prelabels_are_dashed_editable_and_linked(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page, state = mock_page, mock[1]
    model_box = {
        "id": "m1",
        "type": "bbox",
        "label": "person",
        "score": 0.87,
        "x": 8,
        "y": 6,
        "w": 20,
        "h": 30,
    }
    state.annotations[99] = {
        "id": 99,
        "item_id": 1,
        "regions": [model_box],
        "origin": "model",
        "state": "submitted",
        "version": 1,
        "model_name": "detector",
    }
    page.goto("/#/projects/1/label")
    page.get_by_test_id("image-canvas").wait_for()
    regions = page.get_by_test_id("regions").locator("li")
    regions.first.wait_for()
    assert regions.first.inner_text().startswith("model · person: x 8, y 6, 20×30")
    assert page.get_by_test_id("suggestion-count").inner_text() == "1 to review"
    assert regions.first.get_by_test_id("score").inner_text() == "0.87"
    shots(page, "prelabel")

    # Editing the suggestion makes it the person's own; it is saved with its parent.
    regions.first.get_by_role("button").first.click()
    page.keyboard.press("ArrowRight")
    assert regions.first.inner_text().startswith("person: x 9, y 6, 20×30")
    # Focus is on the region's button, where Enter presses that button instead.
    page.get_by_test_id("submit").click()
    page.get_by_test_id("message").filter(has_text="Submitted").wait_for()
    [mine] = [a for a in state.annotations.values() if a["origin"] == "human"]
    assert mine["parent_id"] == 99
    assert [(r["x"], r["y"], r["score"]) for r in mine["regions"]] == [(9, 6, 0.87)]


def test_text_classification_by_hotkey(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page, state = mock_page, mock[1]
    page.goto("/#/projects/3/label")
    page.get_by_test_id("item-text").wait_for()
    page.keyboard.press("2")
    assert page.get_by_role("radio", name="neg").is_checked()
    page.keyboard.press("1")
    assert page.get_by_role("radio", name="pos").is_checked()
    assert not page.get_by_role("radio", name="neg").is_checked()
    shots(page, "text-class")
    page.keyboard.press("Enter")
    page.get_by_test_id("queue-empty").wait_for()
    [saved] = state.annotations.values()
    assert saved["item_id"] == 30
    assert [(r["type"], r["labels"]) for r in saved["regions"]] == [("class", ["pos"])]


def test_login_and_labeling_are_reachable_by_keyboard(
    browser: Any, mock: tuple[str, State]
) -> None:
    context = browser.new_context(viewport=VIEWPORT, base_url=mock[0])
    page = context.new_page()
    page.goto("/")
    page.get_by_label("User name").wait_for()
    focused = "() => document.activeElement.getAttribute('name')"
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "username"
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "password"
    page.keyboard.type("secret")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Projects").wait_for()

    page.goto("/#/projects/1/label")
    page.get_by_test_id("image-canvas").wait_for()
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        tag, text, outline = page.evaluate(FOCUSED)
        if tag == "BODY":
            continue
        seen.add(text)
        assert outline != "none", f"{tag} {text!r} shows no focus ring"
    assert {"Submit Enter", "Save draft", "Skip"} <= seen
    context.close()


def test_expired_session_sends_back_to_login_with_a_message(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page, state = mock_page, mock[1]
    page.goto("/#/projects/2/label")
    page.get_by_test_id("ner-text").wait_for()
    select_text(page, "Alice")
    state.sessions.clear()  # the server forgets the session

    page.get_by_role("button", name="Save draft").click()
    notice = page.get_by_role("status").filter(has_text="session has expired")
    notice.wait_for()
    assert notice.inner_text() == "Your session has expired. Please log in again."
    page.get_by_label("User name").wait_for()
    shots(page, "session-expired")

    # Nothing is lost: after logging in again the draft is still there.
    page.get_by_label("User name").fill("ann")
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Log in").click()
    page.get_by_test_id("ner-text").wait_for()
    assert page.get_by_test_id("message").inner_text() == (
        "Restored your unsaved local draft."
    )


def test_span_by_keyboard_after_an_emoji(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page = mock_page
    # Slow annotations: the text must not take keys before its label and
    # regions have arrived (the span came out unlabelled when it did).
    mock[1].annotations_delay = 0.5
    page.goto("/#/projects/2/label")
    text = page.get_by_test_id("ner-text")
    text.focus()
    # The emoji is one character: two presses put the caret before "Alice".
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")
    assert page.evaluate("() => window.getSelection().toString()") == "Alice"
    page.keyboard.press("Enter")
    regions = page.get_by_test_id("regions").locator("li")
    regions.first.wait_for()
    assert regions.first.inner_text().startswith("person: “Alice” [2, 7)")
    shots(page, "keyboard-span")
    assert mock[1].annotations == {}  # Enter made the span; it did not submit


def test_box_attributes_from_the_schema(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page, state = mock_page, mock[1]
    page.goto("/#/projects/1/label")
    canvas = page.get_by_test_id("image-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 100, cy - 100)
    page.mouse.down()
    page.mouse.move(cx + 50, cy + 50, steps=5)
    page.mouse.up()
    page.mouse.click(cx, cy)
    attributes = page.get_by_test_id("attributes")
    attributes.get_by_label("occluded").check()
    attributes.get_by_label("pose").select_option("side")
    shots(page, "attributes")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("message").filter(has_text="Submitted").wait_for()
    [saved] = state.annotations.values()
    assert [r["attributes"] for r in saved["regions"]] == [
        {"occluded": True, "pose": "side"}
    ]


def test_resize_by_handle_delete_undo_redo(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    from tests.e2e.test_labeling import edge, expected_box, fit

    page, state = mock_page, mock[1]
    page.goto("/#/projects/1/label")
    canvas = page.get_by_test_id("image-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    view = fit(64, 48, box["width"], box["height"])
    page.wait_for_function(
        "(s) => Math.abs(document.querySelector('[data-testid=image-canvas]')"
        ".dataset.scale - s) < 1e-9",
        arg=view["scale"],
    )
    cx, cy = int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2)
    a, b = (cx - 90, cy - 60), (cx + 40, cy + 70)
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=5)
    page.mouse.up()
    want = expected_box(view, box, a, b, 64, 48)

    # Select it, then drag its bottom-right handle 55 px right and 25 px down.
    page.mouse.click(cx, cy)
    corner = (
        box["x"] + view["x"] + (want["x"] + want["w"]) * view["scale"],
        box["y"] + view["y"] + (want["y"] + want["h"]) * view["scale"],
    )
    page.mouse.move(*corner)
    page.mouse.down()
    page.mouse.move(corner[0] + 55, corner[1] + 25, steps=5)
    page.mouse.up()
    right = edge((corner[0] + 55 - box["x"] - view["x"]) / view["scale"], 64)
    bottom = edge((corner[1] + 25 - box["y"] - view["y"]) / view["scale"], 48)
    want = {**want, "w": right - want["x"], "h": bottom - want["y"]}

    regions = page.get_by_test_id("regions").locator("li")
    page.keyboard.press("Delete")
    assert regions.count() == 0
    page.keyboard.press("Control+z")
    assert regions.count() == 1
    page.keyboard.press("Control+y")
    assert regions.count() == 0
    page.keyboard.press("Control+z")
    assert regions.count() == 1
    shots(page, "resized")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("message").filter(has_text="Submitted").wait_for()
    [saved] = state.annotations.values()
    assert [{k: r[k] for k in "xywh"} for r in saved["regions"]] == [want]


def test_an_image_is_not_judged_before_it_is_shown(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page, state = mock_page, mock[1]
    state.media_delay = 2.0
    page.goto("/#/projects/1/label")
    canvas = page.get_by_test_id("image-canvas")
    canvas.wait_for()
    loading = page.get_by_test_id("image-loading")
    loading.wait_for()
    assert page.get_by_test_id("submit").is_disabled()
    shots(page, "image-loading")
    # Enter and a drag on the blank canvas store nothing.
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 120, steps=4)
    page.mouse.up()
    canvas.focus()
    page.keyboard.press("Enter")
    assert state.annotations == {}
    assert page.get_by_test_id("regions").locator("li").count() == 0

    loading.wait_for(state="detached", timeout=10_000)
    assert page.get_by_test_id("submit").is_enabled()


def test_the_keyboard_caret_starts_over_on_the_next_item(
    mock_page: Any, mock: tuple[str, State], shots: Shots
) -> None:
    page = mock_page
    page.goto("/#/projects/2/label")
    text = page.get_by_test_id("ner-text")
    text.focus()
    for _ in range(12):  # deep into the first text
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.get_by_role("button", name="Skip").click()
    page.get_by_test_id("ner-text").filter(has_text="line one").wait_for()
    assert page.evaluate("() => window.getSelection().toString()") == ""

    page.get_by_test_id("ner-text").focus()
    page.keyboard.press("Control+Shift+ArrowRight")
    assert page.evaluate("() => window.getSelection().toString()") == "line"
    page.keyboard.press("Enter")
    regions = page.get_by_test_id("regions").locator("li")
    regions.first.wait_for()
    assert regions.first.inner_text().startswith("person: “line” [0, 4)")
