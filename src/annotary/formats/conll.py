"""``conll.v1``: CoNLL 2003 style token tags (IOB2, or BIOES by option).

One line per token, ``token TAG``, a blank line between items; items with a
split are written to one file per split (``data_train.conll``, ...). Tokens come
from a named tokenizer (``whitespace_punct.v2`` unless the ``tokenizer`` option
names another). A span whose ends are not token boundaries is reported with
its item and offsets and left out, never shifted; overlapping spans cannot be
written in a flat tagging and raise :class:`FormatError`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from annotary.core import Annotation, ItemDraft, Label, Origin, Rejection, Span
from annotary.core.models import Item
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError
from annotary.formats.base import (
    ExportContext,
    ExportReport,
    FormatSpec,
    LoadResult,
    output_file,
    relative_name,
)
from annotary.formats.naming import safe_split
from annotary.formats.problems import read_utf8
from annotary.formats.tokenize import Tokenizer, get_tokenizer

logger = logging.getLogger("annotary.formats")

NAME = "conll.v1"
FILE_NAME = "data.conll"
SCHEMES = ("iob2", "bioes")
DEFAULT_TOKENIZER = "whitespace_punct.v2"


def dump_conll(ctx: ExportContext) -> ExportReport:
    """Write items' spans as token tags.

    Args:
        ctx: The export context; options ``scheme`` (``iob2`` or ``bioes``)
            and ``tokenizer`` (a name from :mod:`annotary.formats.tokenize`).

    Returns:
        The export report; misaligned spans are listed in ``warnings``.

    Raises:
        FormatError: two spans of one item overlap, or the scheme is unknown.

    Example:
        >>> dump_conll(ExportContext(project, records, Path("ner.conll"),
        ...                          options={"scheme": "bioes"}))
    """
    scheme = str(ctx.options.get("scheme", "iob2")).lower()
    if scheme not in SCHEMES:
        raise FormatError(f"unknown tag scheme {scheme!r}; known: iob2, bioes")
    tokenizer_name = str(ctx.options.get("tokenizer", DEFAULT_TOKENIZER))
    tokenizer = get_tokenizer(tokenizer_name)
    report = ExportReport(format=NAME)
    target = output_file(ctx.out, FILE_NAME)
    logger.info("conll %s export of %s started", scheme, ctx.project.name)

    # Items with a split go to ``<stem>_<split><suffix>`` beside the target
    # (data_train.conll, ...); items without one stay in the target itself.
    handles: dict[str | None, IO[str]] = {}
    paths: dict[str | None, Path] = {None: target}
    try:
        handles[None] = target.open("w", encoding="utf-8", newline="\n")
        for item, annotations in ctx.records:
            key = safe_split(item.split) if item.split else None
            if key not in handles:
                paths[key] = target.with_name(f"{target.stem}_{key}{target.suffix}")
                handles[key] = paths[key].open("w", encoding="utf-8", newline="\n")
            _write_item(
                handles[key],
                item,
                annotations,
                tokenizer,
                tokenizer_name,
                scheme,
                report,
            )
    finally:
        for handle in handles.values():
            handle.close()
    if len(paths) > 1 and target.stat().st_size == 0:
        target.unlink()  # every item had a split
        del paths[None]
    report.files.extend(
        relative_name(path, ctx.out) for _, path in sorted(paths.items(), key=_order)
    )
    logger.info("conll export wrote %s items", report.items)
    return report


def _order(entry: tuple[str | None, Path]) -> tuple[bool, str]:
    return (entry[0] is not None, entry[0] or "")


def _write_item(
    handle: IO[str],
    item: Item,
    annotations: list[Annotation],
    tokenizer: Tokenizer,
    tokenizer_name: str,
    scheme: str,
    report: ExportReport,
) -> None:
    tokens = tokenizer(item.text or "")
    if not tokens:
        report.leave_out("items without tokens")
        return
    tags = token_tags(item, annotations, tokens, scheme, tokenizer_name, report)
    text = item.text or ""
    handle.writelines(
        f"{text[s:e]} {tag}\n" for (s, e), tag in zip(tokens, tags, strict=True)
    )
    handle.write("\n")
    report.items += 1
    report.annotations += len(annotations)


def token_tags(
    item: Item,
    annotations: list[Annotation],
    tokens: list[tuple[int, int]],
    scheme: str,
    tokenizer_name: str,
    report: ExportReport,
) -> list[str]:
    """One IOB2 or BIOES tag per token for an item's spans.

    Misaligned spans are left out and reported; overlapping spans raise
    :class:`FormatError`.
    """
    spans = _spans(annotations, report)
    _check_overlaps(item, spans)
    tags = ["O"] * len(tokens)
    starts = {start: index for index, (start, _) in enumerate(tokens)}
    ends = {end: index for index, (_, end) in enumerate(tokens)}
    for span in spans:
        first, last = starts.get(span.start), ends.get(span.end)
        if first is None or last is None or last < first:
            report.leave_out("spans not aligned to tokens")
            report.warnings.append(
                f"item {item.id}: span [{span.start}, {span.end}) "
                f"{(item.text or '')[span.start : span.end]!r} does not align with "
                f"{tokenizer_name} tokens"
            )
            continue
        _tag(tags, first, last, str(span.label), scheme)
        report.regions += 1
    return tags


def _spans(annotations: list[Annotation], report: ExportReport) -> list[Span]:
    spans = []
    for annotation in annotations:
        for region in annotation.regions:
            if not isinstance(region, Span):
                report.leave_out(f"{region.type} regions in CoNLL")
            elif not region.label or any(c.isspace() for c in region.label):
                report.leave_out("spans without a label usable as a tag")
            else:
                spans.append(region)
    return sorted(spans, key=lambda span: (span.start, span.end))


def _check_overlaps(item: Item, spans: list[Span]) -> None:
    for before, after in zip(spans, spans[1:], strict=False):
        if after.start < before.end:
            raise FormatError(
                f"item {item.id}: spans [{before.start}, {before.end}) "
                f"{before.label!r} and [{after.start}, {after.end}) {after.label!r} "
                "overlap; CoNLL tags are flat, so export one of them or another "
                "format",
                item=item.id,
            )


def _tag(tags: list[str], first: int, last: int, label: str, scheme: str) -> None:
    if scheme == "bioes" and first == last:
        tags[first] = f"S-{label}"
        return
    tags[first] = f"B-{label}"
    for index in range(first + 1, last + 1):
        tags[index] = f"I-{label}"
    if scheme == "bioes":
        tags[last] = f"E-{label}"


def tags_to_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """Entities as ``(label, first token, last token)`` from IOB2 or BIOES tags.

    An ``I-`` or ``E-`` that does not continue an entity of its label starts a
    new one, as seqeval's default mode does.

    Raises:
        ValueError: a tag is neither ``O`` nor ``P-label`` with P in B, I, E, S.
    """
    entities: list[tuple[str, int, int]] = []
    open_label: str | None = None
    for index, tag in enumerate(tags):
        if tag == "O":
            open_label = None
            continue
        prefix, _, label = tag.partition("-")
        if prefix not in ("B", "I", "E", "S") or not label:
            raise ValueError(f"tag {tag!r} is not O, B-, I-, E- or S-")
        if prefix in ("B", "S") or open_label != label:
            entities.append((label, index, index))
        else:
            entities[-1] = (label, entities[-1][1], index)
        open_label = label if prefix in ("B", "I") else None
    return entities


def load_conll(path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
    """Read token tags back into text items with spans.

    The text of an item is its tokens joined by single spaces (the original
    spacing is not in the file). IOB2 and BIOES are both read.

    Args:
        path: The CoNLL file, or a folder holding ``data.conll`` and/or
            ``data_<split>.conll`` files (their items get that split).
        options: Unused; accepted for the common loader signature.

    Raises:
        FormatError: the file is missing.
    """
    sources = _sources(path)
    rejections: list[Rejection] = []
    blocks = [
        (source, split, list(_blocks(source, rejections))) for source, split in sources
    ]
    labels: list[str] = []
    for _, _, found in blocks:
        for _, _, tags in found:
            for tag in tags:
                label = tag.partition("-")[2]
                if tag != "O" and label and label not in labels:
                    labels.append(label)
    schema = LabelSchema(labels=[Label(name=n) for n in labels], tools=["span"])

    def drafts() -> Iterator[ItemDraft]:
        for source, split, found in blocks:
            yield from _conll_drafts(source, split, found, rejections)

    return LoadResult(schema, drafts(), rejections)


def _sources(path: Path) -> list[tuple[Path, str | None]]:
    """The files to read with their split: a folder's ``data.conll`` and
    ``data_<split>.conll`` as the export writes them, or the one file named."""
    if not path.is_dir():
        if not path.is_file():
            raise FormatError(f"{path}: no such CoNLL file", path=str(path))
        return [(path, None)]
    stem, suffix = Path(FILE_NAME).stem, Path(FILE_NAME).suffix
    found: list[tuple[Path, str | None]] = []
    if (path / FILE_NAME).is_file():
        found.append((path / FILE_NAME, None))
    for file in sorted(path.glob(f"{stem}_*{suffix}")):
        if file.is_file():
            found.append((file, file.stem[len(stem) + 1 :]))
    if not found:
        raise FormatError(
            f"{path / FILE_NAME}: no such CoNLL file", path=str(path / FILE_NAME)
        )
    return found


def _blocks(
    source: Path, rejections: list[Rejection]
) -> Iterator[tuple[int, list[str], list[str]]]:
    """Items as (first line, tokens, tags).

    An item with a line that is not ``token ... TAG`` (a token without a
    tag, or more columns than the file's other lines) is rejected, naming
    that line; the items around it still come in.
    """
    try:
        text = read_utf8(source)
    except FormatError as exc:
        line = exc.details["line"]
        reason = f"{exc.details['reason']}; the file is left out"
        rejections.append(Rejection(source=f"{source.name}:{line}", reason=reason))
        return
    tokens: list[str] = []
    tags: list[str] = []
    first_line = 1
    problem: str | None = None
    width: int | None = None  # columns per line, from the first token line
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if fields and fields[0] == "-DOCSTART-":
            continue
        if fields:
            if not tokens:
                first_line = number
            width = width or len(fields)
            if problem is None and len(fields) < 2:
                problem = f"{source.name}:{number}: token {fields[0]!r} has no tag"
            elif problem is None and len(fields) != width:
                problem = (
                    f"{source.name}:{number}: {len(fields)} columns where the "
                    f"file's lines have {width}"
                )
            tokens.append(fields[0])
            tags.append(fields[-1])
        elif tokens:
            yield from _block(source, first_line, tokens, tags, problem, rejections)
            tokens, tags, problem = [], [], None
    if tokens:
        yield from _block(source, first_line, tokens, tags, problem, rejections)


def _block(
    source: Path,
    first_line: int,
    tokens: list[str],
    tags: list[str],
    problem: str | None,
    rejections: list[Rejection],
) -> Iterator[tuple[int, list[str], list[str]]]:
    if problem is None:
        yield first_line, tokens, tags
        return
    where, _, reason = problem.partition(": ")
    rejections.append(
        Rejection(
            source=where,
            reason=f"{reason}; the item from line {first_line} is left out",
        )
    )


def _conll_drafts(
    source: Path,
    split: str | None,
    blocks: list[tuple[int, list[str], list[str]]],
    rejections: list[Rejection],
) -> Iterator[ItemDraft]:
    for first_line, tokens, tags in blocks:
        where = f"{source.name}:{first_line}"
        try:
            entities = tags_to_spans(tags)
        except ValueError as exc:
            rejections.append(Rejection(source=where, reason=str(exc)))
            continue
        offsets = []
        position = 0
        for token in tokens:
            offsets.append((position, position + len(token)))
            position += len(token) + 1
        text = " ".join(tokens)
        regions = [
            Span(
                label=label,
                start=offsets[a][0],
                end=offsets[b][1],
                text=text[offsets[a][0] : offsets[b][1]],
            )
            for label, a, b in entities
        ]
        annotations = (
            [Annotation(item_id=0, regions=regions, origin=Origin.imported)]
            if regions
            else []
        )
        yield ItemDraft(text=text, source=where, split=split, annotations=annotations)


FORMAT = FormatSpec(
    NAME,
    frozenset({"text"}),
    dump_conll,
    load_conll,
    export_options={"scheme": "text", "tokenizer": "text"},
)
