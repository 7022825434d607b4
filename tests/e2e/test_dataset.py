"""A manager splits a project and snapshots it in the browser; the numbers the
screen shows must equal what the API (the services) holds."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from typing import Any

from tests.e2e.conftest import Shots, login

# Eight pos, five neg, one "rare" (fewer examples than three splits), one unlabelled.
LABELS = ["pos"] * 8 + ["neg"] * 5 + ["rare", None]


def _setup(page: Any) -> tuple[int, list[int], dict[str, str]]:
    csrf = page.request.get("/api/v1/auth/me").json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    schema = {"labels": [{"name": "pos"}, {"name": "neg"}, {"name": "rare"}]}
    project = page.request.post(
        "/api/v1/projects",
        data={"name": "E2E dataset", "kind": "text", "label_schema": schema},
        headers=headers,
    ).json()
    pid = project["id"]
    lines = "".join(f"sentence number {n} of the set\n" for n in range(len(LABELS)))
    upload = {"name": "set.txt", "mimeType": "text/plain", "buffer": lines.encode()}
    done = page.request.post(
        f"/api/v1/projects/{pid}/imports", multipart={"files": upload}, headers=headers
    )
    assert done.ok, done.text()
    rows = page.request.get(f"/api/v1/projects/{pid}/items?limit=100").json()["items"]
    ids = sorted(row["id"] for row in rows)
    assert len(ids) == len(LABELS)
    for item_id, label in zip(ids, LABELS, strict=True):
        if label is not None:
            made = page.request.post(
                f"/api/v1/items/{item_id}/annotations",
                data={"regions": [{"type": "class", "label": label}]},
                headers=headers,
            )
            assert made.ok, made.text()
    return pid, ids, headers


def _cell(page: Any, testid: str, column: int) -> str:
    return str(page.get_by_test_id(testid).locator("td").nth(column).inner_text())


def test_split_and_snapshot_in_the_browser(page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    login(page, "admin")
    pid, ids, headers = _setup(page)
    page.goto("/#/projects")
    page.reload()  # the list was loaded before the project was made
    page.get_by_test_id(f"project-{pid}").get_by_role(
        "link", name="Splits and snapshots"
    ).click()
    page.get_by_role("heading", name="Dataset · E2E dataset").wait_for()
    expect(page.get_by_test_id("split-unassigned")).to_have_text(str(len(ids)))

    # Make a split: stratified, 60/20/20, seed 11.
    page.get_by_role("button", name="Make a split…").click()
    dialog = page.get_by_role("dialog", name="Make a split")
    dialog.get_by_label("Strategy").select_option("stratified")
    for n, share in enumerate(["60", "20", "20"], start=1):
        dialog.get_by_label(f"Split {n} share").fill(share)
    dialog.get_by_label("Seed").fill("11")
    dialog.get_by_role("button", name="Preview").click()
    dialog.get_by_role("heading", name="Preview (not stored)").wait_for()
    dialog.get_by_role("button", name="Apply split").click()
    dialog.get_by_role("heading", name="Stored").wait_for()
    shots(page, "split-dialog")

    stored = page.request.get(f"/api/v1/projects/{pid}/items?limit=100").json()
    truth = Counter(row["split"] for row in stored["items"])
    summary = page.request.get(f"/api/v1/projects/{pid}/splits").json()
    assert summary["counts"] == dict(truth) and sum(truth.values()) == len(ids)
    for name in ("train", "val", "test"):
        assert _cell(page, f"result-{name}", 1) == str(truth[name])
    # The same request through the API (a preview) gives the numbers shown.
    again = page.request.post(
        f"/api/v1/projects/{pid}/splits",
        data={
            "strategy": "stratified",
            "ratios": {"train": 0.6, "val": 0.2, "test": 0.2},
            "seed": 11,
            "preview": True,
        },
        headers=headers,
    ).json()
    assert again["counts"] == dict(truth)
    labels = sorted({label for label in LABELS if label})
    for name in ("train", "val", "test"):
        for column, label in enumerate(labels, start=2):
            want = again["by_label"][name].get(label, 0)
            assert _cell(page, f"result-{name}", column) == str(want)
    # The rare label goes to train, and the dialog says so.
    expect(dialog.get_by_test_id("split-warning")).to_have_text(
        "⚠ labels with fewer examples than the 3 splits go to train: rare (1)"
    )
    assert again["by_label"]["train"]["rare"] == 1
    expect(dialog.get_by_test_id("leakage")).to_contain_text("No duplicates cross")
    dialog.get_by_role("button", name="Close").click()
    for name in ("train", "val", "test"):
        expect(page.get_by_test_id(f"split-{name}").locator("td").nth(1)).to_have_text(
            str(truth[name])
        )
    expect(page.get_by_test_id("split-unassigned")).to_have_text("0")

    # Snapshot v1 in JSONL, then exclude an item and take v2.
    page.get_by_label("Snapshot format").select_option("jsonl.v1")
    page.get_by_role("button", name="Create snapshot").click()
    row = page.get_by_test_id("snapshot-v1")
    row.wait_for()
    snaps = page.request.get(f"/api/v1/projects/{pid}/snapshots").json()
    v1 = snaps[0]
    assert v1["counts"] == {"items": len(ids), "annotations": len(ids) - 1}
    expect(row.locator("td").nth(3)).to_have_text(str(v1["counts"]["items"]))
    expect(row.locator("td").nth(4)).to_have_text(str(v1["counts"]["annotations"]))
    expect(row.locator("td").nth(6)).to_have_text(v1["manifest_sha256"][:12])

    row.get_by_role("button", name="Manifest").click()
    manifest = page.get_by_test_id("manifest")
    expect(manifest.get_by_test_id("manifest-items")).to_have_text(str(len(ids)))
    expect(manifest).to_contain_text(v1["manifest_sha256"])
    shots(page, "manifest")

    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    data = info.value.path().read_bytes()
    files = json.loads(
        page.request.get(f"/api/v1/snapshots/{v1['id']}/manifest").text()
    )["files"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert set(zf.namelist()) == {"manifest.json", *files}
        for name, digest in files.items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest

    gone = ids[0]
    done = page.request.post(
        f"/api/v1/projects/{pid}/items/bulk",
        data={"ids": [gone], "action": "exclude"},
        headers=headers,
    )
    assert done.ok, done.text()
    page.get_by_label("Snapshot name").fill("without-first")
    page.get_by_role("button", name="Create snapshot").click()
    # The native JSONL keeps the excluded item, marked: the row says so.
    expect(
        page.get_by_test_id("snapshot-without-first").locator("td").nth(3)
    ).to_have_text(f"{len(ids)} (1 excluded)")
    page.get_by_role("button", name="Compare").click()
    diff = page.get_by_test_id("diff")
    # The native JSONL keeps excluded items (marked so): the item changed.
    want = {"items-changed": 1, "items-removed": 0, "items-added": 0}
    want |= {"annotations-edited": 0, "annotations-removed": 0}
    for what, count in want.items():
        cells = diff.get_by_test_id(f"diff-{what}").locator("td")
        expect(cells.nth(1)).to_have_text(str(count))
    expect(diff.get_by_test_id("diff-items-changed")).to_contain_text(f"#{gone}")
    v2 = page.request.get(f"/api/v1/projects/{pid}/snapshots").json()[-1]
    api_diff = page.request.get(f"/api/v1/snapshots/{v1['id']}/diff/{v2['id']}").json()
    assert api_diff["items_changed"] == [gone] and api_diff["items_removed"] == []
    shots(page, "diff")

    # Export from the browser: the report shown is the server's.
    page.get_by_label("Export format").select_option("csv.v1")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export and download").click()
    assert info.value.suggested_filename == "E2E-dataset-csv.v1.csv"
    report = page.get_by_test_id("export-report")
    expect(report.get_by_test_id("export-items")).to_have_text(str(len(ids) - 1))
    expect(report.get_by_test_id("export-annotations")).to_have_text(str(len(ids) - 2))
    shots(page, "export")
