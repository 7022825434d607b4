"""``annotary clean PROJECT``: run the cleaning checks and apply suggestions."""

from __future__ import annotations

import json
from typing import Any

import typer

from annotary.cli.common import (
    JsonOption,
    LazyModule,
    console,
    emit,
    guarded,
    progress_bar,
    table,
    workspace,
)
from annotary.errors import InvalidInput
from annotary.services import projects

cleaning = LazyModule("annotary.services.cleaning")


def parse_params(given: list[str]) -> dict[str, dict[str, Any]]:
    """``["blur.threshold=50"]`` -> ``{"blur": {"threshold": 50}}``.

    Values are read as JSON when they parse (numbers, booleans, lists) and
    kept as text otherwise.

    Example:
        >>> parse_params(["language.languages=[\\"en\\"]"])
        {'language': {'languages': ['en']}}
    """
    params: dict[str, dict[str, Any]] = {}
    for entry in given:
        name, eq, raw = entry.partition("=")
        check, dot, key = name.rpartition(".")
        if not eq or not dot or not check or not key:
            raise InvalidInput(
                f"--param {entry!r} is not CHECK.KEY=VALUE (e.g. blur.threshold=50)",
                field="param",
            )
        params.setdefault(check, {})[key] = _value(raw)
    return params


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def register(app: typer.Typer) -> None:
    """Add the ``clean`` verb to the Annotary CLI."""
    app.command("clean")(clean)


@guarded
def clean(
    project: str,
    check: list[str] = typer.Option(
        [], "--check", help="A check to run (repeatable); default: every one."
    ),
    param: list[str] = typer.Option(
        [], "--param", help="A check parameter, CHECK.KEY=VALUE (repeatable)."
    ),
    apply_suggestions: bool = typer.Option(
        False,
        "--apply-suggestions",
        help="Then apply the suggested decisions: one item kept per duplicate "
        "cluster, corrupt files and empty texts excluded.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Find duplicates and quality problems in a project's items."""
    ws = workspace()
    pid = projects.resolve_project(ws, project)
    params = parse_params(param)

    with progress_bar("cleaning") as advance:
        seen = [0]

        def report_progress(done: int, total: int) -> None:
            advance(done - seen[0])
            seen[0] = done

        report = cleaning.run_cleaning(
            ws, pid, checks=check or None, params=params, progress=report_progress
        )
    if apply_suggestions:
        report["decisions"] = cleaning.apply_suggestions(ws, pid)
    emit(report, as_json, _print_report)


def _print_report(report: dict[str, Any]) -> None:
    rows = [
        [run["name"], run["flagged"], run["clusters"], _params(run["params"])]
        for run in report["checks"]
    ]
    table(
        ["check", "flagged items", "clusters", "parameters"],
        rows,
        title=f"Cleaned {report['items']} {report['kind']} items "
        f"in {report['seconds']:.1f} s",
    )
    decisions = report.get("decisions")
    if decisions:
        console.print(
            f"applied suggestions: kept {decisions['keep']}, "
            f"excluded {decisions['exclude']}"
        )


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(params.items()))
