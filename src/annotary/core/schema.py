"""Label schema and guideline: what may be labelled, and how."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from annotary.errors import SchemaError

TOOLS = (
    "class",
    "bbox",
    "polygon",
    "mask",
    "keypoints",
    "span",
    "relation",
    "segment",
    "transcript",
    "track",
    "cuboid",
)
Tool = Literal[
    "class",
    "bbox",
    "polygon",
    "mask",
    "keypoints",
    "span",
    "relation",
    "segment",
    "transcript",
    "track",
    "cuboid",
]

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#469990",
    "#800000",
)


class AttributeSpec(BaseModel):
    """An extra field on a region: a flag, a choice or free text."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = Field(min_length=1)
    kind: Literal["bool", "choice", "text", "number"] = "bool"
    options: list[str] = Field(default_factory=list)
    default: Any = None


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = Field(min_length=1, max_length=200)
    color: str = ""
    hotkey: str | None = None
    description: str = ""
    examples: list[str] = Field(default_factory=list)
    attributes: list[AttributeSpec] = Field(default_factory=list)
    keypoints: list[str] = Field(default_factory=list)

    @field_validator("color")
    @classmethod
    def _color(cls, value: str) -> str:
        if value and not _COLOR.match(value):
            raise ValueError(f"colour {value!r} is not #rrggbb")
        return value


class LabelSchema(BaseModel):
    """The labels of a project and the tools annotators may use on them."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    labels: list[Label] = Field(default_factory=list)
    tools: list[Tool] = Field(default_factory=list)
    multi_label: bool = False
    allow_overlap: bool = False
    ordinal: bool = False

    @model_validator(mode="after")
    def _check(self) -> LabelSchema:
        seen: set[str] = set()
        hotkeys: set[str] = set()
        for index, label in enumerate(self.labels):
            if label.name in seen:
                raise ValueError(f"label {label.name!r} appears twice")
            seen.add(label.name)
            if label.hotkey:
                if label.hotkey in hotkeys:
                    raise ValueError(f"hotkey {label.hotkey!r} is used twice")
                hotkeys.add(label.hotkey)
            if not label.color:
                label.color = PALETTE[index % len(PALETTE)]
        return self

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    def index_of(self, name: str) -> int:
        """Position of a label in schema order (YOLO class index, COCO id - 1)."""
        try:
            return self.names.index(name)
        except ValueError:
            raise SchemaError(f"label {name!r} is not in the schema") from None


class Guideline(BaseModel):
    """One version of a project's schema and guideline text (Markdown)."""

    version: int = Field(ge=1)
    text: str = ""
    label_schema: LabelSchema = Field(default_factory=LabelSchema, alias="schema")
    created_at: datetime | None = None
    created_by: str | None = None

    model_config = ConfigDict(populate_by_name=True, defer_build=True)


DEFAULT_TOOLS: dict[str, list[Tool]] = {
    "image": ["bbox", "class"],
    "text": ["class", "span"],
    "audio": ["segment", "transcript"],
    "video": ["track"],
    "pointcloud": ["cuboid"],
}


def parse_schema(data: dict[str, Any], *, source: str = "schema") -> LabelSchema:
    """Validate a schema dict, naming the field that is wrong."""
    try:
        return LabelSchema.model_validate(data)
    except ValueError as exc:
        raise SchemaError(f"{source}: {exc}", source=source) from None
