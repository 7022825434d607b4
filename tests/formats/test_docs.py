from __future__ import annotations

from pathlib import Path

import pytest

from annotary import plugins

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


@pytest.mark.parametrize("name", plugins.formats.names())
def test_every_registered_format_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOC.read_text(encoding="utf-8")
