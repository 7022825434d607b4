"""Union-find over item ids and the flags a duplicate cluster becomes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
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


def cluster_id(check: str, member_ids: Iterable[int]) -> str:
    """A stable id for a cluster: the check and a digest of its sorted members."""
    joined = ",".join(str(i) for i in sorted(member_ids))
    digest = hashlib.blake2b(joined.encode(), digest_size=8).hexdigest()
    return f"{check}:{digest}"


def cluster_flags(
    check: str,
    member_ids: Sequence[int],
    scores: dict[int, float],
    reasons: dict[int, str],
    data: dict[int, dict[str, Any]],
) -> Iterator[Flag]:
    """One flag per member of a cluster, the lowest id as representative.

    The representative is flagged too (score 0, reason naming the copies) so
    that a cluster can be shown whole; ``data["representative"]`` says which
    member to keep.
    """
    representative = min(member_ids)
    cluster = cluster_id(check, member_ids)
    copies = len(member_ids) - 1
    for item_id in sorted(member_ids):
        extra = data.get(item_id, {})
        if item_id == representative:
            reason = f"representative of {copies} duplicate(s)"
            score = 0.0
        else:
            reason = reasons[item_id]
            score = scores[item_id]
        yield Flag(
            item_id=item_id,
            check=check,
            score=score,
            reason=reason,
            cluster=cluster,
            data={"representative": representative, "size": copies + 1, **extra},
        )
