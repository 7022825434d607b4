"""Splits, snapshots and exports through the SDK against a live server."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotary import errors
from annotary.client import Client
from annotary.core import ClassRegion
from annotary.services import users


@pytest.fixture
def client(live: Any) -> Iterator[Client]:
    user = users.create_user(live.workspace, "root", None, is_admin=True)
    with Client(live.url, users.create_token(live.workspace, user)) as sdk:
        yield sdk


@pytest.fixture
def project(client: Client, tmp_path: Path) -> tuple[int, list[int]]:
    """Eight texts: five "pos", three "neg", all annotated."""
    made = client.create_project(
        "sdk-ds", "text", label_schema={"labels": [{"name": "pos"}, {"name": "neg"}]}
    )
    source = tmp_path / "rows.txt"
    source.write_text("".join(f"row {i}\n" for i in range(8)), encoding="utf-8")
    assert client.import_files(made.id, [source]).added == 8
    ids = [item.id for item in client.items(made.id)]
    for n, item_id in enumerate(ids):
        client.submit(item_id, [ClassRegion(label="pos" if n < 5 else "neg")])
    return made.id, ids


def test_split_through_the_sdk(client: Client, project: tuple[int, list[int]]) -> None:
    pid, ids = project
    preview = client.split(pid, ratios={"a": 1, "b": 1}, stratify=True, preview=True)
    assert preview["stored"] is False
    assert client.splits(pid) == {"counts": {}, "unassigned": 8, "excluded": 0}

    result = client.split(pid, ratios={"a": 1, "b": 1}, seed=5, stratify=True)
    # neg: 3 items, one more than the splits: 2 + 1; pos: 5 items: 3 + 2.
    per_label = sorted(
        (labels.get("pos", 0), labels.get("neg", 0))
        for labels in result["by_label"].values()
    )
    assert per_label in ([(2, 1), (3, 2)], [(2, 2), (3, 1)])
    stored = Counter(item.split for item in client.items(pid))
    assert result["counts"] == dict(stored)
    assert client.splits(pid)["counts"] == dict(sorted(stored.items()))
    assert client.leakage(pid) == {"exact": [], "near": []}
    with pytest.raises(errors.InvalidInput, match="metadata key"):
        client.split(pid, group_by="nobody")


def test_snapshots_through_the_sdk(
    client: Client, project: tuple[int, list[int]], tmp_path: Path
) -> None:
    pid, ids = project
    client.split(pid, seed=1)
    first = client.create_snapshot(pid)
    assert first["counts"] == {"items": 8, "annotations": 8}
    assert sum(first["splits"].values()) == 8
    assert [s["name"] for s in client.snapshots(pid)] == ["v1"]
    assert client.snapshot(first["id"]) == first

    manifest = client.snapshot_manifest(first["id"])
    archive = client.download_snapshot(first["id"], tmp_path)
    assert archive == tmp_path / "sdk-ds-v1.zip"
    with zipfile.ZipFile(archive) as zf:
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
        raw = zf.read("manifest.json")
    assert hashlib.sha256(raw).hexdigest() == first["manifest_sha256"]

    client.bulk(pid, [ids[0]], "exclude")
    second = client.create_snapshot(pid, name="without-0", format="csv")
    assert second["format"] == "csv.v1"
    assert second["counts"] == {"items": 7, "annotations": 7}
    diff = client.snapshot_diff(first["id"], second["id"])
    assert diff["items_removed"] == [ids[0]]
    assert diff["annotations_removed"] == [manifest["items"][0]["annotations"][0][0]]
    with pytest.raises(errors.Conflict, match="without-0"):
        client.create_snapshot(pid, name="without-0")
    with pytest.raises(errors.NotFound):
        client.snapshot(10_000)


def test_export_keeps_the_report(
    client: Client, project: tuple[int, list[int]], tmp_path: Path
) -> None:
    pid, _ = project
    names = [f["name"] for f in client.export_formats(pid)]
    assert "conll.v1" in names and "coco.v1" not in names
    path = client.export(pid, "jsonl", tmp_path)
    assert client.last_export_report is not None
    assert client.last_export_report["items"] == 8
    assert client.last_export_report["annotations"] == 8
    lines = path.read_text(encoding="utf-8").splitlines()
    # The first line describes the project, then one line per item.
    assert len(lines) == 9
    assert [json.loads(line)["text"] for line in lines[1:]] == [
        f"row {i}" for i in range(8)
    ]
