"""`annotary import` and `annotary project import`: one exit-code rule.

Exit 1 when nothing was added and something was rejected or nothing at all
was read, with one line saying why; exit 0 when something was added or
everything was already there (a re-import).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from annotary.cli import app

runner = CliRunner()
GOOD = '{"text": "a red bus"}\n{"text": "a green tram"}\n'


def _invoke(ws: Path, *args: str, env: dict[str, str] | None = None) -> tuple:
    result = runner.invoke(app, ["-w", str(ws), *args], env=env)
    return result.exit_code, result.output


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for args in (
        ["init"],
        ["project", "create", "Notes", "--kind", "text"],
        ["project", "create", "Pics", "--kind", "image"],
    ):
        code, out = _invoke(root, *args)
        assert code == 0, out
    return root


def _write(tmp: Path, name: str, content: str) -> Path:
    path = tmp / name
    path.write_text(content, encoding="utf-8")
    return path


def _png(tmp: Path, name: str, size: int) -> Path:
    path = tmp / name
    Image.new("RGB", (size, size), (200, 30, 30)).save(path)
    return path


def _empty_dir(tmp: Path) -> Path:
    (tmp / "nothing").mkdir()
    return tmp / "nothing"


Make = Callable[[Path], Path]

CASES: list[tuple[str, str, Make, int, str]] = [
    (
        "header-only CSV",
        "Notes",
        lambda d: _write(d, "h.csv", "text\n"),
        1,
        "nothing to import in {path}: the CSV has a header and no rows",
    ),
    (
        "header-only TSV",
        "Notes",
        lambda d: _write(d, "h.tsv", "id\ttext\n\n"),
        1,
        "nothing to import in {path}: the TSV has a header and no rows",
    ),
    (
        "every JSONL line rejected",
        "Notes",
        lambda d: _write(d, "bad.jsonl", '{"x": 1}\n{"y": 2}\n'),
        1,
        "nothing imported from {path}: 2 rejected, none added",
    ),
    (
        "an empty .jpg",
        "Pics",
        lambda d: _write(d, "empty.jpg", ""),
        1,
        "nothing imported from {path}: 1 rejected, none added",
    ),
    (
        "a PNG over the pixel limit",
        "Pics",
        lambda d: _png(d, "bomb.png", 200),
        1,
        "nothing imported from {path}: 1 rejected, none added",
    ),
    (
        "an empty folder",
        "Pics",
        _empty_dir,
        1,
        "nothing to import in {path}: the folder is empty",
    ),
    (
        "JSON with no records",
        "Notes",
        lambda d: _write(d, "none.json", "[]"),
        1,
        "nothing to import in {path}: the JSON holds no records",
    ),
    ("good lines", "Notes", lambda d: _write(d, "ok.jsonl", GOOD), 0, "2 added"),
    (
        "some good, some rejected",
        "Notes",
        lambda d: _write(d, "mixed.jsonl", GOOD + '{"x": 1}\n'),
        0,
        "2 added, 0 already there, 1 rejected",
    ),
    ("a small PNG", "Pics", lambda d: _png(d, "ok.png", 50), 0, "1 added"),
]


@pytest.mark.parametrize(
    ("what", "project", "make", "code", "says"), CASES, ids=[c[0] for c in CASES]
)
def test_import_exit_code(
    ws: Path,
    tmp_path: Path,
    what: str,
    project: str,
    make: Make,
    code: int,
    says: str,
) -> None:
    path = make(tmp_path)
    # 100 x 100 pixels at most: the 200 x 200 PNG stands in for a bomb.
    env = {"ANNOTARY_MAX_IMAGE_PIXELS": "10000"}

    got, out = _invoke(ws, "import", project, str(path), env=env)

    assert got == code, out
    assert says.format(path=path) in " ".join(out.split())


def test_a_reimport_exits_0_but_not_when_a_line_is_rejected(
    ws: Path, tmp_path: Path
) -> None:
    good = _write(tmp_path, "ok.jsonl", GOOD)
    assert _invoke(ws, "import", "Notes", str(good))[0] == 0

    code, out = _invoke(ws, "import", "Notes", str(good))
    assert (code, "0 added, 2 already there, 0 rejected" in out) == (0, True)

    again = _write(tmp_path, "again.jsonl", GOOD + "not json\n")
    code, out = _invoke(ws, "import", "Notes", str(again))
    assert code == 1, out
    assert f"nothing imported from {again}: 1 rejected, 2 already there" in " ".join(
        out.split()
    )


def test_json_output_keeps_the_report_and_the_error(ws: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "h.csv", "text\n")
    result = runner.invoke(app, ["-w", str(ws), "import", "Notes", str(path), "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["read"], report["added"], report["rejected"]) == (0, 0, [])
    error = json.loads(result.stderr)["error"]
    assert error["message"] == (
        f"nothing to import in {path}: the CSV has a header and no rows"
    )


def _export(ws: Path, tmp_path: Path, project: str) -> Path:
    out = tmp_path / f"export-{project}"
    code, text = _invoke(ws, "export", project, "--format", "jsonl", "--out", str(out))
    assert code == 0, text
    return out / "annotary.jsonl"


def test_project_import_exit_codes(ws: Path, tmp_path: Path) -> None:
    assert (
        _invoke(ws, "import", "Notes", str(_write(tmp_path, "a.jsonl", GOOD)))[0] == 0
    )
    full = _export(ws, tmp_path, "Notes")
    empty = _export(ws, tmp_path, "Pics")

    code, out = _invoke(ws, "project", "import", str(full), "--name", "Copy")
    assert (code, "2 added" in out) == (0, True), out
    # An export of an empty project still restores the project.
    code, out = _invoke(ws, "project", "import", str(empty), "--name", "Empty")
    assert (code, "0 added, 0 already there, 0 rejected" in out) == (0, True), out

    header, *items = full.read_text(encoding="utf-8").splitlines()
    assert len(items) == 2
    broken = _write(tmp_path, "broken.jsonl", header + "\n{nope\n{nope\n")
    code, out = _invoke(ws, "project", "import", str(broken), "--name", "Broken")
    assert code == 1, out
    assert (
        f"project 'Broken' created, but nothing imported from {broken}: "
        "2 rejected, none added"
    ) in " ".join(out.split())


def test_a_conll_file_imports_its_text_and_tags(ws: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "a.conll", "John B-PER\nlives O\n\nMary B-PER\n")

    code, out = _invoke(ws, "import", "Notes", str(path), "--format", "conll")

    assert code == 0, out
    assert "2 added, 0 already there, 0 rejected, 2 annotations" in out

    code, out = _invoke(ws, "import", "Notes", str(path), "--format", "conll")

    assert (code, "0 added, 2 already there, 0 rejected" in out) == (0, True), out
