"""Verbs: prelabel, assistance, retrain, worker."""

from __future__ import annotations

import time
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
from annotary.jobs import get_job, run_next
from annotary.services import projects

prelabel = LazyModule("annotary.services.prelabel")


def parse_pairs(pairs: list[str], what: str) -> dict[str, Any]:
    """``["k=v", ...]`` as a dict; numbers and true/false become typed values.

    Example:
        >>> parse_pairs(["min_neighbors=4", "label=face"], "--option")
        {'min_neighbors': 4, 'label': 'face'}
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{what} {pair!r}: expected KEY=VALUE", field=what)
        out[key.strip()] = _typed(value.strip())
    return out


def _typed(value: str) -> Any:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def _item_selection(filters: dict[str, Any]) -> tuple[list[int] | None, dict[str, Any]]:
    """``ids=1,2,3`` picks items; the other keys are list_items filters."""
    ids = filters.pop("ids", None)
    if ids is None:
        return None, filters
    try:
        chosen = [int(part) for part in str(ids).split(",") if part.strip()]
    except ValueError:
        raise InvalidInput(
            f"--items ids={ids!r}: expected 1,2,3", field="ids"
        ) from None
    return chosen, filters


def prelabel_cmd(
    project: str = typer.Argument(..., help="Project name or id."),
    model: str = typer.Option(..., "--model", "-m", help="e.g. opencv-faces.v1"),
    items: list[str] = typer.Option(
        [],
        "--items",
        help="Item filter KEY=VALUE (status, label, split, q, annotator, "
        "excluded, ids=1,2,3); repeat to combine.",
    ),
    option: list[str] = typer.Option(
        [], "--option", "-o", help="Pre-labeler option KEY=VALUE; repeatable."
    ),
    batch_size: int = typer.Option(
        32, "--batch-size", min=1, max=1000, help="Items per batch (1 to 1000)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Pre-label a project's items with a registered model."""
    ws = workspace()
    pid = projects.resolve_project(ws, project)
    item_ids, filters = _item_selection(parse_pairs(items, "--items"))
    options = parse_pairs(option, "--option")
    with progress_bar(f"pre-labeling with {model}") as advance:
        seen = [0]

        def step(done: int, _total: int) -> None:
            advance(done - seen[0])
            seen[0] = done

        report = prelabel.run_prelabel(
            ws,
            pid,
            model,
            item_ids=item_ids,
            batch_size=batch_size,
            options=options,
            progress=step,
            **filters,
        )
    emit(report.as_dict(), as_json, _print_prelabel)


def _print_prelabel(r: dict[str, Any]) -> None:
    rows = [
        ["model", f"{r['model_name']}@{r['model_version']}"],
        ["items", r["items"]],
        ["predictions", r["predictions"]],
        ["regions", r["regions"]],
        ["items without predictions", r["empty"]],
        ["earlier predictions replaced", r["replaced"]],
        ["kept (a person started from them)", r["kept_linked"]],
    ]
    if r["trained_on"] is not None:
        rows.append(["trained on labelled items", r["trained_on"]])
    rows += [[f"label {name}", count] for name, count in sorted(r["labels"].items())]
    table(["", "value"], rows, title="Pre-labeling")


def assistance_cmd(
    project: str = typer.Argument(..., help="Project name or id."),
    as_json: bool = JsonOption,
) -> None:
    """What people changed in each model version's suggestions."""
    ws = workspace()
    pid = projects.resolve_project(ws, project)
    emit(prelabel.assistance_report(ws, pid), as_json, print_assistance)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def print_assistance(r: dict[str, Any]) -> None:
    """The assistance report: one row per model version, then unassisted time."""
    rows = []
    for m in r["models"]:
        c = m["counts"]
        kept = c["boxes_kept"] + c["spans_kept"] + c["classes_kept"]
        changed = (
            c["boxes_moved"]
            + c["boxes_relabeled"]
            + c["spans_resized"]
            + c["spans_relabeled"]
            + c["classes_changed"]
        )
        deleted = c["boxes_deleted"] + c["spans_deleted"] + c["classes_deleted"]
        added = c["boxes_added"] + c["spans_added"] + c["classes_added"]
        rows.append(
            [
                f"{m['model_name']}@{m['model_version']}",
                m["items"],
                kept,
                changed,
                deleted,
                added,
                _share(m["final_share"]),
                _seconds(m["median_seconds"]),
            ]
        )
    columns = ["model", "items", "kept", "changed", "deleted", "added"]
    table(columns + ["final right", "time/item"], rows, title="Assistance")
    for m in r["models"]:
        if m.get("rejected"):
            console.print(
                f"{m['model_name']}@{m['model_version']}: {m['rejected']} of these "
                "post-edits rejected in review (counted above)"
            )
    console.print(
        f"Without suggestions: {r['unassisted_items']} items, "
        f"median {_seconds(r['unassisted_median_seconds'])} per item"
    )


def retrain_cmd(
    project: str = typer.Argument(..., help="Project name or id."),
    option: list[str] = typer.Option(
        [], "--option", "-o", help="Classifier option KEY=VALUE (c, seed)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Retrain the text classifier now; print its held-out accuracy."""
    ws = workspace()
    pid = projects.resolve_project(ws, project)
    report = prelabel.retrain(ws, pid, options=parse_pairs(option, "--option"))
    data = {**report.as_dict(), "curve": prelabel.learning_curve(ws, pid)}
    emit(data, as_json, _print_retrain)


def _print_retrain(r: dict[str, Any]) -> None:
    rows = [
        [p["labelled"], p["trained_on"], p["held_out"], _share(p["accuracy"])]
        for p in r["curve"]
    ]
    table(["labelled", "trained on", "held out", "accuracy"], rows, "Learning curve")
    console.print(f"Model {r['model_name']}@{r['model_version']}")
    if r["reranked"]:
        console.print(f"Queue reordered by uncertainty: {r['reranked']} open items")


def worker_cmd(
    drain: bool = typer.Option(
        False, "--drain", help="Stop when no job is queued instead of waiting."
    ),
    poll: float = typer.Option(
        1.0, "--poll", min=0.01, max=3600, help="Seconds between looks."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Run queued jobs (pre-label, retrain, ...) until stopped."""
    from annotary.cli.common import load_job_handlers

    load_job_handlers()
    ws = workspace()
    ran: list[int] = []
    try:
        while True:
            job_id = run_next(ws.db, {"workspace": ws})
            if job_id is not None:
                ran.append(job_id)
                continue
            if drain:
                break
            time.sleep(poll)
    except KeyboardInterrupt:
        pass
    emit(
        {"jobs": [get_job(ws.db, i)["state"] for i in ran], "ids": ran},
        as_json,
        lambda d: console.print(f"Ran {len(d['ids'])} jobs: {', '.join(d['jobs'])}"),
    )


def register(app: typer.Typer) -> None:
    """Add the model-assisted labeling verbs to the root app."""
    app.command("prelabel")(guarded(prelabel_cmd))
    app.command("assistance")(guarded(assistance_cmd))
    app.command("retrain")(guarded(retrain_cmd))
    app.command("worker")(guarded(worker_cmd))
