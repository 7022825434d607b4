"""The prelabel, assistance and retrain verbs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotary.cli import app
from annotary.cli.prelabel import parse_pairs
from annotary.errors import InvalidInput
from annotary.services import annotations, prelabel, projects
from annotary.services.workspace import init_workspace
from tests.services.helpers import add_texts

runner = CliRunner()
TEXTS = [
    "Paris is lovely",
    "I met Ada in Paris",
    "nothing here",
    "Ada again",
    "the rain in Spain",
    "snow in Oslo",
]


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    ws = init_workspace(folder)
    try:
        project = projects.create_project(
            ws,
            "Places",
            "text",
            label_schema={
                "labels": [
                    {"name": "city", "examples": ["Paris", "Oslo"]},
                    {"name": "name", "examples": ["Ada"]},
                ],
                "tools": ["span", "class"],
            },
        )
        ids = add_texts(ws, project.id, TEXTS)
        for item_id, label in zip(
            ids[:4], ["city", "name", "city", "name"], strict=True
        ):
            annotations.create_annotation(
                ws, item_id, [{"type": "class", "label": label}]
            )
    finally:
        ws.close()
    return folder


def run(folder: Path, *args: str, ok: bool = True) -> Any:
    result = runner.invoke(app, ["-w", str(folder), *args])
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result


def test_prelabel_json_counts_what_the_rules_found(ws_dir: Path) -> None:
    out = json.loads(
        run(
            ws_dir, "prelabel", "Places", "--model", "rule-patterns.v1", "--json"
        ).stdout
    )

    assert out["model_name"] == "rule-patterns.v1"
    assert (out["items"], out["predictions"], out["empty"]) == (6, 4, 2)
    assert out["labels"] == {"city": 3, "name": 2}


def test_prelabel_table_and_item_filters(ws_dir: Path) -> None:
    table = run(
        ws_dir, "prelabel", "1", "-m", "rule-patterns.v1", "--items", "q=paris"
    ).stdout
    assert "Pre-labeling" in table and "rule-patterns.v1@1" in table

    out = json.loads(
        run(
            ws_dir,
            "--json",
            "prelabel",
            "Places",
            "-m",
            "rule-patterns.v1",
            "--items",
            "ids=5,6",
            "--option",
            "score=0.5",
        ).stdout
    )
    assert (out["items"], out["predictions"]) == (2, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nope.v1"], "nope"),
        (["--model", "rule-patterns.v1", "--items", "colour=red"], "unknown item"),
        (["--model", "rule-patterns.v1", "--items", "status"], "KEY=VALUE"),
        (["--model", "rule-patterns.v1", "--items", "ids=a,b"], "ids"),
        (["--model", "rule-patterns.v1", "--option", "colour=1"], "colour"),
    ],
)
def test_bad_prelabel_arguments_fail_with_one_line(
    ws_dir: Path, args: list[str], message: str
) -> None:
    result = run(ws_dir, "prelabel", "Places", *args, ok=False)
    assert message in result.output


def test_retrain_prints_the_learning_curve(ws_dir: Path) -> None:
    out = json.loads(
        run(ws_dir, "retrain", "Places", "--option", "min_examples=2", "--json").stdout
    )
    assert out["model_name"] == "sklearn-text.v1"
    assert out["labelled"] == 4
    assert out["trained_on"] + out["held_out"] == 4
    assert [p["model_version"] for p in out["curve"]] == [out["model_version"]]
    assert (
        "Learning curve"
        in run(ws_dir, "retrain", "Places", "-o", "min_examples=2").stdout
    )


def test_assistance_after_a_person_edits_suggestions(ws_dir: Path) -> None:
    run(ws_dir, "prelabel", "Places", "--model", "rule-patterns.v1")
    empty = json.loads(run(ws_dir, "assistance", "Places", "--json").stdout)
    assert empty["models"] == []
    assert empty["unassisted_items"] == 4

    table = run(ws_dir, "assistance", "Places").stdout
    assert "Assistance" in table and "Without suggestions: 4 items" in table


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (["a=1"], {"a": 1}),
        (["a=1.5", "b=true"], {"a": 1.5, "b": True}),
        (["label=face", "x= y "], {"label": "face", "x": "y"}),
        (["k=a=b"], {"k": "a=b"}),
        ([], {}),
    ],
)
def test_parse_pairs(pairs: list[str], expected: dict[str, Any]) -> None:
    assert parse_pairs(pairs, "--option") == expected


@pytest.mark.parametrize("bad", ["novalue", "=1", ""])
def test_parse_pairs_refuses_pairs_without_key_or_value(bad: str) -> None:
    with pytest.raises(InvalidInput, match="KEY=VALUE"):
        parse_pairs([bad], "--option")


def test_help_lists_the_new_verbs() -> None:
    out = runner.invoke(app, ["--help"]).stdout
    for verb in ("prelabel", "assistance", "retrain", "worker"):
        assert verb in out


def test_worker_drains_queued_jobs(ws_dir: Path) -> None:
    ws = init_workspace(ws_dir)
    try:
        pid = projects.resolve_project(ws, "Places")
        first = prelabel.submit_prelabel(ws, pid, "rule-patterns.v1")
        second = prelabel.submit_retrain(ws, pid, options={"min_examples": 2})
    finally:
        ws.close()

    out = json.loads(run(ws_dir, "worker", "--drain", "--json").stdout)

    assert out == {"jobs": ["done", "done"], "ids": [first, second]}
