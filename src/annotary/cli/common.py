"""What every command shares: the workspace, output, errors and progress."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from annotary.errors import AnnotaryError, InvalidInput
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


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop the command with a clear error (JSON under ``--json``)."""
    report_error(InvalidInput(message), code)


def report_error(error: AnnotaryError, code: int = 1) -> NoReturn:
    """Print one error, as ``error: ...`` or, under ``--json``, as
    ``{"error": {"code", "message", "details"}}`` on stderr; then exit."""
    if state.json:
        body = {"error": error.to_dict()}
        print(json.dumps(body, default=str, ensure_ascii=False), file=sys.stderr)
    else:
        line = f"[bold red]error:[/] {escape(error.message)}"
        err_console.print(line, highlight=False)
    raise typer.Exit(code)


def guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """Turn errors into one clear line (or JSON object) and exit status 1.

    Besides Annotary's own errors, an OSError (a path that cannot be read or
    written) or a ValueError that escaped a check still ends as one line that
    names what is wrong, never as a traceback.
    """
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        if kwargs.get("as_json"):
            state.json = True
        try:
            return fn(*args, **kwargs)
        except AnnotaryError as exc:
            report_error(exc)
        except OSError as exc:
            report_error(os_error(exc))
        except ValueError as exc:
            report_error(InvalidInput(str(exc) or type(exc).__name__))

    return wrapper


def os_error(exc: OSError) -> AnnotaryError:
    """An OSError as an Annotary error that names the path."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return AnnotaryError(reason)
    return AnnotaryError(f"{exc.filename}: {reason}", path=str(exc.filename))


class AnnotaryGroup(TyperGroup):
    """The root command: usage errors follow ``--json`` too.

    Typer reports a bad option value or a missing argument itself, as text;
    with ``--json`` anywhere on the command line it is the same JSON object
    as every other error instead, with exit status 2.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        self._wants_json = "--json" in args
        with self._usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with self._usage_errors():
            return super().invoke(ctx)

    @contextmanager
    def _usage_errors(self) -> Iterator[None]:
        try:
            yield
        except typer.TyperException as exc:
            # Typer ships its own click: its errors (usage, bad value, missing
            # file) are TyperExceptions that can format their message.
            message = getattr(exc, "format_message", None)
            if not getattr(self, "_wants_json", False) or message is None:
                raise
            state.json = True
            report_error(InvalidInput(message()), getattr(exc, "exit_code", 2))


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
