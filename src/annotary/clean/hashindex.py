"""Pairs of 64-bit hashes within a Hamming radius, by multi-index hashing.

Each hash is cut into four 16-bit chunks. If two hashes differ in at most
``r`` bits, then by the pigeonhole principle at least one chunk differs in at
most ``r // 4`` bits. So for every chunk we look up, in a table of that chunk's
values, each value within ``r // 4`` bits of the query's chunk; only those
candidates have their full distance computed. No pair is compared unless it
shares a nearly equal chunk, and the lookups run as numpy array operations.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from annotary.errors import InvalidInput

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

BITS = 64
CHUNKS = 4
CHUNK_BITS = BITS // CHUNKS
_CHUNK_VALUES = 1 << CHUNK_BITS
_BYTE_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount(values: U64) -> I64:
    """Number of set bits of each 64-bit value.

    Example:
        >>> popcount(np.array([0, 1, 0xFF, 2**64 - 1], dtype=np.uint64))
        array([ 0,  1,  8, 64])
    """
    values = np.ascontiguousarray(values, dtype=np.uint64)
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values).astype(np.int64)
    as_bytes = values.view(np.uint8).reshape(-1, 8)
    counted: I64 = _BYTE_POPCOUNT[as_bytes].sum(axis=1, dtype=np.int64)
    return counted


def hamming(a: int, b: int) -> int:
    """Hamming distance of two 64-bit integers."""
    return (a ^ b).bit_count()


def _masks(max_bits: int) -> I64:
    values = np.arange(_CHUNK_VALUES, dtype=np.uint64)
    return np.flatnonzero(popcount(values) <= max_bits).astype(np.int64)


def chunk_radii(radius: int) -> list[int]:
    """How far to search in each chunk so that no pair within ``radius`` is missed.

    Two hashes within ``radius`` differ by ``d_k`` bits in chunk ``k`` with
    ``sum(d_k) <= radius``. If chunk ``k`` is searched up to ``s_k`` and
    ``sum(s_k + 1) > radius``, some chunk has ``d_k <= s_k``: the pair is seen.

    Example:
        >>> chunk_radii(10)
        [2, 2, 2, 1]
    """
    slots = radius + 1
    return [slots // CHUNKS + (k < slots % CHUNKS) - 1 for k in range(CHUNKS)]


class _ChunkTable:
    """Positions of the hashes sorted by one chunk, with bucket starts."""

    def __init__(self, chunk: I64) -> None:
        self.order = np.argsort(chunk, kind="stable")
        self.counts = np.bincount(chunk, minlength=_CHUNK_VALUES)
        self.starts = np.concatenate(([0], np.cumsum(self.counts)[:-1]))

    def candidates(self, keys: I64) -> Iterator[tuple[I64, I64]]:
        """(query position, indexed position) for every hash in each key's bucket.

        Given rank by rank: first each query with the first hash of its
        bucket, then those whose bucket has a second hash, and so on. Buckets
        hold one or two hashes on average, so this beats expanding them with
        ``np.repeat``; a crowded bucket costs time, never a huge array.
        """
        counts = self.counts[keys]
        starts = self.starts[keys]
        live = np.flatnonzero(counts)
        rank = 0
        while live.size:
            yield live, self.order[starts[live] + rank]
            rank += 1
            live = live[counts[live] > rank]


def _chunks(hashes: U64, index: int) -> I64:
    shift = np.uint64(index * CHUNK_BITS)
    return ((hashes >> shift) & np.uint64(_CHUNK_VALUES - 1)).astype(np.int64)


def hamming_pairs(
    hashes: U64, radius: int, queries: U64 | None = None
) -> tuple[I64, I64, I64]:
    """Every pair of hashes at Hamming distance ``<= radius``.

    Args:
        hashes: the indexed 64-bit hashes.
        radius: the largest distance reported, 0 to 63.
        queries: hashes to look up in the index; when None, the index is
            joined with itself and each pair is reported once with ``i < j``.

    Returns:
        Arrays ``(i, j, distance)``: ``i`` indexes ``queries`` (or ``hashes``),
        ``j`` indexes ``hashes``, sorted by ``(i, j)``.

    Raises:
        InvalidInput: the radius is outside 0..63.

    Example:
        >>> h = np.array([0b0000, 0b0011, 0xFFFF], dtype=np.uint64)
        >>> hamming_pairs(h, 2)
        (array([0]), array([1]), array([2]))
    """
    if not 0 <= radius < BITS:
        raise InvalidInput(f"Hamming radius must be 0..63, got {radius}", radius=radius)
    hashes = np.asarray(hashes, dtype=np.uint64)
    self_join = queries is None
    queries = hashes if queries is None else np.asarray(queries, dtype=np.uint64)

    found_i: list[I64] = []
    found_j: list[I64] = []
    for index, chunk_radius in enumerate(chunk_radii(radius)):
        table = _ChunkTable(_chunks(hashes, index))
        lookups = _self_lookups if self_join else _query_lookups
        for i, j in lookups(table, _chunks(queries, index), chunk_radius):
            near = _within(queries[i] ^ hashes[j], radius)
            found_i.append(i[near])
            found_j.append(j[near])

    if self_join:
        # Pairs come in either order from the lookups; report them as i < j.
        found_i, found_j = (
            [np.minimum(i, j) for i, j in zip(found_i, found_j, strict=True)],
            [np.maximum(i, j) for i, j in zip(found_i, found_j, strict=True)],
        )
    return _unique_pairs(found_i, found_j, queries, hashes)


def _within(xor: U64, radius: int) -> npt.NDArray[np.bool_]:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(xor) <= radius
    return popcount(xor) <= radius


def _query_lookups(
    table: _ChunkTable, chunk: I64, chunk_radius: int
) -> Iterator[tuple[I64, I64]]:
    for mask in _masks(chunk_radius):
        yield from table.candidates(chunk ^ mask)


def _self_lookups(
    table: _ChunkTable, chunk: I64, chunk_radius: int
) -> Iterator[tuple[I64, I64]]:
    # A pair whose chunks differ by ``mask`` is found from both sides; look it
    # up only from the side whose chunk has the mask's highest bit clear.
    without_bit = []
    for bit in range(CHUNK_BITS):
        positions = np.flatnonzero((chunk & (1 << bit)) == 0)
        without_bit.append((positions, chunk[positions]))

    for mask in _masks(chunk_radius):
        if mask == 0:
            for i, j in table.candidates(chunk):
                keep = i < j
                yield i[keep], j[keep]
            continue
        positions, values = without_bit[int(mask).bit_length() - 1]
        for i, j in table.candidates(values ^ mask):
            yield positions[i], j


def _unique_pairs(
    found_i: list[I64], found_j: list[I64], queries: U64, hashes: U64
) -> tuple[I64, I64, I64]:
    if not found_i:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    i = np.concatenate(found_i)
    j = np.concatenate(found_j)
    keys = np.unique(i * len(hashes) + j)
    i, j = keys // len(hashes), keys % len(hashes)
    return i, j, popcount(queries[i] ^ hashes[j])


def brute_force_pairs(hashes: U64, radius: int) -> tuple[I64, I64, I64]:
    """The same pairs as :func:`hamming_pairs` by comparing every pair (tests)."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    i, j = np.triu_indices(len(hashes), k=1)
    distance = popcount(hashes[i] ^ hashes[j])
    near = distance <= radius
    return i[near].astype(np.int64), j[near].astype(np.int64), distance[near]
