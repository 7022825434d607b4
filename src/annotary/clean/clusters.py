"""Union-find over item ids and the flags a duplicate cluster becomes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from annotary.clean.base import Flag


class UnionFind:
    """Disjoint sets over the integers 0..n-1 (path halving, union by size)."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        if self.size[root_a] < self.size[root_b]:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.size[root_a] += self.size[root_b]

    def groups(self) -> list[list[int]]:
        """Every set of two or more members, members ascending."""
        found: dict[int, list[int]] = {}
        for node in range(len(self.parent)):
            if self.size[self.find(node)] > 1:
                found.setdefault(self.find(node), []).append(node)
        return list(found.values())


Member = tuple[int, float, str, dict[str, Any]]
"""One cluster member: item id, score, reason, extra data."""


def cluster_flags(check: str, members: Sequence[Member]) -> Iterator[Flag]:
    """One flag per member of a cluster, the lowest id as representative.

    The cluster id is ``"<check>:<representative id>"``: clusters of one check
    never share a member, so it is unique within a run. The representative is
    flagged too (score 0, reason counting its copies) so that a cluster can be
    shown whole; ``data["representative"]`` says which member to keep.
    """
    representative = min(member[0] for member in members)
    cluster = f"{check}:{representative}"
    size = len(members)
    for item_id, score, reason, extra in members:
        if item_id == representative:
            score, reason = 0.0, f"representative of {size - 1} duplicate(s)"
        yield Flag(
            item_id=item_id,
            check=check,
            score=score,
            reason=reason,
            cluster=cluster,
            data={"representative": representative, "size": size, **extra},
        )
