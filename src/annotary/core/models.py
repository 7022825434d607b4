"""The domain model: projects, items, annotations and what flows between them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from annotary.core.regions import Region
from annotary.core.schema import LabelSchema

DataKind = Literal["image", "text", "audio", "video", "pointcloud"]
DATA_KINDS: tuple[str, ...] = ("image", "text", "audio", "video", "pointcloud")


class Role(enum.StrEnum):
    admin = "admin"
    manager = "manager"
    reviewer = "reviewer"
    annotator = "annotator"


ROLE_RANK = {Role.annotator: 0, Role.reviewer: 1, Role.manager: 2, Role.admin: 3}


class ItemStatus(enum.StrEnum):
    new = "new"
    in_progress = "in_progress"
    done = "done"
    reviewed = "reviewed"


class AnnotationState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"


class Origin(enum.StrEnum):
    human = "human"
    model = "model"
    consensus = "consensus"
    imported = "imported"


class QueueOrder(enum.StrEnum):
    sequential = "sequential"
    random = "random"
    uncertainty = "uncertainty"


class ProjectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    overlap: int = Field(default=1, ge=1, le=100)
    queue_order: QueueOrder = QueueOrder.sequential
    seed: int = 0
    lease_minutes: float = Field(default=30.0, gt=0)
    show_others_annotations: bool = False
    review_policy: Literal["none", "all", "sample", "disagreements"] = "none"
    review_sample_rate: float = Field(default=0.1, ge=0, le=1)
    gold_rate: float = Field(default=0.0, ge=0, le=1)
    gold_feedback: bool = False
    # Retrain the text classifier in the background after this many new
    # human-labelled items; None never retrains on its own.
    retrain_every: int | None = Field(default=None, ge=1, le=100_000)


class Project(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: int
    name: str
    kind: DataKind
    description: str = ""
    settings: ProjectSettings = Field(default_factory=ProjectSettings)
    label_schema: LabelSchema = Field(default_factory=LabelSchema)
    guideline_version: int = 1
    created_at: datetime | None = None


class MediaRef(BaseModel):
    """Where an item's bytes live and what probing found."""

    model_config = ConfigDict(defer_build=True)

    path: str
    sha256: str
    size: int
    mime: str | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    fps: float | None = None
    frames: int | None = None
    points: int | None = None
    original_name: str | None = None


class Item(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: int
    project_id: int
    external_id: str | None = None
    text: str | None = None
    media: MediaRef | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    status: ItemStatus = ItemStatus.new
    split: str | None = None
    excluded: bool = False
    exclude_reason: str | None = None
    flags: list[dict[str, Any]] = Field(default_factory=list)
    content_hash: str = ""
    annotation_count: int = 0
    created_at: datetime | None = None

    @property
    def width(self) -> int | None:
        return self.media.width if self.media else None

    @property
    def height(self) -> int | None:
        return self.media.height if self.media else None


class Annotation(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: int | None = None
    item_id: int
    project_id: int | None = None
    regions: list[Region] = Field(default_factory=list)
    author: str | None = None
    user_id: int | None = None
    origin: Origin = Origin.human
    model_name: str | None = None
    model_version: str | None = None
    parent_id: int | None = None
    guideline_version: int | None = None
    state: AnnotationState = AnnotationState.submitted
    lead_time: float | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ItemDraft(BaseModel):
    """An item on its way in: what a reader found, before it has an id."""

    model_config = ConfigDict(defer_build=True)

    text: str | None = None
    media: MediaRef | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    external_id: str | None = None
    source: str = ""
    content_hash: str = ""
    # A local file whose bytes become the item's media; the import service
    # stores it content-addressed and fills ``media`` and ``content_hash``.
    file_path: str | None = None
    annotations: list[Annotation] = Field(default_factory=list)
    split: str | None = None
    # Set only by lossless formats (jsonl.v1) that carry an item's review state.
    status: ItemStatus | None = None
    excluded: bool = False
    exclude_reason: str | None = None
    flags: list[dict[str, Any]] = Field(default_factory=list)


class TextDraft:
    """A plain text item on its way in: the light twin of `ItemDraft`.

    The text readers (.txt, .csv/.tsv, .jsonl, .json) yield these instead of
    validated `ItemDraft` models, because a big import spends most of its time
    building models otherwise. The reader has already done the checks that
    matter: ``text`` is a non-empty ``str`` without NUL that encodes as UTF-8
    within the size limit, ``meta`` is a JSON object (``str`` keys) and
    ``content_hash`` is the SHA-256 of the UTF-8 text. The other `ItemDraft`
    attributes read as their defaults, so code that reads drafts takes either.
    """

    __slots__ = ("text", "meta", "source", "content_hash")

    media: None = None
    external_id: None = None
    file_path: None = None
    split: None = None
    status: None = None
    excluded: bool = False
    exclude_reason: None = None
    annotations: tuple[()] = ()
    flags: tuple[()] = ()

    def __init__(
        self, text: str, meta: dict[str, Any], source: str, content_hash: str
    ) -> None:
        self.text = text
        self.meta = meta
        self.source = source
        self.content_hash = content_hash

    def to_draft(self) -> ItemDraft:
        """The same item as a validated `ItemDraft`."""
        return ItemDraft(
            text=self.text,
            meta=self.meta,
            source=self.source,
            content_hash=self.content_hash,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextDraft):
            return NotImplemented
        return (self.text, self.meta, self.source, self.content_hash) == (
            other.text,
            other.meta,
            other.source,
            other.content_hash,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"TextDraft(text={self.text!r}, meta={self.meta!r}, source={self.source!r})"
        )


class Rejection(BaseModel):
    """A file or row that could not be imported, and why."""

    model_config = ConfigDict(defer_build=True)

    source: str
    reason: str


class User(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: int
    username: str
    is_admin: bool = False
    active: bool = True


class ImportReport(BaseModel):
    model_config = ConfigDict(defer_build=True)

    project: str
    read: int = 0
    added: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = Field(default_factory=list)
    annotations_added: int = 0
    encodings: dict[str, str] = Field(default_factory=dict)
    seconds: float = 0.0
