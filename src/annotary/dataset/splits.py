"""Train/val/test splits that are deterministic, stratified and leak-free.

Items are first joined into units: an item alone, or every item that shares a
group key (source video, patient, near-duplicate cluster) with another, so no
unit is ever cut across two splits. Units are then dealt out by iterative
stratification (Sechidis, Tsoumakas and Vlahavas, 2011): the rarest label is
placed first, each unit going to the split that still wants that label most.
Without stratification the same procedure runs with no labels, which fills
splits by item count in a seeded random order.
"""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from annotary.core import Annotation, Item
from annotary.errors import InvalidInput

logger = logging.getLogger("annotary.dataset")

Record = tuple[Item, list[Annotation]]
GroupKey = Callable[[Item], Any]
DEFAULT_RATIOS: dict[str, float] = {"train": 0.8, "val": 0.1, "test": 0.1}


@dataclass
class _Unit:
    items: list[int] = field(default_factory=list)
    labels: Counter[str] = field(default_factory=Counter)


def assign_splits(
    records: Iterable[Record],
    ratios: Mapping[str, float] | None = None,
    seed: int = 0,
    stratify: Literal["label"] | None = None,
    group_key: GroupKey | None = None,
    multi_label: bool = False,
    warnings: list[str] | None = None,
) -> dict[int, str]:
    """Assign each item to a split.

    Args:
        records: ``(item, annotations)`` pairs; labels come from the regions.
        ratios: Split name to share (normalised); the first is where classes
            too rare to stratify go. Default 0.8 / 0.1 / 0.1 train/val/test.
        seed: The same seed and input give the same assignment.
        stratify: ``"label"`` keeps each label's share close to ``ratios``.
        group_key: Item to a key, or a list of keys; items sharing any key stay
            in one split (``None`` means no group).
        multi_label: Stratify on every label of an item, not only its first.
        warnings: When given, what the caller should tell the user (labels too
            rare to stratify) is appended to it as well as logged.

    Returns:
        Item id to split name.

    Raises:
        InvalidInput: a ratio is negative or all are zero.

    Example:
        >>> splits = assign_splits(records, seed=1, stratify="label")
        >>> splits[42]
        'train'
    """
    shares = _normalise(ratios or DEFAULT_RATIOS)
    units = _units(records, group_key, stratify == "label", multi_label)
    rng = random.Random(seed)
    rng.shuffle(units)

    names = list(shares)
    forced = _too_rare(units, names, shares, warnings) if stratify == "label" else set()
    assignment: dict[int, str] = {}
    for index in sorted(forced):
        for item_id in units[index].items:
            assignment[item_id] = names[0]
    rest = [unit for index, unit in enumerate(units) if index not in forced]
    _stratify(rest, shares, rng, assignment)
    logger.info(
        "split %s items into %s", len(assignment), dict(Counter(assignment.values()))
    )
    return assignment


def _normalise(ratios: Mapping[str, float]) -> dict[str, float]:
    if any(value < 0 for value in ratios.values()):
        raise InvalidInput(f"split ratios must not be negative: {dict(ratios)}")
    total = sum(ratios.values())
    if total <= 0:
        raise InvalidInput(f"split ratios must add up to more than 0: {dict(ratios)}")
    return {name: value / total for name, value in ratios.items() if value > 0}


def _keys(value: Any) -> list[Hashable]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if v is not None]
    return [value]


def _units(
    records: Iterable[Record],
    group_key: GroupKey | None,
    with_labels: bool,
    multi_label: bool,
) -> list[_Unit]:
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    owner: dict[Hashable, int] = {}
    labels: dict[int, list[str]] = {}
    for item, item_annotations in records:
        parent[item.id] = item.id
        labels[item.id] = _labels(item_annotations, multi_label) if with_labels else []
        for key in _keys(group_key(item) if group_key else None):
            if key in owner:
                parent[find(item.id)] = find(owner[key])
            else:
                owner[key] = item.id

    units: dict[int, _Unit] = defaultdict(_Unit)
    for item_id in parent:
        unit = units[find(item_id)]
        unit.items.append(item_id)
        unit.labels.update(labels[item_id])
    return [units[root] for root in sorted(units)]


def labels_of(annotations: list[Annotation]) -> list[str]:
    """Every label the regions of ``annotations`` name, first seen first."""
    return _labels(annotations, multi_label=True)


def _labels(annotations: list[Annotation], multi_label: bool) -> list[str]:
    found: list[str] = []
    for annotation in annotations:
        for region in annotation.regions:
            names = getattr(region, "labels", None) or [region.label]
            found.extend(n for n in names if n is not None and n not in found)
    return found if multi_label else found[:1]


def _too_rare(
    units: list[_Unit],
    names: list[str],
    shares: dict[str, float],
    warnings: list[str] | None = None,
) -> set[int]:
    counts: Counter[str] = Counter()
    for unit in units:
        counts.update(set(unit.labels))
    rare = sorted(label for label, n in counts.items() if n < len(names))
    if rare:
        message = (
            f"labels with fewer examples than the {len(names)} splits go to "
            f"{names[0]}: " + ", ".join(f"{label} ({counts[label]})" for label in rare)
        )
        logger.warning("%s", message)
        if warnings is not None:
            warnings.append(message)
    return {i for i, unit in enumerate(units) if set(unit.labels) & set(rare)}


def _stratify(
    units: list[_Unit],
    shares: dict[str, float],
    rng: random.Random,
    assignment: dict[int, str],
) -> None:
    names = list(shares)
    total = sum(len(unit.items) for unit in units)
    wanted = {name: shares[name] * total for name in names}
    label_totals: Counter[str] = Counter()
    for unit in units:
        label_totals.update(unit.labels)
    wanted_by_label = {
        label: {name: shares[name] * count for name in names}
        for label, count in label_totals.items()
    }

    remaining = list(range(len(units)))
    while remaining:
        pending: Counter[str] = Counter()
        for index in remaining:
            pending.update(units[index].labels)
        if pending:
            label = min(pending, key=lambda name: (pending[name], name))
            chosen = [i for i in remaining if units[i].labels[label]]
        else:
            label, chosen = None, list(remaining)
        for index in chosen:
            unit = units[index]
            split = _best_split(names, wanted, wanted_by_label.get(label or ""), rng)
            for item_id in unit.items:
                assignment[item_id] = split
            wanted[split] -= len(unit.items)
            for name, count in unit.labels.items():
                wanted_by_label[name][split] -= count
        taken = set(chosen)
        remaining = [i for i in remaining if i not in taken]


def _best_split(
    names: list[str],
    wanted: dict[str, float],
    wanted_for_label: dict[str, float] | None,
    rng: random.Random,
) -> str:
    def score(name: str) -> tuple[float, float]:
        by_label = wanted_for_label[name] if wanted_for_label else 0.0
        return (by_label, wanted[name])

    best = max(score(name) for name in names)
    tied = [name for name in names if score(name) == best]
    return tied[0] if len(tied) == 1 else rng.choice(tied)


class LeakGroup(BaseModel):
    """Items that are the same (or near) yet sit in different splits."""

    key: str
    items: dict[int, str] = Field(default_factory=dict)


class LeakageReport(BaseModel):
    exact: list[LeakGroup] = Field(default_factory=list)
    near: list[LeakGroup] = Field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.exact and not self.near


def leakage_report(
    items: Iterable[Item],
    splits: Mapping[int, str] | None = None,
    clusters: Mapping[int, Hashable] | None = None,
) -> LeakageReport:
    """Exact duplicates (same ``content_hash``) and near-duplicate clusters
    that cross splits.

    Args:
        items: The items; their ``split`` is used unless ``splits`` is given.
        splits: Item id to split, e.g. the result of :func:`assign_splits`.
        clusters: Item id to near-duplicate cluster id (from cleaning).

    Returns:
        One group per hash or cluster whose items sit in more than one split.
    """
    exact: dict[str, dict[int, str]] = defaultdict(dict)
    near: dict[str, dict[int, str]] = defaultdict(dict)
    for item in items:
        split = (splits or {}).get(item.id, item.split)
        if split is None:
            continue
        if item.content_hash:
            exact[item.content_hash][item.id] = split
        if clusters and clusters.get(item.id) is not None:
            near[str(clusters[item.id])][item.id] = split
    return LeakageReport(exact=_crossing(exact), near=_crossing(near))


def _crossing(groups: dict[str, dict[int, str]]) -> list[LeakGroup]:
    return [
        LeakGroup(key=key, items=members)
        for key, members in sorted(groups.items())
        if len(set(members.values())) > 1
    ]
