"""``hf.v1``: a Hugging Face ``datasets`` DatasetDict saved to disk.

One dataset per item split (``train`` when unset), with typed features:

* text projects: ``id``, ``text``, ``labels`` (Sequence of ClassLabel),
  ``tokens`` and ``ner_tags`` (IOB2, Sequence of ClassLabel) through the named
  tokenizer; misaligned spans are reported as in ``conll.v1``;
* image projects: ``id``, ``file_name``, ``width``, ``height``, ``objects``
  (Sequence of ``bbox`` [x, y, w, h] and ``category`` ClassLabel), the layout
  of the Hub's detection datasets.

Rows stream through temporary JSONL files per split, so the export is never
held in memory; ``datasets`` builds its Arrow files from them.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from annotary.core import (
    Annotation,
    BBox,
    ClassRegion,
    ItemDraft,
    Label,
    Origin,
    Rejection,
    Span,
)
from annotary.core.models import Item
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError, Unavailable
from annotary.formats.base import ExportContext, ExportReport, FormatSpec, LoadResult
from annotary.formats.conll import DEFAULT_TOKENIZER, token_tags
from annotary.formats.naming import image_name, safe_split
from annotary.formats.tokenize import get_tokenizer

logger = logging.getLogger("annotary.formats")

NAME = "hf.v1"


def _datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise Unavailable("hf.v1 needs datasets: pip install 'annotary[hf]'") from None
    return datasets


def _features(datasets: Any, kind: str, names: list[str]) -> Any:
    v, seq, cls = datasets.Value, datasets.Sequence, datasets.ClassLabel
    if kind == "text":
        tags = ["O"] + [f"{p}-{n}" for n in names for p in ("B", "I")]
        return datasets.Features(
            {
                "id": v("int64"),
                "text": v("string"),
                "labels": seq(cls(names=names)),
                "tokens": seq(v("string")),
                "ner_tags": seq(cls(names=tags)),
            }
        )
    return datasets.Features(
        {
            "id": v("int64"),
            "file_name": v("string"),
            "width": v("int32"),
            "height": v("int32"),
            "objects": seq(
                {"bbox": seq(v("float32"), length=4), "category": cls(names=names)}
            ),
        }
    )


def dump_hf(ctx: ExportContext) -> ExportReport:
    """Save a DatasetDict (one dataset per split) with typed features.

    Args:
        ctx: The export context; ``ctx.out`` is the folder to save to.
            Option ``tokenizer`` for text projects.

    Returns:
        The export report.

    Raises:
        Unavailable: ``datasets`` is not installed.
        FormatError: the project is neither text nor image, or spans overlap.
    """
    datasets = _datasets()
    kind = ctx.project.kind
    if kind not in ("text", "image"):
        raise FormatError(f"hf.v1 exports text and image projects, not {kind!r}")
    names = ctx.project.label_schema.names
    features = _features(datasets, kind, names)
    report = ExportReport(format=NAME)

    with tempfile.TemporaryDirectory(prefix="annotary-hf-") as spool:
        files: dict[str, IO[str]] = {}
        try:
            for item, annotations in ctx.records:
                split = safe_split(item.split)
                if split not in files:
                    files[split] = (Path(spool) / f"{split}.jsonl").open("w")
                row = _row(ctx, kind, item, annotations, names, report)
                files[split].write(json.dumps(row) + "\n")
                report.items += 1
                report.annotations += len(annotations)
        finally:
            for handle in files.values():
                handle.close()
        splits = {
            split: datasets.Dataset.from_generator(
                _read_rows,
                features=features,
                gen_kwargs={"path": str(Path(spool) / f"{split}.jsonl")},
                cache_dir=str(Path(spool) / "cache"),
            )
            for split in sorted(files)
        }
        datasets.DatasetDict(splits).save_to_disk(str(ctx.out))

    report.files = sorted(
        p.relative_to(ctx.out).as_posix() for p in ctx.out.rglob("*") if p.is_file()
    )
    logger.info("hf export wrote %s rows in %s splits", report.items, len(files))
    return report


def _read_rows(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _row(
    ctx: ExportContext,
    kind: str,
    item: Item,
    annotations: list[Annotation],
    names: list[str],
    report: ExportReport,
) -> dict[str, Any]:
    regions = [r for a in annotations for r in a.regions]
    known = set(names)
    if kind == "text":
        text = item.text or ""
        name = str(ctx.options.get("tokenizer", DEFAULT_TOKENIZER))
        tokens = get_tokenizer(name)(text)
        tags = token_tags(item, annotations, tokens, "iob2", name, report)
        labels = [n for r in regions if isinstance(r, ClassRegion) for n in r.labels]
        for region in regions:
            if not isinstance(region, ClassRegion | Span):
                report.leave_out(f"{region.type} regions in hf text")
        return {
            "id": item.id,
            "text": text,
            "labels": [n for n in labels if n in known],
            "tokens": [text[s:e] for s, e in tokens],
            "ner_tags": tags,
        }
    # A Sequence of a dict is stored column-wise by datasets.
    objects: dict[str, list[Any]] = {"bbox": [], "category": []}
    for region in regions:
        if isinstance(region, BBox) and region.label in known and not region.rotation:
            objects["bbox"].append([region.x, region.y, region.w, region.h])
            objects["category"].append(region.label)
            report.regions += 1
        else:
            report.leave_out(f"{region.type} regions in hf image (boxes only)")
    return {
        "id": item.id,
        "file_name": image_name(item),
        "width": item.width,
        "height": item.height,
        "objects": objects,
    }


def load_hf(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read a DatasetDict saved by ``hf.v1`` back into drafts (text projects).

    Raises:
        Unavailable: ``datasets`` is not installed.
        FormatError: the folder is not a saved DatasetDict of this layout.
    """
    datasets = _datasets()
    try:
        saved = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise FormatError(f"{path}: not a saved dataset ({exc})") from None
    if not isinstance(saved, datasets.DatasetDict):
        saved = datasets.DatasetDict({"train": saved})
    first = next(iter(saved.values()))
    if "text" not in first.features:
        raise FormatError(f"{path}: only text datasets are read back")
    names = list(first.features["labels"].feature.names)
    schema = LabelSchema(labels=[Label(name=n) for n in names], tools=["span", "class"])
    rejections: list[Rejection] = []
    return LoadResult(schema, _hf_drafts(saved, first.features), rejections)


def _hf_drafts(saved: Any, features: Any) -> Iterator[ItemDraft]:
    tag_names = features["ner_tags"].feature.names
    label_names = features["labels"].feature.names
    from annotary.formats.conll import tags_to_spans

    for split, dataset in saved.items():
        for row in dataset:
            text = row["text"]
            offsets, position = [], 0
            for token in row["tokens"]:
                start = text.index(token, position)
                offsets.append((start, start + len(token)))
                position = start + len(token)
            tags = [tag_names[t] for t in row["ner_tags"]]
            regions: list[Any] = [
                Span(label=label, start=offsets[a][0], end=offsets[b][1])
                for label, a, b in tags_to_spans(tags)
            ]
            if row["labels"]:
                regions.append(
                    ClassRegion(labels=[label_names[i] for i in row["labels"]])
                )
            yield ItemDraft(
                text=text,
                split=split,
                source=f"{split}: {row['id']}",
                annotations=[
                    Annotation(item_id=0, regions=regions, origin=Origin.imported)
                ]
                if regions
                else [],
            )


FORMAT = FormatSpec(
    NAME,
    frozenset({"text", "image"}),
    dump_hf,
    load_hf,
    export_options={"tokenizer": "text"},
)
