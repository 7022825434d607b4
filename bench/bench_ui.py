"""Canvas frame time with 1,000 boxes on one image while dragging one of them.

Runs the built UI in Debian's headless Chromium against the in-memory mock API
(tests/e2e/mock_api.py) and prints frame-interval figures measured with
requestAnimationFrame during a 120-step mouse drag. Headless Chromium paints
in software, so the figures are an upper bound for a desktop browser.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BOXES = 1_000
STEPS = 120
WIDTH, HEIGHT = 2048, 1536


def _boxes() -> list[dict[str, object]]:
    rng = random.Random(7)
    boxes = []
    for n in range(BOXES):
        w, h = rng.randint(10, 120), rng.randint(10, 120)
        x, y = rng.randint(0, WIDTH - w), rng.randint(0, HEIGHT - h)
        label = "person" if n % 2 else "face"
        boxes.append(
            {
                "id": f"b{n}",
                "type": "bbox",
                "label": label,
                "x": x,
                "y": y,
                "w": w,
                "h": h,
            }
        )
    # The box to drag, on top of the others, at the image centre.
    boxes.append(
        {
            "id": "drag",
            "type": "bbox",
            "label": "person",
            "x": 924,
            "y": 668,
            "w": 200,
            "h": 200,
        }
    )
    return boxes


RECORD = """() => {
  window.__frames = [];
  window.__annotaryDrawTimes = [];
  const tick = (t) => {
    window.__frames.push(t);
    window.__raf = requestAnimationFrame(tick);
  };
  window.__raf = requestAnimationFrame(tick);
}"""
STOP = """() => {
  cancelAnimationFrame(window.__raf);
  return [window.__frames, window.__annotaryDrawTimes];
}"""


def main() -> int:
    chromium = Path("/usr/bin/chromium")
    dist = ROOT / "src" / "annotary" / "web" / "dist" / "index.html"
    if not chromium.exists() or not dist.exists():
        print(f"skipped: needs {chromium} and the built UI ({dist})")
        return 0

    import uvicorn
    from PIL import Image
    from playwright.sync_api import sync_playwright
    from tests.e2e.conftest import CHROMIUM_ARGS, free_port
    from tests.e2e.mock_api import State, create_app

    state = State(Image.new("RGB", (WIDTH, HEIGHT), "gray"), ["text"])
    state.annotations[1] = {
        "id": 1,
        "item_id": 1,
        "regions": _boxes(),
        "user_id": 1,
        "origin": "human",
        "state": "draft",
        "version": 1,
    }
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(
            viewport={"width": 1280, "height": 800}, base_url=f"http://127.0.0.1:{port}"
        )
        page.goto("/")
        page.get_by_label("User name").fill("bench")
        page.get_by_label("Password").fill("secret")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Projects").wait_for()
        page.goto("/#/projects/1/items/1")
        canvas = page.get_by_test_id("image-canvas")
        canvas.wait_for()
        page.get_by_text(f"Regions ({BOXES + 1})").wait_for()
        time.sleep(0.5)
        box = canvas.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

        page.evaluate(RECORD)
        started = time.perf_counter()
        page.mouse.move(cx, cy)
        page.mouse.down()
        for step in range(1, STEPS + 1):
            page.mouse.move(cx + step * 2, cy + step)
        page.mouse.up()
        elapsed = time.perf_counter() - started
        time.sleep(0.1)
        frames, draws = page.evaluate(STOP)
        browser.close()
    server.should_exit = True

    gaps = sorted(b - a for a, b in zip(frames, frames[1:], strict=False))
    p95 = gaps[int(0.95 * (len(gaps) - 1))]
    print(f"boxes on the image: {BOXES + 1}; drag of {STEPS} pointer moves")
    print(f"frames: {len(frames)} in {elapsed:.2f} s")
    print(
        f"frame interval ms: median {statistics.median(gaps):.1f}, "
        f"p95 {p95:.1f}, max {gaps[-1]:.1f}"
    )
    print(f"pointer moves handled per second: {STEPS / elapsed:.0f}")
    draws.sort()
    draw_p95 = draws[int(0.95 * (len(draws) - 1))]
    print(
        f"canvas redraws: {len(draws)}; draw ms median "
        f"{statistics.median(draws):.2f}, p95 {draw_p95:.2f}, max {draws[-1]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
