from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotary.clean.base import CheckInput
from annotary.clean.duplicates import ExactDuplicates, file_sha256, normalize_text
from annotary.core.models import Item
from annotary.errors import InvalidInput
from tests.clean.helpers import assert_storable, by_item, file_input, text_inputs


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hello World", "hello world"),
        ("  Hello \t\n World  ", "hello world"),
        ("Cafe\u0301", "café"),  # decomposed e + combining acute -> NFC
        ("CAFÉ", "café"),
        ("Straße", "strasse"),  # casefold, not lower
        ("a\u00a0b\u2003c", "a b c"),  # no-break and em spaces are white space
        ("line\r\nbreak", "line break"),
        ("", ""),
        ("Ǆ", "ǆ"),
    ],
)
def test_normalize_text(text: str, folded: str) -> None:
    assert normalize_text(text) == folded


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_text_clusters_keep_the_lowest_id() -> None:
    inputs = text_inputs(
        [
            "The cat sat.",  # 1
            "A different sentence.",  # 2
            "the  CAT sat.",  # 3: same after folding
            "The cat sat.",  # 4: identical to 1
            "   ",  # 5: empty, left to empty-text
            "   ",  # 6
            "A different sentence.",  # 7
        ]
    )

    flags = list(ExactDuplicates().run(inputs, params={}))

    found = by_item(flags)
    assert sorted(found) == [1, 2, 3, 4, 7]
    assert found[1].cluster == found[3].cluster == found[4].cluster
    assert found[2].cluster == found[7].cluster != found[1].cluster
    assert {
        f.data["representative"] for f in flags if f.cluster == found[1].cluster
    } == {1}
    assert (found[1].score, found[3].score, found[4].score) == (0.0, 0.9, 1.0)
    assert (found[3].data["exact"], found[4].data["exact"]) == (False, True)
    assert "after folding case" in found[3].reason
    assert found[4].reason == "same text as item 1"
    assert found[1].data["size"] == 3
    assert_storable(flags)


def test_without_normalising_only_exact_copies_match() -> None:
    inputs = text_inputs(["Ab", "ab", "Ab"])

    flags = by_item(ExactDuplicates().run(inputs, params={"normalize": False}))

    assert sorted(flags) == [1, 3]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_files_by_content(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.bin", b"same bytes")
    b = _write(tmp_path / "b.bin", b"same bytes")
    c = _write(tmp_path / "c.bin", b"other bytes")
    known = hashlib.sha256(b"known").hexdigest()
    inputs = [
        file_input(10, a),
        file_input(11, c),
        file_input(12, b),
        CheckInput(Item(id=13, project_id=1, content_hash=known)),
        CheckInput(Item(id=14, project_id=1, content_hash=known)),
        CheckInput(Item(id=15, project_id=1), tmp_path / "missing.bin"),
    ]

    flags = by_item(ExactDuplicates().run(inputs, params={}))

    assert sorted(flags) == [10, 12, 13, 14]
    assert flags[12].data["representative"] == 10
    assert flags[12].reason == "same bytes as item 10"
    assert flags[14].data["representative"] == 13
    assert flags[10].cluster != flags[13].cluster


def test_file_sha256_reads_large_files(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10_000
    path = _write(tmp_path / "big.bin", data)

    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_unknown_parameter_is_named() -> None:
    with pytest.raises(InvalidInput, match="exact-duplicates.v1.*normalise"):
        list(ExactDuplicates().run(text_inputs(["a"]), params={"normalise": True}))
