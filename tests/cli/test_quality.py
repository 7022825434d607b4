"""The quality verbs: quality, consensus and label-errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotary.cli import app
from annotary.cli.common import state
from annotary.services import annotations, prelabel, projects
from annotary.services.items import list_items
from annotary.services.workspace import init_workspace, open_workspace
from tests.services.helpers import add_texts, member
from tests.services.test_quality import SCHEMA, cls, label_in_order

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    state.workspace_dir, state.json = None, False


def run(*args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args))
    assert (result.exit_code == 0) is ok, result.output
    return result.output


@pytest.fixture
def ws_dir(tmp_path: Path) -> str:
    """A workspace with project P: ann says pos pos neg neg, bob pos neg neg neg."""
    ws = init_workspace(tmp_path / "ws")
    project = projects.create_project(
        ws, "P", "text", label_schema=SCHEMA, settings={"overlap": 2}
    )
    add_texts(ws, project.id, ["good", "fine", "bad", "awful"])
    for name, labels in (("ann", "pos pos neg neg"), ("bob", "pos neg neg neg")):
        user = member(ws, project.id, name, "annotator")
        label_in_order(ws, project.id, user, cls(*labels.split()))
    ws.close()
    return str(tmp_path / "ws")


def test_quality_json_has_the_report(ws_dir: str) -> None:
    out = json.loads(run("-w", ws_dir, "quality", "P", "--json"))

    overall = out["agreement"]["classes"]["overall"]
    assert overall["percent_agreement"]["value"] == 0.75
    assert overall["cohen_kappa"]["value"] == pytest.approx(0.5)
    assert [c["annotator"] for c in out["annotators"]] == ["ann", "bob"]
    assert out["assistance"] == {
        "models": [],
        "unassisted_items": 8,
        "unassisted_median_seconds": 30.0,  # label_in_order: 30 s each
    }


def test_quality_prints_readable_tables(ws_dir: str) -> None:
    out = run("-w", ws_dir, "quality", "P")

    assert "Agreement (classes)" in out
    assert "items where annotators disagree: 1" in out
    assert "cohen_kappa" in out and "0.500" in out
    assert "rejection rate: n/a (no annotation has been reviewed)" in out
    assert "Annotators" in out
    assert "Assistance" in out and "Without suggestions: 8 items, median 30.0s" in out


def test_quality_for_a_guideline_version_without_work(ws_dir: str) -> None:
    out = json.loads(
        run("-w", ws_dir, "quality", "P", "--guideline-version", "9", "--json")
    )
    assert out["counts"]["annotations"] == 0 and out["agreement"] == {}


def test_consensus_reports_ties(ws_dir: str) -> None:
    out = json.loads(run("-w", ws_dir, "consensus", "P", "--json"))
    assert out["created"] == 3 and len(out["ties"]) == 1

    text = run("-w", ws_dir, "consensus", "P", "--method", "majority")
    assert "3 older consensus annotations replaced" in text
    assert "tie on item 2: neg, pos" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["consensus", "P", "--method", "mode"], "consensus method 'mode'"),
        (["label-errors", "P", "--top", "0"], "top must be at least 1"),
        (["quality", "nope"], "nope"),
    ],
)
def test_bad_input_is_one_clear_line(ws_dir: str, args: list[str], says: str) -> None:
    out = run("-w", ws_dir, *args, ok=False)
    assert says in out


def test_label_errors_say_which_label_is_too_rare(ws_dir: str) -> None:
    # Final labels: pos (1 item), tie (left out), neg, neg.
    out = run("-w", ws_dir, "label-errors", "P", ok=False)
    assert "label(s) pos have fewer than 2 items" in out


def test_quality_has_the_assistance_of_each_model_version(ws_dir: str) -> None:
    ws = open_workspace(Path(ws_dir))
    try:
        pid = projects.resolve_project(ws, "P")
        carl = member(ws, pid, "carl", "manager")
        more = add_texts(ws, pid, ["great", "dreadful"])
        prelabel.run_prelabel(ws, pid, "sklearn-text.v1", item_ids=more)
        kept = 0
        for item_id, label, seconds in zip(
            more, ["pos", "pos"], [3.0, 5.0], strict=True
        ):
            (suggestion,) = [
                a
                for a in annotations.list_annotations(ws, item_id)
                if a.origin == "model"
            ]
            annotations.create_annotation(
                ws,
                item_id,
                [{"type": "class", "label": label}],
                actor=carl,
                parent_id=suggestion.id,
                lead_time=seconds,
            )
            kept += suggestion.regions[0].label == label
    finally:
        ws.close()

    out = json.loads(run("-w", ws_dir, "quality", "P", "--json"))
    (model,) = out["assistance"]["models"]
    counts = model["counts"]
    assert model["model_name"] == "sklearn-text.v1" and model["items"] == 2
    assert (counts["classes_kept"], counts["classes_changed"]) == (kept, 2 - kept)
    assert model["median_seconds"] == 4.0
    assert out["assistance"]["unassisted_items"] == 8
    text = run("-w", ws_dir, "quality", "P")
    assert "Assistance" in text and "sklearn" in text


def test_quality_splits_by_guideline_version(ws_dir: str) -> None:
    from annotary.services import users
    from annotary.services.workspace import open_workspace

    ws = open_workspace(Path(ws_dir))
    pid = projects.resolve_project(ws, "P")
    projects.add_guideline(ws, pid, text="v2: irony counts as negative")
    add_texts(ws, pid, ["sure, great", "meh"])
    for name in ("ann", "bob"):
        label_in_order(ws, pid, users.find_user(ws, name), cls("neg", "pos"))
    ws.close()

    out = run("-w", ws_dir, "quality", "P")
    data = json.loads(run("-w", ws_dir, "quality", "P", "--json"))

    # v1: pairs (pos,pos) (pos,neg) (neg,neg) (neg,neg); 3 pos, 5 neg of 8
    # values: alpha = 1 - (2/8) / (2*3*5 / (8*7)) = 8/15. v2 agrees fully.
    versions = data["per_guideline_version"]
    alpha = versions["1"]["agreement"]["classes"]["krippendorff_alpha"]["value"]
    assert alpha == pytest.approx(8 / 15)
    assert versions["2"]["agreement"]["classes"]["krippendorff_alpha"]["value"] == 1
    table = out[out.index("By guideline version") :]
    rows = [line for line in table.splitlines() if line.startswith("│ v")]
    cells = [[cell.strip() for cell in row.split("│")[1:5]] for row in rows]
    assert cells == [["v1", "8", "0.533", "n/a"], ["v2", "4", "1.000", "n/a"]]


def test_gold_import_lands_good_lines_and_names_bad_ones(
    ws_dir: str, tmp_path: Path
) -> None:
    ws = open_workspace(Path(ws_dir))
    try:
        pid = projects.resolve_project(ws, "P")
        first, second, third, fourth = sorted(
            row["id"] for row in list_items(ws, pid)["items"]
        )
    finally:
        ws.close()
    lines = [
        json.dumps({"item_id": first, "label": "pos"}),
        json.dumps({"item_id": second, "labels": ["neg"]}),
        "{not json",
        json.dumps({"item_id": third, "label": "meh"}),
        "",
        json.dumps({"item_id": 999999, "label": "pos"}),
        json.dumps({"external_id": "nope", "label": "pos"}),
        json.dumps({"item_id": fourth}),
        json.dumps(
            {"item_id": fourth, "regions": [{"type": "class", "labels": ["neg"]}]}
        ),
    ]
    answers = tmp_path / "gold.jsonl"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")

    out = json.loads(run("-w", ws_dir, "gold", "P", str(answers), "--json"))

    assert out["stored"] == 3
    assert [(r["line"], r["reason"]) for r in out["rejected"]] == [
        (3, "not JSON: Expecting property name enclosed in double quotes at column 2"),
        (4, "regions[0]: label 'meh' is not in the schema (labels: neg, pos)"),
        (6, "item 999999 is not in this project"),
        (7, "no item with external_id 'nope' in this project"),
        (8, "give the answer as regions, label or labels"),
    ]
    # ann said pos pos neg neg, bob pos neg neg neg; gold: pos, neg, -, neg.
    gold = json.loads(run("-w", ws_dir, "quality", "P", "--json"))["gold"]
    assert gold["overall"]["value"] == pytest.approx(5 / 6)
    per = gold["per_annotator"].values()
    assert sorted(len(a["items"]) for a in per) == [3, 3]
    assert sorted(a["wrong"] for a in per) == [[], [second]]
    text = run("-w", ws_dir, "gold", "P", str(answers))
    assert "3 gold answers stored" in text and "not in the schema" in text


def test_gold_import_checks_regions_encoding_and_says_when_nothing_landed(
    ws_dir: str, tmp_path: Path
) -> None:
    ws = open_workspace(Path(ws_dir))
    try:
        pid = projects.resolve_project(ws, "P")
        first = min(row["id"] for row in list_items(ws, pid)["items"])
    finally:
        ws.close()
    answers = tmp_path / "gold.jsonl"
    answers.write_bytes(
        b"\xff\xfe not utf-8\n"
        + json.dumps({"item_id": first, "labels": []}).encode()
        + b"\n"
        + json.dumps(
            {"item_id": first, "regions": [{"type": "span", "start": 0, "end": 5000}]}
        ).encode()
        + b"\n"
    )
    out = json.loads(run("-w", ws_dir, "gold", "P", str(answers), "--json", ok=False))
    assert out["stored"] == 0
    assert [r["line"] for r in out["rejected"]] == [1, 2, 3]
    assert out["rejected"][0]["reason"] == "not valid UTF-8"
    assert "at least one label" in out["rejected"][1]["reason"]
    assert out["rejected"][2]["reason"].startswith("regions[0]:")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    text = run("-w", ws_dir, "gold", "P", str(empty), ok=False)
    assert "nothing stored" in text and "no answers" in text
