"""Pairs of annotators, formed from the items they share.

Pair metrics compare two annotators over the items both did. Taking every
pair of a project's annotators and scanning all items for each costs
``annotators**2 * items``, and in a large project most pairs never meet on an
item. Reading each item's own annotators costs ``items * k**2`` for k
annotators per item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import TypeVar

Pair = tuple[Hashable, Hashable]
Item = TypeVar("Item", bound=Hashable)


def shared_items(
    rows: Mapping[Item, Iterable[Hashable]],
    order: Sequence[Hashable] = (),
) -> dict[Pair, list[Item]]:
    """``(first, second) -> items both annotated``, for the pairs that share one.

    Annotators are ranked by ``order``, then by first appearance (items in
    order, each item's annotators in order). In a pair ``first`` ranks before
    ``second``, and pairs come in the order `itertools.combinations` gives over
    the ranked annotators: the loop over every pair, less the pairs with no
    item in common. Each pair's items keep the order of ``rows``.

    Args:
        rows: ``item -> annotators``; ``item -> annotator -> answer`` will do.
        order: Annotators to rank first, in this order (a table's columns).

    Example:
        >>> rows = {1: {"a": 0, "b": 0}, 2: {"c": 1, "b": 1}, 3: {"d": 1}}
        >>> shared_items(rows)
        {('a', 'b'): [1], ('b', 'c'): [2]}
    """
    rank = {annotator: k for k, annotator in enumerate(order)}
    found: defaultdict[tuple[int, int], list[Item]] = defaultdict(list)
    for item, annotators in rows.items():
        ranks = sorted([rank.setdefault(a, len(rank)) for a in annotators])
        for pair in combinations(ranks, 2):
            found[pair].append(item)

    by_rank = list(rank)
    return {(by_rank[a], by_rank[b]): found[a, b] for a, b in sorted(found)}
