"""Browser fixtures: Debian's Chromium driven by Playwright, a real server on loopback.

Every test here is marked ``e2e`` and skips with a clear reason when Chromium,
Playwright, the built UI or the server app is missing. Screenshots of every
screen go to ``test-artifacts/`` at the repository root so a person can look.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
DIST = ROOT / "src" / "annotary" / "web" / "dist" / "index.html"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "annotary"
VIEWPORT = {"width": 1280, "height": 800}


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not DIST.exists():
        return f"the UI is not built ({DIST} missing; run `make ui`)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        path = str(item.path).replace(os.sep, "/")
        if "tests/e2e" in path and not path.endswith("test_frontend_unit.py"):
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


E2E_TEXTS = [
    "\U0001f600 Alice met Bob in Paris.",
    "line one\r\nParis is big",
]


def build_workspace(directory: Path) -> dict[str, Any]:
    """The demo workspace plus a small NER project whose texts have emoji and CRLF."""
    from annotary.core.models import ImportReport, ItemDraft
    from annotary.services import imports, projects, users
    from annotary.services.demo import build_demo
    from annotary.services.workspace import open_workspace

    summary = build_demo(directory)
    ws = open_workspace(directory)
    try:
        schema = {
            "labels": [
                {"name": "person", "hotkey": "1"},
                {"name": "geo-loc", "hotkey": "2"},
            ],
            "tools": ["span"],
        }
        ner = projects.create_project(
            ws,
            "E2E entities",
            "text",
            label_schema=schema,
            guideline_text="# Entities\n\nMark **people** and places.",
        )
        drafts = (
            ItemDraft(
                text=text,
                source=f"e2e:{n}",
                content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
            for n, text in enumerate(E2E_TEXTS)
        )
        report = ImportReport(project="e2e")
        imports.import_drafts(ws, ner.id, drafts, report=report)
        assert report.added == len(E2E_TEXTS), report
        alice = next(u for u in users.list_users(ws) if u.username == "alice")
        users.set_role(ws, ner.id, alice.id, "annotator")
        summary["e2e_ner"] = ner.id
    finally:
        ws.close()
    return summary


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if importlib.util.find_spec("annotary.server.app") is None:
        pytest.skip("annotary.server.app is not present yet (the REST API)")
    directory = tmp_path_factory.mktemp("e2e-workspace")
    summary = build_workspace(directory)
    port = free_port()
    env = dict(os.environ, ANNOTARY_WORKSPACE=str(directory))
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "annotary", "serve"]
        + ["--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/v1/health", process)
        yield {"base": base, **summary}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, base_url=server["base"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


class Shots:
    """Numbered screenshots under test-artifacts/, one per screen."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page: Any, what: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{what}.png"
        page.screenshot(path=str(path))
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects").wait_for()
