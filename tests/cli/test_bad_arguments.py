"""Bad arguments end in one clear error and a non-zero exit, never a traceback.

With ``--json`` the error is a JSON object on stderr, whatever raised it:
Annotary's own checks, Typer's parsing of options, or a path that fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotary.cli import app
from annotary.core.models import ImportReport, ItemDraft
from annotary.errors import InvalidInput
from annotary.services import projects, users
from annotary.services.imports import import_drafts
from annotary.services.workspace import Settings, init_workspace

runner = CliRunner()
HUGE = "99999999999999999999"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("ANNOTARY_WORKSPACE", "ANNOTARY_PORT", "ANNOTARY_HOST"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "ws"
    workspace = init_workspace(folder)
    pets = projects.create_project(
        workspace, "Pets2", "text", label_schema={"labels": [{"name": "cat"}]}
    )
    projects.create_project(workspace, "Pics", "image")
    drafts = [ItemDraft(text="a cat", content_hash="h1", source="t")]
    import_drafts(workspace, pets.id, drafts, report=ImportReport(project="Pets2"))
    users.create_user(workspace, "ann1", "password-1")
    workspace.close()
    return str(folder)


def invoke(ws: str, args: list[str]) -> Any:
    result = runner.invoke(app, ["-w", ws, *args])
    # CliRunner keeps an escaped exception instead of printing its traceback.
    escaped = result.exception
    assert escaped is None or isinstance(escaped, SystemExit), (
        f"{args}: {type(escaped).__name__}: {escaped}"
    )
    assert "Traceback" not in result.output
    return result


BAD = [
    (["user", "role", "ann1", "Pets2", "god"], "role 'god' is not one of"),
    (["clean", "Pets2", "--param", "text-length.min_chars=abc"], "must be a number"),
    (["clean", "Pics", "--param", "blur.threshold=abc"], "must be a number"),
    (["clean", "Pics", "--param", "blur.threshold=true"], "must be a number"),
    (["clean", "Pics", "--param", "blur"], "CHECK.KEY=VALUE"),
    (["export", "Pets2", "--format", "jsonl", "--out", "/proc/x.jsonl"], "/proc"),
    (
        [
            "export",
            "Pics",
            "--format",
            "coco",
            "--out",
            "OUT",
            "-o",
            "copy_media=maybe",
        ],
        "copy_media must be true or false",
    ),
    (
        ["export", "Pets2", "--format", "jsonl", "--out", "OUT", "-o", "copy_media"],
        "not KEY=VALUE",
    ),
    (["export", "Pets2", "--format", "nosuch", "--out", "OUT"], "nosuch"),
    (["split", "Pets2", "--ratios", "abc"], "NAME=SHARE"),
    (["split", "Pets2", "--seed", "-1"], "--seed"),
    (["snapshot", "diff", "1", HUGE], f"no snapshot with id {HUGE}"),
    (["snapshot", "diff", "1", "²"], "PROJECT:NAME"),
    (["project", "show", HUGE], "no project named"),
    (
        ["project", "create", "X", "--kind", "text", "--schema", "/no/such.json"],
        "/no/such.json",
    ),
    (
        ["project", "create", "X", "--kind", "text", "--guideline", "/no/such.md"],
        "/no/such.md",
    ),
    (["project", "create", "X", "--kind", "text", "--overlap", "0"], "--overlap"),
    (["quality", "Pets2", "--guideline-version", "-1"], "--guideline-version"),
    (["quality", "Pets2", "--guideline-version", HUGE], "--guideline-version"),
    (["quality", "Pets2", "--iou", "2"], "--iou"),
    (["label-errors", "Pets2", "--top", "0"], "top must be at least 1"),
    (["prelabel", "Pets2", "-m", "x", "--batch-size", "0"], "--batch-size"),
    (["prelabel", "Pets2", "-m", "x", "--items", "ids=1,x"], "ids"),
    (["serve", "--port", "99999"], "65535"),
    (["serve", "--port", "0"], "--port"),
    (["demo", "D", "--port", "70000"], "65535"),
    (["import", "Pets2", "/no/such/file.txt"], "/no/such/file.txt"),
    (["gold", "Pets2", "/no/such/gold.json"], "/no/such/gold.json"),
    (["token", "create", "nobody"], "nobody"),
]


@pytest.mark.parametrize(("args", "says"), BAD)
def test_a_bad_argument_is_one_clear_error(
    ws: str, tmp_path: Path, args: list[str], says: str
) -> None:
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    result = invoke(ws, args)
    assert result.exit_code in (1, 2), result.output
    flat = " ".join(result.output.split())
    assert says in flat, result.output


@pytest.mark.parametrize(("args", "says"), BAD)
def test_with_json_every_error_is_a_json_object(
    ws: str, tmp_path: Path, args: list[str], says: str
) -> None:
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    result = invoke(ws, [*args, "--json"] if args[0] != "serve" else ["--json", *args])
    assert result.exit_code in (1, 2), result.output
    error = json.loads(result.stderr)["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"].startswith("annotary.")
    assert says in error["message"]
    assert result.stdout == ""


def test_a_valid_port_reaches_the_server_unchanged(
    ws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda _app, **kw: seen.update(kw))
    result = invoke(ws, ["serve", "--port", "65535", "--no-jobs"])
    assert result.exit_code == 0, result.output
    assert seen["port"] == 65535
    assert "127.0.0.1:65535" in result.output


@pytest.mark.parametrize("value", ["0", "65536", "99999", "-1", "http"])
def test_a_port_setting_out_of_range_is_refused(
    ws: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: pytest.fail("served"))
    monkeypatch.setenv("ANNOTARY_PORT", value)
    result = invoke(ws, ["serve", "--no-jobs"])
    assert result.exit_code == 1
    assert "ANNOTARY_PORT" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ("port = 99999", "port"),
        ("port = '8080'", "must be a whole number"),
        ("url_import = 'maybe'", "must be true or false"),
        ("max_upload_mb = 0", "more than 0"),
        ("import_roots = '/data'", "list of text"),
        ("session_hours = -1.5", "more than 0"),
    ],
)
def test_settings_in_the_config_are_checked(
    tmp_path: Path, toml: str, says: str
) -> None:
    (tmp_path / "annotary.toml").write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=says):
        Settings.load(tmp_path)


def test_a_good_config_still_loads(tmp_path: Path) -> None:
    (tmp_path / "annotary.toml").write_text(
        "port = 9000\nsession_hours = 2\nurl_import = true\n", encoding="utf-8"
    )
    settings = Settings.load(tmp_path)
    assert (settings.port, settings.session_hours, settings.url_import) == (
        9000,
        2,
        True,
    )


def test_export_options_from_text_become_booleans(ws: str, tmp_path: Path) -> None:
    from annotary import plugins
    from annotary.services.exports import typed_options

    def typed(name: str, options: dict[str, object]) -> dict[str, object]:
        return typed_options(name, plugins.formats.get(name).export_options, options)

    assert typed("coco.v1", {"copy_media": "false"}) == {"copy_media": False}
    assert typed("coco.v1", {"per_split": "YES"}) == {"per_split": True}
    assert typed("spacy.v1", {"shard_size": "20"}) == {"shard_size": 20}
    assert typed("conll.v1", {"which": "final"}) == {"which": "final"}
    kinds = {"copy_media": "flag", "shard_size": "count", "tokenizer": "text"}
    for bad in (
        {"copy_media": "maybe"},
        {"copy_media": 2},
        {"shard_size": "0"},
        {"shard_size": True},
        {"tokenizer": 5},
        {"which": 3},
    ):
        with pytest.raises(InvalidInput, match=next(iter(bad))):
            typed_options("x.v1", kinds, bad)
