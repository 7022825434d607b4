"""Ratings tables: who gave which class to which item, as numpy codes.

A ratings mapping is ``item -> annotator -> label`` (``None`` or an absent key
means "not rated"). Every class-agreement metric works on a `RatingTable`, the
same data as an ``items x annotators`` matrix of category codes with ``-1`` for
a missing rating, so one table can feed many metrics without re-reading it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from annotary.core.models import Annotation
from annotary.core.regions import ClassRegion
from annotary.errors import InvalidInput

Label: TypeAlias = Hashable
Ratings: TypeAlias = Mapping[Hashable, Mapping[Hashable, Any]]
IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]

MISSING = -1


@dataclass(frozen=True, eq=False)
class RatingTable:
    """Ratings as codes: ``codes[i, j]`` is annotator j's category for item i.

    Attributes:
        items: Item keys, one per row.
        annotators: Annotator keys, one per column.
        categories: The category scale, in order (the order matters for
            ordinal and interval metrics); codes index into it.
        codes: ``int64`` array of shape ``(len(items), len(annotators))``,
            ``-1`` where an annotator did not rate the item.
    """

    items: tuple[Hashable, ...]
    annotators: tuple[Hashable, ...]
    categories: tuple[Label, ...]
    codes: IntArray

    def counts(self) -> IntArray:
        """``items x categories`` matrix: how many annotators chose each class."""
        n_items, n_cats = len(self.items), len(self.categories)
        rows, cols = np.nonzero(self.codes != MISSING)
        flat = rows * n_cats + self.codes[rows, cols]
        counts = np.bincount(flat, minlength=n_items * n_cats)
        return counts.reshape(n_items, n_cats).astype(np.int64)

    def column(self, annotator: Hashable) -> IntArray:
        """One annotator's codes; `InvalidInput` if the annotator is unknown."""
        try:
            index = self.annotators.index(annotator)
        except ValueError:
            raise InvalidInput(
                f"annotator {annotator!r} has no ratings in this table",
                annotator=str(annotator),
            ) from None
        return self.codes[:, index]


def rating_table(
    ratings: Ratings | RatingTable, categories: Sequence[Label] | None = None
) -> RatingTable:
    """Turn ``item -> annotator -> label`` into a `RatingTable`.

    Args:
        ratings: The ratings; a `RatingTable` is returned as is (its own
            categories win unless ``categories`` is given and differs).
        categories: The category scale in order. Defaults to the labels seen,
            sorted. Give it for ordinal data and to count unused categories.

    Returns:
        The table.

    Raises:
        InvalidInput: A label is not in ``categories``, or a rating is a set of
            labels (use `per_label` for multi-label data).

    Example:
        >>> t = rating_table({"i1": {"ann": "cat", "bob": "dog"}})
        >>> t.codes.tolist(), t.categories
        ([[0, 1]], ('cat', 'dog'))
    """
    if isinstance(ratings, RatingTable):
        if categories is None or tuple(categories) == ratings.categories:
            return ratings
        ratings = _as_mapping(ratings)

    items = tuple(ratings)
    annotators = _ordered_unique(a for row in ratings.values() for a in row)
    scale = _scale(ratings, categories)

    code_of = {label: code for code, label in enumerate(scale)}
    column_of = {annotator: j for j, annotator in enumerate(annotators)}
    rows: list[int] = []
    cols: list[int] = []
    found: list[int] = []
    for i, row in enumerate(ratings.values()):
        for annotator, label in row.items():
            if label is not None:
                rows.append(i)
                cols.append(column_of[annotator])
                found.append(_code(code_of, items[i], annotator, label))

    codes = np.full((len(items), len(annotators)), MISSING, dtype=np.int64)
    codes[rows, cols] = found
    return RatingTable(items, annotators, scale, codes)


def seen_categories(ratings: Ratings) -> tuple[Label, ...]:
    """The labels the ratings use, sorted: `rating_table`'s default scale.

    Example:
        >>> seen_categories({"i1": {"ann": "dog", "bob": "cat"}, "i2": {"ann": None}})
        ('cat', 'dog')
    """
    return _scale(ratings, None)


def per_label_tables(
    ratings: Mapping[Hashable, Mapping[Hashable, Iterable[Label] | None]],
    labels: Sequence[Label] | None = None,
) -> dict[Label, RatingTable]:
    """Split multi-label ratings into one yes/no table per label.

    Each rating is a set of labels (an empty set means "none apply"); ``None``
    means "not rated". In the table for label L an annotator's category is
    ``True`` when their set holds L. The categories are ``(False, True)``.

    Example:
        >>> tables = per_label_tables({"i1": {"a": {"x"}, "b": {"x", "y"}}})
        >>> tables["y"].codes.tolist()
        [[0, 1]]
    """
    items = tuple(ratings)
    annotators = _ordered_unique(a for row in ratings.values() for a in row)
    sets = {
        (i, annotator): frozenset(chosen)
        for i, item in enumerate(items)
        for annotator, chosen in ratings[item].items()
        if chosen is not None
    }
    seen = _sorted_labels({label for chosen in sets.values() for label in chosen})
    scale = tuple(labels) if labels is not None else seen
    unknown = set(seen) - set(scale)
    if unknown:
        raise InvalidInput(
            f"labels {sorted(map(str, unknown))} are not in the given label list",
            labels=sorted(map(str, unknown)),
        )

    rated = np.zeros((len(items), len(annotators)), dtype=bool)
    chosen_mask = np.zeros((len(items), len(annotators), len(scale)), dtype=bool)
    column_of = {annotator: j for j, annotator in enumerate(annotators)}
    label_index = {label: k for k, label in enumerate(scale)}
    for (i, annotator), chosen in sets.items():
        j = column_of[annotator]
        rated[i, j] = True
        for label in chosen:
            chosen_mask[i, j, label_index[label]] = True

    return {
        label: RatingTable(
            items,
            annotators,
            (False, True),
            np.where(rated, chosen_mask[:, :, k], MISSING).astype(np.int64),
        )
        for k, label in enumerate(scale)
    }


def ratings_from_annotations(
    annotations: Iterable[Annotation], multi_label: bool = False
) -> dict[Hashable, dict[Hashable, Any]]:
    """Build ``item -> author -> label`` from annotations' class regions.

    The author is ``annotation.author`` or, failing that, ``user_id``. Without
    ``multi_label`` an annotation must carry at most one class label; with it
    the rating is the frozenset of all its class labels. Annotations without
    a class region are skipped.

    Raises:
        InvalidInput: An annotation has several class labels and
            ``multi_label`` is off, or has no author.
    """
    ratings: dict[Hashable, dict[Hashable, Any]] = {}
    for annotation in annotations:
        labels = [
            label
            for region in annotation.regions
            if isinstance(region, ClassRegion)
            for label in region.labels
        ]
        if not labels and not multi_label:
            continue
        author = annotation.author or annotation.user_id
        if author is None:
            raise InvalidInput(
                f"annotation {annotation.id} on item {annotation.item_id} has no "
                "author, so it cannot be compared with others",
                item_id=annotation.item_id,
            )
        if multi_label:
            rating: Any = frozenset(labels)
        elif len(labels) > 1:
            raise InvalidInput(
                f"annotation {annotation.id} on item {annotation.item_id} has "
                f"{len(labels)} class labels; pass multi_label=True",
                item_id=annotation.item_id,
            )
        else:
            rating = labels[0]
        ratings.setdefault(annotation.item_id, {})[author] = rating
    return ratings


def _as_mapping(table: RatingTable) -> dict[Hashable, dict[Hashable, Label]]:
    return {
        item: {
            annotator: table.categories[code]
            for annotator, code in zip(table.annotators, row, strict=True)
            if code != MISSING
        }
        for item, row in zip(table.items, table.codes.tolist(), strict=True)
    }


def _scale(ratings: Ratings, categories: Sequence[Label] | None) -> tuple[Label, ...]:
    if categories is not None:
        scale = tuple(categories)
        if len(set(scale)) != len(scale):
            raise InvalidInput("the category list repeats a category")
        return scale
    try:
        seen = {label for row in ratings.values() for label in row.values()}
    except TypeError:
        raise InvalidInput(_SET_RATING) from None
    _reject_sets(seen)
    return _sorted_labels(seen - {None})


def _code(
    code_of: Mapping[Label, int], item: Hashable, annotator: Hashable, label: Any
) -> int:
    try:
        return code_of[label]
    except KeyError:
        raise InvalidInput(
            f"item {item!r}, annotator {annotator!r}: label {label!r} is not one "
            "of the categories",
            item=str(item),
            annotator=str(annotator),
            label=str(label),
        ) from None
    except TypeError:
        raise InvalidInput(
            f"item {item!r}, annotator {annotator!r}: rating {label!r} is not a "
            "single label; use per_label_tables for multi-label ratings",
            item=str(item),
            annotator=str(annotator),
        ) from None


def _sorted_labels(labels: Iterable[Label]) -> tuple[Label, ...]:
    pool = list(labels)
    key: Callable[[Label], Any] | None = None
    try:
        return tuple(sorted(pool))  # type: ignore[type-var]
    except TypeError:
        key = str
    return tuple(sorted(pool, key=key))


_SET_RATING = (
    "a rating is a set of labels; use per_label_tables for multi-label ratings"
)


def _reject_sets(labels: Iterable[Any]) -> None:
    for label in labels:
        if isinstance(label, set | frozenset | list | tuple):
            raise InvalidInput(
                f"{_SET_RATING} (found {sorted(map(str, label))})", rating=str(label)
            )


def _ordered_unique(values: Iterable[Hashable]) -> tuple[Hashable, ...]:
    return tuple(dict.fromkeys(values))
