"""Splits, leakage, snapshots and exports over HTTP, on both backends."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from annotary.core.models import ImportReport, ItemDraft
from annotary.services import annotations, projects, users
from annotary.services.imports import import_drafts

API = "/api/v1"
# Six pos, four neg, one "rare" (fewer examples than two splits), one unlabelled.
LABELS = ["pos"] * 6 + ["neg"] * 4 + ["rare", None]


@dataclass
class Setup:
    pid: int
    ids: list[int]
    manager: httpx.Client
    reviewer: httpx.Client
    ws: Any


def _import(ws: Any, pid: int, drafts: list[ItemDraft]) -> None:
    report = ImportReport(project="p")
    import_drafts(ws, pid, drafts, report=report)
    assert report.added == len(drafts), report


@pytest.fixture
def setup(live: Any) -> Any:
    ws = live.workspace
    schema = {"labels": [{"name": "pos"}, {"name": "neg"}, {"name": "rare"}]}
    project = projects.create_project(ws, "ds", "text", label_schema=schema)
    drafts = [
        ItemDraft(
            text=f"text number {n}",
            content_hash=f"hash-{n}",
            meta={"patient": "ABC"[n % 3]},
        )
        for n in range(len(LABELS))
    ]
    _import(ws, project.id, drafts)
    clients = {}
    for role, name in [("manager", "mia"), ("reviewer", "rob")]:
        user = users.create_user(ws, name, None)
        users.set_role(ws, project.id, user.id, role)
        clients[role] = live.client(users.create_token(ws, user))
    rows = clients["manager"].get(f"{API}/projects/{project.id}/items").json()["items"]
    ids = sorted(row["id"] for row in rows)
    for item_id, label in zip(ids, LABELS, strict=True):
        if label is not None:
            annotations.create_annotation(
                ws, item_id, [{"type": "class", "label": label}]
            )
    yield Setup(project.id, ids, clients["manager"], clients["reviewer"], ws)
    for client in clients.values():
        client.close()


def _stored_splits(client: httpx.Client, pid: int) -> dict[int, str | None]:
    rows = client.get(f"{API}/projects/{pid}/items?limit=500").json()["items"]
    return {row["id"]: row["split"] for row in rows}


def test_stratified_split_is_stored_counted_and_repeatable(setup: Setup) -> None:
    body = {"strategy": "stratified", "ratios": {"train": 0.5, "test": 0.5}, "seed": 7}
    made = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=body)
    assert made.status_code == 200, made.text
    result = made.json()
    assert result["stored"] is True
    # "rare" has one example, fewer than the two splits: train, with a warning.
    assert result["warnings"] == [
        "labels with fewer examples than the 2 splits go to train: rare (1)"
    ]
    # Iterative stratification halves each label: 3 + 3 pos, 2 + 2 neg.
    assert result["by_label"] == {
        "train": {"pos": 3, "neg": 2, "rare": 1},
        "test": {"pos": 3, "neg": 2},
    }
    stored = _stored_splits(setup.reviewer, setup.pid)
    assert result["counts"] == dict(Counter(stored.values()))
    assert sum(result["counts"].values()) == 12
    # 6 labelled + the rare one, and the unlabelled item goes to either side.
    assert result["counts"]["train"] in (6, 7)
    assert stored[setup.ids[10]] == "train"

    summary = setup.reviewer.get(f"{API}/projects/{setup.pid}/splits").json()
    assert summary == {
        "counts": dict(sorted(result["counts"].items())),
        "unassigned": 0,
        "excluded": 0,
    }
    # The same seed gives the same assignment; a preview stores nothing.
    again = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=body)
    assert again.json()["counts"] == result["counts"]
    assert _stored_splits(setup.manager, setup.pid) == stored
    other = {**body, "seed": 8, "preview": True, "ratios": {"a": 1, "b": 3}}
    preview = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=other)
    assert preview.json()["stored"] is False
    assert set(preview.json()["counts"]) == {"a", "b"}
    assert _stored_splits(setup.manager, setup.pid) == stored


def test_group_key_keeps_a_patient_in_one_split(setup: Setup) -> None:
    body = {"ratios": {"train": 2, "val": 1}, "seed": 1, "group_by": "patient"}
    result = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=body)
    assert result.status_code == 200, result.text
    stored = _stored_splits(setup.manager, setup.pid)
    by_patient: dict[str, set[str | None]] = {}
    for n, item_id in enumerate(setup.ids):
        by_patient.setdefault("ABC"[n % 3], set()).add(stored[item_id])
    assert all(len(splits) == 1 for splits in by_patient.values())
    # Three patients of four items each: counts are multiples of four.
    assert sorted(result.json()["counts"].values()) in ([4, 8], [0, 12])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group_by": "no-such-key"}, "group_by"),
        ({"ratios": {"train": -1, "test": 1}}, "ratios"),
        ({"ratios": {"bad name!": 1}}, "ratios"),
        ({"ratios": {"a" * 21: 1}}, "ratios"),
        ({"ratios": {"None": 0.5, "val": 0.5}}, "ratios"),
        ({"ratios": {"train": 0, "test": 0}}, "ratios"),
        ({"ratios": {"train": 1e308, "val": 1e308}}, "ratios"),
        ({"strategy": "alphabetical"}, "strategy"),
    ],
)
def test_bad_split_requests_name_the_field(
    setup: Setup, body: dict[str, Any], field: str
) -> None:
    got = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=body)
    assert got.status_code == 422, got.text
    assert field in json.dumps(got.json())


def test_shares_that_do_not_add_up_are_weights_with_a_warning(setup: Setup) -> None:
    body = {"ratios": {"train": 0.8, "val": 0.3, "test": 0.2}, "preview": True}
    got = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=body)
    assert got.status_code == 200, got.text
    assert (
        "the shares add up to 1.3, not 1; read as weights: "
        "train 61.5%, val 23.1%, test 15.4%"
    ) in got.json()["warnings"]
    exact = {"ratios": {"train": 0.7, "test": 0.3}, "preview": True}
    got = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=exact)
    assert not [w for w in got.json()["warnings"] if "add up" in w]


def test_leakage_finds_a_cluster_across_splits_and_a_split_mends_it(
    setup: Setup,
) -> None:
    from annotary.services import cleaning

    extra = [
        ItemDraft(text="Ada Lovelace wrote the program.", content_hash="ada-1"),
        ItemDraft(text="ADA LOVELACE wrote the program.", content_hash="ada-2"),
    ]
    _import(setup.ws, setup.pid, extra)
    rows = setup.manager.get(f"{API}/projects/{setup.pid}/items?q=Lovelace").json()
    first, second = sorted(row["id"] for row in rows["items"])
    cleaning.run_cleaning(setup.ws, setup.pid, checks=["exact-duplicates"])
    for item_id, split in ((first, "train"), (second, "test")):
        done = setup.manager.patch(f"{API}/items/{item_id}", json={"split": split})
        assert done.status_code == 200, done.text

    leaks = setup.reviewer.get(f"{API}/projects/{setup.pid}/leakage").json()
    assert leaks["exact"] == []
    assert [group["items"] for group in leaks["near"]] == [
        {str(first): "train", str(second): "test"}
    ]
    assert leaks["near"][0]["key"].startswith("exact-duplicates")

    body = {"ratios": {"train": 1, "test": 1}, "seed": 2, "by_clusters": True}
    result = setup.manager.post(f"{API}/projects/{setup.pid}/splits", json=body)
    assert result.json()["leakage"] == {"exact": [], "near": []}
    stored = _stored_splits(setup.manager, setup.pid)
    assert stored[first] == stored[second]
    assert setup.reviewer.get(f"{API}/projects/{setup.pid}/leakage").json() == {
        "exact": [],
        "near": [],
    }


def _zip_members(response: httpx.Response) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_snapshot_create_list_download_diff(setup: Setup) -> None:
    base = f"{API}/projects/{setup.pid}/snapshots"
    setup.manager.post(
        f"{API}/projects/{setup.pid}/splits", json={"seed": 4, "by_clusters": False}
    )
    made = setup.manager.post(base, json={"format": "jsonl"})
    assert made.status_code == 201, made.text
    v1 = made.json()
    assert (v1["name"], v1["format"]) == ("v1", "jsonl.v1")
    assert v1["counts"] == {"items": 12, "annotations": 11}
    splits = setup.manager.get(f"{API}/projects/{setup.pid}/splits").json()
    assert v1["splits"] == splits["counts"]

    listed = setup.reviewer.get(base).json()
    assert [s["id"] for s in listed] == [v1["id"]]
    assert setup.reviewer.get(f"{API}/snapshots/{v1['id']}").json() == v1
    manifest = setup.reviewer.get(f"{API}/snapshots/{v1['id']}/manifest").json()
    assert sorted(i["id"] for i in manifest["items"]) == setup.ids
    assert manifest["guideline_version"] == v1["guideline_version"]

    download = setup.reviewer.get(f"{API}/snapshots/{v1['id']}/download")
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    assert 'filename="ds-v1.zip"' in download.headers["content-disposition"]
    members = _zip_members(download)
    assert set(members) == {"manifest.json", *manifest["files"]}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(members[name]).hexdigest() == digest
    manifest_bytes = members["manifest.json"]
    assert hashlib.sha256(manifest_bytes).hexdigest() == v1["manifest_sha256"]
    assert json.loads(manifest_bytes) == manifest

    # Change one annotation, add an item, move one item to another split.
    first_ann = annotations.list_annotations(setup.ws, setup.ids[0])[0]
    annotations.update_annotation(
        setup.ws,
        first_ann.id or 0,
        version=first_ann.version,
        regions=[{"type": "class", "label": "neg"}],
    )
    _import(setup.ws, setup.pid, [ItemDraft(text="new one", content_hash="new")])
    moved = setup.ids[3]
    before = _stored_splits(setup.manager, setup.pid)[moved]
    after = "test" if before != "test" else "train"
    setup.manager.patch(f"{API}/items/{moved}", json={"split": after})
    v2 = setup.manager.post(base, json={"format": "jsonl", "name": "after-fix"}).json()
    assert v2["counts"] == {"items": 13, "annotations": 11}
    assert (v1["excluded"], v2["excluded"]) == (0, 0)

    diff = setup.reviewer.get(f"{API}/snapshots/{v1['id']}/diff/{v2['id']}").json()
    new_id = max(_stored_splits(setup.manager, setup.pid))
    assert diff["items_added"] == [new_id]
    assert diff["items_removed"] == []
    assert diff["annotations_edited"] == [first_ann.id]
    assert diff["annotations_added"] == diff["annotations_removed"] == []
    assert diff["split_changed"] == [{"item": moved, "before": before, "after": after}]
    assert diff["files_changed"] == ["export/annotary.jsonl"]

    # Duplicate names, unknown formats and snapshots are named errors.
    dup = setup.manager.post(base, json={"name": "after-fix"})
    assert dup.status_code == 409
    bad = setup.manager.post(base, json={"format": "no-such-format"})
    assert bad.status_code == 422
    assert bad.json()["details"]["field"] == "format"
    assert setup.manager.get(f"{API}/snapshots/999999").status_code == 404

    # The server's disk layout is not shown; a name may not hide its folder.
    assert "path" not in v1
    hidden = setup.manager.post(base, json={"name": ".hidden"})
    assert hidden.status_code == 422
    assert hidden.json()["details"]["field"] == "name"

    # A frozen file edited on disk makes the download refuse, naming the file.
    folder = setup.ws.root / "snapshots" / str(setup.pid) / v1["name"]
    (folder / "export" / "annotary.jsonl").write_text("tampered\n", encoding="utf-8")
    refused = setup.reviewer.get(f"{API}/snapshots/{v1['id']}/download")
    assert refused.status_code == 409
    assert refused.json()["details"]["changed"] == ["export/annotary.jsonl"]


def test_export_sends_its_report_and_lists_formats(setup: Setup) -> None:
    formats = setup.manager.get(f"{API}/projects/{setup.pid}/exports/formats").json()
    names = [f["name"] for f in formats]
    assert {"conll.v1", "jsonl.v1", "csv.v1"} <= set(names)
    assert "coco.v1" not in names and "yolo.v1" not in names
    got = setup.manager.post(
        f"{API}/projects/{setup.pid}/exports", json={"format": "csv"}
    )
    assert got.status_code == 200, got.text
    report = json.loads(got.headers["x-annotary-export-report"])
    assert (report["format"], report["items"], report["annotations"]) == (
        "csv.v1",
        12,
        11,
    )
    assert report["warnings_total"] == len(report["warnings"])
    assert got.content.decode("utf-8").count("\n") >= 13
