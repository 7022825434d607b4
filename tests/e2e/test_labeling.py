"""A person labels in real Chromium; the API must then hold exact pixels and offsets."""

from __future__ import annotations

import math
from typing import Any

from tests.e2e.conftest import E2E_TEXTS, Shots, login

MARGIN = 16  # screen margin of "fit" in ImageCanvas.svelte
SCALE_IS = """(scale) => {
  const canvas = document.querySelector('[data-testid=image-canvas]');
  return Math.abs(Number(canvas.dataset.scale) - scale) < 1e-9;
}"""
# Hand-counted code points: "😀 Alice met Bob in Paris." has the emoji at 0, a
# space at 1, "Alice" at [2, 7) (UTF-16 [3, 8)) and "Paris" at [19, 24);
# "line one\r\nParis is big" has "Paris" at [10, 15) (CR and LF count one each).
EXPECTED_SPANS = {
    E2E_TEXTS[0]: [(2, 7, "person"), (19, 24, "geo-loc")],
    E2E_TEXTS[1]: [(10, 15, "geo-loc")],
}


def fit(width: float, height: float, view_w: float, view_h: float) -> dict[str, float]:
    scale = min((view_w - 2 * MARGIN) / width, (view_h - 2 * MARGIN) / height)
    return {
        "scale": scale,
        "x": (view_w - width * scale) / 2,
        "y": (view_h - height * scale) / 2,
    }


def to_image(view: dict[str, float], canvas: dict[str, float], sx: int, sy: int):
    """Screen (page) point -> image point, by the transform the UI documents."""
    return (
        (sx - canvas["x"] - view["x"]) / view["scale"],
        (sy - canvas["y"] - view["y"]) / view["scale"],
    )


def edge(value: float, size: int) -> int:
    """Nearest pixel edge (JavaScript Math.round), clamped to the image."""
    return min(size, max(0, math.floor(value + 0.5)))


def expected_box(view, canvas, a, b, width, height) -> dict[str, int]:
    (x0, y0), (x1, y1) = to_image(view, canvas, *a), to_image(view, canvas, *b)
    left, right = edge(min(x0, x1), width), edge(max(x0, x1), width)
    top, bottom = edge(min(y0, y1), height), edge(max(y0, y1), height)
    return {"x": left, "y": top, "w": right - left, "h": bottom - top}


def drag(page: Any, a: tuple[int, int], b: tuple[int, int]) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=6)
    page.mouse.up()


def open_project(page: Any, name: str) -> None:
    card = page.locator("li.card", has_text=name)
    card.get_by_role("link", name="Label").click()


def submitted(page: Any, item_id: int) -> list[dict[str, Any]]:
    response = page.request.get(f"/api/v1/items/{item_id}/annotations")
    assert response.ok, response.text()
    return [a for a in response.json() if a["state"] == "submitted"]


def test_wrong_password_then_projects(page: Any, shots: Shots) -> None:
    page.goto("/")
    shots(page, "login")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert error.inner_text() == "Wrong user name or password."
    shots(page, "login-wrong-password")

    login(page, "alice")
    bars = page.get_by_role("progressbar")
    bars.first.wait_for()
    # Alice belongs to the three demo projects and the e2e one.
    assert bars.count() == 4
    demo = page.get_by_role("progressbar", name="Items finished in Demo: movie")
    assert demo.get_attribute("aria-valuemax") == "200"
    shots(page, "projects")

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in").wait_for()
    assert "logged out" in page.locator(".notice").inner_text()


def test_draw_zoom_pan_move_submit_boxes(page: Any, shots: Shots) -> None:
    login(page, "alice")
    open_project(page, "Demo: people and animals")
    canvas = page.get_by_test_id("image-canvas")
    canvas.wait_for()
    item_id = int(page.get_by_test_id("item-id").inner_text().split()[1])
    item = page.request.get(f"/api/v1/items/{item_id}").json()
    width, height = item["media"]["width"], item["media"]["height"]
    box = canvas.bounding_box()
    view = fit(width, height, box["width"], box["height"])
    page.wait_for_function(SCALE_IS, arg=view["scale"])

    # Box A at the fitted view, label "person" (hotkey 1).
    centre = (int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2))
    a0 = (centre[0] - 150, centre[1] - 120)
    a1 = (centre[0] - 40, centre[1] + 10)
    page.keyboard.press("1")
    drag(page, a0, a1)
    want_a = expected_box(view, box, a0, a1, width, height)
    shots(page, "box-a")

    # Zoom 2x with the wheel about a point, then pan by space+drag.
    anchor = (centre[0] + 40, centre[1] + 30)
    page.mouse.move(*anchor)
    page.mouse.wheel(0, -100)
    page.wait_for_function(SCALE_IS, arg=2 * view["scale"])
    ax, ay = anchor[0] - box["x"], anchor[1] - box["y"]
    view = {
        "scale": 2 * view["scale"],
        "x": ax - (ax - view["x"]) * 2,
        "y": ay - (ay - view["y"]) * 2,
    }
    page.keyboard.down("Space")
    drag(page, (centre[0], centre[1]), (centre[0] - 60, centre[1] - 40))
    page.keyboard.up("Space")
    view = {**view, "x": view["x"] - 60, "y": view["y"] - 40}
    shots(page, "zoomed-panned")

    # Box B drawn in the zoomed, panned view, label "face" (hotkey 2).
    b0 = (centre[0] + 10, centre[1] - 30)
    b1 = (centre[0] + 90, centre[1] + 50)
    page.keyboard.press("2")
    drag(page, b0, b1)
    want_b = expected_box(view, box, b0, b1, width, height)

    # Relabel B as "cat": click it, press 3; then move it 3 px right and 1 px up.
    page.mouse.click(centre[0] + 50, centre[1] + 10)
    page.keyboard.press("3")
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowUp"):
        page.keyboard.press(key)
    want_b = {**want_b, "x": want_b["x"] + 3, "y": want_b["y"] - 1}
    regions = page.get_by_test_id("regions")
    assert regions.locator("li").count() == 2
    shots(page, "before-submit")

    page.keyboard.press("Enter")
    page.get_by_test_id("message").filter(has_text="Submitted").wait_for()
    shots(page, "after-submit")

    [annotation] = submitted(page, item_id)
    boxes = [r for r in annotation["regions"] if r["type"] == "bbox"]
    boxes.sort(key=lambda r: r["label"])
    got = [(r["label"], {k: r[k] for k in ("x", "y", "w", "h")}) for r in boxes]
    assert got == sorted([("person", want_a), ("cat", want_b)], key=lambda p: p[0])
    assert annotation["lead_time"] > 0


def select_text(page: Any, needle: str) -> None:
    """Drag the mouse across the first occurrence of `needle` in the item text."""
    rect = page.evaluate(
        """(needle) => {
          const root = document.querySelector('[data-testid=ner-text]');
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(needle);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + needle.length);
            const rects = range.getClientRects();
            const a = rects[0], b = rects[rects.length - 1];
            const y0 = a.top + a.height / 2, y1 = b.top + b.height / 2;
            return [a.left + 1, y0, b.right - 1, y1];
          }
          return null;
        }""",
        needle,
    )
    assert rect is not None, f"{needle!r} is not on the page"
    drag(page, (rect[0], rect[1]), (rect[2], rect[3]))


def test_ner_spans_after_emoji_and_in_crlf_text(
    page: Any, shots: Shots, server: dict[str, Any]
) -> None:
    login(page, "alice")
    open_project(page, "E2E entities")
    expected = {
        E2E_TEXTS[0]: [("person", "Alice"), ("geo-loc", "Paris")],
        E2E_TEXTS[1]: [("geo-loc", "Paris")],
    }
    done: dict[int, str] = {}
    for _ in E2E_TEXTS:
        page.get_by_test_id("ner-text").wait_for()
        item_id = int(page.get_by_test_id("item-id").inner_text().split()[1])
        text = page.request.get(f"/api/v1/items/{item_id}").json()["text"]
        for label, needle in expected[text]:
            page.keyboard.press("1" if label == "person" else "2")
            select_text(page, needle)
        shots(page, f"ner-item-{item_id}")
        page.get_by_test_id("submit").click()
        page.get_by_test_id("message").filter(has_text="Submitted").wait_for()
        done[item_id] = text
    shots(page, "ner-done")

    # Previous reopens the last item with its submitted span.
    page.get_by_role("button", name="Previous item").click()
    page.get_by_test_id("ner-text").wait_for()
    regions = page.get_by_test_id("regions").locator("li")
    regions.first.wait_for()
    assert regions.first.inner_text().startswith("geo-loc: “Paris” [10, 15)")

    for item_id, text in done.items():
        [annotation] = submitted(page, item_id)
        spans = [(r["start"], r["end"], r["label"]) for r in annotation["regions"]]
        assert sorted(spans) == EXPECTED_SPANS[text]
        names = sorted(text[start:end] for start, end, _ in spans)
        assert names == sorted(needle for _, needle in expected[text])
