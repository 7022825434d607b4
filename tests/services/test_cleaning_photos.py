"""Proof on real data: the demo photos and degraded copies of each."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest
from PIL import Image, ImageFilter, ImageOps
from sqlalchemy import select

from annotary.services import annotations, cleaning, projects, queue, splits
from annotary.services.demo import demo_photos
from annotary.services.imports import import_paths
from annotary.services.workspace import Workspace
from annotary.storage import tables as t
from tests.services.helpers import member

pytest.importorskip("skimage.data", reason="the demo photos need scikit-image")

Degrade = Callable[[Image.Image], Image.Image]


def _crop(image: Image.Image) -> Image.Image:
    # 5% of the width and of the height cut away, half on each side.
    dx, dy = round(image.width * 0.025), round(image.height * 0.025)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


DEGRADED: dict[str, Degrade] = {
    "blur": lambda im: im.filter(ImageFilter.GaussianBlur(radius=4)),
    "half": lambda im: im.resize((im.width // 2, im.height // 2)),
    "jpeg30": lambda im: im,  # the re-encoding is the degradation
    "crop": _crop,
    "mirror": ImageOps.mirror,
}


def _write_copies(photos: list[Path], folder: Path) -> dict[str, str]:
    """Every degraded copy; file name -> the name of its original."""
    original_of: dict[str, str] = {}
    for path in photos:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        for suffix, degrade in DEGRADED.items():
            name = f"{path.stem}__{suffix}.jpg"
            quality = 30 if suffix == "jpeg30" else 92
            degrade(image).save(folder / name, quality=quality)
            original_of[name] = path.name
        original_of[path.name] = path.name
    return original_of


@pytest.fixture
def photo_project(
    workspace: Workspace, tmp_path: Path
) -> tuple[int, dict[int, str], dict[str, str]]:
    folder = tmp_path / "photos"
    photos = [path for path, _ in demo_photos(folder)]
    original_of = _write_copies(photos, folder)
    project = projects.create_project(workspace, "Photos", "image")

    report = import_paths(workspace, project.id, [folder])

    assert report.added == len(original_of)
    with workspace.db.read() as conn:
        rows = conn.execute(
            select(t.items.c.id, t.items.c.media).where(
                t.items.c.project_id == project.id
            )
        ).all()
    names = {item_id: Path(media["original_name"]).name for item_id, media in rows}
    return project.id, names, original_of


def _groups(ws: Workspace, pid: int) -> list[set[int]]:
    """Clusters of every check, merged where they share an item."""
    groups: list[set[int]] = []
    for cluster in cleaning.clusters(ws, pid):
        members = {m["item_id"] for m in cluster["members"]}
        touching = [g for g in groups if g & members]
        for group in touching:
            members |= group
            groups.remove(group)
        groups.append(members)
    return groups


def test_degraded_copies_cluster_with_their_original(
    workspace: Workspace, photo_project: tuple[int, dict[int, str], dict[str, str]]
) -> None:
    pid, names, original_of = photo_project

    report = cleaning.run_cleaning(workspace, pid)

    groups = _groups(workspace, pid)
    group_of = {item: n for n, group in enumerate(groups) for item in group}
    origin = {item: original_of[name] for item, name in names.items()}
    mirrored_found = _mirror_invariant(report)
    expected = {
        pair
        for pair in combinations(sorted(names), 2)
        if origin[pair[0]] == origin[pair[1]]
        and (mirrored_found or not any("__mirror" in names[i] for i in pair))
    }
    found = {
        pair
        for pair in combinations(sorted(names), 2)
        if pair[0] in group_of and group_of.get(pair[0]) == group_of.get(pair[1])
    }
    true_positive = len(found & expected)
    precision = true_positive / len(found) if found else 0.0
    recall = true_positive / len(expected)
    print(
        f"\nduplicate finder on {len(names)} photos: precision {precision:.3f}, "
        f"recall {recall:.3f} ({len(found)} pairs found, {len(expected)} true; "
        f"mirrored copies {'found' if mirrored_found else 'not expected'})"
    )

    for item, name in names.items():
        if name == origin[item] or ("__mirror" in name and not mirrored_found):
            continue
        original = next(i for i, n in names.items() if n == origin[item])
        assert group_of.get(item) is not None, f"{name} is in no cluster"
        assert group_of[item] == group_of.get(original), f"{name} left its original"
    originals = [i for i, n in names.items() if n == origin[i]]
    clustered = [group_of[i] for i in originals if i in group_of]
    assert len(clustered) == len(set(clustered)), "two demo photos share a cluster"

    blurred = {i for i, n in names.items() if n.endswith("__blur.jpg")}
    flagged = cleaning.list_flags(workspace, pid, check="blur")["flags"]
    assert blurred <= {flag["item_id"] for flag in flagged}


def _mirror_invariant(report: dict[str, object]) -> bool:
    checks = report["checks"]
    assert isinstance(checks, list)
    (near,) = [c for c in checks if c["name"] == "near-duplicate-images.v1"]
    return near["params"].get("mirror_distance") is not None


def test_suggestions_keep_one_per_cluster_for_queue_and_splits(
    workspace: Workspace, photo_project: tuple[int, dict[int, str], dict[str, str]]
) -> None:
    pid, names, _ = photo_project
    cleaning.run_cleaning(workspace, pid)
    groups = _groups(workspace, pid)
    _assert_clusters_stay_in_one_split(workspace, pid, groups)

    cleaning.apply_suggestions(workspace, pid)

    with workspace.db.read() as conn:
        kept = set(
            conn.execute(
                select(t.items.c.id).where(
                    (t.items.c.project_id == pid) & ~t.items.c.excluded
                )
            ).scalars()
        )
    for group in groups:
        assert len(group & kept) == 1, f"cluster {sorted(group)} keeps {group & kept}"
    ann = member(workspace, pid, "ann", "annotator")
    served = []
    while (item := queue.next_item(workspace, pid, ann)) is not None:
        served.append(item.id)
        annotations.create_annotation(workspace, item.id, [], actor=ann)
    assert sorted(served) == sorted(kept)


def _assert_clusters_stay_in_one_split(
    ws: Workspace, pid: int, groups: list[set[int]]
) -> None:
    splits.split_project(ws, pid, ratios={"train": 0.5, "test": 0.5})

    with ws.db.read() as conn:
        split_of = dict(
            conn.execute(
                select(t.items.c.id, t.items.c.split).where(t.items.c.project_id == pid)
            ).all()
        )
    assert set(split_of.values()) == {"train", "test"}
    for group in groups:
        assert len({split_of[i] for i in group}) == 1, f"cluster {sorted(group)} split"
