from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotary.clean.hashindex import (
    brute_force_pairs,
    chunk_radii,
    hamming,
    hamming_pairs,
    popcount,
)
from annotary.errors import InvalidInput

U64 = st.integers(min_value=0, max_value=2**64 - 1)


@pytest.mark.parametrize(
    ("value", "bits"),
    [(0, 0), (1, 1), (0xFF, 8), (0x8000_0000_0000_0000, 1), (2**64 - 1, 64)],
)
def test_popcount(value: int, bits: int) -> None:
    assert popcount(np.array([value], dtype=np.uint64)).tolist() == [bits]


@pytest.mark.parametrize(
    ("radius", "radii"),
    [
        (0, [0, -1, -1, -1]),
        (3, [0, 0, 0, 0]),
        (4, [1, 0, 0, 0]),
        (8, [2, 1, 1, 1]),
        (10, [2, 2, 2, 1]),
        (12, [3, 2, 2, 2]),
    ],
)
def test_chunk_radii_cover_the_radius(radius: int, radii: list[int]) -> None:
    # -1 means the chunk is not searched at all; the pigeonhole bound holds
    # when the searched radii plus one add up to more than the radius.
    assert chunk_radii(radius) == radii
    assert sum(r + 1 for r in radii) > radius


def test_pairs_by_hand() -> None:
    hashes = np.array([0b0000, 0b0011, 0xFFFF, 0b0111, 0xFFFE], dtype=np.uint64)

    i, j, d = hamming_pairs(hashes, 2)

    assert list(zip(i.tolist(), j.tolist(), d.tolist(), strict=True)) == [
        (0, 1, 2),
        (1, 3, 1),
        (2, 4, 1),
    ]


@pytest.mark.parametrize("radius", [-1, 64, 100])
def test_radius_out_of_range(radius: int) -> None:
    with pytest.raises(InvalidInput, match="radius"):
        hamming_pairs(np.zeros(3, dtype=np.uint64), radius)


def _planted(seed: int, size: int, flips: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**64 - 1, size=size, dtype=np.uint64, endpoint=True)
    copies = base.copy()
    for n in range(size):
        for bit in rng.choice(64, size=rng.integers(0, flips + 1), replace=False):
            copies[n] ^= np.uint64(1) << np.uint64(int(bit))
    return np.concatenate([base, copies, base[: size // 4]])


@pytest.mark.parametrize("radius", [0, 1, 2, 5, 8, 10, 12, 15, 20])
def test_same_pairs_as_comparing_every_pair(radius: int) -> None:
    hashes = _planted(seed=radius, size=400, flips=radius + 3)

    found = hamming_pairs(hashes, radius)
    expected = brute_force_pairs(hashes, radius)

    assert len(expected[0]) > 0
    for got, want in zip(found, expected, strict=True):
        assert got.tolist() == want.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(U64, min_size=0, max_size=40), st.integers(0, 16))
def test_self_join_matches_brute_force(values: list[int], radius: int) -> None:
    hashes = np.array(values, dtype=np.uint64)
    # Close neighbours of every value, so that pairs within the radius exist.
    near = np.array([v ^ (1 << (v % 64)) ^ (1 << (v % 13)) for v in values])
    hashes = np.concatenate([hashes, near.astype(np.uint64)])

    i, j, d = hamming_pairs(hashes, radius)
    bi, bj, bd = brute_force_pairs(hashes, radius)

    assert (i.tolist(), j.tolist(), d.tolist()) == (
        bi.tolist(),
        bj.tolist(),
        bd.tolist(),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(U64, min_size=1, max_size=30), st.lists(U64, min_size=1, max_size=30))
def test_queries_match_brute_force(index: list[int], queries: list[int]) -> None:
    radius = 12
    queries = queries + [v ^ 0b1011 for v in index]

    i, j, d = hamming_pairs(
        np.array(index, dtype=np.uint64), radius, np.array(queries, dtype=np.uint64)
    )

    expected = sorted(
        (qi, xi, hamming(q, x))
        for qi, q in enumerate(queries)
        for xi, x in enumerate(index)
        if hamming(q, x) <= radius
    )
    assert list(zip(i.tolist(), j.tolist(), d.tolist(), strict=True)) == expected


def test_crowded_buckets() -> None:
    # Every hash shares its lowest 16 bits, so one bucket holds them all.
    rng = np.random.default_rng(3)
    high = rng.integers(0, 2**48, size=120, dtype=np.uint64)
    hashes = (high << np.uint64(16)) | np.uint64(0xBEEF)
    hashes[60:] = hashes[:60] ^ np.uint64(0b101 << 20)

    found = hamming_pairs(hashes, 6)
    mirrored = hamming_pairs(hashes, 6, queries=hashes[::-1].copy())

    expected = brute_force_pairs(hashes, 6)
    assert [a.tolist() for a in found] == [a.tolist() for a in expected]
    assert len(mirrored[0]) == 120 + 2 * len(expected[0])
