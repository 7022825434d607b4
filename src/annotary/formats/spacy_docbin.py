"""``spacy.v1``: spaCy DocBin (``.spacy``) files, when spaCy is installed.

Tokens come from the named tokenizer (``whitespace_punct.v2`` unless the
``tokenizer`` option says otherwise); the whitespace between tokens is kept
as trailing spaces or whitespace tokens, so ``doc.text`` is the stored text.
Spans become ``doc.ents`` (a misaligned span is reported, never shifted;
overlapping spans raise :class:`FormatError`); class labels become
``doc.cats``. Items with a split go to a folder per split (``train/``,
``val/``, ...), the others to the root. Docs are written in shards of
``shard_size`` (default 10,000), so an export holds at most one shard per
split in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotary.core import (
    Annotation,
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
from annotary.formats.conll import DEFAULT_TOKENIZER
from annotary.formats.naming import safe_split
from annotary.formats.tokenize import Tokenizer, get_tokenizer

logger = logging.getLogger("annotary.formats")

NAME = "spacy.v1"


def _spacy() -> Any:
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        raise Unavailable(
            "spacy.v1 needs spaCy: pip install 'annotary[spacy]'"
        ) from None
    return spacy, DocBin


def dump_spacy(ctx: ExportContext) -> ExportReport:
    """Write items as spaCy Docs in ``.spacy`` shards.

    Args:
        ctx: The export context; ``ctx.out`` is a folder. Options
            ``tokenizer``, ``shard_size``.

    Returns:
        The export report; misaligned spans are listed in ``warnings``.

    Raises:
        Unavailable: spaCy is not installed.
        FormatError: two spans of one item overlap.
    """
    spacy, doc_bin_type = _spacy()
    tokenizer_name = str(ctx.options.get("tokenizer", DEFAULT_TOKENIZER))
    tokenizer = get_tokenizer(tokenizer_name)
    shard_size = int(ctx.options.get("shard_size", 10_000))
    vocab = spacy.blank("xx").vocab
    report = ExportReport(format=NAME)
    ctx.out.mkdir(parents=True, exist_ok=True)

    # One run of shards per split: items with a split go to ``<split>/`` (the
    # folders ``spacy train`` takes as its corpora), the others to the root.
    shards: dict[str, Any] = {}
    for item, item_annotations in ctx.records:
        if item.text is None:
            report.leave_out("items without text")
            continue
        key = safe_split(item.split) if item.split else ""
        shard = shards.get(key)
        if shard is None:
            shard = shards[key] = doc_bin_type(store_user_data=False)
        shard.add(
            _doc(vocab, item, item_annotations, tokenizer, tokenizer_name, report)
        )
        report.items += 1
        report.annotations += len(item_annotations)
        if len(shard) == shard_size:
            _flush(shard, ctx.out, key, report)
            shards[key] = doc_bin_type(store_user_data=False)
    for key, shard in sorted(shards.items()):
        if len(shard):
            _flush(shard, ctx.out, key, report)
    if not report.files:
        _flush(doc_bin_type(store_user_data=False), ctx.out, "", report)
    logger.info("spacy export wrote %s docs", report.items)
    return report


def _flush(shard: Any, out: Path, split: str, report: ExportReport) -> None:
    """Write one shard: ``data-NNNN.spacy`` in the root or in ``<split>/``."""
    folder = out / split if split else out
    folder.mkdir(exist_ok=True)
    number = sum(1 for name in report.files if Path(name).parent == Path(split))
    name = (Path(split) / f"data-{number:04d}.spacy").as_posix()
    shard.to_disk(out / name)
    report.files.append(name)


def _doc(
    vocab: Any,
    item: Item,
    annotations: list[Annotation],
    tokenizer: Tokenizer,
    tokenizer_name: str,
    report: ExportReport,
) -> Any:
    from spacy.tokens import Doc

    text = item.text or ""
    words, spaces = _words(text, tokenizer(text))
    doc = Doc(vocab, words=words, spaces=spaces)
    if doc.text != text:
        raise FormatError(f"item {item.id}: {tokenizer_name} cannot rebuild the text")

    spans = sorted(
        (r for a in annotations for r in a.regions if isinstance(r, Span) and r.label),
        key=lambda span: (span.start, span.end),
    )
    for before, after in zip(spans, spans[1:], strict=False):
        if after.start < before.end:
            raise FormatError(
                f"item {item.id}: spans [{before.start}, {before.end}) and "
                f"[{after.start}, {after.end}) overlap; doc.ents is flat",
                item=item.id,
            )
    ents = []
    for span in spans:
        ent = doc.char_span(span.start, span.end, label=span.label or "")
        if ent is None or not ent.text.strip():
            report.leave_out("spans not aligned to tokens")
            report.warnings.append(
                f"item {item.id}: span [{span.start}, {span.end}) "
                f"{text[span.start : span.end]!r} does not align with "
                f"{tokenizer_name} tokens"
            )
            continue
        ents.append(ent)
        report.regions += 1
    doc.ents = ents
    for annotation in annotations:
        for region in annotation.regions:
            if isinstance(region, ClassRegion):
                doc.cats.update(dict.fromkeys(region.labels, 1.0))
                report.regions += 1
            elif not isinstance(region, Span):
                report.leave_out(f"{region.type} regions in spaCy")
    return doc


def _words(text: str, tokens: list[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    words: list[str] = []
    spaces: list[bool] = []
    position = 0
    for start, end in [*tokens, (len(text), len(text))]:
        gap = text[position:start]
        if gap:
            if gap == " " and words and not words[-1].isspace():
                spaces[-1] = True
            else:
                words.append(gap)
                spaces.append(False)
        if start < end:
            words.append(text[start:end])
            spaces.append(False)
        position = end
    return words, spaces


def load_spacy(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read ``.spacy`` files (one, or every one in a folder) into text drafts.

    In a folder, the files of a subfolder (``train/``, ...) are that split's.

    Raises:
        Unavailable: spaCy is not installed.
        FormatError: no ``.spacy`` file was found.
    """
    spacy, doc_bin_type = _spacy()
    files = (
        sorted(path.glob("*.spacy")) + sorted(path.glob("*/*.spacy"))
        if path.is_dir()
        else [path]
    )
    if not files or not all(f.is_file() for f in files):
        raise FormatError(f"{path}: no .spacy files", path=str(path))
    vocab = spacy.blank("xx").vocab
    labels: list[str] = []
    rejections: list[Rejection] = []

    def drafts() -> Iterator[ItemDraft]:
        for file in files:
            split = file.parent.name if file.parent != path else None
            where = file.relative_to(path).as_posix() if split else file.name
            for number, doc in enumerate(
                doc_bin_type().from_disk(file).get_docs(vocab)
            ):
                yield _draft(doc, f"{where}: doc {number}", split)

    for file in files:
        for doc in doc_bin_type().from_disk(file).get_docs(vocab):
            for name in [e.label_ for e in doc.ents] + list(doc.cats):
                if name not in labels:
                    labels.append(name)
    schema = LabelSchema(
        labels=[Label(name=n) for n in labels], tools=["span", "class"]
    )
    return LoadResult(schema, drafts(), rejections)


def _draft(doc: Any, where: str, split: str | None) -> ItemDraft:
    regions: list[Any] = [
        Span(label=e.label_, start=e.start_char, end=e.end_char, text=e.text)
        for e in doc.ents
    ]
    chosen = [name for name, score in doc.cats.items() if score >= 0.5]
    if chosen:
        regions.append(ClassRegion(labels=chosen))
    annotations = (
        [Annotation(item_id=0, regions=regions, origin=Origin.imported)]
        if regions
        else []
    )
    return ItemDraft(text=doc.text, source=where, split=split, annotations=annotations)


FORMAT = FormatSpec(
    NAME,
    frozenset({"text"}),
    dump_spacy,
    load_spacy,
    export_options={"tokenizer": "text", "shard_size": "count"},
)
