"""``annotary quality``, ``consensus``, ``label-errors`` and ``gold``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from annotary.cli.common import (
    JsonOption,
    LazyModule,
    console,
    emit,
    guarded,
    table,
    workspace,
)
from annotary.core.ids import MAX_VERSION
from annotary.services import projects

quality = LazyModule("annotary.services.quality")
gold = LazyModule("annotary.services.gold")
prelabel = LazyModule("annotary.services.prelabel")


def register(app: typer.Typer) -> None:
    """Add the quality commands to the root CLI."""
    app.command("quality")(guarded(quality_command))
    app.command("consensus")(guarded(consensus_command))
    app.command("label-errors")(guarded(label_errors_command))
    app.command("gold")(guarded(gold_command))


def quality_command(
    project: str = typer.Argument(..., help="Project name or id."),
    guideline_version: int | None = typer.Option(
        None,
        "--guideline-version",
        min=1,
        max=MAX_VERSION,
        help="Only work done under this guideline (versions start at 1).",
    ),
    iou_threshold: float = typer.Option(
        0.5, "--iou", min=0.0, max=1.0, help="Least IoU of a match (0 to 1)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Agreement, gold accuracy, rejection rate, annotator cards, model assistance."""
    ws = workspace()
    try:
        pid = projects.resolve_project(ws, project)
        report = quality.quality_report(
            ws, pid, guideline_version=guideline_version, iou_threshold=iou_threshold
        )
        report["assistance"] = prelabel.assistance_report(ws, pid)
    finally:
        ws.close()
    emit(report, as_json, print_report)


def gold_command(
    project: str = typer.Argument(..., help="Project name or id."),
    path: Path = typer.Argument(
        ...,
        help="JSONL: one object per item with item_id or external_id, and "
        "label, labels or regions.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Import gold answers; the queue mixes gold items in at the project's rate."""
    ws = workspace()
    try:
        pid = projects.resolve_project(ws, project)
        report = gold.import_gold(ws, pid, path)
    finally:
        ws.close()
    emit(report, as_json, _print_gold_import)
    if not report["stored"]:
        if not as_json:
            why = (
                f"{len(report['rejected'])} lines rejected"
                if report["rejected"]
                else "the file has no answers"
            )
            console.print(f"nothing stored from {path}: {why}")
        raise typer.Exit(1)


def _print_gold_import(report: dict[str, Any]) -> None:
    console.print(f"{report['stored']} gold answers stored from {report['file']}")
    if report["rejected"]:
        table(
            ["line", "why it was left out"],
            [[r["line"], r["reason"]] for r in report["rejected"]],
        )


def consensus_command(
    project: str = typer.Argument(..., help="Project name or id."),
    method: str = typer.Option(
        "majority", "--method", help="majority or dawid_skene (classes)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Store one consensus annotation per item labelled by two or more people."""
    ws = workspace()
    try:
        pid = projects.resolve_project(ws, project)
        report = quality.create_consensus(ws, pid, method)
    finally:
        ws.close()
    emit(report, as_json, _print_consensus)


def label_errors_command(
    project: str = typer.Argument(..., help="Project name or id."),
    top: int = typer.Option(50, "--top", help="How many suspects to flag."),
    as_json: bool = JsonOption,
) -> None:
    """Rank likely label errors and send them to the review queue."""
    ws = workspace()
    try:
        pid = projects.resolve_project(ws, project)
        suspects = quality.find_label_errors(ws, pid, top=top)
    finally:
        ws.close()
    emit(suspects, as_json, _print_suspects)


def fmt(entry: dict[str, Any] | None, digits: int = 3, why: bool = False) -> str:
    """A metric for a table cell: the value, or "n/a" (with the reason if ``why``)."""
    if entry is None:
        return "-"
    if entry.get("value") is None:
        return f"n/a ({entry.get('undefined', 'undefined')})" if why else "n/a"
    return f"{entry['value']:.{digits}f}"


def print_report(report: dict[str, Any]) -> None:
    """The quality report as readable tables."""
    p, counts = report["project"], report["counts"]
    version = report["filters"]["guideline_version"]
    console.print(
        f"[bold]{p['name']}[/] (id {p['id']}, {p['kind']})"
        + (f", guideline v{version}" if version else "")
    )
    console.print(", ".join(f"{k} {v}" for k, v in counts.items()))
    for kind, part in report["agreement"].items():
        table(
            ["metric", "value", "n", "note"],
            [
                [name, fmt(m), m["n"], m.get("undefined", "")]
                for name, m in part["overall"].items()
            ],
            title=f"Agreement ({kind})",
        )
        console.print(f"items where annotators disagree: {len(part['disagreements'])}")
        rows = [
            [label, *(fmt(m) for k, m in values.items() if isinstance(m, dict))]
            for label, values in part["per_label"].items()
        ]
        if rows:
            names = [
                k
                for k, m in next(iter(part["per_label"].values())).items()
                if isinstance(m, dict)
            ]
            table(["label", *names], rows, title=f"Agreement per label ({kind})")
    _print_versions(report)
    _print_gold_and_reviews(report)
    _print_cards(report["annotators"])
    if "assistance" in report:
        from annotary.cli.prelabel import print_assistance

        print_assistance(report["assistance"])


HEADLINE = {
    "classes": "krippendorff_alpha",
    "boxes": "f1",
    "shapes": "f1",
    "spans": "exact_f1",
    "transcripts": "wer",
}


def _print_versions(report: dict[str, Any]) -> None:
    """Headline agreement and gold accuracy per guideline version."""
    versions = report.get("per_guideline_version") or {}
    if not versions:
        return
    kinds = list(dict.fromkeys(k for v in versions.values() for k in v["agreement"]))
    table(
        ["version", "annotations", *(f"{k} {HEADLINE.get(k, 'f1')}" for k in kinds)]
        + ["gold accuracy"],
        [
            [
                f"v{version}",
                part["annotations"],
                *(
                    fmt(part["agreement"].get(k, {}).get(HEADLINE.get(k, "f1")))
                    for k in kinds
                ),
                fmt(part["gold"]["overall"]),
            ]
            for version, part in versions.items()
        ],
        title="By guideline version",
    )


def _print_gold_and_reviews(report: dict[str, Any]) -> None:
    gold = report["gold"]
    table(
        ["annotator", "gold accuracy", "answered", "wrong items"],
        [
            [name, fmt(m), m["n"], " ".join(map(str, m["wrong"][:10]))]
            for name, m in gold["per_annotator"].items()
        ],
        title="Gold accuracy",
    )
    console.print(f"gold accuracy overall: {fmt(gold['overall'], why=True)}")
    rejection = report["rejection"]
    console.print(
        f"rejection rate: {fmt(rejection['rate'], why=True)} "
        f"({rejection['reviewed']} reviewed)"
    )


def _print_cards(cards: list[dict[str, Any]]) -> None:
    table(
        ["annotator", "annotations", "items/h", "median lead s", "agree", "gold"],
        [
            [
                c["annotator"],
                c["annotations"],
                fmt(c["items_per_hour"], 1),
                fmt(c["median_lead_time"], 1),
                fmt(c["agreement_with_others"]),
                fmt(c["gold_accuracy"]),
            ]
            for c in cards
        ],
        title="Annotators",
    )


def _print_consensus(report: dict[str, Any]) -> None:
    console.print(
        f"consensus ({report['method']}): {report['created']} items, "
        f"{report['replaced']} older consensus annotations replaced, "
        f"{len(report['ties'])} ties skipped, "
        f"{len(report['skipped_single'])} items with one annotator"
    )
    for tie in report["ties"][:20]:
        console.print(f"  tie on item {tie['item_id']}: {', '.join(tie['labels'])}")


def _print_suspects(suspects: list[dict[str, Any]]) -> None:
    table(
        ["rank", "item", "given", "suggested", "p(given)"],
        [
            [
                s["rank"],
                s["item_id"],
                s["given"],
                s["suggested"],
                f"{s['self_confidence']:.3f}",
            ]
            for s in suspects
        ],
        title=f"{len(suspects)} likely label errors (sent to review)",
    )
