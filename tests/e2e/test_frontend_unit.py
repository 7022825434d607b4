"""Runs the UI unit tests (Vitest: offsets, viewport, markdown, api ...) in pytest."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.e2e.conftest import ROOT

FRONTEND = ROOT / "frontend"


def test_vitest_suite_passes() -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed; the UI unit tests need Node 20")
    if not (FRONTEND / "node_modules" / "vitest").exists():
        pytest.skip("frontend/node_modules is missing; run `make ui` (npm ci) first")
    done = subprocess.run(
        ["npm", "test", "--silent"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
