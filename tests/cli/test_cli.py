from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotary.cli import app

runner = CliRunner()
VERBS = ["init", "serve", "demo", "project", "import", "export", "user", "token"]


def run(*args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result.output


def test_help_lists_every_verb() -> None:
    out = run("--help")
    for verb in VERBS:
        assert verb in out


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "annotary", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(verb in done.stdout for verb in VERBS)


def test_readme_documents_every_verb() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for verb in VERBS:
        assert f"annotary {verb}" in readme, f"README.md does not mention {verb!r}"


def test_init_create_list_show_with_json(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    run("--workspace", ws, "init")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"labels": [{"name": "cat"}, {"name": "dog"}]}))

    created = json.loads(
        run(
            "-w",
            ws,
            "project",
            "create",
            "Pets",
            "--kind",
            "image",
            "--schema",
            str(schema),
            "--json",
        )
    )
    listed = json.loads(run("-w", ws, "project", "list", "--json"))
    shown = json.loads(run("-w", ws, "project", "show", "Pets", "--json"))

    assert created["label_schema"]["tools"] == ["bbox", "class"]
    assert [p["name"] for p in listed] == ["Pets"]
    assert shown["counts"]["total"] == 0
    assert [label["name"] for label in shown["label_schema"]["labels"]] == [
        "cat",
        "dog",
    ]


def test_workspace_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANNOTARY_WORKSPACE", str(tmp_path))
    run("init")
    run("project", "create", "T", "--kind", "text")
    assert "T" in run("project", "list")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["project", "create", "X", "--kind", "sound"], "kind 'sound'"),
        (["project", "show", "nope"], "no project named 'nope'"),
        (["user", "add", "bob", "--password", "short"], "at least 8"),
        (["export", "nope", "--format", "coco", "--out", "x"], "no project named"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, args: list[str], says: str) -> None:
    ws = str(tmp_path)
    run("-w", ws, "init")
    result = runner.invoke(app, ["-w", ws, *args])
    assert result.exit_code == 1
    assert says in result.output


def test_users_roles_and_tokens(tmp_path: Path) -> None:
    ws = str(tmp_path)
    run("-w", ws, "init")
    run("-w", ws, "project", "create", "P", "--kind", "text")
    run(
        "-w",
        ws,
        "user",
        "add",
        "ann",
        "--password",
        "password-1",
        "--project",
        "P=annotator",
    )
    token = json.loads(run("-w", ws, "token", "create", "ann", "--json"))["token"]
    users = json.loads(run("-w", ws, "user", "list", "--json"))

    assert token.startswith("ann_") and len(token) > 30
    assert [u["username"] for u in users] == ["ann"]


def test_user_password_changes_it_and_ends_sessions(tmp_path: Path) -> None:
    from annotary.errors import NotAuthenticated
    from annotary.services import users as user_service
    from annotary.services.workspace import open_workspace

    ws_dir = str(tmp_path)
    run("-w", ws_dir, "init")
    run("-w", ws_dir, "user", "add", "ann", "--password", "password-1")
    ws = open_workspace(tmp_path)
    try:
        ann = user_service.find_user(ws, "ann")
        token, _ = user_service.open_session(ws, ann, 1)
        out = run("-w", ws_dir, "user", "password", "ann", "--password", "password-2")
        assert "Password of ann changed" in out
        with pytest.raises(NotAuthenticated):
            user_service.session_user(ws, token)
        with pytest.raises(NotAuthenticated):
            user_service.authenticate(ws, "ann", "password-1")
        assert user_service.authenticate(ws, "ann", "password-2").username == "ann"
    finally:
        ws.close()
    short = runner.invoke(
        app, ["-w", ws_dir, "user", "password", "ann", "--password", "x"]
    )
    assert short.exit_code == 1 and "at least 8 characters" in short.output
