"""Running read_sources and flattening its results for assertions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotary.core import ItemDraft, Rejection, TextDraft
from annotary.ingest import IngestOptions, read_sources


def read(
    tmp_path: Path, paths: list[Path], **options: Any
) -> tuple[list[ItemDraft | TextDraft | Rejection], dict[str, str]]:
    encodings: dict[str, str] = {}
    store = options.pop("store", None)
    kind = options.pop("kind", "text")
    reader = read_sources(
        paths,
        IngestOptions(kind=kind, **options),
        tmp_dir=tmp_path / "tmp",
        store=store,
        encodings=encodings,
    )
    results = list(reader)
    assert reader.encodings is encodings
    return results, encodings


def summary(
    results: list[ItemDraft | TextDraft | Rejection],
) -> list[tuple[str, str, Any]]:
    """(kind, source, text or reason) per result, with source names shortened."""
    rows: list[tuple[str, str, Any]] = []
    for result in results:
        source = Path(result.source.split("!")[0]).name
        if "!" in result.source:
            source += "!" + result.source.split("!", 1)[1]
        if not isinstance(result, Rejection):
            rows.append(("item", source, result.text))
        else:
            rows.append(("rejected", source, result.reason))
    return rows
