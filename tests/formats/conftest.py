"""Builders shared by the format tests: projects, items, images, a fake service."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from PIL import Image

from annotary.core import (
    Annotation,
    Item,
    ItemDraft,
    Label,
    LabelSchema,
    MediaRef,
    Project,
)
from annotary.formats.base import ExportContext, Record
from annotary.formats.paths import upright_size


def make_project(
    labels: Iterable[str] = ("cat", "dog"),
    tools: Iterable[str] = ("bbox",),
    kind: str = "image",
    keypoints: dict[str, list[str]] | None = None,
) -> Project:
    keypoints = keypoints or {}
    schema = LabelSchema(
        labels=[Label(name=n, keypoints=keypoints.get(n, [])) for n in labels],
        tools=list(tools),
    )
    return Project(id=1, name="demo", kind=kind, label_schema=schema)


def write_png(path: Path, width: int, height: int, shade: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (shade % 256, 40, 90)).save(path)
    return path


def image_item(
    item_id: int,
    width: int = 100,
    height: int = 80,
    name: str | None = None,
    split: str | None = None,
) -> Item:
    name = name or f"img{item_id}.png"
    digest = hashlib.sha256(name.encode()).hexdigest()
    media = MediaRef(
        path=f"{digest[:2]}/{digest}.png",
        sha256=digest,
        size=10,
        width=width,
        height=height,
        original_name=name,
    )
    return Item(id=item_id, project_id=1, media=media, split=split)


def annotation(item_id: int, regions: list, **fields) -> Annotation:
    return Annotation(item_id=item_id, project_id=1, regions=regions, **fields)


class MediaFolder:
    """Real image files standing in for the media store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[int, Path] = {}

    def add(self, item: Item) -> Item:
        assert item.media is not None and item.media.original_name
        path = self.root / f"{item.id}-{item.media.original_name}"
        write_png(path, item.media.width or 1, item.media.height or 1, item.id)
        self.files[item.id] = path
        return item

    def path(self, item: Item) -> Path | None:
        return self.files.get(item.id)


@pytest.fixture
def media(tmp_path: Path) -> MediaFolder:
    return MediaFolder(tmp_path / "store")


def context(
    project: Project,
    records: list[Record],
    out: Path,
    media_path: Callable[[Item], Path | None] | None = None,
    **options: object,
) -> ExportContext:
    ctx = ExportContext(project=project, records=iter(records), out=out)
    if media_path is not None:
        ctx.media_path = media_path
    ctx.options = dict(options)
    return ctx


def ingest(drafts: Iterable[ItemDraft], start: int = 1) -> list[Record]:
    """What the import service does with drafts, minus the database."""
    records: list[Record] = []
    for offset, draft in enumerate(drafts):
        item_id = start + offset
        media = draft.media
        if draft.file_path is not None:
            width, height = upright_size(Path(draft.file_path))
            name = draft.meta.get("file_name") or Path(draft.file_path).name
            media = MediaRef(
                path=draft.file_path,
                sha256="",
                size=Path(draft.file_path).stat().st_size,
                width=width,
                height=height,
                original_name=name,
            )
        item = Item(
            id=item_id,
            project_id=1,
            text=draft.text,
            media=media,
            meta=draft.meta,
            external_id=draft.external_id,
            split=draft.split,
        )
        annotations = [
            a.model_copy(update={"item_id": item_id}) for a in draft.annotations
        ]
        records.append((item, annotations))
    return records
