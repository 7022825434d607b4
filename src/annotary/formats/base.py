"""The contract between the services layer and every format module.

A format is a pair of functions over core types: ``dump`` streams an export
context into files and returns an :class:`ExportReport`; ``load`` reads files
back into item drafts. Formats never touch the database or the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from annotary.core import Annotation, Guideline, Item, ItemDraft, Project, Rejection
from annotary.core.schema import LabelSchema
from annotary.errors import FormatError

Record = tuple[Item, list[Annotation]]


def _no_media(item: Item) -> Path | None:
    return None


@dataclass
class ExportContext:
    """Everything an export needs, handed over by the services layer.

    ``records`` is consumed once, streamed, items in id order; it holds only the
    annotations the service chose to export.
    """

    project: Project
    records: Iterable[Record]
    out: Path
    media_path: Callable[[Item], Path | None] = _no_media
    options: dict[str, Any] = field(default_factory=dict)
    guidelines: list[Guideline] = field(default_factory=list)


class ExportReport(BaseModel):
    """What an export wrote, what the format could not hold, and warnings."""

    format: str
    items: int = 0
    annotations: int = 0
    regions: int = 0
    files: list[str] = Field(default_factory=list)
    left_out: dict[str, int] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    def leave_out(self, what: str, count: int = 1) -> None:
        """Count something the format could not hold."""
        self.left_out[what] = self.left_out.get(what, 0) + count


@dataclass
class LoadResult:
    """What a loader found: labels, drafts (lazy) and rejections."""

    label_schema: LabelSchema | None
    drafts: Iterator[ItemDraft]
    rejections: list[Rejection]
    project: dict[str, Any] | None = None


@runtime_checkable
class Format(Protocol):
    name: str
    kinds: frozenset[str]

    def dump(self, ctx: ExportContext) -> ExportReport: ...

    def load(
        self, path: Path, *, options: dict[str, Any] | None = None
    ) -> LoadResult: ...


Dumper = Callable[[ExportContext], ExportReport]
Loader = Callable[..., LoadResult]


# How an export option's value is read: a flag (true/false, also from CLI
# text), a count (a whole number from 1) or text.
OptionKind = Literal["flag", "count", "text"]


@dataclass(frozen=True)
class FormatSpec:
    """A format built from a module's paired ``dump_X`` / ``load_X`` functions."""

    name: str
    kinds: frozenset[str]
    dumper: Dumper | None = None
    loader: Loader | None = None
    # The export options the dumper reads, each with its kind; None (a format
    # that does not say) takes any, as given. The export service refuses
    # others instead of ignoring them, and hands these over typed.
    export_options: Mapping[str, OptionKind] | None = field(default=None, hash=False)

    def dump(self, ctx: ExportContext) -> ExportReport:
        if self.dumper is None:
            raise FormatError(f"{self.name} can only be imported", format=self.name)
        return self.dumper(ctx)

    def load(self, path: Path, *, options: dict[str, Any] | None = None) -> LoadResult:
        if self.loader is None:
            raise FormatError(f"{self.name} cannot be read back", format=self.name)
        return self.loader(path, options=options)


def is_file_target(out: Path, default_name: str) -> bool:
    """Whether ``out`` names the file to write rather than a folder.

    It does when it is an existing file, or when it does not exist as a folder
    and ends with the suffix of the format's default file (``.json``, ...).
    """
    if out.is_file():
        return True
    suffix = Path(default_name).suffix.lower()
    return not out.is_dir() and bool(suffix) and out.suffix.lower() == suffix


def output_file(out: Path, default_name: str) -> Path:
    """The file to write: ``out`` itself when it names a file, else inside it."""
    target = out if is_file_target(out, default_name) else out / default_name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def relative_name(path: Path, out: Path) -> str:
    """A written file's name relative to the export's folder, POSIX style."""
    root = out if out.is_dir() else out.parent
    return path.relative_to(root).as_posix()


def region_labels(annotations: Iterable[Annotation]) -> list[str]:
    """Every label named by the regions of some annotations, in order."""
    names: list[str] = []
    for annotation in annotations:
        for region in annotation.regions:
            labels = getattr(region, "labels", None)
            if labels:
                names.extend(labels)
            elif region.label is not None:
                names.append(region.label)
    return names
