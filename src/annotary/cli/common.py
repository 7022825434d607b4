"""What every command shares: the workspace, output, errors and progress."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from annotary.errors import AnnotaryError
from annotary.lazy import LazyModule
from annotary.services.workspace import Workspace, open_workspace

__all__ = ["LazyModule"]

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


class State:
    workspace_dir: Path | None = None
    json: bool = False


state = State()


def workspace_dir() -> Path:
    if state.workspace_dir is not None:
        return state.workspace_dir
    env = os.environ.get("ANNOTARY_WORKSPACE")
    return Path(env) if env else Path.cwd()


def workspace() -> Workspace:
    return open_workspace(workspace_dir())


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """Turn Annotary errors into one clear line and exit status 1."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except AnnotaryError as exc:
            if kwargs.get("as_json") or state.json:
                print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
                raise typer.Exit(1) from None
            fail(exc.message)
            raise  # unreachable

    return wrapper


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json or state.json:
        print(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        render(data)


def table(columns: list[str], rows: list[list[Any]], title: str | None = None) -> None:
    out = Table(title=title)
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*(str(value) for value in row))
    console.print(out)


@contextmanager
def progress_bar(
    label: str, total: int | None = None
) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; yields an ``advance(n)`` callback."""
    if state.json or not sys.stderr.isatty():
        yield lambda _n: None
        return
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} done"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


JOB_MODULES = (
    "annotary.services.prelabel",
    "annotary.services.cleaning",
    "annotary.services.quality",
)


def load_job_handlers() -> None:
    """Import the services whose job handlers a worker must know."""
    import importlib
    import importlib.util

    for name in JOB_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
