from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotary.cli import app
from annotary.cli.clean import parse_params
from annotary.errors import InvalidInput

runner = CliRunner()
LINES = [
    "Ada Lovelace wrote the first program for the engine.",
    "ADA LOVELACE wrote the first program for the engine.",
    "Grace Hopper built the first compiler in the fifties.",
    "ok",
]


def run(*args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result.output


@pytest.fixture
def ws(tmp_path: Path) -> str:
    root = str(tmp_path / "ws")
    run("-w", root, "init")
    run("-w", root, "project", "create", "Notes", "--kind", "text")
    data = tmp_path / "notes.txt"
    data.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    run("-w", root, "import", "Notes", str(data))
    return root


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["blur.threshold=50"], {"blur": {"threshold": 50}}),
        (["blur.v1.threshold=2.5"], {"blur.v1": {"threshold": 2.5}}),
        (['language.languages=["en"]'], {"language": {"languages": ["en"]}}),
        (["a.x=1", "a.y=word"], {"a": {"x": 1, "y": "word"}}),
        (["threshold=50"], InvalidInput),
        (["blur.threshold"], InvalidInput),
        ([".x=1"], InvalidInput),
    ],
)
def test_parse_params(given: list[str], expected: Any) -> None:
    if isinstance(expected, dict):
        assert parse_params(given) == expected
        return
    with pytest.raises(expected):
        parse_params(given)


def test_clean_prints_a_summary_table(ws: str) -> None:
    out = run("-w", ws, "clean", "Notes")

    assert "Cleaned 4 text items" in out
    assert "exact-duplicates.v1" in out
    assert "text-length.v1" in out


def test_clean_json_with_checks_and_params(ws: str) -> None:
    out = run(
        "-w",
        ws,
        "clean",
        "Notes",
        "--check",
        "text-length",
        "--check",
        "exact-duplicates",
        "--param",
        "text-length.min_chars=60",
        "--json",
    )

    report = json.loads(out)
    assert report["counts"] == {"text-length.v1": 4, "exact-duplicates.v1": 2}
    (length,) = [c for c in report["checks"] if c["name"] == "text-length.v1"]
    assert length["params"]["min_chars"] == 60
    assert "decisions" not in report


def test_apply_suggestions_excludes_the_second_copy(ws: str) -> None:
    out = run(
        "-w", ws, "clean", "Notes", "--check", "exact-duplicates", "--json",
        "--apply-suggestions",
    )  # fmt: skip

    assert json.loads(out)["decisions"] == {"keep": 1, "exclude": 1, "restore": 0}
    shown = json.loads(run("-w", ws, "project", "show", "Notes", "--json"))
    assert shown["counts"]["excluded"] == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--check", "blur"], "does not apply to text"),
        (["--param", "text-length.nope=1"], "unknown parameter"),
        (["--param", "nodot=1"], "CHECK.KEY=VALUE"),
        (["--check", "no-such-check"], "no-such-check"),
    ],
)
def test_clean_errors_are_one_clear_line(ws: str, args: list[str], says: str) -> None:
    out = run("-w", ws, "clean", "Notes", *args, ok=False)
    assert says in out


def test_readme_documents_the_verb_and_every_check() -> None:
    from annotary import plugins
    from annotary.clean.base import base_name

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Cleaning", 1)[1].split("\n## ", 1)[0]

    assert "annotary clean" in section
    assert "clean" in run("--help")
    for name in plugins.checks.names():
        assert f"`{base_name(name)}`" in section, f"README misses check {name}"
