"""The pre-labeler protocol and the types that flow through it.

A pre-labeler turns items into predictions: core regions, each with a score,
stamped with the model's name and version. Built-ins and plugins register under
the entry-point group ``annotary.prelabelers`` with versioned names
(``opencv-faces.v1``); the entry point is a factory (usually the class) that
takes keyword options and returns a ready pre-labeler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from annotary import plugins
from annotary.core.models import Annotation, AnnotationState, Item, Origin
from annotary.core.regions import Region
from annotary.core.schema import LabelSchema
from annotary.errors import InvalidInput, SchemaError

# Share of labelled items held out to score a retrained model. Here, not in
# services.prelabel, so that the API can name the default without loading
# numpy and scikit-learn at start-up.
HOLDOUT_SHARE = 0.2


@dataclass
class PrelabelInput:
    """One item to pre-label and, for media items, the local file of its bytes."""

    item: Item
    path: Path | None = None


class Prediction(BaseModel):
    """What a model says about one item: regions with scores, and who said it."""

    item_id: int
    regions: list[Region] = Field(default_factory=list)
    model_name: str
    model_version: str

    def to_annotation(self, *, project_id: int | None = None) -> Annotation:
        """The prediction as a draft annotation with origin "model".

        Example:
            >>> p = Prediction(item_id=3, model_name="m.v1", model_version="1")
            >>> p.to_annotation().origin.value
            'model'
        """
        return Annotation(
            item_id=self.item_id,
            project_id=project_id,
            regions=[region.model_copy(deep=True) for region in self.regions],
            author=f"{self.model_name}@{self.model_version}",
            origin=Origin.model,
            model_name=self.model_name,
            model_version=self.model_version,
            state=AnnotationState.draft,
        )


@runtime_checkable
class Prelabeler(Protocol):
    """What every pre-labeler offers.

    ``fit`` is a no-op for fixed models; trainable ones learn from the
    project's own annotations. ``version`` changes whenever the output for the
    same input may change (new weights, new training data).
    """

    name: str
    kinds: frozenset[str]

    @property
    def version(self) -> str: ...

    def fit(
        self,
        items: list[Item],
        annotations: list[Annotation],
        schema: LabelSchema,
    ) -> None: ...

    def predict(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[Prediction]: ...


@runtime_checkable
class ProbabilisticPrelabeler(Prelabeler, Protocol):
    """A classifier that also gives a probability per schema label."""

    def predict_proba(
        self, batch: list[PrelabelInput], schema: LabelSchema
    ) -> list[dict[str, float]]: ...


def load_prelabeler(name: str, **options: Any) -> Prelabeler:
    """Build a registered pre-labeler by name, newest version when unversioned.

    Args:
        name: a registered name such as ``"opencv-faces.v1"`` or ``"opencv-faces"``.
        **options: keyword options of that pre-labeler.

    Returns:
        A ready pre-labeler.

    Raises:
        NotFound: no pre-labeler has that name.

    Example:
        >>> load_prelabeler("rule-patterns").name
        'rule-patterns.v1'
    """
    factory = plugins.prelabelers.get(name)
    return factory(**options)  # type: ignore[no-any-return]


def pick_label(
    schema: LabelSchema,
    wanted: Iterable[str],
    *,
    option: str | None = None,
    model: str,
) -> str:
    """The schema label a single-class detector should use.

    ``option`` (the user's explicit choice) wins and must be in the schema;
    otherwise the first schema label whose name matches one of ``wanted``
    (case-insensitive) is used.

    Raises:
        SchemaError: the option is not a schema label, or nothing matches.
    """
    if option is not None:
        schema.index_of(option)
        return option

    by_lower = {name.casefold(): name for name in schema.names}
    for candidate in wanted:
        if candidate.casefold() in by_lower:
            return by_lower[candidate.casefold()]

    expected = ", ".join(repr(w) for w in wanted)
    raise SchemaError(
        f"{model}: the schema has no label named {expected}; pass label=... "
        f"to choose one of {schema.names}",
        model=model,
    )


def check_kinds(
    model: str, kinds: frozenset[str], batch: Sequence[PrelabelInput]
) -> None:
    """Refuse items this pre-labeler cannot read, naming the first one."""
    for entry in batch:
        kind = item_kind(entry.item)
        if kind not in kinds:
            raise InvalidInput(
                f"{model}: item {entry.item.id} is {kind}, "
                f"this pre-labeler reads {sorted(kinds)}",
                item_id=entry.item.id,
            )


def item_kind(item: Item) -> str:
    """Text items carry text; media items are named by their probed format."""
    if item.text is not None and item.media is None:
        return "text"
    if item.media is not None and item.media.mime:
        return item.media.mime.split("/", 1)[0]
    return "image" if item.media is not None else "text"


def require_path(model: str, entry: PrelabelInput) -> Path:
    if entry.path is None:
        raise InvalidInput(
            f"{model}: item {entry.item.id} has no local media file",
            item_id=entry.item.id,
        )
    return entry.path
